"""The preflight's memory model (preflight/memory.py): exact parameter counts, and the CPU estimate against
the measured peak RSS of the same training run."""

from __future__ import annotations

import json
import math
import os
import re
import struct
import subprocess
import sys

import pytest

import paddlemix

from paddlemix.datasets.synthetic import write_rec_layout
from paddlemix.preflight.memory import parameter_counts, read_model_config
from tests.helpers import tiny_dir

MODELS = [
    "qwen2_vl_tied", "qwen2_vl_untied", "qwen2_5_vl_tied", "qwen2_5_vl_untied", "qwen3_vl_tied", "qwen3_vl_untied",
]  # fmt: skip
ASSETS = ["tiny_qwen2_vl", "tiny_qwen2_5_vl", "tiny_qwen3_vl"]


def _stored_parameters(folder: str) -> int:
    """Parameters in model.safetensors, read from its header."""
    with open(os.path.join(folder, "model.safetensors"), "rb") as f:
        header = json.loads(f.read(struct.unpack("<Q", f.read(8))[0]))
    header.pop("__metadata__", None)
    return sum(math.prod(t["shape"]) for t in header.values())


@pytest.mark.parametrize("name", MODELS)
def test_parameter_count_from_the_config_equals_the_checkpoint(name):
    folder = tiny_dir(name)
    assert parameter_counts(read_model_config(folder)).total == _stored_parameters(folder)


@pytest.mark.parametrize("name", ASSETS)
def test_parameter_count_from_the_config_equals_a_random_model_built_from_it(name):
    # A freshly built model (random weights, no checkpoint read): its parameters are what the config implies.
    import numpy as np

    from paddlemix.models.auto import model_class_for

    folder = os.path.join(os.path.dirname(paddlemix.__file__), "assets", name)
    cls = model_class_for(folder)
    with open(os.path.join(folder, "config.json"), encoding="utf-8") as f:
        model = cls(cls.config_class.from_dict(json.load(f)))
    built = sum(int(np.prod(p.shape)) for p in model.parameters())
    assert parameter_counts(read_model_config(folder)).total == built == _stored_parameters(folder)


def test_published_parameter_counts():
    # Qwen2-VL-2B-Instruct and Qwen2.5-VL-3B-Instruct as their model cards count them.
    qwen2_2b = dict(
        model_type="qwen2_vl", vocab_size=151936, hidden_size=1536, intermediate_size=8960,
        num_hidden_layers=28, num_attention_heads=12, num_key_value_heads=2, tie_word_embeddings=True,
        vision_config=dict(depth=32, embed_dim=1280, hidden_size=1536, mlp_ratio=4, num_heads=16, patch_size=14),
    )  # fmt: skip
    qwen25_3b = dict(
        model_type="qwen2_5_vl", vocab_size=151936, hidden_size=2048, intermediate_size=11008,
        num_hidden_layers=36, num_attention_heads=16, num_key_value_heads=2, tie_word_embeddings=True,
        vision_config=dict(depth=32, hidden_size=1280, intermediate_size=3420, num_heads=16,
                           out_hidden_size=2048, patch_size=14),
    )  # fmt: skip
    assert parameter_counts(qwen2_2b).total == 2_208_985_600
    assert parameter_counts(qwen25_3b).total == 3_754_622_976


def _run(argv, cwd) -> tuple[str, float]:
    """Run a command; its stdout+stderr and its peak RSS in MiB (this child alone)."""
    # VmHWM, not getrusage's ru_maxrss: Linux carries ru_maxrss across exec, so a child of a large pytest
    # process would report the parent's peak (1055 MiB in a full suite against 469 MiB alone).
    code = (
        "import re, runpy, sys; sys.argv = sys.argv[1:]; "
        "import atexit; atexit.register(lambda: print('PEAK_RSS_KB', "
        "re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read()).group(1), file=sys.stderr)); "
        "runpy.run_module(sys.argv[0], run_name='__main__')"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, *argv], cwd=cwd, capture_output=True, text=True, timeout=600
    )
    text = proc.stdout + proc.stderr
    assert proc.returncode == 0, text[-3000:]
    peak = int(re.search(r"PEAK_RSS_KB (\d+)", text).group(1)) / 1024
    return text, peak


def test_cpu_estimate_is_within_25_percent_of_the_measured_peak_rss(tmp_path):
    data = write_rec_layout(str(tmp_path / "data"), n=4, n_eval=1)
    rec = os.path.join(str(tmp_path / "data"), "REC")
    flags = [
        "--model_name_or_path", tiny_dir("qwen2_vl_tied"),
        "--dataset_name", os.path.join(rec, "rec_jsons_processed", "refcoco_train.json"),
        "--image_root", rec, "--output_dir", str(tmp_path / "out"), "--num_generations", "4",
        "--max_completion_length", "16", "--report_to", "none", "--save_strategy", "no",
    ]  # fmt: skip
    assert data
    text, _ = _run(["paddlemix.preflight", *flags], tmp_path)
    estimate = float(re.search(r"CPU training memory \(estimate\): (\d+) MiB", text).group(1))
    _, peak = _run(["paddlemix.rl.grpo.train", *flags, "--max_steps", "2"], tmp_path)
    print(f"CPU estimate {estimate:.0f} MiB, measured peak RSS {peak:.0f} MiB")
    assert abs(estimate - peak) / peak < 0.25, f"estimate {estimate} MiB, measured peak {peak:.0f} MiB"


def test_a_micro_step_of_two_prompts_holds_twice_one_prompts_activations_and_cache():
    from paddlemix.preflight.memory import RunShape, budget, recommendations

    counts = parameter_counts(read_model_config(tiny_dir("qwen2_vl_tied")))
    shape = dict(
        counts=counts, num_generations=4, prompt_tokens=300, completion_tokens=64, image_patches=400,
        weight_bytes=2, master_weights=False, master_grads=False, recompute=False, flash=False,
        reference=True, trainable=counts.total, sharding_stage=0, world=1,
    )  # fmt: skip
    one, two = budget(RunShape(**shape)), budget(RunShape(**shape, prompts=2))
    # The update runs one forward over the micro-step's groups, and generation one call over its prompts.
    assert two["activations"] == 2 * one["activations"] and two["kv_cache"] == 2 * one["kv_cache"]
    assert {k: two[k] for k in ("parameters", "gradients", "optimizer")} == {
        k: one[k] for k in ("parameters", "gradients", "optimizer")
    }
    tips = recommendations(RunShape(**{**shape, "recompute": True}, prompts=2), sum(one.values()))
    assert tips[0].startswith("--per_device_train_batch_size 1"), tips
