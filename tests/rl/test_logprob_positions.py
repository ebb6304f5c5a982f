"""Training and generation agree on positions: the trainer's log-probs of sampled tokens equal generate's."""

from __future__ import annotations

import numpy as np
import paddle
import pytest

from paddlemix.datasets import load_r1v
from paddlemix.models import AutoModelForConditionalGeneration
from paddlemix.models.runtime import stop_token_ids
from paddlemix.processors import Qwen2VLProcessor
from paddlemix.rl.grpo.config import GRPOConfig
from paddlemix.rl.grpo.rollout import generate_group
from paddlemix.training.data import PromptEncoder
from paddlemix.training.logprobs import completion_logprobs, sequence_token_logprobs
from tests.helpers import tiny_dir


@pytest.mark.parametrize("name", ["qwen2_vl_untied", "qwen2_5_vl_tied", "qwen3_vl_tied"])
def test_generate_logprobs_equal_the_training_forward(counting_dir, name):
    model = AutoModelForConditionalGeneration.from_pretrained(tiny_dir(name), dtype="float32")
    processor = Qwen2VLProcessor.from_pretrained(tiny_dir(name))
    prompt = PromptEncoder(processor, 4096).encode(load_r1v(counting_dir, task="counting")[0])
    cfg = GRPOConfig(num_generations=4, max_completion_length=32, temperature=0.7, top_p=0.95, top_k=50)
    group = generate_group(
        model, processor, prompt, cfg, seed=3, slot=0, micro_step=0, eos=stop_token_ids(model, processor)
    )
    model.train()  # the trainer's forward runs in training mode
    logp = completion_logprobs(
        model,
        group.inputs["input_ids"],
        group.inputs["pixel_values"],
        group.inputs["image_grid_thw"],
        group.completion_ids,
        group.completion_mask,
        cfg.temperature,
    )
    keep = group.completion_mask.numpy().astype(bool)
    diff = np.abs(logp.numpy() - group.sampling_logprobs.numpy())[keep]
    print(f"{name}: max |Δ log-prob| {diff.max():.2e}, mean {diff.mean():.2e} over {keep.sum()} tokens")
    assert keep.sum() >= 40
    assert diff.max() <= 1e-4

    # The seed's training forward numbered positions 0..n-1 on one axis; that does not reproduce them.
    g, t = group.completion_ids.shape
    ids = paddle.concat([group.inputs["input_ids"].expand([g, -1]), group.completion_ids], axis=1)
    flat = paddle.arange(ids.shape[1], dtype="int64").reshape([1, 1, -1]).expand([3, g, ids.shape[1]])
    grid = paddle.tile(group.inputs["image_grid_thw"], [g, 1])
    pixels = paddle.concat([group.inputs["pixel_values"]] * g)
    logits = model(
        ids, position_ids=flat, pixel_values=pixels, image_grid_thw=grid, logits_to_keep=t + 1
    ).logits
    seed_style = sequence_token_logprobs(logits[:, :-1], group.completion_ids, cfg.temperature)
    assert np.abs(seed_style.numpy() - group.sampling_logprobs.numpy())[keep].max() > 1e-2
