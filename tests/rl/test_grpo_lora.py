"""GRPO with LoRA: the reference is the base model with adapters off, only adapters train, resume is exact."""

from __future__ import annotations

import os

import numpy as np
import paddle

from paddlemix.models import AutoModelForConditionalGeneration
from paddlemix.rl.grpo.trainer import GRPOTrainer
from paddlemix.training.logprobs import PolicyLogprobs
from tests.helpers import tiny_dir
from tests.rl.grpo_testing import train_config

LORA = {"lora_rank": 4, "beta": 0.04, "warmup_steps": 1}


def params(trainer) -> dict[str, np.ndarray]:
    return {name: p.numpy().copy() for name, p in trainer.model.named_parameters()}


def test_reference_is_the_base_model_without_a_copy(counting_dir, tmp_path):
    trainer = GRPOTrainer(train_config(counting_dir, str(tmp_path), **LORA))
    assert trainer.ref_model is None  # no second copy of the weights
    trainer.train()  # the adapters move away from zero
    batch = trainer.rollout(5)
    group = batch.groups[0]
    base = PolicyLogprobs(AutoModelForConditionalGeneration.from_pretrained(tiny_dir("qwen2_vl_tied")))
    with paddle.no_grad():
        want = trainer._logprobs(base, [group])[0].numpy()
        policy = trainer._logprobs(trainer._wrapped, [group])[0].numpy()
    np.testing.assert_allclose(group.ref_logprobs.numpy(), want, atol=1e-5)
    assert np.abs(policy - want).max() > 1e-4  # the policy itself did change


def test_only_adapters_train_and_resume_is_exact(counting_dir, tmp_path):
    straight = GRPOTrainer(train_config(counting_dir, str(tmp_path / "straight"), max_steps=4, **LORA))
    before = params(straight)
    straight.train()
    expected = params(straight)
    for name in before:
        assert (not np.array_equal(before[name], expected[name])) == name.endswith((".lora_A", ".lora_B")), (
            name
        )

    out = tmp_path / "resumed"
    flags = {"max_steps": 4, "save_strategy": "steps", "save_steps": 2, **LORA}
    GRPOTrainer(train_config(counting_dir, str(out), **flags)).train(stop_after=3)
    assert "trainable.safetensors" in os.listdir(out / "checkpoint-2")
    assert "model.safetensors" not in os.listdir(out / "checkpoint-2")  # adapters only
    resumed = GRPOTrainer(train_config(counting_dir, str(out), resume_from_checkpoint="auto", **flags))
    assert resumed.global_step == 2
    resumed.train()
    got = params(resumed)
    assert all(np.array_equal(got[k], expected[k]) for k in expected)
