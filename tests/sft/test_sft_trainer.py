"""The SFT trainer: its loss is the naive token cross-entropy, resume is exact (full and LoRA), exports load."""

from __future__ import annotations

import glob
import os

import numpy as np
import paddle
import paddle.nn.functional as F
import pytest
from safetensors.numpy import load_file

from paddlemix.config import ConfigError
from paddlemix.datasets.synthetic import write_counting_layout
from paddlemix.sft.config import load_sft_config
from paddlemix.sft.targets import render_target
from paddlemix.sft.trainer import SFTTrainer, build_sequence
from tests.helpers import requires_reference, tiny_dir

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture(scope="module")
def counting_dir(tmp_path_factory):
    """A Hugging Face counting training set of 12 synthetic scenes."""
    root = write_counting_layout(
        str(tmp_path_factory.mktemp("data")), n=12, n_eval=1, min_items=1, max_items=3
    )
    return f"{root}/clevr_cogen_a_train"


@pytest.fixture(autouse=True)
def image_cache(tmp_path_factory, monkeypatch):
    """Embedded images are written under the test's temporary folders."""
    monkeypatch.setenv("PADDLEMIX_DATA_CACHE", str(tmp_path_factory.getbasetemp() / "image_cache"))


def sft_config(dataset, output_dir, **overrides):
    """An SFTConfig of a small CPU run; keyword overrides become `--key value`."""
    flags = {
        "model_name_or_path": tiny_dir("qwen2_vl_tied"),
        "dataset_name": dataset,
        "output_dir": output_dir,
        "max_steps": 4,
        "per_device_train_batch_size": 2,
        "gradient_accumulation_steps": 2,
        "learning_rate": 1e-3,
        "lr_scheduler_type": "cosine",
        "warmup_ratio": 0.25,
        "report_to": "none",
        "disable_tqdm": True,
        "save_strategy": "no",
        "seed": 0,
        **overrides,
    }
    argv = []
    for key, value in flags.items():
        argv += [f"--{key}", str(value)]
    return load_sft_config(argv)


def test_targets():
    cases = [
        ({"solution": "<answer> 3 </answer>"}, "solution", "<answer> 3 </answer>"),  # as written
        ({"solution": "<answer> 3 </answer>"}, "answer", "3"),  # what the tags hold
        ({"solution": "plain"}, "answer", "plain"),  # no tags: the whole solution
        ({"solution": [1, 2, 3, 4]}, "solution", "[1, 2, 3, 4]"),  # a box: its JSON
    ]
    for sample, fmt, want in cases:
        assert render_target(sample, fmt) == want


def test_loss_mask_covers_the_target_and_optionally_the_text_prompt():
    image = 9
    prompt = np.array([[1, image, image, 2]])
    ids, mask = build_sequence(prompt, [5, 6], image, loss_on_prompt=False)
    assert ids.tolist() == [[1, 9, 9, 2, 5, 6]]
    assert mask.tolist() == [[0, 0, 0, 1, 1]]  # predictions of 5 and 6 only
    _, mask = build_sequence(prompt, [5, 6], image, loss_on_prompt=True)
    assert mask.tolist() == [[0, 0, 1, 1, 1]]  # also 2; image placeholders never


def naive_loss(trainer, index, loss_on_prompt=False):
    """Mean cross-entropy over all target tokens of batch `index`, one plain forward per sample."""
    batch = trainer.loader.get(index)
    total, count = 0.0, 0
    for row in batch.rows:
        for _, prompt in row:
            target = trainer.processor.tokenizer(render_target(prompt.sample, "solution"))["input_ids"]
            target = target + trainer.end_ids
            ids = np.concatenate([prompt.inputs["input_ids"][0], target])
            with paddle.no_grad():
                logits = trainer.model(
                    input_ids=paddle.to_tensor(ids[None]),
                    pixel_values=paddle.to_tensor(prompt.inputs["pixel_values"]),
                    image_grid_thw=paddle.to_tensor(prompt.inputs["image_grid_thw"]),
                ).logits[0]
            for j in range(1, len(ids)):
                in_target = j >= len(ids) - len(target)
                in_text = ids[j] != trainer.processor.image_token_id
                if in_target or (loss_on_prompt and in_text):
                    total += float(F.cross_entropy(logits[j - 1 : j], paddle.to_tensor([int(ids[j])])))
                    count += 1
    return total / count


@pytest.mark.parametrize("packing", [False, True])
@pytest.mark.parametrize("loss_on_prompt", [False, True])
def test_step_loss_equals_the_naive_token_mean(counting_dir, tmp_path, loss_on_prompt, packing):
    cfg = sft_config(counting_dir, str(tmp_path), loss_on_prompt=loss_on_prompt, packing=packing)
    trainer = SFTTrainer(cfg)
    want = naive_loss(trainer, 0, loss_on_prompt)
    if packing:
        seqs, _ = trainer.sequences(0)
        rows = trainer.packed(seqs)
        assert len(rows) < len(seqs)  # several samples really share a row
        assert sum(float(r["mask"].sum()) for r in rows) == sum(float(x["mask"].sum()) for x in seqs)
        # Each sample's M-RoPE ids are its own, starting at 0, not continued from the previous sample.
        positions = np.concatenate([r["position_ids"].numpy() for r in rows], axis=2)
        start = 0
        for x in seqs:
            n = int(x["input_ids"].shape[1])
            own = trainer.model.get_rope_index(x["input_ids"], x["image_grid_thw"])[0].numpy()
            assert np.array_equal(positions[:, :, start : start + n], own)
            assert own.min() == 0
            start += n
    got = trainer.train_step()["loss"]
    assert abs(got - want) < 1e-4 * max(1.0, abs(want))


def trained_weights(model) -> dict:
    return {n: p.numpy().copy() for n, p in model.named_parameters()}


@pytest.mark.parametrize("lora", [{}, {"lora_rank": 4}])
def test_kill_and_resume_is_exact(counting_dir, tmp_path, lora):
    straight = SFTTrainer(sft_config(counting_dir, str(tmp_path / "straight"), **lora))
    straight.train()
    out = str(tmp_path / "resumed")
    first = SFTTrainer(sft_config(counting_dir, out, save_strategy="steps", save_steps=2, **lora))
    first.train(stop_after=2)  # "killed" after the checkpoint of step 2
    if lora:
        files = os.listdir(os.path.join(out, "checkpoint-2"))
        assert "trainable.safetensors" in files and "model.safetensors" not in files  # adapters only
    second = SFTTrainer(
        sft_config(
            counting_dir, out, save_strategy="steps", save_steps=2, resume_from_checkpoint="auto", **lora
        )
    )
    assert second.global_step == 2
    second.train()
    want, got = trained_weights(straight.model), trained_weights(second.model)
    assert set(want) == set(got)
    for name in want:
        assert np.array_equal(want[name], got[name]), name


def test_lora_trains_only_the_adapters_and_exports_merged(counting_dir, tmp_path):
    trainer = SFTTrainer(sft_config(counting_dir, str(tmp_path), lora_rank=4))
    before = trained_weights(trainer.model)
    trainer.train()
    after = trained_weights(trainer.model)
    for name in before:
        changed = not np.array_equal(before[name], after[name])
        assert changed == name.endswith((".lora_A", ".lora_B")), name
    exported = load_file(os.path.join(str(tmp_path), "model.safetensors"))
    assert not any(".lora_" in k for k in exported)


@requires_reference
def test_exported_model_loads_in_transformers_with_equal_logits(counting_dir, tmp_path):
    import torch

    from paddlemix.testing.reference import load_reference_model

    trainer = SFTTrainer(sft_config(counting_dir, str(tmp_path)))
    trainer.train()
    prompt = trainer.loader.get(0).rows[0][0][1]
    inputs = {k: prompt.inputs[k] for k in ("input_ids", "pixel_values", "image_grid_thw")}
    with paddle.no_grad():
        got = trainer.model(**{k: paddle.to_tensor(v) for k, v in inputs.items()}).logits.numpy()
    ref = load_reference_model(str(tmp_path))
    t_in = {k: torch.from_numpy(v) for k, v in inputs.items()}
    t_in["mm_token_type_ids"] = (t_in["input_ids"] == ref.config.image_token_id).long()
    with torch.no_grad():
        want = ref(**t_in).logits.numpy()
    assert np.abs(want - got).max() <= 1e-4


@pytest.mark.parametrize(
    "flags, message",
    [
        ({"lora_alpha": 8}, "lora_alpha has no effect"),  # a LoRA option without LoRA
        ({"lora_rank": 4, "freeze_vision": True}, "freeze_vision has no effect"),  # LoRA freezes it already
        ({"target_format": "json"}, "target_format"),  # unknown format
    ],
)
def test_config_errors(counting_dir, tmp_path, flags, message):
    with pytest.raises(ConfigError, match=message):
        sft_config(counting_dir, str(tmp_path), **flags)


def test_packed_step_with_recompute_equals_the_naive_token_mean(counting_dir, tmp_path):
    # The block-diagonal mask goes through recomputed (gradient-checkpointed) layers as well.
    trainer = SFTTrainer(sft_config(counting_dir, str(tmp_path), packing=True, recompute=True))
    want = naive_loss(trainer, 0)
    got = trainer.train_step()["loss"]
    assert abs(got - want) < 1e-4 * max(1.0, abs(want))


@pytest.mark.parametrize("path", sorted(glob.glob(os.path.join(REPO, "configs", "sft_*.yaml"))))
def test_shipped_sft_configs_load(path):
    cfg = load_sft_config(["--config", path])
    assert cfg.trainer.lr_scheduler_type == "cosine" and cfg.trainer.warmup_ratio > 0
