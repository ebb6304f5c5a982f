"""Sharding stages 2 and 3 against data parallel: the same 3 GRPO steps on the same GPUs end with the same
weights.

`scripts/check_gpu.sh` launches this module once per mode on 2+ GPUs:

    python -m paddle.distributed.launch --devices 0,1 python -m paddlemix.diagnostics.sharding \
        --out RUNS/stage2 --mode stage2

and `gpu_check --sharding-runs RUNS` compares `RUNS/{stage2,stage3}/model.safetensors` with `RUNS/dp/`. Every
mode trains float32 on the same prompts per rank with the same seeds, so the rollouts agree and the final
weights differ only by the order of the gradient reductions.
"""

from __future__ import annotations

import argparse
import os

import numpy as np

from paddlemix.diagnostics.grpo_setup import register_reward, train_flags, write_prompts
from paddlemix.diagnostics.report import FAIL, CheckResult, skipped, within
from paddlemix.diagnostics.subject import bundled_model
from paddlemix.errors import run_main

MODES = {"dp": "", "stage2": "stage2", "stage3": "stage3"}
STEPS = 3
LEARNING_RATE = 1e-3  # 3 AdamW steps (linear decay) move weights by about 2e-3, far above TOLERANCE
TOLERANCE = 1e-4  # max |Δ weight| between a sharded run and data parallel
WEIGHTS = "model.safetensors"


def main(argv: list[str]) -> None:
    """One launched rank: write its prompts, then train STEPS steps in `--mode`."""
    from paddlemix.rl.grpo import train

    p = argparse.ArgumentParser(prog="python -m paddlemix.diagnostics.sharding")
    p.add_argument("--model", default=bundled_model(), help="default: the bundled tiny Qwen2-VL")
    p.add_argument("--out", required=True, help="the run's output directory")
    p.add_argument("--mode", choices=sorted(MODES), required=True)
    args = p.parse_args(argv)
    register_reward()
    os.environ.setdefault("PADDLEMIX_DATA_CACHE", os.path.join(args.out, "image_cache"))
    rank = os.environ.get("PADDLE_TRAINER_ID", "0")
    # Each rank writes its own (identical) copy, so no rank reads a half-written file.
    dataset = write_prompts(os.path.join(args.out, "data", f"rank{rank}"))
    flags = train_flags(
        args.model,
        dataset,
        args.out,
        max_steps=STEPS,
        per_device_train_batch_size=1,
        learning_rate=LEARNING_RATE,
    )
    train.main(flags + (["--sharding", MODES[args.mode]] if MODES[args.mode] else []))


def max_abs_diff(a_path: str, b_path: str, same_names: bool = True) -> float:
    """max |a - b| over the tensors of two safetensors files, one tensor at a time.

    With `same_names` both files must hold the same tensor names; otherwise the common ones are compared.
    """
    from safetensors import safe_open

    with safe_open(a_path, framework="numpy") as a, safe_open(b_path, framework="numpy") as b:
        names = set(a.keys()) & set(b.keys())
        if same_names and set(a.keys()) != set(b.keys()):
            raise ValueError(f"different tensor names: {sorted(set(a.keys()) ^ set(b.keys()))[:5]}")
        return max(
            (float(np.abs(a.get_tensor(k).astype(np.float64) - b.get_tensor(k)).max()) for k in names),
            default=float("nan"),
        )


def compare_runs(runs: str | None, gpus: int, initial: str | None = None) -> list[CheckResult]:
    """stage2 and stage3 against dp in `runs` (written by check_gpu.sh); skipped without 2 GPUs or runs.

    `initial` (default: the bundled model's weights, which the runs start from) shows how far data parallel
    moved the weights; a comparison of runs that did not move them (`moved` <= TOLERANCE) proves nothing.
    """
    initial = initial or os.path.join(bundled_model(), WEIGHTS)
    names = {stage: f"sharding_{stage}_vs_dp" for stage in ("stage2", "stage3")}
    if runs is None:
        why = (
            f"needs 2+ GPUs (found {gpus})"
            if gpus < 2
            else "launched only by scripts/check_gpu.sh (which passes --sharding-runs)"
        )
        return [skipped(name, why) for name in names.values()]
    results = []
    for stage, name in names.items():
        paths = {m: os.path.join(runs, m, WEIGHTS) for m in ("dp", stage)}
        missing = [m for m, path in paths.items() if not os.path.isfile(path)]
        if missing:
            logs = ", ".join(os.path.join(runs, m, "logs") for m in missing)
            results.append(
                CheckResult(name, FAIL, f"the {'/'.join(missing)} run wrote no {WEIGHTS}; see {logs}")
            )
            continue
        try:
            worst = max_abs_diff(paths[stage], paths["dp"])
        except ValueError as e:
            results.append(CheckResult(name, FAIL, str(e)))
            continue
        moved = max_abs_diff(paths["dp"], initial, same_names=False)
        note = f" (bundled tiny model, {STEPS} steps, float32; moved = max |dp - initial weights|)"
        result = within(name, {"max_abs_diff": worst, "moved": moved}, {"max_abs_diff": TOLERANCE}, note=note)
        if not moved > TOLERANCE:
            result.status, result.detail = FAIL, "data parallel did not move the weights; " + result.detail
        results.append(result)
    return results


if __name__ == "__main__":
    run_main(main)
