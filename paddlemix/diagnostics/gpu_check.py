"""The GPU self-check: what CI cannot run (it has no GPU), checked in minutes on the user's machine.

    bash scripts/check_gpu.sh [--model PATH_OR_HUB_ID | --random-widths qwen2_vl_2b [--layers 4]] [--report FILE]
    python -m paddlemix.diagnostics.gpu_check [same flags]     (without the multi-GPU sharding runs)

It prints the environment, then one line per check, PASS / FAIL / SKIP with its figures and tolerance:

- forward_fp32: fp32 logits of a padded batch of two image prompts, full forward against KV-cached decoding;
- forward_fp32_gpu_vs_cpu: the same fp32 forward on GPU and on CPU (GPU, models up to 3B parameters);
- forward_bfloat16 / forward_float16: half-precision logits against fp32 (GPU);
- flash_attention: Paddle's flash attention kernels against eager attention (GPU, compute capability 8.0+);
- attention_eager: the eager attention kernel against a float64 NumPy reference;
- grpo_step_fp32 / grpo_step_bf16_o2: one GRPO step through the trainer; bf16 O2 with float32 master
  gradients against fp32 on the same rollouts (GPU);
- sharding_stage2_vs_dp / sharding_stage3_vs_dp: 3 steps on 2 GPUs (launched by scripts/check_gpu.sh);
- rollout_speed: tokens/s of G sampled rollouts and peak memory.

A check that cannot run here is a SKIP that says why. Exit status: 0 when every check that ran passed, 1 when
one failed, 2 (one line `error: ...`) for a bad flag or model.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
import tempfile
import traceback

from paddlemix.diagnostics import forward_checks, grpo_step, rollout_speed, sharding
from paddlemix.diagnostics.attention_check import check_eager_attention
from paddlemix.diagnostics.environment import environment_lines, gpu_count
from paddlemix.diagnostics.grpo_setup import write_prompts
from paddlemix.diagnostics.report import FAIL, CheckResult, exit_status, render
from paddlemix.diagnostics.subject import PUBLISHED_WIDTHS, bundled_model, resolve_subject
from paddlemix.errors import UserError, run_main

PROG = "python -m paddlemix.diagnostics.gpu_check"


class _Parser(argparse.ArgumentParser):
    """argparse whose mistakes are one-line user errors (exit 2) like every other entry point's."""

    def error(self, message):
        raise UserError(message, fix=f"see {PROG} --help")


def parse_args(argv: list[str]) -> argparse.Namespace:
    """The command line."""
    p = _Parser(prog=PROG, description=__doc__.split("\n")[0])
    p.add_argument("--model", help="checkpoint folder or hub ID (default: the bundled tiny Qwen2-VL)")
    p.add_argument(
        "--random-widths",
        choices=sorted(PUBLISHED_WIDTHS),
        help="random weights at this model's published widths and vocabulary instead of --model",
    )
    p.add_argument("--layers", type=int, help="--random-widths: text layers and vision blocks (default 4)")
    p.add_argument("--group", type=int, default=8, help="rollout_speed: G, completions per prompt")
    p.add_argument("--new-tokens", type=int, default=64, help="rollout_speed: tokens per completion")
    p.add_argument("--repeats", type=int, default=3, help="rollout_speed: timed runs after one warm-up")
    p.add_argument(
        "--image-size", default="640x480", help="rollout_speed: WIDTHxHEIGHT of the prompt's image"
    )
    p.add_argument(
        "--workdir", help="where data, random weights and short runs go (default: a temporary dir)"
    )
    p.add_argument("--sharding-runs", help="the dp/stage2/stage3 run directories check_gpu.sh wrote")
    p.add_argument("--report", help="also write the report to this file")
    p.add_argument("--dry-run", action="store_true", help="check the flags and the model, run nothing")
    args = p.parse_args(argv)
    if args.layers is not None and args.random_widths is None:
        raise UserError("--layers has no effect without --random-widths")
    args.layers = 4 if args.layers is None else args.layers
    for name in ("layers", "new_tokens", "repeats"):
        if getattr(args, name) < 1:
            raise UserError(f"--{name.replace('_', '-')} must be >= 1, got {getattr(args, name)}")
    if args.group < 2:
        raise UserError(f"--group must be >= 2 (a GRPO group), got {args.group}")
    try:
        width, height = (int(v) for v in args.image_size.lower().split("x"))
    except ValueError:
        raise UserError(f"--image-size {args.image_size!r} is not WIDTHxHEIGHT, e.g. 640x480") from None
    if min(width, height) < 28:
        raise UserError(f"--image-size {args.image_size}: both sides must be >= 28 pixels")
    args.image_size = (width, height)
    if args.sharding_runs is not None and not os.path.isdir(args.sharding_runs):
        raise UserError(f"--sharding-runs {args.sharding_runs}: no such directory")
    return args


def guarded(names: list[str], fn, *args) -> list[CheckResult]:
    """fn(*args)'s results; a crash is a FAIL of each of `names` with the error, its traceback on stderr."""
    try:
        out = fn(*args)
    except UserError:
        raise
    except Exception as e:
        traceback.print_exc()
        text = " ".join(f"{type(e).__name__}: {e}".split())[:300]
        if "out of memory" in text.lower():
            text += " (try a smaller model, --random-widths with fewer --layers, or a smaller --image-size)"
        return [CheckResult(name, FAIL, f"crashed: {text}") for name in names]
    return out if isinstance(out, list) else [out]


def describe(args: argparse.Namespace, path: str) -> str:
    """The report's line about the model under test."""
    if args.random_widths:
        return f"random weights at {args.random_widths}'s published widths, {args.layers} layer{'s' * (args.layers > 1)} deep ({path})"
    if args.model is None:
        return f"the bundled tiny Qwen2-VL ({path})"
    return path if path == args.model else f"{args.model} ({path})"


def run_checks(args: argparse.Namespace, workdir: str) -> tuple[list[tuple[str, str]], list[CheckResult]]:
    """The environment lines and every check's result."""
    path = resolve_subject(args.model, args.random_widths, args.layers, workdir)
    environment = [*environment_lines(), ("model", describe(args, path))]
    os.environ.setdefault("PADDLEMIX_DATA_CACHE", os.path.join(workdir, "image_cache"))
    results = guarded(
        ["forward_fp32", "forward_fp32_gpu_vs_cpu", "forward_bfloat16", "forward_float16", "flash_attention"],
        forward_checks.forward_checks,
        path,
    )
    results += guarded(["attention_eager"], check_eager_attention)
    dataset = write_prompts(os.path.join(workdir, "data"))
    results += guarded(
        ["grpo_step_fp32", "grpo_step_bf16_o2"], grpo_step.grpo_step_checks, path, dataset, workdir
    )
    results += sharding.compare_runs(args.sharding_runs, gpu_count())
    results += guarded(
        ["rollout_speed"],
        rollout_speed.rollout_speed,
        path,
        args.group,
        args.new_tokens,
        args.repeats,
        args.image_size,
    )
    return environment, results


def main(argv: list[str]) -> int:
    """Run the checks, print the report; returns the exit status."""
    args = parse_args(argv)
    if args.dry_run:
        if args.random_widths is None:
            resolve_subject(args.model, None, args.layers, "")
        print(f"would check {args.random_widths or args.model or bundled_model()}")
        return 0
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if args.workdir:
        os.makedirs(args.workdir, exist_ok=True)
        workdir = contextlib.nullcontext(args.workdir)
    else:
        workdir = tempfile.TemporaryDirectory(prefix="paddlemix_gpu_check_")
    with workdir as root:
        environment, results = run_checks(args, root)
    report = render(environment, results)
    print(report)
    if args.report:
        with open(args.report, "w", encoding="utf-8") as f:
            f.write(report + "\n")
    return exit_status(results)


if __name__ == "__main__":
    sys.exit(run_main(main))
