"""What every CPU quickstart shares: the tiny checkpoints, the launch of SFT and GRPO, the curves and the plot."""

from __future__ import annotations

import glob
import json
import os
import subprocess
import sys
from importlib import resources

# `--task`: counting (counting.py) and the tasks of runner.py; `quickstart_task` builds each of the latter.
TASKS = ("counting", "rec", "grounding", "detection", "ocr", "affordance")
# Package data (setup.py's package_data), so that a non-editable install has them too.
TINY_MODELS = {  # under paddlemix/assets/
    "qwen2_vl": "tiny_qwen2_vl",
    "qwen2_5_vl": "tiny_qwen2_5_vl",
    "qwen3_vl": "tiny_qwen3_vl",
}
TINY_MODEL = TINY_MODELS["qwen2_vl"]
MODEL_FILES = (
    "config.json",
    "generation_config.json",
    "model.safetensors",
    "preprocessor_config.json",
    "chat_template.json",
    "tokenizer.json",
    "tokenizer_config.json",
)


def copy_tiny_model(out_dir: str, model: str = "qwen2_vl", max_pixels: int | None = None) -> str:
    """Copy a tiny random checkpoint (hub layout) shipped with the package to out_dir; returns out_dir.

    `max_pixels` replaces the processor's ceiling in the copy, so eval, SFT and GRPO all resize alike.
    """
    source = resources.files("paddlemix").joinpath("assets").joinpath(TINY_MODELS[model])
    os.makedirs(out_dir, exist_ok=True)
    for name in MODEL_FILES:
        with open(os.path.join(out_dir, name), "wb") as f:
            f.write(source.joinpath(name).read_bytes())
    if max_pixels is not None:
        path = os.path.join(out_dir, "preprocessor_config.json")
        with open(path) as f:
            config = json.load(f)
        config["max_pixels"] = max_pixels
        with open(path, "w") as f:
            json.dump(config, f, indent=2)
    return out_dir


def launch_command(entry: str, flags: dict, out_dir: str, nproc: int) -> list[str]:
    """`python -m paddle.distributed.launch --nproc_per_node N python -m <entry> --flag value ...`."""
    argv = [sys.executable, "-m", "paddle.distributed.launch", "--nproc_per_node", str(nproc)]
    argv += ["--log_dir", os.path.join(out_dir, "paddle_distributed_logs")]
    argv += [sys.executable, "-m", entry]
    for key, value in flags.items():
        argv += [f"--{key}", str(value)]
    return argv


def run(cmd: list[str], out_dir: str, what: str) -> None:
    """Run a launch command; a failure names the workers' logs."""
    print(f"[quickstart] {what}:", " ".join(cmd), flush=True)
    done = subprocess.run(cmd)
    if done.returncode != 0:
        logs = os.path.join(out_dir, "paddle_distributed_logs")
        raise SystemExit(f"[quickstart] {what} failed (exit {done.returncode}); see {logs}/workerlog.*")


def read_reward_curve(logdir: str, tag: str = "train/reward") -> list[tuple[int, float]]:
    """(step, value) pairs of a VisualDL scalar written under logdir."""
    from visualdl import LogReader

    points = []
    for path in sorted(glob.glob(os.path.join(logdir, "**", "vdlrecords.*.log"), recursive=True)):
        reader = LogReader(file_path=path)
        if tag in reader.get_tags().get("scalar", []):
            points += [(int(r.id), float(r.value)) for r in reader.get_data("scalar", tag)]
    return sorted(points)


def plot_metric_curve(
    curve: list[tuple[int, float]],
    evals: dict[str, tuple[int, float]],
    controls: dict[str, float],
    path: str,
    title: str,
    ylabel: str,
    curve_label: str,
) -> str:
    """The metric (%) along the run: GRPO's training curve, the held-out evals as points, the controls as lines."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4))
    if curve:
        steps = [s for s, _ in curve]
        values = [100 * v for _, v in curve]
        window = [values[max(0, i - 9) : i + 1] for i in range(len(values))]
        ax.plot(steps, values, ".", alpha=0.25, color="tab:blue", label=curve_label)
        ax.plot(steps, [sum(w) / len(w) for w in window], "-", color="tab:blue", label="10-step mean")
    for label, (step, value) in evals.items():
        ax.plot([step], [value], "o", markersize=9, label=f"held-out eval {label}: {value:.1f}%")
    for (label, value), style in zip(controls.items(), ("--", ":", "-.")):
        ax.axhline(value, linestyle=style, color="gray", label=f"{label}: {value:.1f}%")
    ax.set_xlabel("training step (SFT, then GRPO)")
    ax.set_ylabel(ylabel)
    ax.set_ylim(0, 100)
    ax.set_title(title)
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
