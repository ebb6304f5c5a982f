"""Batched rollouts: one generate call for several prompts × G equals the per-prompt calls when decoding greedily,
and its sampled log-probs equal the training forward's."""

from __future__ import annotations

import numpy as np
import pytest

from paddlemix.datasets import load_r1v
from paddlemix.models import AutoModelForConditionalGeneration
from paddlemix.models.runtime import stop_token_ids
from paddlemix.processors import Qwen2VLProcessor
from paddlemix.rl.grpo.config import GRPOConfig
from paddlemix.rl.grpo.rollout import generate_group, generate_groups
from paddlemix.training.data import PromptEncoder
from paddlemix.training.logprobs import completion_logprobs
from tests.helpers import tiny_dir


@pytest.fixture(scope="module")
def setup(counting_dir):
    name = "qwen2_vl_tied"
    model = AutoModelForConditionalGeneration.from_pretrained(tiny_dir(name), dtype="float32")
    processor = Qwen2VLProcessor.from_pretrained(tiny_dir(name))
    data = load_r1v(counting_dir, task="counting")
    encoder = PromptEncoder(processor, 4096)
    # Questions of different lengths, so the batch is left-padded.
    prompts = [
        encoder.encode({**data[i], "problem": data[i]["problem"] + " Count carefully." * i}) for i in range(3)
    ]
    assert len({p.length for p in prompts}) == 3
    return model, processor, prompts, stop_token_ids(model, processor)


def test_batched_greedy_call_equals_the_per_prompt_calls(setup):
    model, processor, prompts, eos = setup
    cfg = GRPOConfig(num_generations=3, max_completion_length=12, top_k=1)  # top-k 1: sampling is the argmax
    batched = generate_groups(model, processor, list(enumerate(prompts)), cfg, 0, 0, eos)
    for slot, (prompt, group) in enumerate(zip(prompts, batched)):
        alone = generate_group(model, processor, prompt, cfg, 1, slot, 0, eos)
        assert group.slot == slot and group.completion_ids.shape == alone.completion_ids.shape
        np.testing.assert_array_equal(group.completion_ids.numpy(), alone.completion_ids.numpy())
        np.testing.assert_array_equal(group.completion_mask.numpy(), alone.completion_mask.numpy())
        keep = alone.completion_mask.numpy().astype(bool)
        assert keep.sum() > cfg.num_generations  # more than one token each: the continuation is compared
        diff = np.abs(group.sampling_logprobs.numpy() - alone.sampling_logprobs.numpy())[keep]
        print(f"prompt {slot} ({prompt.length} tokens): max |Δ log-prob| batched vs alone {diff.max():.2e}")
        assert diff.max() <= 1e-4
        assert group.texts == alone.texts
        assert group.inputs["input_ids"].shape[1] == prompt.length  # the group keeps its unpadded prompt


def test_batched_sampled_logprobs_equal_the_training_forward(setup):
    model, processor, prompts, eos = setup
    cfg = GRPOConfig(num_generations=4, max_completion_length=16, temperature=0.7, top_k=50)
    model.train()
    try:
        for group in generate_groups(model, processor, list(enumerate(prompts)), cfg, 5, 0, eos):
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
            print(f"slot {group.slot}: max |Δ log-prob| {diff.max():.2e} over {keep.sum()} tokens")
            assert keep.sum() >= 4 and diff.max() <= 1e-4
    finally:
        model.eval()
