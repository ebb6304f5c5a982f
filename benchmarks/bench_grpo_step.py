"""Time of one GRPO step on CPU, split into its parts, and beside it the same step in trl when trl is installed.

    python benchmarks/bench_grpo_step.py [--model DIR] [--steps 5] [--generations 8] [--prompts 2] [--length 64]
                                         [--threads N] [--no-trl]

Ours: `GRPOTrainer` on the bundled tiny random Qwen2-VL (or `--model DIR`), synthetic counting scenes, G
completions for each of `--prompts` prompts per step, at most `--length` tokens each, β = 0.04 (so a reference
forward runs), float32. After one warm-up step, the mean over `--steps` steps is printed per part:

    data        load + preprocess the step's images and prompts
    generation  G sampled completions per prompt (prefill once, KV cache copied G times)
    rewards     the reward functions
    reference   the frozen reference's forward over the completions (and the old policy's when μ > 1)
    policy      the policy's forward + backward over the completions
    optimizer   gradient sync, clipping, AdamW

trl (`trl.GRPOTrainer` on transformers/torch, CPU) runs the same model files, images, prompt, G, batch,
length, β, learning rate and reward (completion length in characters, so both sides score alike); trl does
not expose its split, so only its step time is compared (medians, as an occasional step of either side can
take several times its usual time), also per completion token since completion lengths are random.
Both frameworks get `--threads` threads. Other jobs on the machine move these numbers by 2x; compare runs
made back to back.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import tempfile
import time

import paddle

from paddlemix.datasets import load_r1v
from paddlemix.datasets.synthetic import write_counting_layout
from paddlemix.rewards import register_reward
from paddlemix.rl.grpo.config import load_train_config
from paddlemix.rl.grpo.trainer import GRPOTrainer
from paddlemix.tasks.r1v import R1V_TEMPLATE

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PARTS = [
    ("data", "time/data"),
    ("generation", "time/generation"),
    ("rewards", "time/rewards"),
    ("reference", "time/reference"),
    ("policy fwd+bwd", "time/update"),
    ("optimizer", "time/optimizer"),
]


def length_reward(completions, **_):
    """Completion length in characters: cheap, and the same on both sides."""
    return [float(len(c if isinstance(c, str) else c[0]["content"])) for c in completions]


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--model", default=os.path.join(REPO, "tests", "fixtures", "models", "qwen2_vl_tied"))
    p.add_argument("--steps", type=int, default=5, help="measured steps (after one warm-up step)")
    p.add_argument("--generations", type=int, default=8)
    p.add_argument("--prompts", type=int, default=2, help="prompts per step")
    p.add_argument("--length", type=int, default=64, help="max completion tokens")
    p.add_argument("--threads", type=int, default=os.cpu_count())
    p.add_argument("--no-trl", action="store_true", help="skip the trl comparison")
    return p.parse_args()


def run_ours(args, data_dir: str, out_dir: str) -> dict:
    """Mean seconds per part and per step, and completion tokens per step, of our trainer."""
    register_reward("bench_length", length_reward)
    flags = {
        "model_name_or_path": args.model,
        "dataset_name": data_dir,
        "output_dir": out_dir,
        "max_steps": args.steps + 1,
        "num_generations": args.generations,
        "per_device_train_batch_size": args.prompts,
        "max_completion_length": args.length,
        "top_k": 0,
        "beta": 0.04,
        "learning_rate": 1e-5,
        "reward_funcs": "bench_length",
        "report_to": "none",
        "save_strategy": "no",
        "disable_tqdm": True,
    }
    argv = [x for k, v in flags.items() for x in (f"--{k}", str(v))]
    history = GRPOTrainer(load_train_config(argv)).train()[1:]
    result = {name: statistics.mean(h[key] for h in history) for name, key in PARTS}
    result["step"] = statistics.mean(h["time/step"] for h in history)
    result["steps"] = [h["time/step"] for h in history]
    result["tokens"] = statistics.mean(
        h["completion_length"] * args.generations * args.prompts for h in history
    )
    return result


def run_trl(args, data_dir: str, out_dir: str) -> dict:
    """Mean seconds per step and completion tokens per step of trl's GRPOTrainer on the same setup."""
    import torch
    from datasets import Dataset
    from transformers import TrainerCallback
    from trl import GRPOConfig
    from trl import GRPOTrainer as TrlGRPOTrainer

    from paddlemix.datasets import open_image
    from paddlemix.testing.hf_reference import load_reference_processor

    torch.set_num_threads(args.threads)
    samples = load_r1v(data_dir, task="counting")
    n = args.prompts * (args.steps + 1)
    rows = [samples[i % len(samples)] for i in range(n)]
    prompt = [
        {
            "role": "user",
            "content": [
                {"type": "image"},
                {"type": "text", "text": R1V_TEMPLATE.format(Question=rows[0]["problem"])},
            ],
        }
    ]
    dataset = Dataset.from_dict({"prompt": [prompt] * n, "image": [open_image(r["image"]) for r in rows]})
    times, tokens = [], []

    class Timer(TrainerCallback):
        def on_step_begin(self, *a, **k):
            self.start = time.perf_counter()

        def on_step_end(self, *a, **k):
            times.append(time.perf_counter() - self.start)

        def on_log(self, args_, state, control, logs=None, **k):
            if logs and "completions/mean_length" in logs:
                tokens.append(logs["completions/mean_length"] * args.generations * args.prompts)

    config = GRPOConfig(
        output_dir=out_dir,
        per_device_train_batch_size=args.generations * args.prompts,
        num_generations=args.generations,
        max_completion_length=args.length,
        max_steps=args.steps + 1,
        beta=0.04,
        learning_rate=1e-5,
        temperature=1.0,
        use_cpu=True,
        report_to="none",
        logging_steps=1,
        save_strategy="no",
        shuffle_dataset=False,
    )
    trainer = TrlGRPOTrainer(
        model=args.model,
        reward_funcs=length_reward,
        args=config,
        train_dataset=dataset,
        processing_class=load_reference_processor(args.model),
        callbacks=[Timer()],
    )
    trainer.train()
    return {"step": statistics.mean(times[1:]), "steps": times[1:], "tokens": statistics.mean(tokens[1:])}


def main():
    args = parse_args()
    paddle.base.core.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory() as tmp:
        os.environ.setdefault("PADDLEMIX_DATA_CACHE", os.path.join(tmp, "cache"))
        data_dir = os.path.join(write_counting_layout(tmp, n=16, n_eval=1), "clevr_cogen_a_train")
        ours = run_ours(args, data_dir, os.path.join(tmp, "ours"))
        have_trl = all(importlib.util.find_spec(m) for m in ("trl", "torch", "transformers", "datasets"))
        theirs = run_trl(args, data_dir, os.path.join(tmp, "trl")) if have_trl and not args.no_trl else None
    print(
        f"\nGRPO step, CPU float32, {args.threads} threads: {os.path.basename(os.path.normpath(args.model))}, "
        f"{args.prompts} prompts x G={args.generations}, <= {args.length} tokens, beta 0.04; "
        f"mean of {args.steps} steps after 1 warm-up"
    )
    print(f"{'part':16s} {'ms':>9s} {'share':>7s}")
    for name, _ in PARTS:
        print(f"{name:16s} {ours[name] * 1e3:9.1f} {ours[name] / ours['step']:7.1%}")
    other = ours["step"] - sum(ours[name] for name, _ in PARTS)
    print(f"{'other':16s} {other * 1e3:9.1f} {other / ours['step']:7.1%}")
    print(f"{'step (ours)':16s} {ours['step'] * 1e3:9.1f}   {_spread(ours)}")
    if theirs is None:
        reason = "--no-trl" if args.no_trl else "trl (with torch, transformers, datasets) is not installed"
        print(f"trl: not run ({reason})")
        return
    print(f"{'step (trl)':16s} {theirs['step'] * 1e3:9.1f}   {_spread(theirs)}")
    # Medians: a trl step now and then takes several times its usual time on this machine.
    ratio_time = statistics.median(theirs["steps"]) / statistics.median(ours["steps"])
    per_token = (theirs["tokens"] / statistics.median(theirs["steps"])) / (
        ours["tokens"] / statistics.median(ours["steps"])
    )
    print(
        f"ours vs trl (medians): {ratio_time:.2f}x faster per step, {1 / per_token:.2f}x per completion token"
    )


def _spread(result: dict) -> str:
    """Median and range of the step times, and completion tokens per second."""
    steps = result["steps"]
    return (
        f"median {statistics.median(steps) * 1e3:.0f} ms (min {min(steps) * 1e3:.0f}, max {max(steps) * 1e3:.0f}), "
        f"{result['tokens'] / result['step']:.0f} completion tokens/s"
    )


if __name__ == "__main__":
    main()
