"""The CPU quickstart: a tiny Qwen2-VL learns, with the real GRPO trainer, in a few minutes on 2 cores.

    bash scripts/quickstart.sh                     (installs the package, then runs this module)
    python -m paddlemix.quickstart --workdir work_dirs/quickstart [--nproc 2] [--max_steps 300]

1. Copies the tiny random Qwen2-VL shipped with the package (`paddlemix/assets/tiny_qwen2_vl`: 2 layers,
   hidden 64, vision depth 2, a 448-token vocabulary).
2. Writes synthetic counting data of 1-4 objects: CLEVR-like training scenes, SuperCLEVR-like eval scenes.
3. Evaluates it with the runner of `eval/test_r1-v.py` (greedy, the training prompt, one-token answers) and
   scores the outputs with the training reward.
4. Trains it with `python -m paddle.distributed.launch --nproc_per_node N python -m paddlemix.rl.grpo.train`.
5. Evaluates the trained policy the same way, prints before/after, and writes `reward_curve.png` from the
   run's VisualDL scalars (`visualdl --logdir <workdir>/train/runs`).

The reward is `digit_share + accuracy`. A random 2-layer model never names the right count, so `accuracy`
alone would give GRPO nothing to work with; `digit_share` (paddlemix/rewards/shaping.py) is dense, and a
policy that answers in digits starts to hit the right count by chance. What rises is "answers with a digit", then
a constant answer that is right for one count's share of the scenes, not counting ability (README: quickstart).
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import shutil
import subprocess
import sys
import time
from importlib import resources

# Package data (setup.py's package_data), so that a non-editable install has it too.
TINY_MODEL = "tiny_qwen2_vl"  # under paddlemix/assets/
MODEL_FILES = (
    "config.json",
    "generation_config.json",
    "model.safetensors",
    "preprocessor_config.json",
    "chat_template.json",
    "tokenizer.json",
    "tokenizer_config.json",
)
EVAL_SET = "superclevr_test200_counting_problems"
REWARDS = ("digit_share", "accuracy")


def copy_tiny_model(out_dir: str) -> str:
    """Copy the tiny random Qwen2-VL checkpoint (hub layout) shipped with the package to out_dir; returns out_dir."""
    source = resources.files("paddlemix").joinpath("assets").joinpath(TINY_MODEL)
    os.makedirs(out_dir, exist_ok=True)
    for name in MODEL_FILES:
        with open(os.path.join(out_dir, name), "wb") as f:
            f.write(source.joinpath(name).read_bytes())
    return out_dir


def write_data(out_dir: str, n_train: int, n_eval: int, max_items: int, seed: int = 0) -> str:
    """Synthetic counting scenes of 1..max_items objects under out_dir/Counting; returns that folder."""
    from paddlemix.datasets.synthetic import write_counting_layout

    return write_counting_layout(
        out_dir, n=n_train, n_eval=n_eval, seed=seed, min_items=1, max_items=max_items
    )


def score_outputs(outputs: list[str], solutions: list) -> dict[str, float]:
    """Mean of each training reward, and of their sum, over greedy outputs and their solutions."""
    from paddlemix.rewards import get_reward

    sols = [f"<answer> {s} </answer>" for s in solutions]
    scores = {}
    for name in REWARDS:
        values = [
            v or 0.0 for v in get_reward(name)(outputs, solution=sols, task=["counting"] * len(outputs))
        ]
        scores[name] = sum(values) / len(values)
    scores["reward"] = sum(scores[n] for n in REWARDS)
    return scores


def evaluate(model_dir: str, counting_dir: str, out_dir: str, max_new_tokens: int) -> dict[str, float]:
    """Greedy eval on the held-out synthetic SuperCLEVR-like scenes, with the runner of `eval/test_r1-v.py`.

    The prompt is the training one (R1-V's template), not R1-V's counting-eval template: a tiny model trained
    for a few minutes on one prompt does not transfer to another, and that is not what the quickstart shows.
    Returns `accuracy_pct` (the eval's accuracy, %) and the mean of each training reward and their sum.
    """
    from paddlemix.datasets.eval_sets import load_r1v_eval
    from paddlemix.datasets.images import SkippedImages, filter_samples
    from paddlemix.evaluation import r1v
    from paddlemix.evaluation.runner import (
        EvalConfig,
        EvalTask,
        load_model_and_processor,
        results_path,
        run_header,
    )
    from paddlemix.evaluation.runner import evaluate as run_eval
    from paddlemix.tasks import sample_messages

    cfg = EvalConfig(
        model_name="tiny",
        model_path=model_dir,
        data_root=counting_dir,
        image_root=os.path.join(counting_dir, "superclevr_200"),
        test_datasets=[EVAL_SET],
        batch_size=16,
        sample_num=None,
        dtype="float32",
        max_new_tokens=max_new_tokens,
        output_dir=out_dir,
    )
    model, processor = load_model_and_processor(cfg)
    path = r1v.data_file(cfg, EVAL_SET)
    skipped = SkippedImages()
    samples = filter_samples(
        list(load_r1v_eval(cfg.data_root, EVAL_SET, cfg.image_root)), "exists", skipped, path
    )
    task = EvalTask(score_task="counting", messages=lambda s: sample_messages(s, "train"), record=r1v.record)
    header = run_header(cfg, model, processor, path, task="counting", prompt="train")
    data = run_eval(
        samples,
        task,
        model,
        processor,
        cfg,
        results_path(out_dir, r1v.PREFIX, EVAL_SET, cfg),
        header,
        skipped,
        EVAL_SET,
    )
    results = data["results"]
    scores = score_outputs([r["model_output"] for r in results], [r["ground_truth"] for r in results])
    return {"accuracy_pct": float(data["accuracy"]), **scores}


def train_command(
    model_dir: str,
    dataset: str,
    out_dir: str,
    nproc: int,
    max_steps: int,
    seed: int,
    lr: float,
    max_tokens: int,
    num_generations: int,
    beta: float,
) -> list[str]:
    """The launch command of the GRPO run."""
    flags = {
        "model_name_or_path": model_dir,
        "dataset_name": dataset,
        "output_dir": out_dir,
        "run_name": "quickstart",
        "max_steps": max_steps,
        "num_generations": num_generations,
        "beta": beta,
        "max_completion_length": max_tokens,
        "per_device_train_batch_size": 2,
        "learning_rate": lr,
        "reward_funcs": ",".join(REWARDS),
        "report_to": "visualdl",
        "save_strategy": "no",
        "disable_tqdm": True,
        "seed": seed,
    }
    argv = [sys.executable, "-m", "paddle.distributed.launch", "--nproc_per_node", str(nproc)]
    argv += ["--log_dir", os.path.join(out_dir, "paddle_distributed_logs")]
    argv += [sys.executable, "-m", "paddlemix.rl.grpo.train"]
    for key, value in flags.items():
        argv += [f"--{key}", str(value)]
    return argv


def read_reward_curve(logdir: str, tag: str = "train/reward") -> list[tuple[int, float]]:
    """(step, value) pairs of a VisualDL scalar written under logdir."""
    from visualdl import LogReader

    points = []
    for path in sorted(glob.glob(os.path.join(logdir, "**", "vdlrecords.*.log"), recursive=True)):
        reader = LogReader(file_path=path)
        if tag in reader.get_tags().get("scalar", []):
            points += [(int(r.id), float(r.value)) for r in reader.get_data("scalar", tag)]
    return sorted(points)


def plot_curve(points: list[tuple[int, float]], path: str) -> str:
    """Write the reward curve (and a 5-step moving mean) to a PNG; returns its path."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    steps = [s for s, _ in points]
    values = [v for _, v in points]
    smooth = [
        sum(values[max(0, i - 4) : i + 1]) / len(values[max(0, i - 4) : i + 1]) for i in range(len(values))
    ]
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.plot(steps, values, "o-", alpha=0.4, label="mean reward per step")
    ax.plot(steps, smooth, "-", linewidth=2, label="5-step mean")
    ax.set_xlabel("GRPO step")
    ax.set_ylabel(" + ".join(REWARDS))
    ax.set_title("CPU quickstart: tiny Qwen2-VL, synthetic counting")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def summary(before: dict, after: dict, curve: list[tuple[int, float]]) -> str:
    """The before/after table printed at the end."""
    first = [v for _, v in curve[:5]]
    last = [v for _, v in curve[-5:]]
    lines = [
        f"{'':28s}{'before':>10s}{'after':>10s}",
        f"{'eval accuracy (%)':28s}{before['accuracy_pct']:10.1f}{after['accuracy_pct']:10.1f}",
    ]
    for name in (*REWARDS, "reward"):
        lines.append(f"{'eval mean ' + name:28s}{before[name]:10.3f}{after[name]:10.3f}")
    if first and last:
        lines.append(
            f"{'train reward, steps 1-5 / last 5':28s}{sum(first) / len(first):10.3f}{sum(last) / len(last):10.3f}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict:
    """Run the whole quickstart; returns the before/after figures (also written to workdir/summary.json)."""
    p = argparse.ArgumentParser(prog="python -m paddlemix.quickstart", description=__doc__.splitlines()[0])
    p.add_argument("--workdir", default="work_dirs/quickstart")
    p.add_argument("--nproc", type=int, default=2, help="training processes (paddle.distributed.launch)")
    p.add_argument("--max_steps", type=int, default=300)
    p.add_argument("--n_train", type=int, default=256)
    p.add_argument("--n_eval", type=int, default=64)
    p.add_argument("--max_items", type=int, default=4, help="scenes hold 1..max_items objects")
    p.add_argument("--learning_rate", type=float, default=3e-3)
    p.add_argument("--max_tokens", type=int, default=1, help="completion length: 1 token is one digit")
    p.add_argument("--num_generations", type=int, default=8)
    p.add_argument("--beta", type=float, default=0.04)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)

    start = time.time()
    work = os.path.abspath(args.workdir)
    if os.path.isdir(work):
        shutil.rmtree(work)
    os.environ.setdefault("PADDLEMIX_DATA_CACHE", os.path.join(work, "image_cache"))
    model = copy_tiny_model(os.path.join(work, "model"))
    counting = write_data(os.path.join(work, "data"), args.n_train, args.n_eval, args.max_items, args.seed)
    print(f"[quickstart] tiny model in {model}; synthetic counting data in {counting}", flush=True)

    before = evaluate(model, counting, os.path.join(work, "eval_before"), max_new_tokens=args.max_tokens)
    print(f"[quickstart] before training: {before}", flush=True)

    train_dir = os.path.join(work, "train")
    dataset = os.path.join(counting, "clevr_cogen_a_train")
    cmd = train_command(
        model,
        dataset,
        train_dir,
        args.nproc,
        args.max_steps,
        args.seed,
        args.learning_rate,
        args.max_tokens,
        args.num_generations,
        args.beta,
    )
    print("[quickstart] training:", " ".join(cmd), flush=True)
    done = subprocess.run(cmd)
    if done.returncode != 0:
        logs = os.path.join(train_dir, "paddle_distributed_logs")
        raise SystemExit(f"[quickstart] training failed (exit {done.returncode}); see {logs}/workerlog.*")

    after = evaluate(train_dir, counting, os.path.join(work, "eval_after"), max_new_tokens=args.max_tokens)
    curve = read_reward_curve(os.path.join(train_dir, "runs"))
    png = plot_curve(curve, os.path.join(work, "reward_curve.png"))
    result = {
        "before": before,
        "after": after,
        "reward_curve": curve,
        "seconds": round(time.time() - start, 1),
    }
    with open(os.path.join(work, "summary.json"), "w") as f:
        json.dump(result, f, indent=2)
    print(summary(before, after, curve))
    print(f"[quickstart] {result['seconds']} s; {png}; VisualDL: visualdl --logdir {train_dir}/runs")
    return result


if __name__ == "__main__":
    main()
