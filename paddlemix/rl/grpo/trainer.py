"""The GRPO loop: rollouts → rewards → group advantages → μ clipped, KL-regularised updates; checkpoints.

One optimizer step (`train_step`) is explicit data flow between stages:

1. Every `num_iterations` (μ) steps, a new `RolloutBatch` (`rollout`):
   - prompts: this rank's slots of the batch (`paddlemix.training.data`);
   - generate: G sampled completions per prompt, and score them (`rollout.py`);
   - gather: every rank's rewards as a `RewardTable`, so that advantages and logged statistics cover the
     whole batch;
   - advantages: `batch_advantages(...)` (`advantages.py`), set on each local group;
   - log-probs: with μ > 1 the policy's are stored now (the "old" policy of the ratio); with β > 0 so are
     the frozen reference's.
2. `update(batch)`: for each micro-step of this rank, one training forward over its groups
   (`paddlemix.training.logprobs`), each group's GRPO loss (`loss.py`) times the weight its aggregation's
   normaliser gives (`loss_weight`), and one backward of their sum. Then the gradients are averaged over ranks (data parallel) or reduced by the sharded
   optimizer, clipped, and applied.
3. A non-finite loss or gradient (on any rank) skips the update with a warning; `max_consecutive_nonfinite`
   such steps in a row stop the run, leaving the last checkpoint as it was (`paddlemix.training.update`).

Normalisation: each loss aggregation declares what its pieces are normalised by (loss.py's module docstring):
grpo and dr_grpo by the step's global number of completions, dapo by its global number of completion tokens,
so how the batch is split over ranks and micro-steps does not change the gradient (a 2-process run equals a
1-process run); bnpo, and by default a newly registered aggregation, is a mean over the micro-batch (one
rank's groups of one micro-step), averaged over micro-steps and ranks, as in trl.
"""

from __future__ import annotations

import logging
import math
import time
from collections import Counter

import numpy as np
import paddle

from paddlemix.config import ConfigError
from paddlemix.distributed import DistEnv, all_reduce_array, derived_seed, seed_everything
from paddlemix.models.runtime import resolve_attn, stop_token_ids
from paddlemix.preflight import preflight_at_start
from paddlemix.processors import Qwen2VLProcessor
from paddlemix.rewards import build_rewards
from paddlemix.rewards.coverage import check_rewards_apply
from paddlemix.rewards.runner import RewardErrors
from paddlemix.rl.grpo import agreement, reference_sync
from paddlemix.rl.grpo.advantages import batch_advantages
from paddlemix.rl.grpo.config import TrainConfig
from paddlemix.rl.grpo.loss import LossCounts, grpo_loss, loss_weight
from paddlemix.rl.grpo.no_signal import NoSignalWatch
from paddlemix.rl.grpo.rollout import (
    Group,
    RewardTable,
    RolloutBatch,
    completions_path,
    gather_rewards,
    generate_group,
    generate_groups,
    rollout_metrics,
    score_group,
    write_completions,
)
from paddlemix.rl.grpo.token_masks import high_entropy_mask, truncated_rows
from paddlemix.training.data import (
    Drop,
    load_train_dataset,
    local_slots,
    total_batches,
)
from paddlemix.training.logprobs import PolicyLogprobs
from paddlemix.training.loop import TrainingLoop, load_policy
from paddlemix.training.precision import resolve_precision
from paddlemix.training.reference import AdapterFreeLogprobs, build_reference
from paddlemix.training.run_header import log_run_header
from paddlemix.training.update import (
    NonFiniteLossError,
    apply_gradients,
    backward_nothing,
    grads_finite,
)

__all__ = ["GRPOTrainer", "NonFiniteLossError"]


def by_micro_step(groups: list[Group]) -> list[list[Group]]:
    """`groups` split by micro-step, in order: the groups that one training forward covers."""
    split: dict[int, list[Group]] = {}
    for group in groups:
        split.setdefault(group.micro_step, []).append(group)
    return list(split.values())


logger = logging.getLogger(__name__)

DROP_REASONS = ("too_long", "bad_image")
# The progress bar: label -> (metric, format, value when missing).
BAR = {
    "reward": ("reward", ".3f", float("nan")),
    "kl": ("kl", ".4f", 0.0),
    "len": ("completion_length", ".1f", float("nan")),
    "sec": ("time/step", ".2f", float("nan")),
}
SHOWN = (
    "reward",
    "reward_std",
    "frac_reward_zero_std",
    "kl",
    "clip_ratio",
    "completion_length",
    "loss",
    "time/step",
)


class GRPOTrainer(TrainingLoop):
    """Builds everything a run needs from a `TrainConfig` and trains: `GRPOTrainer(cfg, env).train()`."""

    BAR, SHOWN = BAR, SHOWN

    def __init__(self, cfg: TrainConfig, env: DistEnv | None = None):
        """Load policy, reference, processor, data and rewards; set up optimizer, schedule and resume."""
        self.cfg, self.env = cfg, env or DistEnv()
        m, d, g, t = cfg.model, cfg.data, cfg.grpo, cfg.trainer
        seed_everything(t.seed)
        # Data first: a bad annotation file or an empty set stops the run before minutes of model loading.
        self.dataset = load_train_dataset(d, t.seed, cfg.vlm_r1.sample_fields())
        try:
            self.reward_funcs, self.reward_weights = build_rewards(g.reward_funcs, g.reward_weights)
        except ValueError as e:
            raise ConfigError(f"--reward_funcs: {e}") from None
        check_rewards_apply(self.reward_funcs, self.dataset)
        self.reward_errors = RewardErrors()
        preflight_at_start(cfg, self.dataset, self.reward_funcs)
        self.reward_settings = {
            "max_completion_length": g.max_completion_length,
            "overlong_buffer": g.overlong_buffer,
        }
        self.precision = resolve_precision(m)
        # Flash attention only for half-precision weights (O2); O1 autocasting keeps float32 attention inputs.
        attn = resolve_attn(m.attn_implementation, self.precision.weights_dtype)
        self.model = load_policy(m, cfg.lora, self.precision.weights_dtype, attn)
        # With LoRA the reference is the policy with its adapters off: no second copy of the weights.
        self.ref_model, self._reference = None, None
        if g.beta > 0 and cfg.lora.enabled:
            self._reference = AdapterFreeLogprobs(self.model)
        elif g.beta > 0:
            self.ref_model = build_reference(m.model_name_or_path, self.precision.weights_dtype, attn)
            self._reference = PolicyLogprobs(self.ref_model)
        self.processor = Qwen2VLProcessor.from_pretrained(
            m.model_name_or_path, min_pixels=d.min_pixels, max_pixels=d.max_pixels
        )
        self.eos = stop_token_ids(self.model, self.processor, m.model_name_or_path)

        world = self.env.world_size
        self.prompts_per_batch = t.per_device_train_batch_size * world * t.gradient_accumulation_steps
        if t.max_steps > 0:
            self.total_steps = t.max_steps
        else:
            batches = total_batches(len(self.dataset), self.prompts_per_batch, t.num_train_epochs)
            self.total_steps = batches * g.num_iterations

        self.setup_optimization(PolicyLogprobs)
        per_step = f"{self.prompts_per_batch} prompts per step x G={g.num_generations} completions"
        log_run_header(self, f"{per_step} of <= {g.max_completion_length} tokens")
        self.resume_and_stream("prompts_consumed", self.prompts_per_batch, g.num_iterations)
        per_device, accumulation = t.per_device_train_batch_size, t.gradient_accumulation_steps
        # Every rank's global slots, flattened, in rank order.
        self.slots_per_rank = [
            [s for row in local_slots(per_device, world, r, accumulation) for s in row] for r in range(world)
        ]
        self.batch: RolloutBatch | None = None  # the rollout batch the next μ updates train on
        self.no_signal = NoSignalWatch(g.warn_no_signal_steps, self.env.rank)

    # ----- rollouts -----

    def rollout(self, index: int) -> RolloutBatch:
        """Rollout batch `index`: prompts → generation → rewards → gathered table → advantages → log-probs."""
        g, t = self.cfg.grpo, self.cfg.trainer
        timings = {}
        start = time.perf_counter()
        prompts = self.loader.get(index)
        timings["time/data"] = time.perf_counter() - start

        start = time.perf_counter()
        self.env.gather_parameters(self._wrapped)
        groups = []
        for micro, row in enumerate(prompts.rows):
            live = [(slot, prompt) for slot, prompt in row if prompt is not None]
            if g.batched_rollouts and live:
                seed = derived_seed(t.seed, "rollout", index, live[0][0])
                groups += generate_groups(self.model, self.processor, live, g, seed, micro, self.eos)
                continue
            for slot, prompt in row:
                if prompt is not None:
                    seed = derived_seed(t.seed, "rollout", index, slot)
                    groups.append(
                        generate_group(self.model, self.processor, prompt, g, seed, slot, micro, self.eos)
                    )
        timings["time/generation"] = time.perf_counter() - start

        start = time.perf_counter()
        for group in groups:
            score_group(
                group,
                self.reward_funcs,
                self.reward_weights,
                self.model.config.model_type,
                self.global_step,
                errors=self.reward_errors,
                settings=self.reward_settings,
            )
        timings["time/rewards"] = time.perf_counter() - start

        names = list(self.reward_funcs)
        table = gather_rewards(groups, names, self.slots_per_rank, self.env.rank, g.num_generations)
        sampling_metrics = {}
        if g.dynamic_sampling:
            start = time.perf_counter()
            groups, table, sampling_metrics = self.resample_constant_groups(index, groups, table)
            timings["time/resampling"] = time.perf_counter() - start
        self.no_signal.observe(table)
        advantages = batch_advantages(
            table.rewards,
            table.lengths,
            [table.per_func[n] for n in names],
            self.reward_weights,
            estimator=g.advantage_estimator,
            aggregation=g.multi_objective_aggregation,
            scale_rewards=g.scale_rewards,
            eps=g.advantage_epsilon,
        )
        for group in groups:
            group.advantages = paddle.to_tensor(advantages[group.slot])
        if g.mask_truncated_completions:
            sampling_metrics["masked_truncated_fraction"] = self.mask_truncated(groups, table)

        start = time.perf_counter()
        with paddle.no_grad(), self.precision.autocast():
            for micro in by_micro_step(groups):
                if g.num_iterations > 1:
                    for group, logp in zip(micro, self._logprobs(self._wrapped, micro)):
                        group.old_logprobs = logp
                if self._reference is not None:
                    for group, logp in zip(micro, self._logprobs(self._reference, micro)):
                        group.ref_logprobs = logp
        timings["time/reference"] = time.perf_counter() - start

        if t.log_completions:
            write_completions(completions_path(t.output_dir, self.env.rank), self.global_step, groups)
        reward_errors = self.reward_errors.end_step(
            names, g.max_reward_error_fraction, self.global_step + 1, all_reduce_array
        )
        errors = sum(sum(group.reward_errors.values()) for group in groups)
        totals = all_reduce_array([*(prompts.drops[r] for r in DROP_REASONS), errors])
        drops = Counter(dict(zip(DROP_REASONS, totals[:2])))
        metrics = {f"drops/{r}": drops[r] for r in DROP_REASONS}
        metrics["groups"] = float(table.valid.sum())
        metrics.update(sampling_metrics, **reward_errors)
        stats = rollout_metrics(table)
        if stats:
            metrics.update(stats, reward_errors=float(totals[2]))
        return RolloutBatch(index, groups, table, drops, {**metrics, **timings})

    def resample_constant_groups(
        self, index: int, groups: list[Group], table: RewardTable
    ) -> tuple[list[Group], RewardTable, dict]:
        """DAPO's dynamic sampling: replace groups whose rewards are all equal, up to `max_resample` times.

        Such a group has zero advantage, so it teaches nothing. Its slot gets a new prompt, drawn from a
        stream seeded by (seed, batch, slot, attempt) that leaves the main prompt stream (and so resuming)
        untouched, generated on the rank that owns the slot. The table is gathered again after each attempt,
        so every rank sees the same constant slots and runs the same number of attempts. Groups still constant
        after the last attempt stay, with zero advantage. Logged: the fraction of groups that were constant
        at first (`dynamic_sampling/dropped_fraction`), after the last attempt, and the attempts made.
        """
        g, t = self.cfg.grpo, self.cfg.trainer
        names = list(self.reward_funcs)

        def constant_slots(table: RewardTable) -> set:
            rows = table.rewards
            return {int(i) for i in np.flatnonzero(table.valid & (rows.max(axis=1) == rows.min(axis=1)))}

        constant = constant_slots(table)
        n_valid = max(int(table.valid.sum()), 1)
        metrics = {"dynamic_sampling/dropped_fraction": len(constant) / n_valid}
        attempt = 0
        while constant and attempt < g.max_resample:
            attempt += 1
            replaced = []
            for group in groups:
                if group.slot not in constant:
                    replaced.append(group)
                    continue
                pick = derived_seed(t.seed, "resample", index, group.slot, attempt) % len(self.dataset)
                prompt = self.encoder.encode(self.dataset[pick])
                if isinstance(prompt, Drop):
                    replaced.append(group)
                    continue
                seed = derived_seed(t.seed, "rollout", index, group.slot, attempt)
                new = generate_group(
                    self.model, self.processor, prompt, g, seed, group.slot, group.micro_step, self.eos
                )
                score_group(
                    new,
                    self.reward_funcs,
                    self.reward_weights,
                    self.model.config.model_type,
                    errors=self.reward_errors,
                    settings=self.reward_settings,
                )
                replaced.append(new)
            groups = replaced
            table = gather_rewards(groups, names, self.slots_per_rank, self.env.rank, g.num_generations)
            constant = constant_slots(table)
        metrics["dynamic_sampling/constant_fraction"] = len(constant) / n_valid
        metrics["dynamic_sampling/attempts"] = float(attempt)
        return groups, table, metrics

    def mask_truncated(self, groups: list[Group], table: RewardTable) -> float:
        """DAPO's mask_truncated_completions: completions that reached no eos get no loss; the fraction masked."""
        local = 0
        for group in groups:
            group.truncated = truncated_rows(group.completion_ids, group.completion_mask, self.eos)
            local += int(group.truncated.astype("int64").sum())
        return float(all_reduce_array([local])[0]) / max(table.completions, 1)

    def agreement_metrics(self, diffs: list) -> dict:
        """`rollout/logprob_diff_*` over every rank's groups, warning on a float32 gap above WARN_ABOVE."""
        stats = np.array(diffs).reshape([-1, 3]) if diffs else np.zeros((1, 3))
        top = all_reduce_array([stats[:, 0].max()], op="max")[0]
        total, count = all_reduce_array([stats[:, 1].sum(), stats[:, 2].sum()])
        metrics = agreement.diff_metrics(top, total, count)
        float32 = self.precision.weights_dtype == "float32" and self.precision.amp_dtype is None
        if float32 and metrics and top > agreement.WARN_ABOVE:
            logger.warning(
                "step %d: generate's log-probs differ from the training forward's by up to %.2e (> %.0e) on the "
                "sampled tokens: rollouts and training disagree",
                self.global_step + 1,
                top,
                agreement.WARN_ABOVE,
            )
        return metrics

    def _logprobs(self, layer, groups: list[Group], with_entropy: bool = False) -> list:
        """Each group's (G, T) log-probs under `layer`, a (possibly wrapped) `PolicyLogprobs`, from one forward
        over all `groups` (and their entropies, with `with_entropy`)."""
        return layer(
            [group.inputs["input_ids"] for group in groups],
            [group.inputs.get("pixel_values") for group in groups],
            [group.inputs.get("image_grid_thw") for group in groups],
            [group.completion_ids for group in groups],
            [group.completion_mask for group in groups],
            self.cfg.grpo.temperature,
            with_entropy,
        )

    # ----- update -----

    def loss_counts(self, group: Group, batch: RolloutBatch) -> LossCounts:
        """The sizes that the loss aggregation's normaliser weighs `group`'s piece of the step's loss by."""
        micro = [x for x in batch.groups if x.micro_step == group.micro_step]
        return LossCounts(
            completions=int(group.completion_ids.shape[0]),
            tokens=group.n_tokens,
            micro_pieces=len(micro),
            micro_tokens=sum(x.n_tokens for x in micro),
            step_completions=batch.table.completions,
            step_tokens=batch.table.tokens,
            world=self.env.world_size,
            accumulation=self.cfg.trainer.gradient_accumulation_steps,
        )

    def update(self, batch: RolloutBatch) -> tuple[float, dict, bool]:
        """Backward every micro-step of `batch` (one forward over its groups), then apply the step unless the loss is non-finite; (loss, metrics, applied)."""
        g = self.cfg.grpo
        local_loss, sums = 0.0, np.zeros(4)  # kl·tokens, clip·tokens, tokens, entropy·tokens
        fresh, diffs, kept = self.global_step % g.num_iterations == 0, [], 0
        start = time.perf_counter()
        want_entropy = g.entropy_coef > 0 or g.top_entropy_quantile < 1
        for micro in by_micro_step(batch.groups):
            # One forward over the micro-step's groups, each group's loss from its slice, one backward.
            with self.precision.autocast():
                outs = self._logprobs(self._wrapped, micro, with_entropy=want_entropy)
            total = 0.0
            for group, out in zip(micro, outs):
                logp, entropy = out if want_entropy else (out, None)
                counts, policy_mask = self.loss_counts(group, batch), None
                if (
                    fresh
                ):  # no update has touched this batch yet: the training forward should equal generate's
                    diffs.append(agreement.logprob_diff(group.sampling_logprobs, logp, group.completion_mask))
                if g.top_entropy_quantile < 1:
                    policy_mask = high_entropy_mask(entropy, group.loss_mask, g.top_entropy_quantile)
                    kept += int(policy_mask.astype("int64").sum())
                loss, parts = grpo_loss(
                    logp,
                    group.old_logprobs,
                    group.ref_logprobs,
                    group.advantages,
                    group.loss_mask,
                    beta=g.beta,
                    epsilon=g.epsilon,
                    epsilon_high=g.epsilon_high,
                    loss_type=g.loss_type,
                    max_completion_length=g.max_completion_length,
                    num_items_in_batch=counts.num_items_in_batch,
                    kl_estimator=g.kl_estimator,
                    entropy=entropy if g.entropy_coef > 0 else None,
                    entropy_coef=g.entropy_coef,
                    importance_sampling_level=g.importance_sampling_level,
                    delta=g.delta,
                    sapo_temperature_pos=g.sapo_temperature_pos,
                    sapo_temperature_neg=g.sapo_temperature_neg,
                    policy_mask=policy_mask,
                )
                scaled = loss * loss_weight(g.loss_type, counts)
                total = total + scaled
                local_loss += float(scaled)
                n = group.n_tokens
                kl, ent = (float(parts[k]) * n if k in parts else 0.0 for k in ("kl", "entropy"))
                sums += [kl, float(parts["clip_ratio"]) * n, n, ent]
            (self.scaler.scale(total) if self.scaler else total).backward()
        if not batch.groups:
            backward_nothing(self.trainable)
        backward_time = time.perf_counter() - start
        finite = math.isfinite(local_loss) and grads_finite(self.trainable)
        totals = all_reduce_array([local_loss, 0.0 if finite else 1.0, *sums])
        loss, bad = totals[0] / self.env.world_size, totals[1] > 0
        start = time.perf_counter()
        apply_gradients(self.env, self.optimizer, self.scaler, self.trainable, skip=bad)
        metrics = {"time/update": backward_time, "time/optimizer": time.perf_counter() - start}
        tokens = max(totals[4], 1.0)
        metrics["clip_ratio"] = totals[3] / tokens
        if g.beta > 0:
            metrics["kl"] = totals[2] / tokens
        if g.entropy_coef > 0:
            metrics["entropy"] = totals[5] / tokens
        if g.top_entropy_quantile < 1:
            metrics["entropy_kept_fraction"] = float(all_reduce_array([kept])[0] / tokens)
        if fresh:
            metrics.update(self.agreement_metrics(diffs))
        return loss, metrics, not bad

    def train_step(self) -> dict:
        """One optimizer step (rolling out first when due); returns its metrics."""
        mu = self.cfg.grpo.num_iterations
        start = time.perf_counter()
        fresh = self.global_step % mu == 0
        if fresh:
            self.batch = self.rollout(self.global_step // mu)
        lr = self.optimizer.get_lr()
        if self.batch.table.completions:
            loss, update_metrics, applied = self.update(self.batch)
        else:
            logger.warning("step %d: every prompt of the batch was dropped; no update", self.global_step + 1)
            loss, update_metrics, applied = 0.0, {}, True
        self.scheduler.step()
        self.global_step += 1
        g = self.cfg.grpo
        if g.sync_ref_model and applied and reference_sync.due(self.global_step, g.ref_model_sync_steps):
            self.env.gather_parameters(self._wrapped)
            reference_sync.mix_into_reference(self.model, self.ref_model, g.ref_model_mixup_alpha)
            update_metrics["ref_model_synced"] = 1.0
        self.nonfinite.record(applied, self.global_step, loss, self.cfg.trainer.output_dir)
        elapsed = time.perf_counter() - start
        metrics = {
            **(self.batch.metrics if fresh else {}),
            **update_metrics,
            "loss": loss,
            "lr": lr,
            "time/step": elapsed,
        }
        if fresh and "completion_length" in metrics:
            metrics["tokens_per_second"] = self.batch.table.tokens / elapsed
        metrics["skipped_nonfinite"] = float(not applied)
        return metrics
