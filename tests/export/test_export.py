"""Every checkpoint is a model: LoRA and full `checkpoint-N` load as `--model_path` in an eval, and
`python -m paddlemix.export` writes a merged hub-layout model (transformers: equal logits) and, for LoRA,
PEFT's adapter layout (peft on transformers: equal logits). Each command runs as a user runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from paddlemix.datasets.synthetic import write_counting_layout
from paddlemix.export import load_trained_model
from paddlemix.models import AutoModelForConditionalGeneration
from tests.helpers import HAS_REFERENCE, golden, tiny_dir
from tests.peft.test_lora import KEYS, logits

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MODEL = "qwen2_vl_tied"
pytestmark = pytest.mark.slow  # two short training runs and four commands, ~40 s of CPU


def _run(argv, cwd):
    env = {**os.environ, "PYTHONPATH": REPO + os.pathsep + os.environ.get("PYTHONPATH", "")}
    return subprocess.Popen(argv, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _finish(proc) -> str:
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, f"exit {proc.returncode}\n{out[-1500:]}\n{err[-3000:]}"
    return out + err


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """A 2-step GRPO run with LoRA and one without, each saving checkpoint-2 (the two run side by side)."""
    root = tmp_path_factory.mktemp("export")
    counting = write_counting_layout(str(root / "data"), n=8, n_eval=2)
    common = [sys.executable, "-m", "paddlemix.rl.grpo.train", "--model_name_or_path", tiny_dir(MODEL)]
    common += ["--dataset_name", f"{counting}/clevr_cogen_a_train", "--max_steps", "2", "--save_steps", "2"]
    common += ["--num_generations", "4", "--max_completion_length", "6", "--per_device_train_batch_size", "2"]
    common += ["--reward_funcs", "digit_share", "--learning_rate", "5e-2", "--report_to", "none"]
    common += ["--disable_tqdm", "--max_pixels", "6272"]
    procs = {
        "lora": _run([*common, "--output_dir", str(root / "lora"), "--lora_rank", "4"], str(root)),
        "full": _run([*common, "--output_dir", str(root / "full")], str(root)),
    }
    for proc in procs.values():
        _finish(proc)
    # Then, side by side, each checkpoint through an eval and through the export command.
    followers = {}
    for kind in ("lora", "full"):
        argv = [sys.executable, os.path.join(REPO, "eval", "test_r1-v.py"), "--model_name", kind]
        argv += ["--model_path", str(root / kind / "checkpoint-2"), "--data_root", counting]
        argv += ["--image_root", f"{counting}/superclevr_200", "--output_dir", str(root / f"logs-{kind}")]
        followers[f"eval-{kind}"] = _run([*argv, "--max_new_tokens", "2"], str(root))
        argv = [sys.executable, "-m", "paddlemix.export", "--checkpoint", str(root / kind / "checkpoint-2")]
        followers[f"export-{kind}"] = _run([*argv, "--out", str(root / f"exported-{kind}")], str(root))
    return root, counting, {name: _finish(proc) for name, proc in followers.items()}


def test_lora_checkpoint_loads_as_the_merged_model_training_exports(runs):
    root, _, _ = runs
    checkpoint = root / "lora" / "checkpoint-2"
    assert not (checkpoint / "config.json").exists()  # adapters only: the base comes from trainer_state
    got = logits(load_trained_model(str(checkpoint), dtype="float32"), MODEL)
    final = logits(
        AutoModelForConditionalGeneration.from_pretrained(str(root / "lora"), dtype="float32"), MODEL
    )
    base = logits(AutoModelForConditionalGeneration.from_pretrained(tiny_dir(MODEL), dtype="float32"), MODEL)
    assert np.abs(got - base).max() > 1e-4  # the trained adapters are applied
    assert np.abs(got - final).max() <= 1e-5


@pytest.mark.parametrize("kind", ["lora", "full"])
def test_every_checkpoint_is_an_eval_model_path(runs, kind):
    root, _, outputs = runs
    assert "Accuracy of superclevr_test200_counting_problems" in outputs[f"eval-{kind}"]
    (results,) = [p for p in os.listdir(root / f"logs-{kind}") if p.endswith(".json")]
    with open(root / f"logs-{kind}" / results, encoding="utf-8") as f:
        data = json.load(f)
    assert data["run"]["model_path"] == str(root / kind / "checkpoint-2")
    assert len(data["results"]) == 2


@pytest.mark.parametrize("kind", ["lora", "full"])
def test_export_writes_a_hub_model_equal_to_the_checkpoint(runs, kind):
    root, _, outputs = runs
    out = root / f"exported-{kind}"
    assert f"merged model (hub layout): {out}" in outputs[f"export-{kind}"]
    assert {"config.json", "model.safetensors", "tokenizer.json", "preprocessor_config.json"} <= set(
        os.listdir(out)
    )
    assert not (out / "optimizer.pdopt").exists() and not (out / "trainer_state.json").exists()
    assert ((out / "peft_adapter" / "adapter_config.json").is_file()) == (kind == "lora")
    exported = logits(AutoModelForConditionalGeneration.from_pretrained(str(out), dtype="float32"), MODEL)
    want = logits(load_trained_model(str(root / kind / "checkpoint-2"), dtype="float32"), MODEL)
    assert np.abs(exported - want).max() <= 1e-5


def test_export_refuses_a_file_as_checkpoint(tmp_path):
    a_file = tmp_path / "model.safetensors"
    a_file.write_text("x")
    proc = _run(
        [sys.executable, "-m", "paddlemix.export", "--checkpoint", str(a_file), "--out", "o"], str(tmp_path)
    )
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 2 and "Traceback" not in err
    assert err.strip().splitlines()[-1] == f"error: --checkpoint {a_file}: a file, not a checkpoint folder"


def _torch_logits(model) -> np.ndarray:
    import torch

    g = golden(MODEL, "two_images")
    t_in = {k: torch.from_numpy(g[k]) for k in KEYS}
    t_in["mm_token_type_ids"] = (t_in["input_ids"] == model.config.image_token_id).long()
    with torch.no_grad():
        return model(**t_in).logits.numpy()


@pytest.mark.skipif(not HAS_REFERENCE, reason="torch + transformers not installed")
def test_transformers_and_peft_load_the_export_with_equal_logits(runs):
    from peft import PeftModel

    from paddlemix.testing.reference import load_reference_model

    root, _, _ = runs
    out = root / "exported-lora"
    want = logits(load_trained_model(str(root / "lora" / "checkpoint-2"), dtype="float32"), MODEL)
    merged = _torch_logits(load_reference_model(str(out)).eval())
    diff = np.abs(merged - want)
    assert diff.max() <= 1e-4, (diff.max(), diff.mean())
    adapter = PeftModel.from_pretrained(
        load_reference_model(tiny_dir(MODEL)), str(out / "peft_adapter")
    ).eval()
    diff = np.abs(_torch_logits(adapter) - want)
    assert diff.max() <= 1e-4, (diff.max(), diff.mean())
