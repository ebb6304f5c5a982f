"""The GRPO step on tiny checkpoints: what trains and what does not, the reference, drops, μ, non-finite losses."""

from __future__ import annotations

import logging

import numpy as np
import pytest

import paddlemix.rl.grpo.trainer as trainer_module
from paddlemix.config import ConfigError
from paddlemix.errors import DataError
from paddlemix.models import AutoModelForConditionalGeneration
from paddlemix.rl.grpo import loss as loss_module
from paddlemix.rl.grpo.trainer import GRPOTrainer, NonFiniteLossError
from paddlemix.training import checkpointing
from tests.rl.grpo_testing import train_config


def snapshot(model) -> dict[str, np.ndarray]:
    return {name: p.numpy().copy() for name, p in model.named_parameters()}


@pytest.mark.parametrize("model, freeze_vision", [("qwen2_vl_tied", False), ("qwen2_5_vl_untied", True)])
def test_every_trainable_parameter_changes_after_one_step_and_frozen_ones_do_not(
    counting_dir, tmp_path, model, freeze_vision
):
    cfg = train_config(counting_dir, str(tmp_path), model=model, max_steps=1, freeze_vision=freeze_vision)
    trainer = GRPOTrainer(cfg)
    before = snapshot(trainer.model)
    history = trainer.train()
    after = snapshot(trainer.model)
    assert history[0]["reward_std"] > 0  # the test reward spreads every group, so there is a gradient
    frozen = {n for n in before if n.startswith("visual.")} if freeze_vision else set()
    unchanged = sorted(n for n in before if n not in frozen and np.array_equal(before[n], after[n]))
    assert unchanged == [], f"trainable parameters that did not change: {unchanged}"
    moved = sorted(n for n in frozen if not np.array_equal(before[n], after[n]))
    assert moved == [], f"frozen vision parameters that changed: {moved}"
    assert len(trainer.trainable) == len(before) - len(frozen)


def test_beta_zero_builds_no_reference(counting_dir, tmp_path, monkeypatch):
    loads = []
    original = AutoModelForConditionalGeneration.from_pretrained
    monkeypatch.setattr(
        AutoModelForConditionalGeneration,
        "from_pretrained",
        lambda *a, **k: loads.append(a) or original(*a, **k),
    )
    built = []
    monkeypatch.setattr(trainer_module, "build_reference", lambda *a: built.append(a))
    trainer = GRPOTrainer(train_config(counting_dir, str(tmp_path), beta=0.0, max_steps=1))
    history = trainer.train()
    assert trainer.ref_model is None and built == [] and len(loads) == 1
    assert "kl" not in history[0]


def test_reference_is_frozen_without_optimizer_state(counting_dir, tmp_path):
    trainer = GRPOTrainer(train_config(counting_dir, str(tmp_path), beta=0.1, max_steps=2))
    ref_before = snapshot(trainer.ref_model)
    history = trainer.train()
    assert all(p.stop_gradient and p.grad is None for p in trainer.ref_model.parameters())
    assert not trainer.ref_model.training
    assert trainer.ref_model.parameters()[0].dtype == trainer.model.parameters()[0].dtype
    optimized = {id(p) for p in trainer.optimizer._parameter_list}
    assert not optimized & {id(p) for p in trainer.ref_model.parameters()}
    assert all(np.array_equal(v, snapshot(trainer.ref_model)[k]) for k, v in ref_before.items())
    # The first step starts at the reference (KL 0); after an update the policy has moved away from it.
    assert history[0]["kl"] == pytest.approx(0.0, abs=1e-6) and history[1]["kl"] > 0


def test_too_long_prompts_are_dropped_with_a_count_not_cut(counting_dir, tmp_path, caplog):
    trainer = GRPOTrainer(train_config(counting_dir, str(tmp_path), max_prompt_length=16, max_steps=1))
    before = snapshot(trainer.model)
    with caplog.at_level(logging.WARNING):
        history = trainer.train()
    assert history[0]["drops/too_long"] == 2 and history[0]["groups"] == 0
    assert "over --max_prompt_length 16" in caplog.text and "not cut" in caplog.text
    assert all(np.array_equal(v, snapshot(trainer.model)[k]) for k, v in before.items())


def test_num_iterations_reuses_one_rollout_batch_with_stored_old_logprobs(
    counting_dir, tmp_path, monkeypatch
):
    calls = []
    original = trainer_module.generate_group
    monkeypatch.setattr(
        trainer_module, "generate_group", lambda *a, **k: calls.append(1) or original(*a, **k)
    )
    cfg = train_config(
        counting_dir, str(tmp_path), num_iterations=2, max_steps=4, epsilon=0.05, learning_rate=3e-3
    )
    trainer = GRPOTrainer(cfg)
    history = trainer.train()
    assert len(calls) == 2 * 2  # two rollout batches of two prompts for four optimizer steps
    assert all(g.old_logprobs is not None for g in trainer.batch.groups)
    # The second update of a batch is off-policy: the ratio moved, and with a tight clip some tokens bind.
    assert max(h["clip_ratio"] for h in history[1::2]) > 0


@pytest.mark.parametrize("loss_type", ["bnpo", "dr_grpo", "dapo"])
def test_each_loss_type_trains(counting_dir, tmp_path, loss_type):
    trainer = GRPOTrainer(train_config(counting_dir, str(tmp_path), loss_type=loss_type, max_steps=1))
    before = snapshot(trainer.model)
    history = trainer.train()
    after = snapshot(trainer.model)
    assert np.isfinite(history[0]["loss"]) and history[0]["loss"] != 0
    assert all(not np.array_equal(before[k], after[k]) for k in before)


def test_non_finite_losses_skip_steps_then_stop_with_the_checkpoint_intact(
    counting_dir, tmp_path, monkeypatch, caplog
):
    cfg = train_config(
        counting_dir,
        str(tmp_path),
        max_steps=10,
        save_strategy="steps",
        save_steps=2,
        max_consecutive_nonfinite=3,
    )
    trainer = GRPOTrainer(cfg)
    trainer.train(stop_after=2)
    good = snapshot(trainer.model)
    original = trainer_module.grpo_loss

    def nan_loss(*args, **kwargs):
        loss, metrics = original(*args, **kwargs)
        return loss * float("nan"), metrics

    monkeypatch.setattr(trainer_module, "grpo_loss", nan_loss)
    with caplog.at_level(logging.WARNING), pytest.raises(NonFiniteLossError, match="3 consecutive steps"):
        trainer.train()
    assert caplog.text.count("non-finite loss") == 3
    assert all(np.array_equal(v, snapshot(trainer.model)[k]) for k, v in good.items())
    assert [checkpointing.checkpoint_step(p) for p in checkpointing.list_checkpoints(str(tmp_path))] == [2]
    assert checkpointing.verify_checkpoint(str(tmp_path / "checkpoint-2")) is None


def test_stop_tokens_end_completions(counting_dir, tmp_path):
    trainer = GRPOTrainer(train_config(counting_dir, str(tmp_path), max_steps=1, max_completion_length=24))
    trainer.train()
    eos = set(trainer.eos)
    for group in trainer.batch.groups:
        ids, mask = group.completion_ids.numpy(), group.completion_mask.numpy()
        for row, m in zip(ids, mask):
            n = int(m.sum())
            assert not eos & set(row[: n - 1].tolist())  # no eos before the last counted token
            if n < len(row):
                assert row[n - 1] in eos  # a completion shorter than the limit ends with its eos


def test_loader_threads_change_nothing_but_speed(counting_dir, tmp_path):
    plain = GRPOTrainer(train_config(counting_dir, str(tmp_path / "a"), max_steps=3)).train()
    threaded = GRPOTrainer(
        train_config(counting_dir, str(tmp_path / "b"), max_steps=3, dataloader_num_workers=2)
    ).train()
    assert [h["reward"] for h in plain] == [h["reward"] for h in threaded]
    assert [h["loss"] for h in plain] == [h["loss"] for h in threaded]


def test_recompute_gives_the_same_update(counting_dir, tmp_path):
    plain = GRPOTrainer(train_config(counting_dir, str(tmp_path / "a"), max_steps=1))
    plain.train()
    recomputed = GRPOTrainer(train_config(counting_dir, str(tmp_path / "b"), max_steps=1, recompute=True))
    recomputed.train()
    a, b = snapshot(plain.model), snapshot(recomputed.model)
    # Without recompute the prompt runs once for the group (training/logprobs.py's shared-prompt cache); with
    # it, over G full rows. The gradients agree to float32 rounding, which Adam's first step (lr·g/|g|)
    # turns into weight differences of up to a few 1e-5 where a gradient is near zero (lr is 1e-3: a real bug
    # moves whole tensors by ~1e-3).
    diffs = np.concatenate([np.abs(a[k] - b[k]).ravel() for k in a])
    assert diffs.max() <= 1e-4 and np.median(diffs) <= 1e-7, (diffs.max(), np.median(diffs))


def test_a_registered_aggregation_trains_without_editing_the_trainer(counting_dir, tmp_path):
    # bnpo plus a constant 1, registered under new names with normalisers of their own. The constant adds no
    # gradient, so with bnpo's normaliser the update equals bnpo's exactly, and the step's loss shows the
    # weights the trainer took from the declared normaliser alone: they sum to 1, or to 2 when doubled.
    seen = []

    def recorded(counts):
        seen.append(counts)
        return loss_module.per_token_of_micro_batch(counts)

    bnpo = loss_module.get_loss_aggregation("bnpo")
    names = {"offset_test": recorded, "offset_double_test": lambda c: 2 * recorded(c)}
    for name, normaliser in names.items():
        loss_module.register_loss_aggregation(
            name, lambda *a, **k: bnpo(*a, **k) + 1.0, normaliser=normaliser
        )
    try:
        runs = {
            name: GRPOTrainer(train_config(counting_dir, str(tmp_path / name), loss_type=name, max_steps=1))
            for name in [*names, "bnpo"]
        }
        loss = {name: trainer.train()[0]["loss"] for name, trainer in runs.items()}
    finally:
        for name in names:
            loss_module._AGGREGATIONS.pop(name, None)
    assert len(seen) == 2 * 2  # one piece per prompt, two runs
    assert all(c.step_completions == 2 * 4 and c.micro_pieces == 2 and c.micro_tokens > 0 for c in seen)
    a, b = snapshot(runs["offset_test"].model), snapshot(runs["bnpo"].model)
    assert all(np.array_equal(a[k], b[k]) for k in a)
    assert loss["offset_test"] == pytest.approx(loss["bnpo"] + 1.0, abs=1e-6)
    assert loss["offset_double_test"] == pytest.approx(2 * loss["bnpo"] + 2.0, abs=1e-6)


def test_a_run_whose_prompts_are_all_dropped_stops_with_the_reasons(counting_dir, tmp_path):
    # Every prompt is longer than 8 tokens: without the stop, the run would idle through its schedule.
    trainer = GRPOTrainer(train_config(counting_dir, str(tmp_path), max_prompt_length=8, max_steps=20))
    with pytest.raises(
        DataError, match=r"every sample so far was dropped \(too_long: 16\).*--max_prompt_length"
    ):
        trainer.train()
    assert trainer.global_step < 20


def test_an_entropy_bonus_changes_the_update(counting_dir, tmp_path):
    plain = GRPOTrainer(train_config(counting_dir, str(tmp_path / "a"), max_steps=1))
    plain.train()
    bonus = GRPOTrainer(train_config(counting_dir, str(tmp_path / "b"), max_steps=1, entropy_coef=0.5))
    history = bonus.train()
    assert history[0]["entropy"] > 0 and "entropy" not in plain.metrics.history[0]
    a, b = snapshot(plain.model), snapshot(bonus.model)
    assert max(float(np.abs(a[k] - b[k]).max()) for k in a) > 1e-4  # same rollouts, another loss
    with pytest.raises(ConfigError, match="--entropy_coef must be >= 0"):
        train_config(counting_dir, str(tmp_path / "c"), entropy_coef=-1)
