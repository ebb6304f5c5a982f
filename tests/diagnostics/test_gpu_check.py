"""The GPU self-check on CPU: its CPU checks really run on the bundled tiny model and pass, its GPU checks say
they were skipped and why, a broken comparison fails with exit status 1, and user mistakes exit 2 in one line.

The GPU-only comparisons (half precision, flash, the bf16 O2 step) are also run here with the device probe
patched to "supported" and float32 standing in for the half dtypes, so their comparison code is exercised.
"""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import paddle
import pytest
from safetensors.numpy import save_file

from paddlemix.diagnostics import device_support, forward_checks, grpo_step, sharding
from paddlemix.diagnostics.gpu_check import main
from paddlemix.diagnostics.grpo_setup import write_prompts
from paddlemix.diagnostics.report import FAIL, PASS, SKIP
from paddlemix.diagnostics.subject import bundled_model, random_config
from paddlemix.errors import run_main
from paddlemix.models.auto import MODEL_CLASSES
from paddlemix.models.qwen2_vl.modeling import Qwen2VLForConditionalGeneration
from paddlemix.rewards import registry

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CPU_CHECKS = ("forward_fp32", "attention_eager", "grpo_step_fp32", "rollout_speed")
GPU_CHECKS = (
    "forward_fp32_gpu_vs_cpu",
    "forward_bfloat16",
    "forward_float16",
    "flash_attention",
    "grpo_step_bf16_o2",
)
SHARDING_CHECKS = ("sharding_stage2_vs_dp", "sharding_stage3_vs_dp")
FAST = ["--repeats", "1", "--new-tokens", "4", "--group", "2", "--image-size", "56x56"]


@pytest.fixture(autouse=True)
def scratch_state(tmp_path, monkeypatch):
    """Embedded images go under the test's temporary folder; the check's reward into a scratch registry."""
    monkeypatch.setenv("PADDLEMIX_DATA_CACHE", str(tmp_path / "image_cache"))
    monkeypatch.setattr(registry, "_REWARDS", dict(registry._REWARDS))


def statuses(report: str) -> dict[str, str]:
    """check name -> status, from the report's check lines."""
    out = {}
    for line in report.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0] in (PASS, FAIL, SKIP):
            out[parts[1]] = parts[0]
    return out


def run(argv, capsys) -> tuple[int, str]:
    """main(argv) in this process: (exit status, stdout)."""
    status = main(argv)
    return status, capsys.readouterr().out


def test_cpu_checks_pass_and_gpu_checks_say_why_they_were_skipped(tmp_path, capsys):
    status, out = run(
        [*FAST, "--workdir", str(tmp_path / "work"), "--report", str(tmp_path / "r.txt")], capsys
    )
    got = statuses(out)
    assert status == 0, out
    assert {name: got[name] for name in CPU_CHECKS} == dict.fromkeys(CPU_CHECKS, PASS), out
    assert {name: got[name] for name in GPU_CHECKS + SHARDING_CHECKS} == dict.fromkeys(
        GPU_CHECKS + SHARDING_CHECKS, SKIP
    )
    lines = {line.split()[1]: line for line in out.splitlines() if line.startswith(SKIP)}
    assert all("skipped: needs a GPU" in lines[name] for name in GPU_CHECKS), out
    assert "skipped: needs 2+ GPUs (found 0)" in out
    # The environment comes first; the summary last.
    assert (
        out.index("== environment") < out.index("paddle ") < out.index("cpu threads") < out.index("== checks")
    )
    assert out.strip().splitlines()[-1] == "== OK: 4 passed, 0 failed, 7 skipped"
    assert "tokens/s" in out and "peak host memory" in out
    assert (tmp_path / "r.txt").read_text().strip() == out.strip()


def test_a_perturbed_forward_fails_its_check_and_exits_1(tmp_path, capsys, monkeypatch):
    forward = Qwen2VLForConditionalGeneration.forward

    def noisy(self, *args, **kwargs):
        out = forward(self, *args, **kwargs)
        # 1% noise, different on every call: the cached decoding no longer matches the full forward.
        out.logits = out.logits * (1 + 0.01 * paddle.randn(out.logits.shape))
        return out

    def crash(*_):
        raise RuntimeError("kernel exploded")

    monkeypatch.setattr(Qwen2VLForConditionalGeneration, "forward", noisy)
    # A check that crashes is a FAIL with its error, and the checks after it still run.
    monkeypatch.setattr(grpo_step, "grpo_step_checks", crash)
    status, out = run([*FAST, "--workdir", str(tmp_path)], capsys)
    got = statuses(out)
    assert status == 1, out
    assert got["forward_fp32"] == FAIL, out
    assert got["grpo_step_fp32"] == got["grpo_step_bf16_o2"] == FAIL
    assert "crashed: RuntimeError: kernel exploded" in out
    assert got["attention_eager"] == got["rollout_speed"] == PASS
    assert out.strip().splitlines()[-1] == "== FAILED: 2 passed, 3 failed, 6 skipped", out


@pytest.fixture
def gpu_paths_in_float32(monkeypatch):
    """The GPU-only comparisons run on CPU: every device probe says yes, float32 stands in for bf16/fp16/flash."""
    monkeypatch.setattr(forward_checks, "skip_reason", lambda feature=None: None)
    monkeypatch.setattr(grpo_step, "skip_reason", lambda feature=None: None)
    load = forward_checks.load_model
    monkeypatch.setattr(forward_checks, "load_model", lambda path, dtype, attn="eager": load(path, "float32"))


def test_half_precision_and_flash_comparisons(gpu_paths_in_float32, monkeypatch):
    path = bundled_model()
    inputs = forward_checks.check_inputs(path)
    fp32, ref = forward_checks.check_fp32(path, inputs)
    assert fp32.status == PASS
    # Identical models: zero error.
    assert forward_checks.check_half(path, inputs, ref, "bfloat16").status == PASS
    assert forward_checks.check_flash(path, inputs, ref).status == PASS
    assert forward_checks.check_gpu_vs_cpu(path, inputs, ref).status == PASS
    assert forward_checks.check_gpu_vs_cpu(path, inputs, ref * 1.01).status == FAIL
    # A logit error of 10% exceeds both the bf16 and the flash tolerance (5%).
    result = forward_checks.check_half(path, inputs, ref * 1.1, "bfloat16")
    assert result.status == FAIL and result.figures["rel_l2"] == pytest.approx(1 / 11, rel=1e-4)
    assert forward_checks.check_half(path, inputs, ref * np.nan, "float16").status == FAIL  # NaN never passes


def test_bf16_step_comparison_reads_and_compares_the_gradients(gpu_paths_in_float32, tmp_path, monkeypatch):
    dataset = write_prompts(str(tmp_path / "data"))
    # On CPU the bf16 O2 request trains in float32 (with a warning): the two steps must agree closely.
    fp32, bf16 = grpo_step.grpo_step_checks(bundled_model(), dataset, str(tmp_path))
    assert fp32.status == bf16.status == PASS, (fp32, bf16)
    assert bf16.figures["grad_rel_l2"] < 1e-5 and bf16.figures["params_compared"] > 0, bf16.detail

    # A gradient reader that sees a different gradient in the second run fails the comparison.
    read = grpo_step.read_gradients
    calls = []

    def skewed(model):
        norm, grads = read(model)
        calls.append(1)
        return norm, grads if len(calls) == 1 else {k: v * 1.5 for k, v in grads.items()}

    monkeypatch.setattr(grpo_step, "read_gradients", skewed)
    _, bf16 = grpo_step.grpo_step_checks(bundled_model(), dataset, str(tmp_path / "again"))
    assert bf16.status == FAIL and bf16.figures["grad_rel_l2"] == pytest.approx(0.5), bf16.detail


def _run_dir(root, mode: str, weights: dict) -> str:
    os.makedirs(root / mode)
    save_file(weights, str(root / mode / sharding.WEIGHTS))
    return str(root / mode / sharding.WEIGHTS)


INITIAL = {"a": np.ones((3, 2), np.float32), "b": np.arange(4, dtype=np.float32)}
TRAINED = {k: v + 3e-3 for k, v in INITIAL.items()}  # where 3 steps at lr 1e-3 take the weights


def test_sharding_runs_are_compared_with_data_parallel(tmp_path):
    initial = _run_dir(tmp_path, "initial", INITIAL)
    _run_dir(tmp_path, "dp", TRAINED)
    _run_dir(
        tmp_path, "stage2", {k: v + 1e-6 for k, v in TRAINED.items()}
    )  # reduction-order rounding: passes
    _run_dir(tmp_path, "stage3", {**TRAINED, "b": TRAINED["b"] + 1e-2})  # a real difference: fails
    stage2, stage3 = sharding.compare_runs(str(tmp_path), gpus=2, initial=initial)
    assert (stage2.status, stage3.status) == (PASS, FAIL), (stage2, stage3)
    assert stage3.figures["max_abs_diff"] == pytest.approx(1e-2, rel=1e-4)
    assert stage2.figures["moved"] == pytest.approx(3e-3, rel=1e-3)
    assert stage2.tolerance == "max_abs_diff <= 0.0001"


def test_runs_that_did_not_train_prove_nothing(tmp_path):
    initial = _run_dir(tmp_path, "initial", INITIAL)
    for mode in ("dp", "stage2", "stage3"):
        _run_dir(tmp_path, mode, INITIAL)
    results = sharding.compare_runs(str(tmp_path), gpus=2, initial=initial)
    assert all(r.status == FAIL and "did not move" in r.detail for r in results)


def test_a_sharding_run_that_wrote_nothing_fails_and_names_its_logs(tmp_path):
    initial = _run_dir(tmp_path, "initial", INITIAL)
    _run_dir(tmp_path, "dp", TRAINED)
    _run_dir(tmp_path, "stage2", TRAINED)
    stage2, stage3 = sharding.compare_runs(str(tmp_path), gpus=2, initial=initial)
    assert stage2.status == PASS
    assert stage3.status == FAIL and os.path.join(str(tmp_path), "stage3", "logs") in stage3.detail


def test_sharding_skips_say_why():
    assert all("needs 2+ GPUs (found 1)" in r.detail for r in sharding.compare_runs(None, gpus=1))
    assert all("scripts/check_gpu.sh" in r.detail for r in sharding.compare_runs(None, gpus=4))


@pytest.mark.parametrize("name", ["qwen2_vl_2b", "qwen2_5_vl_3b", "qwen2_vl_7b", "qwen2_5_vl_7b"])
def test_random_published_width_configs_load(name):
    cfg = random_config(name, layers=2)
    config = MODEL_CLASSES[cfg["model_type"]].config_class.from_dict(cfg)
    assert (config.vocab_size, config.num_hidden_layers, config.head_dim) == (151936, 2, 128)


@pytest.mark.parametrize("layers, deepstack", [(1, [0]), (6, [5]), (24, [5, 11, 17])])
def test_random_qwen3_vl_2b_config_has_the_published_widths(layers, deepstack):
    cfg = random_config("qwen3_vl_2b", layers=layers)
    config = MODEL_CLASSES[cfg["model_type"]].config_class.from_dict(cfg)
    text, vision = config, config.vision_config  # the nested text_config is read into the top level
    assert (text.hidden_size, text.intermediate_size, text.num_hidden_layers) == (2048, 6144, layers)
    assert (text.num_attention_heads, text.num_key_value_heads, text.head_dim) == (16, 8, 128)
    assert text.vocab_size == 151936 and config.tie_word_embeddings and text.mrope_section == [24, 20, 20]
    assert (vision.depth, vision.hidden_size, vision.num_heads, vision.intermediate_size) == (
        layers,
        1024,
        16,
        4096,
    )
    assert vision.out_hidden_size == 2048 and vision.deepstack_visual_indexes == deepstack


@pytest.mark.parametrize(
    "argv, named",
    [
        (["--model", "/no/such/model"], "/no/such/model"),  # not a folder, not a hub ID
        (["--model", REPO], "no config.json"),  # a folder that is no checkpoint
        (["--random-widths", "qwen2_vl_2b", "--model", "x"], "exclusive"),
        (["--random-widths", "qwen2_vl_9b"], "invalid choice"),
        (["--image-size", "big"], "--image-size"),
        (["--group", "1"], "--group"),
        (["--layers", "2"], "no effect without --random-widths"),
        (["--random-widths", "qwen2_vl_2b", "--layers", "0"], "--layers must be >= 1"),
        (["--sharding-runs", "/no/runs"], "/no/runs"),
    ],
)
def test_user_mistakes_exit_2_with_one_line(argv, named, capsys):
    with pytest.raises(SystemExit) as exit_:
        run_main(main, argv)
    err = capsys.readouterr().err.strip().splitlines()
    assert exit_.value.code == 2
    assert len(err) == 1 and err[0].startswith("error: ") and named in err[0], err


@pytest.mark.parametrize(
    "command",
    [
        [sys.executable, "-m", "paddlemix.diagnostics.gpu_check", "--model", "/no/such/model"],
        ["bash", os.path.join(REPO, "scripts", "check_gpu.sh"), "--model", "/no/such/model"],
    ],
    ids=["module", "script"],
)
def test_a_bad_model_path_exits_2_in_one_line_as_a_user_runs_it(command, tmp_path):
    proc = subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr and proc.stdout == ""
    # The error is the last line; lines before it are warnings from libraries (paddle's ccache notice).
    assert proc.stderr.strip().splitlines()[-1].startswith("error: /no/such/model"), proc.stderr


def test_fp32_references_run_without_tf32_and_the_flags_come_back(monkeypatch):
    flags = {"FLAGS_allow_tf32_cublas": True}  # a build without the cudnn flag

    def get_flags(names):
        if names[0] not in flags:
            raise ValueError(f"Flag {names[0]} cannot get its value through this function.")
        return {names[0]: flags[names[0]]}

    monkeypatch.setattr(device_support, "on_gpu", lambda: True)
    monkeypatch.setattr(paddle, "get_flags", get_flags)
    monkeypatch.setattr(paddle, "set_flags", flags.update)
    with device_support.strict_float32():
        assert flags == {"FLAGS_allow_tf32_cublas": False}
    assert flags == {"FLAGS_allow_tf32_cublas": True}
