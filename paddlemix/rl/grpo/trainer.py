"""The GRPO loop: rollouts → rewards → group advantages → μ clipped, KL-regularised updates; checkpoints.

One optimizer step (`train_step`):

1. Every `num_iterations` (μ) steps, a new rollout batch: each rank encodes its prompts (`data.py`) and
   samples G completions per prompt (`rollout.py`), scores them, and the ranks exchange the rewards so that
   advantages (`advantages.py`) and the logged statistics cover the whole batch. With μ > 1 the policy's
   log-probs are stored now (the "old" policy of the ratio); with β > 0 so are the frozen reference's.
2. For each group of this rank, a training forward (`logprobs.py`), the GRPO loss (`loss.py`) scaled so
   that the step's gradient is that of the global batch's loss, and a backward. Then the gradients are
   averaged over ranks (data parallel) or reduced by the sharded optimizer, clipped, and applied.
3. A non-finite loss or gradient (on any rank) skips the update with a warning; `max_consecutive_nonfinite` such steps
   in a row stop the run, leaving the last checkpoint as it was.

Loss scaling across groups, micro-steps and ranks: "grpo" and "dr_grpo" are normalised by the step's global
number of completions and "dapo" by its global number of completion tokens, so how the batch is split over
ranks and micro-steps does not change the gradient (a 2-process run equals a 1-process run). "bnpo" (and
any other registered aggregation) is a mean over the micro-batch (one rank's groups of one micro-step),
averaged over micro-steps and ranks, as in trl.
"""

from __future__ import annotations

import logging
import math
import os
import shutil
import time

import numpy as np
import paddle

from paddlemix.config import config_to_dict
from paddlemix.distributed import (
    DistEnv,
    all_gather_array,
    all_reduce_array,
    broadcast_object,
    derived_seed,
    seed_everything,
)
from paddlemix.models import AutoModelForConditionalGeneration
from paddlemix.models.runtime import resolve_attn, stop_token_ids
from paddlemix.processors import Qwen2VLProcessor
from paddlemix.rewards import build_rewards
from paddlemix.rl.grpo import checkpointing
from paddlemix.rl.grpo.advantages import group_advantages, zero_std_fraction
from paddlemix.rl.grpo.config import TrainConfig
from paddlemix.rl.grpo.data import (
    PromptEncoder,
    PromptLoader,
    PromptSchedule,
    load_train_dataset,
    local_slots,
    total_rollout_batches,
)
from paddlemix.rl.grpo.logprobs import PolicyLogprobs
from paddlemix.rl.grpo.loss import grpo_loss
from paddlemix.rl.grpo.metrics_logging import MetricsLogger, completions_path, write_completions
from paddlemix.rl.grpo.precision import resolve_precision
from paddlemix.rl.grpo.reference import build_reference
from paddlemix.rl.grpo.rollout import Group, generate_group, score_group

logger = logging.getLogger(__name__)


class NonFiniteLossError(RuntimeError):
    """Too many consecutive steps had a non-finite loss or gradient."""


def lr_lambda(step: int, total: int, warmup: int, kind: str) -> float:
    """Multiplier of the peak learning rate at `step`: linear warmup, then linear/cosine decay or constant."""
    if step < warmup:
        return step / max(1, warmup)
    progress = (step - warmup) / max(1, total - warmup)
    if kind == "linear":
        return max(0.0, 1.0 - progress)
    if kind == "cosine":
        return max(0.0, 0.5 * (1.0 + math.cos(math.pi * progress)))
    return 1.0


class GRPOTrainer:
    """Builds everything a run needs from a `TrainConfig` and trains: `GRPOTrainer(cfg, env).train()`."""

    def __init__(self, cfg: TrainConfig, env: DistEnv | None = None):
        """Load policy, reference, processor, data and rewards; set up optimizer, schedule and resume."""
        self.cfg, self.env = cfg, env or DistEnv()
        m, d, g, t = cfg.model, cfg.data, cfg.grpo, cfg.trainer
        seed_everything(t.seed)
        self.precision = resolve_precision(m)
        # Flash attention only for half-precision weights (O2); O1 autocasting keeps float32 attention inputs.
        attn = resolve_attn(m.attn_implementation, self.precision.weights_dtype)
        self.model = AutoModelForConditionalGeneration.from_pretrained(
            m.model_name_or_path,
            dtype=self.precision.weights_dtype,
            recompute=m.recompute,
            attn_implementation=attn,
        )
        if m.freeze_vision:
            for p in self.model.visual.parameters():
                p.stop_gradient = True
        self.model.train()
        self.ref_model = (
            build_reference(m.model_name_or_path, self.precision.weights_dtype, attn) if g.beta > 0 else None
        )
        self._reference = PolicyLogprobs(self.ref_model) if self.ref_model is not None else None
        self.processor = Qwen2VLProcessor.from_pretrained(
            m.model_name_or_path, min_pixels=d.min_pixels, max_pixels=d.max_pixels
        )
        self.eos = stop_token_ids(self.model, self.processor, m.model_name_or_path)
        self.reward_funcs, self.reward_weights = build_rewards(g.reward_funcs, g.reward_weights)

        self.dataset = load_train_dataset(d, t.seed)
        world = self.env.world_size
        self.prompts_per_batch = t.per_device_train_batch_size * world * t.gradient_accumulation_steps
        if t.max_steps > 0:
            self.total_steps = t.max_steps
        else:
            batches = total_rollout_batches(len(self.dataset), self.prompts_per_batch, t.num_train_epochs)
            self.total_steps = batches * g.num_iterations

        self.trainable = [p for p in self.model.parameters() if not p.stop_gradient]
        optimizer = self._build_optimizer()
        self.model, optimizer = self.precision.decorate(self.model, optimizer)
        # The training forward goes through the parallel wrapper; generation and saving use the model itself.
        self._wrapped, self.optimizer = self.env.wrap(PolicyLogprobs(self.model), optimizer)
        self.scaler = self.precision.grad_scaler()

        self.global_step, position = 0, 0
        resume = self._prepare_output_dir()
        if resume is not None:
            state = checkpointing.load_training_state(
                resume, self.model, self.optimizer, self.env.rank, self.env.optimizer_state_is_sharded
            )
            self.global_step, position = state["global_step"], state["prompts_consumed"]
            logger.info(
                "resumed from %s at step %d (prompt %d of the stream)", resume, self.global_step, position
            )
        mu = g.num_iterations
        self.schedule = PromptSchedule(
            len(self.dataset), self.prompts_per_batch, t.seed, position, self.global_step // mu
        )
        self.encoder = PromptEncoder(self.processor, d.max_prompt_length, self.dataset.skipped)
        self.slots = local_slots(
            t.per_device_train_batch_size, world, self.env.rank, t.gradient_accumulation_steps
        )
        self.loader = PromptLoader(
            self.dataset, self.schedule, self.encoder, self.slots, d.dataloader_num_workers
        )
        self._groups: list[Group] | None = None
        self._counts: dict = {}
        self._rollout_metrics: dict = {}
        self._bad_steps = 0
        self._drops_seen = np.zeros(2)
        run_name = t.run_name or os.path.basename(os.path.normpath(t.output_dir))
        logdir = None if t.report_to == "none" else (t.logging_dir or os.path.join(t.output_dir, "runs"))
        self.metrics = MetricsLogger(
            self.total_steps,
            self.global_step,
            self.env.rank,
            t.logging_steps,
            logdir,
            run_name,
            not t.disable_tqdm,
        )

    # ----- setup helpers -----

    def _build_optimizer(self):
        """AdamW over the trainable parameters (no decay on biases and norms) with the warmup/decay schedule."""
        t = self.cfg.trainer
        warmup = t.warmup_steps or math.ceil(t.warmup_ratio * self.total_steps)
        self.scheduler = paddle.optimizer.lr.LambdaDecay(
            t.learning_rate, lambda s: lr_lambda(s, self.total_steps, warmup, t.lr_scheduler_type)
        )
        decay = {
            p.name for n, p in self.model.named_parameters() if not n.endswith("bias") and "norm" not in n
        }
        return paddle.optimizer.AdamW(
            learning_rate=self.scheduler,
            parameters=self.trainable,
            beta1=t.adam_beta1,
            beta2=t.adam_beta2,
            epsilon=t.adam_epsilon,
            weight_decay=t.weight_decay,
            apply_decay_param_fun=lambda name: name in decay,
            grad_clip=paddle.nn.ClipGradByGlobalNorm(t.max_grad_norm) if t.max_grad_norm > 0 else None,
            multi_precision=self.precision.multi_precision,
        )

    def _prepare_output_dir(self) -> str | None:
        """Create output_dir, clean interrupted saves, apply overwrite; return the checkpoint to resume from."""
        t = self.cfg.trainer
        resume = None
        if self.env.rank == 0:
            os.makedirs(t.output_dir, exist_ok=True)
            checkpointing.remove_stale_temporaries(t.output_dir)
            existing = checkpointing.list_checkpoints(t.output_dir)
            if t.resume_from_checkpoint:
                resume = checkpointing.resolve_resume(t.output_dir, t.resume_from_checkpoint)
                if resume is None:
                    logger.warning(
                        "--resume_from_checkpoint auto: no checkpoint in %s, starting fresh", t.output_dir
                    )
            elif existing and t.overwrite_output_dir:
                for path in existing:
                    shutil.rmtree(path)
            elif existing:
                raise FileExistsError(
                    f"{t.output_dir} holds checkpoints ({os.path.basename(existing[-1])}, ...); pass "
                    "--resume_from_checkpoint auto to continue or --overwrite_output_dir to start over"
                )
        return broadcast_object(resume)

    # ----- rollouts -----

    def _rollout(self, batch: int) -> list[Group]:
        """Generate, score and prepare this rank's groups of rollout batch `batch`; sets the rollout metrics."""
        g, t = self.cfg.grpo, self.cfg.trainer
        timings = {}
        start = time.perf_counter()
        prompts = self.loader.get(batch)
        timings["time/data"] = time.perf_counter() - start
        groups = []
        start = time.perf_counter()
        self.env.gather_parameters(self._wrapped)
        for micro, row in enumerate(prompts):
            for slot, prompt in row:
                if prompt is not None:
                    seed = derived_seed(t.seed, "rollout", batch, slot)
                    groups.append(
                        generate_group(self.model, self.processor, prompt, g, seed, slot, micro, self.eos)
                    )
        timings["time/generation"] = time.perf_counter() - start
        start = time.perf_counter()
        for group in groups:
            score_group(group, self.reward_funcs, self.reward_weights, self.model.config.model_type)
        timings["time/rewards"] = time.perf_counter() - start
        metrics = self._exchange_rewards(groups)
        start = time.perf_counter()
        with paddle.no_grad(), self.precision.autocast():
            for group in groups:
                if g.num_iterations > 1:
                    group.old_logprobs = self._logprobs(self._wrapped, group)
                if self.ref_model is not None:
                    group.ref_logprobs = self._logprobs(self._reference, group)
        timings["time/reference"] = time.perf_counter() - start
        if t.log_completions:
            write_completions(completions_path(t.output_dir, self.env.rank), self.global_step, groups)
        self._rollout_metrics = {**metrics, **timings}
        return groups

    def _exchange_rewards(self, groups: list[Group]) -> dict:
        """Gather rewards and lengths of every rank, set each local group's advantages, return batch metrics."""
        g = self.cfg.grpo
        size, names = g.num_generations, list(self.reward_funcs)
        flat_slots = [s for row in self.slots for s in row]
        local = np.full((len(flat_slots), size, 2 + len(names)), np.nan)
        for group in groups:
            row = local[flat_slots.index(group.slot)]
            row[:, 0], row[:, 1] = group.rewards, group.lengths
            for k, name in enumerate(names):
                row[:, 2 + k] = group.per_func[name]
        gathered = all_gather_array(local)  # (world, local slots, G, 2 + F)
        full = np.full((self.prompts_per_batch, size, local.shape[2]), np.nan)
        t = self.cfg.trainer
        for rank in range(self.env.world_size):
            rank_slots = [
                s
                for row in local_slots(
                    t.per_device_train_batch_size, self.env.world_size, rank, t.gradient_accumulation_steps
                )
                for s in row
            ]
            full[rank_slots] = gathered[rank]
        valid = ~np.isnan(full[:, 0, 0])
        rewards, lengths = full[valid, :, 0], full[valid, :, 1]
        self._counts = {"seqs": int(valid.sum()) * size, "tokens": float(lengths.sum())}
        drops_now = np.array([self.encoder.drops["too_long"], self.encoder.drops["bad_image"]], dtype=float)
        drops = all_reduce_array(drops_now - self._drops_seen)
        self._drops_seen = drops_now
        metrics = {"drops/too_long": drops[0], "drops/bad_image": drops[1], "groups": float(valid.sum())}
        if not valid.any():
            return metrics
        flat = paddle.to_tensor(rewards.reshape([-1]).astype("float32"))
        adv = group_advantages(flat, size, g.scale_rewards).numpy().reshape(rewards.shape)
        row_of_slot = {slot: i for i, slot in enumerate(np.flatnonzero(valid))}
        for group in groups:
            group.advantages = paddle.to_tensor(adv[row_of_slot[group.slot]])
        metrics.update(
            reward=float(rewards.mean()),
            reward_std=float(rewards.std(axis=1, ddof=1).mean()),
            zero_std_fraction=zero_std_fraction(flat, size),
            completion_length=float(lengths.mean()),
            completion_length_min=float(lengths.min()),
            completion_length_max=float(lengths.max()),
            reward_errors=float(all_reduce_array([sum(sum(gr.reward_errors.values()) for gr in groups)])[0]),
        )
        for k, name in enumerate(names):
            values = full[valid, :, 2 + k]
            if not np.isnan(values).all():
                metrics[f"rewards/{name}"] = float(np.nanmean(values))
                metrics[f"rewards/{name}_std"] = float(np.nanstd(values))
        return metrics

    def _logprobs(self, layer, group: Group) -> paddle.Tensor:
        """(G, T) log-probs of a group's completions under `layer`, a (possibly wrapped) `PolicyLogprobs`."""
        return layer(
            group.inputs["input_ids"],
            group.inputs["pixel_values"],
            group.inputs["image_grid_thw"],
            group.completion_ids,
            group.completion_mask,
            self.cfg.grpo.temperature,
        )

    # ----- update -----

    def _loss_weight(self, group: Group, groups: list[Group]) -> float:
        """Factor on a group's loss so that summing them gives the step's loss (see the module docstring)."""
        g, t = self.cfg.grpo, self.cfg.trainer
        world = self.env.world_size
        if g.loss_type in ("grpo", "dr_grpo"):
            return g.num_generations * world / self._counts["seqs"]
        if g.loss_type == "dapo":
            return 1.0
        same_micro = [x for x in groups if x.micro_step == group.micro_step]
        if g.loss_type == "bnpo":
            share = group.n_tokens / max(1, sum(x.n_tokens for x in same_micro))
        else:
            share = 1.0 / len(same_micro)
        return share / t.gradient_accumulation_steps

    def _grads_finite(self) -> bool:
        """Whether this rank's accumulated gradients are all finite (a finite loss can still overflow them)."""
        squares = [
            paddle.square(p.grad.astype("float32")).sum() for p in self.trainable if p.grad is not None
        ]
        return not squares or math.isfinite(float(paddle.add_n(squares)))

    def _update(self, groups: list[Group]) -> tuple[float, dict, bool]:
        """Backward every group, then apply the step unless the loss is non-finite; (loss, metrics, applied)."""
        g = self.cfg.grpo
        dapo_items = self._counts["tokens"] / self.env.world_size if g.loss_type == "dapo" else None
        local_loss, sums = 0.0, np.zeros(3)  # kl·tokens, clip·tokens, tokens
        start = time.perf_counter()
        for group in groups:
            with self.precision.autocast():
                logp = self._logprobs(self._wrapped, group)
            loss, parts = grpo_loss(
                logp,
                group.old_logprobs,
                group.ref_logprobs,
                group.advantages,
                group.completion_mask,
                beta=g.beta,
                epsilon=g.epsilon,
                epsilon_high=g.epsilon_high,
                loss_type=g.loss_type,
                max_completion_length=g.max_completion_length,
                num_items_in_batch=dapo_items,
            )
            scaled = loss * self._loss_weight(group, groups)
            (self.scaler.scale(scaled) if self.scaler else scaled).backward()
            local_loss += float(scaled)
            n = group.n_tokens
            sums += [float(parts["kl"]) * n if "kl" in parts else 0.0, float(parts["clip_ratio"]) * n, n]
        if not groups:
            # Every rank must produce gradients for the collective that follows, even with no groups.
            (paddle.add_n([p.sum() for p in self.trainable]) * 0.0).backward()
        backward_time = time.perf_counter() - start
        finite = math.isfinite(local_loss) and self._grads_finite()
        totals = all_reduce_array([local_loss, 0.0 if finite else 1.0, *sums])
        loss, bad = totals[0] / self.env.world_size, totals[1] > 0
        start = time.perf_counter()
        if bad:
            self.optimizer.clear_grad()
        else:
            self.env.sync_gradients(self.trainable)
            if self.scaler:
                self.scaler.step(self.optimizer)
                self.scaler.update()
            else:
                self.optimizer.step()
            self.optimizer.clear_grad()
        metrics = {"time/update": backward_time, "time/optimizer": time.perf_counter() - start}
        tokens = max(totals[4], 1.0)
        metrics["clip_ratio"] = totals[3] / tokens
        if g.beta > 0:
            metrics["kl"] = totals[2] / tokens
        return loss, metrics, not bad

    def train_step(self) -> dict:
        """One optimizer step (rolling out first when due); returns its metrics."""
        mu = self.cfg.grpo.num_iterations
        start = time.perf_counter()
        fresh = self.global_step % mu == 0
        if fresh:
            self._groups = self._rollout(self.global_step // mu)
        lr = self.optimizer.get_lr()
        if self._counts.get("seqs"):
            loss, update_metrics, applied = self._update(self._groups)
        else:
            logger.warning("step %d: every prompt of the batch was dropped; no update", self.global_step + 1)
            loss, update_metrics, applied = 0.0, {}, True
        self.scheduler.step()
        self.global_step += 1
        if not applied:
            self._bad_steps += 1
            logger.warning(
                "step %d: non-finite loss or gradient (loss %s); update skipped (%d in a row)",
                self.global_step,
                loss,
                self._bad_steps,
            )
            if self._bad_steps >= self.cfg.trainer.max_consecutive_nonfinite:
                last = checkpointing.list_checkpoints(self.cfg.trainer.output_dir)
                raise NonFiniteLossError(
                    f"{self._bad_steps} consecutive steps had a non-finite loss or gradient; stopping at step {self.global_step}. "
                    f"The last checkpoint ({last[-1] if last else 'none written'}) is untouched."
                )
        else:
            self._bad_steps = 0
        elapsed = time.perf_counter() - start
        metrics = {
            **(self._rollout_metrics if fresh else {}),
            **update_metrics,
            "loss": loss,
            "lr": lr,
            "time/step": elapsed,
        }
        if fresh and "completion_length" in metrics:
            metrics["tokens_per_second"] = self._counts["tokens"] / elapsed
        metrics["skipped_nonfinite"] = float(not applied)
        return metrics

    # ----- loop -----

    def save(self) -> str:
        """Write checkpoint-{global_step} (every rank calls this)."""
        t = self.cfg.trainer
        state = {
            "global_step": self.global_step,
            "prompts_consumed": self.schedule.position(self.global_step // self.cfg.grpo.num_iterations),
            "epoch": self.schedule.epoch(self.global_step // self.cfg.grpo.num_iterations),
            "world_size": self.env.world_size,
            "source_model": self.cfg.model.model_name_or_path,
            "config": config_to_dict(self.cfg),
        }
        self.env.gather_parameters(self._wrapped)
        return checkpointing.save_checkpoint(
            t.output_dir,
            self.global_step,
            self.model,
            self.optimizer,
            state,
            self.model.name_or_path,
            self.env.rank,
            self.env.optimizer_state_is_sharded,
            t.save_total_limit,
        )

    def train(self, stop_after: int | None = None) -> list[dict]:
        """Run to `total_steps` (or to `stop_after` steps, for tests); returns the metrics history."""
        t = self.cfg.trainer
        end = self.total_steps if stop_after is None else min(self.total_steps, stop_after)
        try:
            while self.global_step < end:
                metrics = self.train_step()
                self.metrics.log_step(self.global_step, metrics)
                if (
                    t.save_strategy == "steps"
                    and self.global_step % t.save_steps == 0
                    and self._bad_steps == 0
                ):
                    self.save()
            if self.global_step >= self.total_steps:
                self.env.gather_parameters(self._wrapped)
                if self.env.rank == 0:
                    self.save_final_model()
        finally:
            self.metrics.close()
            self.loader.close()
        return self.metrics.history

    def save_final_model(self) -> None:
        """The trained policy in the hub layout, with the processor files, in output_dir (as the seed does)."""
        out = self.cfg.trainer.output_dir
        self.model.save_pretrained(out)
        src = self.model.name_or_path  # the local folder, also when the config names a hub ID
        for name in checkpointing.PROCESSOR_FILES:
            if os.path.isfile(os.path.join(src, name)):
                shutil.copy(os.path.join(src, name), os.path.join(out, name))
        logger.info("saved the final policy to %s", out)
