"""Rollouts: G sampled completions per prompt, generated where the prompt lives, and their rewards.

The image and prompt are encoded once per group; `generate` copies the KV cache G times. Each group's
sampling is seeded from (seed, rollout batch, global slot), so a prompt gets the same completions whichever
rank generates it and whatever the world size. With `batched_rollouts` one call generates all of a
micro-step's prompts × G (`generate_groups`, left-padded), seeded from its first slot: faster, but the
samples then depend on which prompts share the call (greedy decoding gives the per-prompt tokens). Completions end at their first eos (the mask includes it);
image and video placeholder tokens are never sampled, since a training forward would try to fill them with
image features.

Rewards are the weighted sum of the registered reward functions (`paddlemix.rewards`); each reward sees the
sample's fields repeated per completion plus `image_size` (w, h), `image_grid_thw` and `model_type`, which the
REC rewards need to map boxes back to original pixels.

A rollout batch is a `RolloutBatch`: this rank's scored `Group`s, and the `RewardTable` of every rank's rewards
by global slot (`gather_rewards`), from which the advantages and the logged statistics are computed.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import paddle

from paddlemix.distributed import all_gather_array
from paddlemix.rewards import compute_rewards
from paddlemix.rewards.runner import RewardErrors
from paddlemix.rl.grpo.advantages import zero_std_fraction
from paddlemix.rl.grpo.config import GRPOConfig
from paddlemix.training.data import Prompt


@dataclass
class Group:
    """One prompt's G rollouts and everything the update needs of them."""

    slot: int  # position in the rollout batch's global order
    micro_step: int  # the accumulation micro-step it belongs to
    prompt: Prompt
    inputs: dict  # the prompt's paddle tensors: input_ids (1, S), pixel_values, image_grid_thw
    completion_ids: paddle.Tensor  # (G, T) int64, pad after eos
    completion_mask: paddle.Tensor  # (G, T) int64, 1 through the first eos
    sampling_logprobs: paddle.Tensor  # (G, T) float32, from generate
    texts: list[str]  # decoded completions, special tokens removed
    rewards: np.ndarray | None = None  # (G,) weighted total
    per_func: dict[str, np.ndarray] = field(default_factory=dict)  # name -> (G,), NaN where it does not apply
    reward_errors: dict[str, int] = field(default_factory=dict)
    advantages: paddle.Tensor | None = None  # (G,) float32
    old_logprobs: paddle.Tensor | None = None  # (G, T), only when num_iterations > 1
    ref_logprobs: paddle.Tensor | None = None  # (G, T), only when beta > 0
    truncated: paddle.Tensor | None = None  # (G,) bool, set by mask_truncated_completions: no loss

    @property
    def loss_mask(self) -> paddle.Tensor:
        """(G, T) int64: the completion mask, without the rows of truncated completions when those are masked."""
        if self.truncated is None:
            return self.completion_mask
        return self.completion_mask * paddle.logical_not(self.truncated).astype("int64").unsqueeze(-1)

    @property
    def n_tokens(self) -> int:
        """Completion tokens that count in the loss."""
        return int(self.loss_mask.sum())

    @property
    def lengths(self) -> np.ndarray:
        """(G,) completion lengths in tokens, eos included."""
        return self.completion_mask.numpy().sum(axis=1)


@paddle.no_grad()
def generate_group(
    model, processor, prompt: Prompt, cfg: GRPOConfig, seed: int, slot: int, micro_step: int, eos: list[int]
) -> Group:
    """Sample cfg.num_generations completions of one prompt, seeded with `seed`."""
    return generate_groups(model, processor, [(slot, prompt)], cfg, seed, micro_step, eos)[0]


def _left_padded(prompts: list[Prompt], pad_id: int) -> dict:
    """The prompts' inputs as one left-padded batch: input_ids / attention_mask (b, S), images concatenated."""
    width = max(p.length for p in prompts)
    ids = np.full((len(prompts), width), pad_id, dtype=np.int64)
    mask = np.zeros((len(prompts), width), dtype=np.int64)
    for i, p in enumerate(prompts):
        ids[i, width - p.length :] = p.inputs["input_ids"][0]
        mask[i, width - p.length :] = p.inputs["attention_mask"][0]
    batch = {"input_ids": ids, "attention_mask": mask}
    for key in ("pixel_values", "image_grid_thw"):
        if key in prompts[0].inputs:
            batch[key] = np.concatenate([p.inputs[key] for p in prompts], axis=0)
    return {k: paddle.to_tensor(v) for k, v in batch.items()}


@paddle.no_grad()
def generate_groups(
    model,
    processor,
    prompts: list[tuple[int, Prompt]],
    cfg: GRPOConfig,
    seed: int,
    micro_step: int,
    eos: list[int],
) -> list[Group]:
    """Sample cfg.num_generations completions of each (slot, prompt) in one `generate` call, seeded with `seed`.

    The prompts are left-padded into one batch; each is encoded once (its images too) and its cache copied G
    times, and finished rows leave the batch. Each group keeps its own unpadded prompt for the training
    forward, and its completions trimmed to its longest.
    """
    pad_id = processor.tokenizer.pad_token_id
    inputs = prompts[0][1].tensors() if len(prompts) == 1 else _left_padded([p for _, p in prompts], pad_id)
    paddle.seed(seed)
    out = model.generate(
        **inputs,
        max_new_tokens=cfg.max_completion_length,
        do_sample=True,
        temperature=cfg.temperature,
        top_p=cfg.top_p,
        top_k=cfg.top_k or None,
        num_return_sequences=cfg.num_generations,
        eos_token_id=eos,
        pad_token_id=pad_id,
        return_logprobs=True,
        suppress_token_ids=[model.config.image_token_id, model.config.video_token_id],
    )
    completion = out.sequences[:, inputs["input_ids"].shape[1] :]
    g, groups = cfg.num_generations, []
    for i, (slot, prompt) in enumerate(prompts):
        rows = slice(i * g, (i + 1) * g)
        mask = out.completion_mask[rows]
        width = max(int(mask.sum(axis=1).max()), 1)
        ids = completion[rows, :width]
        groups.append(
            Group(
                slot=slot,
                micro_step=micro_step,
                prompt=prompt,
                inputs=prompt.tensors() if len(prompts) > 1 else inputs,
                completion_ids=ids,
                completion_mask=mask[:, :width],
                sampling_logprobs=out.logprobs[rows, :width],
                texts=processor.batch_decode(ids.numpy().tolist(), skip_special_tokens=True),
            )
        )
    return groups


def reward_columns(
    group: Group, model_type: str, global_step: int | None = None, settings: dict | None = None
) -> dict[str, list]:
    """The per-completion columns a reward function receives for one group (and the step, when given).

    `settings` are run-wide values (e.g. `max_completion_length`) given to every completion.
    """
    g = len(group.texts)
    sample = group.prompt.sample
    # The image the answer's boxes are in: the only one, or the last of a multi-image prompt.
    grid = [int(v) for v in group.prompt.inputs["image_grid_thw"][-1]]
    columns = {k: [v] * g for k, v in sample.items()}
    columns.update(
        image_size=[list(group.prompt.image_size)] * g, image_grid_thw=[grid] * g, model_type=[model_type] * g
    )
    columns["completion_length"] = [int(n) for n in group.lengths]  # tokens, eos included (vlm_r1_length)
    if global_step is not None:
        columns["global_step"] = [global_step] * g  # Vision-R1's staged rewards read it
    columns["completion_tokens"] = [int(n) for n in group.lengths]
    for key, value in (settings or {}).items():
        columns[key] = [value] * g
    return columns


def score_group(
    group: Group,
    funcs: dict,
    weights: list[float],
    model_type: str,
    global_step: int | None = None,
    errors: RewardErrors | None = None,
    settings: dict | None = None,
) -> None:
    """Fill `group.rewards`, `per_func` and `reward_errors` (a failing reward scores 0 and is reported to
    `errors`, the run's `RewardErrors`)."""
    columns = reward_columns(group, model_type, global_step, settings)
    total, per_func, errors = compute_rewards(funcs, weights, group.texts, columns, errors)
    group.rewards, group.per_func, group.reward_errors = total, per_func, errors


@dataclass
class RewardTable:
    """Every rank's rewards of one rollout batch, one row per global slot; rows of dropped prompts are NaN."""

    rewards: np.ndarray  # (P, G) weighted totals
    lengths: np.ndarray  # (P, G) completion lengths in tokens
    per_func: dict[str, np.ndarray]  # name -> (P, G), NaN where the reward does not apply

    @property
    def valid(self) -> np.ndarray:
        """(P,) bool: the slots whose prompt was generated (not dropped)."""
        return ~np.isnan(self.rewards[:, 0])

    @property
    def completions(self) -> int:
        """Completions in the batch, over every rank."""
        return int(self.valid.sum()) * self.rewards.shape[1]

    @property
    def tokens(self) -> float:
        """Completion tokens in the batch, over every rank (eos included)."""
        return float(self.lengths[self.valid].sum())


@dataclass
class RolloutBatch:
    """One rollout batch as this rank holds it, ready for μ updates."""

    index: int  # rollout batch number
    groups: list[Group]  # this rank's, with advantages and (as configured) old / reference log-probs
    table: RewardTable  # every rank's rewards
    drops: Counter  # reason -> prompts of the batch dropped, over every rank
    metrics: dict[str, float]  # rollout statistics and timings, for the step's log


def gather_rewards(
    groups: list[Group], names: list[str], slots_per_rank: list[list[int]], rank: int, size: int
) -> RewardTable:
    """The RewardTable of the batch: every rank contributes its groups' rewards at their global slots.

    `slots_per_rank[r]` are rank r's global slots in order (`local_slots`, flattened); `size` is G. Every
    rank calls this (an all-gather).
    """
    world, local_slots = len(slots_per_rank), slots_per_rank[rank]
    rank_width = len(slots_per_rank[0])
    local = np.full((rank_width, size, 2 + len(names)), np.nan)
    for group in groups:
        row = local[local_slots.index(group.slot)]
        row[:, 0], row[:, 1] = group.rewards, group.lengths
        for k, name in enumerate(names):
            row[:, 2 + k] = group.per_func[name]
    gathered = all_gather_array(local)  # (world, local slots, G, 2 + F)
    full = np.full((world * rank_width, size, local.shape[2]), np.nan)
    for rank in range(world):
        full[slots_per_rank[rank]] = gathered[rank]
    return RewardTable(full[:, :, 0], full[:, :, 1], {n: full[:, :, 2 + k] for k, n in enumerate(names)})


def rollout_metrics(table: RewardTable) -> dict[str, float]:
    """The batch's reward and length statistics over every rank (empty when every prompt was dropped)."""
    valid = table.valid
    if not valid.any():
        return {}
    rewards, lengths = table.rewards[valid], table.lengths[valid]
    metrics = dict(
        reward=float(rewards.mean()),
        reward_std=float(rewards.std(axis=1, ddof=1).mean()),
        frac_reward_zero_std=zero_std_fraction(rewards.reshape([-1]).astype("float32"), rewards.shape[1]),
        completion_length=float(lengths.mean()),
        completion_length_min=float(lengths.min()),
        completion_length_max=float(lengths.max()),
    )
    for name, values in table.per_func.items():
        values = values[valid]
        if not np.isnan(values).all():
            metrics[f"rewards/{name}"] = float(np.nanmean(values))
            metrics[f"rewards/{name}_std"] = float(np.nanstd(values))
    return metrics


def write_completions(path: str, step: int, groups) -> None:
    """Append one JSON line per completion of `groups` (with their rewards and advantages) to `path`."""
    with open(path, "a", encoding="utf-8") as f:
        for group in groups:
            sample = group.prompt.sample
            adv = group.advantages.numpy().tolist() if group.advantages is not None else None
            for i, text in enumerate(group.texts):
                record = {
                    "step": step,
                    "slot": group.slot,
                    "source": sample.get("source"),
                    "problem": sample.get("problem"),
                    "solution": sample.get("solution"),
                    "completion": text,
                    "reward": float(group.rewards[i]),
                    "rewards": {
                        k: (None if np.isnan(v[i]) else float(v[i])) for k, v in group.per_func.items()
                    },
                    "advantage": adv[i] if adv is not None else None,
                    "length": int(group.lengths[i]),
                }
                f.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")


def completions_path(output_dir: str, rank: int) -> str:
    """Where a rank writes its completions."""
    return os.path.join(output_dir, "completions.jsonl" if rank == 0 else f"completions.rank{rank}.jsonl")
