"""The counting quickstart (the default task): a tiny random Qwen2-VL learns to count 1-3 objects (SFT cold start, then GRPO) on 2 cores.

    bash scripts/quickstart.sh                     (installs the package, then runs this module)
    python -m paddlemix.quickstart [--task counting] --workdir work_dirs/quickstart [--nproc 2] [--sft_steps 260] [--grpo_steps 400]

1. Copies the tiny random Qwen2-VL shipped with the package (`paddlemix/assets/tiny_qwen2_vl`: 2 layers,
   hidden 64, vision depth 2, a 448-token vocabulary; nothing pretrained).
2. Writes synthetic counting scenes: a 3x3 board of 28-px squares (one merged vision token each), one object
   in each of 1-3 distinct squares; training scenes and held-out eval scenes.
3. Evaluates it greedily with the runner of `eval/test_r1-v.py`, task `counting_direct` (the bare question,
   a one-token answer).
4. SFT cold start: `python -m paddle.distributed.launch ... python -m paddlemix.sft.train` (target: the bare
   number); evaluates again.
5. GRPO from the SFT model: `... python -m paddlemix.rl.grpo.train` (reward `accuracy`); evaluates again, and
   on the same questions with the images shuffled among them (the answers must depend on the image).
6. Writes `reward_curve.png` (accuracy along the run), `summary.json` and the before/after table; VisualDL
   logs under <workdir>/sft/runs and <workdir>/train/runs.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import time

from paddlemix.quickstart.pipeline import (
    TASKS,
    copy_tiny_model,
    launch_command,
    read_reward_curve,
    run,
)

EVAL_SET = "superclevr_test200_counting_problems"
REWARDS = ("accuracy",)
TASK = "counting_direct"  # counting, prompted with the bare question and answered with the bare number


def write_data(out_dir: str, n_train: int, n_eval: int, max_items: int, seed: int = 0, grid: int = 3) -> str:
    """Synthetic counting scenes of 1..max_items objects on a grid x grid board, under out_dir/Counting; returns it."""
    from paddlemix.datasets.synthetic import write_counting_layout

    return write_counting_layout(
        out_dir, n=n_train, n_eval=n_eval, seed=seed, min_items=1, max_items=max_items, grid=grid
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

    The prompt is the training one (task `counting_direct`, the training question), not R1-V's counting-eval
    template. Returns `accuracy_pct` (the eval's accuracy, %) and the mean of each training reward and their sum.
    """
    from paddlemix.datasets.eval_sets import load_r1v_eval
    from paddlemix.datasets.images import SkippedImages, filter_samples
    from paddlemix.datasets.synthetic.counting import TRAIN_QUESTION
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
    # The training question, not SuperCLEVR's "How many different items ...": a model trained from scratch on
    # one wording does not transfer to another, and that is not what the quickstart measures.
    task = EvalTask(
        score_task="counting",
        messages=lambda s: sample_messages({**s, "task": TASK, "problem": TRAIN_QUESTION}, "train"),
        record=r1v.record,
    )
    header = run_header(cfg, model, processor, path, task=TASK, prompt="train")
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
    return {
        "metric": "accuracy",
        "metric_pct": float(data["accuracy"]),
        "accuracy_pct": float(data["accuracy"]),
        **scores,
    }


def sft_command(model_dir: str, dataset: str, out_dir: str, args) -> list[str]:
    """The launch command of the SFT cold start: the bare answer ("2") as target, cosine schedule."""
    flags = {
        "model_name_or_path": model_dir,
        "dataset_name": dataset,
        "task": TASK,
        "output_dir": out_dir,
        "run_name": "quickstart_sft",
        "max_steps": args.sft_steps,
        "per_device_train_batch_size": args.sft_batch_size,
        "learning_rate": args.sft_learning_rate,
        "lr_scheduler_type": "cosine",
        "warmup_ratio": 0.05,
        "target_format": "answer",
        "report_to": "visualdl",
        "save_strategy": "no",
        "disable_tqdm": True,
        "seed": args.seed,
    }
    return launch_command("paddlemix.sft.train", flags, out_dir, args.nproc)


def grpo_command(model_dir: str, dataset: str, out_dir: str, args) -> list[str]:
    """The launch command of the GRPO run (one-token completions, reward `accuracy`)."""
    flags = {
        "model_name_or_path": model_dir,
        "dataset_name": dataset,
        "task": TASK,
        "output_dir": out_dir,
        "run_name": "quickstart",
        "max_steps": args.grpo_steps,
        "num_generations": args.num_generations,
        "beta": args.beta,
        "max_completion_length": 1,
        "per_device_train_batch_size": args.grpo_batch_size,
        "learning_rate": args.learning_rate,
        "reward_funcs": ",".join(REWARDS),
        "report_to": "visualdl",
        "save_strategy": "no",
        "disable_tqdm": True,
        "seed": args.seed,
    }
    return launch_command("paddlemix.rl.grpo.train", flags, out_dir, args.nproc)


def eval_counts(counting_dir: str) -> list[int]:
    """The ground-truth counts of the held-out eval scenes."""
    with open(os.path.join(counting_dir, EVAL_SET + ".jsonl")) as f:
        return [int(json.loads(line)["ground_truth"]) for line in f if line.strip()]


def best_constant_pct(counts: list[int]) -> float:
    """Accuracy (%) of always giving the most frequent answer of the eval set."""
    return 100.0 * max(counts.count(c) for c in set(counts)) / len(counts)


def shuffled_copy(counting_dir: str, out_dir: str, seed: int) -> str:
    """A copy of the eval set whose images are permuted among its questions; returns its data root."""
    with open(os.path.join(counting_dir, EVAL_SET + ".jsonl")) as f:
        records = [json.loads(line) for line in f if line.strip()]
    paths = [r["image_path"] for r in records]
    random.Random(seed).shuffle(paths)
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, EVAL_SET + ".jsonl"), "w") as f:
        for record, path in zip(records, paths):
            f.write(json.dumps({**record, "image_path": path}) + "\n")
    link = os.path.join(out_dir, "superclevr_200")
    if not os.path.exists(link):
        os.symlink(os.path.join(counting_dir, "superclevr_200"), link)
    return out_dir


def plot_curve(
    curve: list[tuple[int, float]], evals: dict[str, tuple[int, float]], best_constant: float, path: str
) -> str:
    """Accuracy (%) along the run: GRPO's sampled training accuracy and the held-out evals; returns the PNG path."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4))
    if curve:
        steps = [s for s, _ in curve]
        values = [100 * v for _, v in curve]
        window = [values[max(0, i - 9) : i + 1] for i in range(len(values))]
        ax.plot(
            steps, values, ".", alpha=0.25, color="tab:blue", label="GRPO: sampled accuracy per step (train)"
        )
        ax.plot(steps, [sum(w) / len(w) for w in window], "-", color="tab:blue", label="10-step mean")
    for label, (step, value) in evals.items():
        ax.plot([step], [value], "o", markersize=9, label=f"held-out eval {label}: {value:.1f}%")
    ax.axhline(
        best_constant, linestyle="--", color="gray", label=f"best constant answer: {best_constant:.1f}%"
    )
    ax.set_xlabel("training step (SFT, then GRPO)")
    ax.set_ylabel("accuracy (%)")
    ax.set_ylim(0, 100)
    ax.set_title("CPU quickstart: tiny Qwen2-VL counts 1-3 objects")
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def summary(result: dict) -> str:
    """The before/after table printed at the end."""
    rows = [
        ("before training", result["before"]["accuracy_pct"]),
        ("after SFT (cold start)", result["after_sft"]["accuracy_pct"]),
        ("after SFT + GRPO", result["after"]["accuracy_pct"]),
        ("best constant answer", result["best_constant_pct"]),
        ("after, images shuffled", result["shuffled_images_pct"]),
    ]
    lines = [f"{'held-out accuracy (%)':32s}{'':>8s}"] + [f"{name:32s}{value:8.1f}" for name, value in rows]
    return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The quickstart's flags (defaults: the measured recipe of the README)."""
    p = argparse.ArgumentParser(prog="python -m paddlemix.quickstart", description=__doc__.splitlines()[0])
    # `python -m paddlemix.quickstart` reads --task before this parser; it is listed so --help names it.
    p.add_argument(
        "--task",
        default="counting",
        help=f"counting (this help), {', '.join(TASKS[1:])} (--task T --help: that task's flags)",
    )
    p.add_argument("--workdir", default="work_dirs/quickstart")
    p.add_argument("--nproc", type=int, default=2, help="training processes (paddle.distributed.launch)")
    p.add_argument("--n_train", type=int, default=5000)
    p.add_argument("--n_eval", type=int, default=150)
    p.add_argument(
        "--grid", type=int, default=3, help="scenes are grid x grid squares of 28 px (one token each)"
    )
    p.add_argument("--max_items", type=int, default=3, help="scenes hold 1..max_items objects")
    p.add_argument("--sft_steps", type=int, default=260)
    p.add_argument("--sft_batch_size", type=int, default=4, help="per process")
    p.add_argument("--sft_learning_rate", type=float, default=3e-3)
    p.add_argument("--grpo_steps", type=int, default=1500)
    p.add_argument("--grpo_batch_size", type=int, default=2, help="prompts per process")
    p.add_argument("--learning_rate", type=float, default=3e-4, help="GRPO's")
    p.add_argument("--num_generations", type=int, default=8)
    p.add_argument("--beta", type=float, default=0.04)
    p.add_argument("--seed", type=int, default=0)
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> dict:
    """Run the whole quickstart; returns the figures (also written to workdir/summary.json)."""
    args = parse_args(argv)

    start = time.time()
    work = os.path.abspath(args.workdir)
    if os.path.isdir(work):
        shutil.rmtree(work)
    os.environ.setdefault("PADDLEMIX_DATA_CACHE", os.path.join(work, "image_cache"))
    model = copy_tiny_model(os.path.join(work, "model"))
    counting = write_data(
        os.path.join(work, "data"), args.n_train, args.n_eval, args.max_items, args.seed, args.grid
    )
    dataset = os.path.join(counting, "clevr_cogen_a_train")
    print(f"[quickstart] tiny model in {model}; synthetic counting data in {counting}", flush=True)

    before = evaluate(model, counting, os.path.join(work, "eval_before"), max_new_tokens=1)
    print(f"[quickstart] before training: {before}", flush=True)
    sft_dir = os.path.join(work, "sft")
    run(sft_command(model, dataset, sft_dir, args), sft_dir, "SFT cold start")
    after_sft = evaluate(sft_dir, counting, os.path.join(work, "eval_after_sft"), max_new_tokens=1)
    print(f"[quickstart] after SFT: {after_sft}", flush=True)
    train_dir = os.path.join(work, "train")
    run(grpo_command(sft_dir, dataset, train_dir, args), train_dir, "GRPO")
    after = evaluate(train_dir, counting, os.path.join(work, "eval_after"), max_new_tokens=1)
    shuffled_root = shuffled_copy(counting, os.path.join(work, "data_shuffled"), args.seed)
    shuffled = evaluate(train_dir, shuffled_root, os.path.join(work, "eval_shuffled"), max_new_tokens=1)

    constant = best_constant_pct(eval_counts(counting))
    curve = read_reward_curve(os.path.join(train_dir, "runs"), tag="train/rewards/accuracy")
    sft_loss = read_reward_curve(os.path.join(sft_dir, "runs"), tag="train/loss")
    evals = {
        "before": (0, before["accuracy_pct"]),
        "after SFT": (args.sft_steps, after_sft["accuracy_pct"]),
        "after GRPO": (args.sft_steps + args.grpo_steps, after["accuracy_pct"]),
    }
    shifted = [(args.sft_steps + step, value) for step, value in curve]
    png = plot_curve(shifted, evals, constant, os.path.join(work, "reward_curve.png"))
    result = {
        "task": f"count 1-{args.max_items} objects on a {args.grid}x{args.grid} grid of 28-px squares",
        "before": before,
        "after_sft": after_sft,
        "after": after,
        "best_constant_pct": constant,
        "shuffled_images_pct": shuffled["accuracy_pct"],
        "grpo_train_accuracy_curve": curve,
        "sft_loss_curve": sft_loss,
        "args": vars(args),
        "seconds": round(time.time() - start, 1),
    }
    with open(os.path.join(work, "summary.json"), "w") as f:
        json.dump(result, f, indent=2)
    print(summary(result))
    print(f"[quickstart] {result['seconds']} s; {png}; VisualDL: visualdl --logdir {work}")
    return result
