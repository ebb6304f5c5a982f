"""The quickstart run of a task other than counting: data, eval, SFT cold start, GRPO, evals, controls, summary.

    python -m paddlemix.quickstart --task rec|grounding|detection|ocr|affordance [--workdir DIR] [--seed N] ...

A task is a `QuickstartTask` (one file each beside this one): it writes its synthetic set, evaluates a
checkpoint with the task's own eval runner and metric, names the SFT and GRPO flags of its recipe, and
computes the controls on the trained model's results. `run_task` does the rest in the same order for every
task, and writes `summary.json` (`before`, `after_sft`, `after`: each `metric`, `metric_pct` and the eval's
other figures; `best_constant_pct`, `shuffled_images_pct`, `wrong_frame_pct` for box tasks), `reward_curve.png`
and VisualDL logs under <workdir>/sft/runs and <workdir>/train/runs.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import time
from dataclasses import dataclass

from paddlemix.quickstart.pipeline import (
    copy_tiny_model,
    launch_command,
    plot_metric_curve,
    read_reward_curve,
    run,
)


@dataclass
class EvalData:
    """Where a task's synthetic set is: the training set, its image root, and the eval split."""

    train: str  # --dataset_name of SFT and GRPO
    image_root: str | None  # --image_root of SFT and GRPO (REC-style records), else None
    eval_root: str  # the folder the eval runner reads
    eval_file: str  # the eval split's annotation file (its images are permuted for the shuffled control)
    image_dir: str  # the folder the eval records' images are relative to


class QuickstartTask:
    """One task's quickstart recipe; see the module docstring. Subclasses fill in the class attributes."""

    name = ""  # the registered task (`--task` of SFT and GRPO)
    model = "qwen2_vl"  # the tiny checkpoint (`pipeline.TINY_MODELS`), the default of `--model`
    models: tuple[str, ...] = ()  # the other tiny checkpoints `--model` may pick (frames: `metrics.boxes`)
    max_pixels: int | None = None  # the processor's ceiling in the copied checkpoint
    metric = ""  # the headline metric's name in summary.json
    description = ""
    curve_tag = "train/rewards/accuracy"  # the GRPO scalar plotted along the run
    curve_max = 1.0  # its largest value: the plot shows it as a percentage of this
    defaults: dict = {}  # this task's defaults of the common flags (`parse_args`)

    def max_pixels_for(self, model: str) -> int | None:
        """The processor's ceiling in the copied checkpoint of `model` (`--model`)."""
        return self.max_pixels

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        """This task's own flags (the size of its scenes), if any."""

    def write_data(self, out: str, args) -> EvalData:
        """Write the synthetic training and eval sets under out."""
        raise NotImplementedError

    def evaluate(self, model_dir: str, data: EvalData, out: str, args) -> tuple[dict, list[dict]]:
        """The eval's figures (`metric`, `metric_pct`, ...) and its result records."""
        raise NotImplementedError

    def sft_flags(self, data: EvalData, args) -> dict:
        """The SFT flags beyond the common ones (target format, task)."""
        raise NotImplementedError

    def grpo_flags(self, data: EvalData, args) -> dict:
        """The GRPO flags beyond the common ones (rewards, completion length)."""
        raise NotImplementedError

    def best_constant_pct(self, results: list[dict], data: EvalData) -> float:
        """The headline metric of the best image-blind constant answer."""
        raise NotImplementedError

    def wrong_frame_pct(self, results: list[dict]) -> float | None:
        """The headline metric of the same outputs read as original pixels; None for tasks without boxes."""
        return None

    def shuffled(self, data: EvalData, out: str, seed: int) -> EvalData:
        """The eval split with its images permuted among its records (the same questions and answers)."""
        with open(data.eval_file) as f:
            records = json.load(f)
        images = [r["image"] for r in records]
        random.Random(seed).shuffle(images)
        os.makedirs(out, exist_ok=True)
        path = os.path.join(out, os.path.basename(data.eval_file))
        with open(path, "w") as f:
            json.dump([{**r, "image": image} for r, image in zip(records, images)], f)
        return EvalData(data.train, data.image_root, out, path, data.image_dir)


COMMON_DEFAULTS = {
    "n_train": 3000,
    "n_eval": 100,
    "sft_steps": 400,
    "sft_batch_size": 8,
    "sft_learning_rate": 3e-3,
    "grpo_steps": 60,
    "grpo_batch_size": 2,
    "learning_rate": 3e-4,
    "num_generations": 8,
    "beta": 0.04,
    "eval_batch_size": 25,
}


def parse_args(task: QuickstartTask, argv: list[str] | None = None) -> argparse.Namespace:
    """The quickstart's flags, with the task's defaults (its measured recipe, docs/quickstart.md)."""
    p = argparse.ArgumentParser(prog=f"python -m paddlemix.quickstart --task {task.name}")
    p.add_argument("--workdir", default=f"work_dirs/quickstart_{task.name}")
    p.add_argument("--nproc", type=int, default=2, help="training processes (paddle.distributed.launch)")
    p.add_argument(
        "--model", default=task.model, choices=sorted({task.model, *task.models}), help="the tiny checkpoint"
    )
    p.add_argument("--n_train", type=int)
    p.add_argument("--n_eval", type=int)
    p.add_argument("--sft_steps", type=int)
    p.add_argument("--sft_batch_size", type=int, help="per process")
    p.add_argument("--sft_learning_rate", type=float)
    p.add_argument("--grpo_steps", type=int)
    p.add_argument("--grpo_batch_size", type=int, help="prompts per process")
    p.add_argument("--learning_rate", type=float, help="GRPO's")
    p.add_argument("--num_generations", type=int)
    p.add_argument("--beta", type=float)
    p.add_argument("--eval_batch_size", type=int)
    p.add_argument("--seed", type=int, default=0)
    task.add_arguments(p)
    p.set_defaults(**{**COMMON_DEFAULTS, **task.defaults})
    return p.parse_args(argv)


def sft_command(task: QuickstartTask, model_dir: str, data: EvalData, out_dir: str, args) -> list[str]:
    """The launch command of the SFT cold start (cosine schedule, the task's target format)."""
    flags = {
        "model_name_or_path": model_dir,
        "dataset_name": data.train,
        "task": task.name,
        **({"image_root": data.image_root} if data.image_root else {}),
        "output_dir": out_dir,
        "run_name": f"quickstart_{task.name}_sft",
        "max_steps": args.sft_steps,
        "per_device_train_batch_size": args.sft_batch_size,
        "learning_rate": args.sft_learning_rate,
        "lr_scheduler_type": "cosine",
        "warmup_ratio": 0.05,
        "report_to": "visualdl",
        "save_strategy": "no",
        "disable_tqdm": True,
        "seed": args.seed,
        **task.sft_flags(data, args),
    }
    return launch_command("paddlemix.sft.train", flags, out_dir, args.nproc)


def grpo_command(task: QuickstartTask, model_dir: str, data: EvalData, out_dir: str, args) -> list[str]:
    """The launch command of the GRPO run from the SFT model, with the task's rewards."""
    flags = {
        "model_name_or_path": model_dir,
        "dataset_name": data.train,
        "task": task.name,
        **({"image_root": data.image_root} if data.image_root else {}),
        "output_dir": out_dir,
        "run_name": f"quickstart_{task.name}",
        "max_steps": args.grpo_steps,
        "num_generations": args.num_generations,
        "beta": args.beta,
        "per_device_train_batch_size": args.grpo_batch_size,
        "learning_rate": args.learning_rate,
        "report_to": "visualdl",
        "save_strategy": "no",
        "disable_tqdm": True,
        "seed": args.seed,
        **task.grpo_flags(data, args),
    }
    return launch_command("paddlemix.rl.grpo.train", flags, out_dir, args.nproc)


def summary_table(result: dict) -> str:
    """The before/after table printed at the end."""
    rows = [
        ("before training", result["before"]["metric_pct"]),
        ("after SFT (cold start)", result["after_sft"]["metric_pct"]),
        ("after SFT + GRPO", result["after"]["metric_pct"]),
        ("best constant answer", result["best_constant_pct"]),
        ("after, images shuffled", result["shuffled_images_pct"]),
    ]
    if result.get("wrong_frame_pct") is not None:
        rows.append(("after, read in the wrong frame", result["wrong_frame_pct"]))
    lines = [f"held-out {result['before']['metric']} (%)"] + [f"{n:34s}{v:8.1f}" for n, v in rows]
    return "\n".join(lines)


def run_task(task: QuickstartTask, argv: list[str] | None = None) -> dict:
    """Run one task's whole quickstart; returns the figures (also written to workdir/summary.json)."""
    args = parse_args(task, argv)
    start = time.time()
    work = os.path.abspath(args.workdir)
    if os.path.isdir(work):
        shutil.rmtree(work)
    os.environ.setdefault("PADDLEMIX_DATA_CACHE", os.path.join(work, "image_cache"))
    model = copy_tiny_model(os.path.join(work, "model"), args.model, task.max_pixels_for(args.model))
    data = task.write_data(os.path.join(work, "data"), args)
    print(
        f"[quickstart] {task.name}: tiny {args.model} in {model}; synthetic data in {data.eval_root}",
        flush=True,
    )
    timings = {}

    def timed_eval(label: str, model_dir: str, eval_data: EvalData) -> tuple[dict, list[dict]]:
        t0 = time.time()
        figures, results = task.evaluate(model_dir, eval_data, os.path.join(work, f"eval_{label}"), args)
        timings[f"eval_{label}"] = round(time.time() - t0, 1)
        print(f"[quickstart] eval {label}: {task.metric} {figures['metric_pct']:.1f}%", flush=True)
        return figures, results

    before, _ = timed_eval("before", model, data)
    sft_dir, train_dir = os.path.join(work, "sft"), os.path.join(work, "train")
    t0 = time.time()
    run(sft_command(task, model, data, sft_dir, args), sft_dir, "SFT cold start")
    timings["sft"] = round(time.time() - t0, 1)
    after_sft, _ = timed_eval("after_sft", sft_dir, data)
    t0 = time.time()
    run(grpo_command(task, sft_dir, data, train_dir, args), train_dir, "GRPO")
    timings["grpo"] = round(time.time() - t0, 1)
    after, results = timed_eval("after", train_dir, data)
    shuffled_data = task.shuffled(data, os.path.join(work, "data_shuffled"), args.seed)
    shuffled, _ = timed_eval("shuffled", train_dir, shuffled_data)

    constant = task.best_constant_pct(results, data)
    wrong = task.wrong_frame_pct(results)
    curve = read_reward_curve(os.path.join(train_dir, "runs"), tag=task.curve_tag)
    controls = {"best constant answer": constant, "after, images shuffled": shuffled["metric_pct"]}
    if wrong is not None:
        controls["after, read in the wrong frame"] = wrong
    evals = {
        "before": (0, before["metric_pct"]),
        "after SFT": (args.sft_steps, after_sft["metric_pct"]),
        "after GRPO": (args.sft_steps + args.grpo_steps, after["metric_pct"]),
    }
    scaled = task.curve_tag if task.curve_max == 1 else f"{task.curve_tag} / {task.curve_max:g}"
    png = plot_metric_curve(
        [(args.sft_steps + step, value / task.curve_max) for step, value in curve],
        evals,
        controls,
        os.path.join(work, "reward_curve.png"),
        title=f"CPU quickstart: tiny {args.model} — {task.name}",
        ylabel=f"{task.metric} (%)",
        curve_label=f"GRPO: {scaled} per step (train)",
    )
    result = {
        "task": task.description,
        "model": args.model,
        "before": before,
        "after_sft": after_sft,
        "after": after,
        "best_constant_pct": constant,
        "shuffled_images_pct": shuffled["metric_pct"],
        **({"wrong_frame_pct": wrong} if wrong is not None else {}),
        "grpo_train_curve": curve,
        "sft_loss_curve": read_reward_curve(os.path.join(sft_dir, "runs"), tag="train/loss"),
        "args": vars(args),
        "timings_s": timings,
        "seconds": round(time.time() - start, 1),
    }
    with open(os.path.join(work, "summary.json"), "w") as f:
        json.dump(result, f, indent=2)
    print(summary_table(result))
    print(f"[quickstart] {result['seconds']} s; {png}; VisualDL: visualdl --logdir {work}")
    return result
