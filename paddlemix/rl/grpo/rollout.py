"""Rollouts: G sampled completions per prompt, generated where the prompt lives, and their rewards.

The image and prompt are encoded once per group; `generate` copies the KV cache G times. Each group's
sampling is seeded from (seed, rollout batch, global slot), so a prompt gets the same completions whichever
rank generates it and whatever the world size. Completions end at their first eos (the mask includes it);
image and video placeholder tokens are never sampled, since a training forward would try to fill them with
image features.

Rewards are the weighted sum of the registered reward functions (`paddlemix.rewards`); each reward sees the
sample's fields repeated per completion plus `image_size` (w, h), `image_grid_thw` and `model_type`, which the
REC rewards need to map boxes back to original pixels.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import paddle

from paddlemix.rewards import compute_rewards
from paddlemix.rl.grpo.config import GRPOConfig
from paddlemix.rl.grpo.data import Prompt


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

    @property
    def n_tokens(self) -> int:
        """Completion tokens that count in the loss."""
        return int(self.completion_mask.sum())

    @property
    def lengths(self) -> np.ndarray:
        """(G,) completion lengths in tokens, eos included."""
        return self.completion_mask.numpy().sum(axis=1)


@paddle.no_grad()
def generate_group(
    model, processor, prompt: Prompt, cfg: GRPOConfig, seed: int, slot: int, micro_step: int, eos: list[int]
) -> Group:
    """Sample cfg.num_generations completions of one prompt, seeded with `seed`."""
    inputs = prompt.tensors()
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
        pad_token_id=processor.tokenizer.pad_token_id,
        return_logprobs=True,
        suppress_token_ids=[model.config.image_token_id, model.config.video_token_id],
    )
    completion = out.sequences[:, inputs["input_ids"].shape[1] :]
    texts = processor.batch_decode(completion.numpy().tolist(), skip_special_tokens=True)
    return Group(
        slot=slot,
        micro_step=micro_step,
        prompt=prompt,
        inputs=inputs,
        completion_ids=completion,
        completion_mask=out.completion_mask,
        sampling_logprobs=out.logprobs,
        texts=texts,
    )


def reward_columns(group: Group, model_type: str) -> dict[str, list]:
    """The per-completion columns a reward function receives for one group."""
    g = len(group.texts)
    sample = group.prompt.sample
    grid = [int(v) for v in group.prompt.inputs["image_grid_thw"][0]]
    columns = {k: [v] * g for k, v in sample.items()}
    columns.update(
        image_size=[list(group.prompt.image_size)] * g, image_grid_thw=[grid] * g, model_type=[model_type] * g
    )
    return columns


def score_group(group: Group, funcs: dict, weights: list[float], model_type: str) -> None:
    """Fill `group.rewards`, `per_func` and `reward_errors` (a failing reward scores 0 and is counted)."""
    total, per_func, errors = compute_rewards(funcs, weights, group.texts, reward_columns(group, model_type))
    group.rewards, group.per_func, group.reward_errors = total, per_func, errors
