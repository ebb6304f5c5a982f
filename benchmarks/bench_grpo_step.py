"""Time and peak memory of one GRPO step on CPU, split into its parts, beside the same step in trl when installed.

    python benchmarks/bench_grpo_step.py [--width tiny|2b] [--model DIR] [--steps 5] [--generations 8]
                                         [--prompts 2] [--length 64] [--threads 2] [--loss_type grpo]
                                         [--rollouts batched|per_prompt] [--no-trl]

Ours: `GRPOTrainer` on the bundled tiny random Qwen2-VL (or `--model DIR`), synthetic counting scenes, G
completions for each of `--prompts` prompts per step, at most `--length` tokens each, β = 0.04 (so a reference
forward runs), float32. After one warm-up step, `--steps` steps are measured; per part (means):

    data        load + preprocess the step's images and prompts
    generation  G sampled completions per prompt (prefill once, KV cache copied G times)
    rewards     the reward functions
    reference   the frozen reference's forward over the completions (and the old policy's when μ > 1)
    policy      the policy's forward + backward over the completions
    optimizer   gradient sync, clipping, AdamW

`--width 2b` instead builds a random Qwen2-VL with the published 2B layer widths (hidden 1536, 12 heads / 2 kv
heads, SwiGLU 8960, vision width 1280 with 16 heads), 2 text layers and 2 vision blocks, the real vocabulary
of 151,936 rows (tied), and the tiny tokenizer (ids it does not know decode to nothing on both sides), saved
as a temporary checkpoint that both sides load. Its eos is practically never sampled, so completions run to
`--length` tokens.

trl (`trl.GRPOTrainer` on transformers/torch, CPU) runs the same model files, images, prompts, G, batch,
length, β, learning rate and reward (completion length in characters, so both sides score alike); trl does
not expose its split, so only its step time is compared (medians, as an occasional step of either side can
take several times its usual time), also per completion token since completion lengths are random.

Both sides do the same work: float32 weights and math (trl's CPU defaults are bf16 autocast and gradient
checkpointing, both turned off here), no gradient checkpointing, the same `--loss_type`, β, ε, temperature
1.0, no top-k / top-p, G, prompts per step, completion length, learning rate, gradient clipping and threads.
Each side reports the settings its built trainer actually holds (`SETTINGS`), the script prints both, and it
refuses to compare (exit 1) when they differ. Our rollouts default to `--rollouts batched` (one generate
call per step for all prompts × G, as trl's); `per_prompt` is one call per prompt.
Each side runs in its own process with `--threads` math threads (OMP_NUM_THREADS and the framework's
setter). Peak memory is the process's peak resident set (VmHWM) over the measured steps, reset after the
warm-up step; the resident set before them (model, reference, optimizer state) is printed beside it.
Other jobs on the machine move these numbers by 2x; compare runs made back to back.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PARTS = [
    ("data", "time/data"),
    ("generation", "time/generation"),
    ("rewards", "time/rewards"),
    ("reference", "time/reference"),
    ("policy fwd+bwd", "time/update"),
    ("optimizer", "time/optimizer"),
]
# The published Qwen2-VL-2B widths (text and vision), at 2 layers / 2 blocks deep.
WIDTH_2B_TEXT = {
    "hidden_size": 1536,
    "intermediate_size": 8960,
    "num_attention_heads": 12,
    "num_key_value_heads": 2,
    "num_hidden_layers": 2,
    "vocab_size": 151936,
    "tie_word_embeddings": True,
    "rope_scaling": {"type": "mrope", "mrope_section": [16, 24, 24]},
}
WIDTH_2B_VISION = {"depth": 2, "embed_dim": 1280, "mlp_ratio": 4, "num_heads": 16, "hidden_size": 1536}
RESULT = "RESULT "


def length_reward(completions, **_):
    """Completion length in characters: cheap, and the same on both sides."""
    return [float(len(c if isinstance(c, str) else c[0]["content"])) for c in completions]


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--width", choices=("tiny", "2b"), default="tiny", help="model widths (see above)")
    p.add_argument("--model", default=None, help="checkpoint dir (default: the bundled tiny model)")
    p.add_argument("--steps", type=int, default=5, help="measured steps (after one warm-up step)")
    p.add_argument("--generations", type=int, default=8)
    p.add_argument("--prompts", type=int, default=2, help="prompts per step")
    p.add_argument("--length", type=int, default=64, help="max completion tokens")
    p.add_argument("--threads", type=int, default=2, help="math threads of each framework")
    p.add_argument("--loss_type", default="grpo", help="the loss aggregation, on both sides")
    p.add_argument("--rollouts", choices=("batched", "per_prompt"), default="batched", help="our rollouts")
    p.add_argument("--no-trl", action="store_true", help="skip the trl comparison")
    p.add_argument("--side", choices=("ours", "trl"), help=argparse.SUPPRESS)  # one side, in a subprocess
    p.add_argument("--data", help=argparse.SUPPRESS)
    return p.parse_args()


def reset_peak_memory() -> float:
    """Reset the process's peak resident set (Linux) and return the current resident set in MiB."""
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    return _status_mib("VmRSS")


def peak_memory() -> float:
    """The process's peak resident set in MiB since the last reset."""
    return _status_mib("VmHWM")


def _status_mib(field: str) -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"{field} not in /proc/self/status")


def build_2b_checkpoint(out_dir: str) -> str:
    """A random Qwen2-VL with the 2B widths (see the module docstring), written by transformers."""
    import torch
    import transformers

    from paddlemix.testing.tiny_models import tiny_config_dict
    from paddlemix.testing.tiny_tokenizer import build_tiny_tokenizer

    cfg = tiny_config_dict("qwen2_vl_tied")
    cfg.update(WIDTH_2B_TEXT)
    cfg["vision_config"].update(WIDTH_2B_VISION)
    kwargs = {k: v for k, v in cfg.items() if k not in ("architectures", "model_type", "torch_dtype")}
    torch.manual_seed(0)
    model = transformers.Qwen2VLForConditionalGeneration(transformers.Qwen2VLConfig(**kwargs))
    model.eval().save_pretrained(out_dir)
    with open(os.path.join(out_dir, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2, sort_keys=True)
    build_tiny_tokenizer(out_dir)
    return out_dir


def run_ours(args) -> dict:
    """Per-part and per-step seconds, completion tokens and peak memory of our trainer."""
    import paddle

    from paddlemix.rewards import register_reward
    from paddlemix.rl.grpo.config import load_train_config
    from paddlemix.rl.grpo.trainer import GRPOTrainer

    paddle.base.core.set_num_threads(args.threads)
    register_reward("bench_length", length_reward)
    flags = {
        "model_name_or_path": args.model,
        "dataset_name": args.data,
        "output_dir": os.path.join(os.path.dirname(args.data), "ours"),
        "max_steps": args.steps + 1,
        "num_generations": args.generations,
        "per_device_train_batch_size": args.prompts,
        "max_completion_length": args.length,
        "top_k": 0,
        "top_p": 1.0,
        "temperature": 1.0,
        "loss_type": args.loss_type,
        "batched_rollouts": args.rollouts == "batched",
        "beta": 0.04,
        "learning_rate": 1e-5,
        "reward_funcs": "bench_length",
        "report_to": "none",
        "save_strategy": "no",
        "disable_tqdm": True,
    }
    argv = [x for k, v in flags.items() for x in (f"--{k}", str(v))]
    trainer = GRPOTrainer(load_train_config(argv))
    cfg, precision = trainer.cfg, trainer.precision
    g, t = cfg.grpo, cfg.trainer
    settings = {
        "dtype": precision.weights_dtype
        if precision.amp_dtype is None
        else f"{precision.amp_dtype} autocast",
        "param_dtype": str(next(iter(trainer.model.parameters())).dtype).replace("paddle.", ""),
        "gradient_checkpointing": bool(cfg.model.recompute),
        "threads": args.threads,
        "loss_type": g.loss_type,
        "beta": g.beta,
        "epsilon": g.epsilon,
        "num_iterations": g.num_iterations,
        "temperature": g.temperature,
        "top_k": g.top_k or 0,
        "top_p": g.top_p,
        "num_generations": g.num_generations,
        "prompts_per_step": trainer.prompts_per_batch,
        "max_completion_length": g.max_completion_length,
        "learning_rate": t.learning_rate,
        "max_grad_norm": t.max_grad_norm,
        "scale_rewards": g.scale_rewards,
    }
    trainer.train_step()  # warm-up
    before = reset_peak_memory()
    history = [trainer.train_step() for _ in range(args.steps)]
    result = {name: statistics.mean(h[key] for h in history) for name, key in PARTS}
    result["step"] = statistics.mean(h["time/step"] for h in history)
    result["steps"] = [h["time/step"] for h in history]
    result["tokens"] = statistics.mean(
        h["completion_length"] * args.generations * args.prompts for h in history
    )
    result.update(rss_before=before, peak=peak_memory(), settings=settings)
    return result


def run_trl(args) -> dict:
    """Per-step seconds, completion tokens and peak memory of trl's GRPOTrainer on the same setup."""
    import torch
    from datasets import Dataset
    from transformers import TrainerCallback
    from trl import GRPOConfig
    from trl import GRPOTrainer as TrlGRPOTrainer

    from paddlemix.datasets import load_r1v, open_image
    from paddlemix.tasks.r1v import R1V_TEMPLATE
    from paddlemix.testing.hf_reference import load_reference_processor

    torch.set_num_threads(args.threads)
    samples = load_r1v(args.data, task="counting")
    n = args.prompts * (args.steps + 1)
    rows = [samples[i % len(samples)] for i in range(n)]
    prompts = [
        [
            {
                "role": "user",
                "content": [
                    {"type": "image"},
                    {"type": "text", "text": R1V_TEMPLATE.format(Question=r["problem"])},
                ],
            }
        ]
        for r in rows
    ]
    dataset = Dataset.from_dict({"prompt": prompts, "image": [open_image(r["image"]) for r in rows]})
    times, tokens, memory = [], [], {}

    class Timer(TrainerCallback):
        def on_step_begin(self, *a, **k):
            if len(times) == 1:  # after the warm-up step
                memory["rss_before"] = reset_peak_memory()
            self.start = time.perf_counter()

        def on_step_end(self, *a, **k):
            times.append(time.perf_counter() - self.start)
            memory["peak"] = peak_memory()

        def on_log(self, args_, state, control, logs=None, **k):
            if logs and "completions/mean_length" in logs:
                tokens.append(logs["completions/mean_length"] * args.generations * args.prompts)

    config = GRPOConfig(
        output_dir=os.path.join(os.path.dirname(args.data), "trl"),
        per_device_train_batch_size=args.generations * args.prompts,
        num_generations=args.generations,
        max_completion_length=args.length,
        max_steps=args.steps + 1,
        beta=0.04,
        learning_rate=1e-5,
        temperature=1.0,
        top_k=0,
        top_p=1.0,
        loss_type=args.loss_type,
        bf16=False,
        fp16=False,
        gradient_checkpointing=False,
        model_init_kwargs={"dtype": torch.float32},
        use_cpu=True,
        report_to="none",
        logging_steps=1,
        save_strategy="no",
        shuffle_dataset=False,
        disable_tqdm=True,
    )
    trainer = TrlGRPOTrainer(
        model=args.model,
        reward_funcs=length_reward,
        args=config,
        train_dataset=dataset,
        processing_class=load_reference_processor(args.model),
        callbacks=[Timer()],
    )
    a = trainer.args
    autocast = "bf16 autocast" if a.bf16 else "fp16 autocast" if a.fp16 else None
    param_dtype = str(next(trainer.model.parameters()).dtype).replace("torch.", "")
    settings = {
        "dtype": autocast or param_dtype,
        "param_dtype": param_dtype,
        "gradient_checkpointing": bool(a.gradient_checkpointing or trainer.model.is_gradient_checkpointing),
        "threads": torch.get_num_threads(),
        "loss_type": trainer.loss_type,
        "beta": trainer.beta,
        "epsilon": a.epsilon,
        "num_iterations": a.num_iterations,
        "temperature": a.temperature,
        "top_k": a.top_k or 0,
        "top_p": a.top_p,
        "num_generations": a.num_generations,
        "prompts_per_step": a.per_device_train_batch_size
        * a.gradient_accumulation_steps
        // a.num_generations,
        "max_completion_length": a.max_completion_length,
        "learning_rate": a.learning_rate,
        "max_grad_norm": a.max_grad_norm,
        "scale_rewards": a.scale_rewards,
    }
    trainer.train()
    return {
        "settings": settings,
        "step": statistics.mean(times[1:]),
        "steps": times[1:],
        "tokens": statistics.mean(tokens[1:]),
        **memory,
    }


def run_side(args, side: str) -> dict:
    """Run one side in a fresh process with `--threads` threads; its result dict."""
    argv = [
        sys.executable,
        os.path.abspath(__file__),
        "--side",
        side,
        "--data",
        args.data,
        "--model",
        args.model,
    ]
    for flag in ("steps", "generations", "prompts", "length", "threads", "loss_type", "rollouts"):
        argv += [f"--{flag}", str(getattr(args, flag))]
    threads = str(args.threads)
    env = {
        **os.environ,
        "OMP_NUM_THREADS": threads,
        "MKL_NUM_THREADS": threads,
        "PADDLEMIX_NUM_THREADS": threads,
    }
    out = subprocess.run(argv, env=env, stdout=subprocess.PIPE, text=True, check=True).stdout
    lines = [line for line in out.splitlines() if line.startswith(RESULT)]
    return json.loads(lines[-1][len(RESULT) :])


def main():
    args = parse_args()
    if args.side:
        result = run_ours(args) if args.side == "ours" else run_trl(args)
        print(RESULT + json.dumps(result), flush=True)
        return
    from paddlemix.datasets.synthetic import write_counting_layout

    with tempfile.TemporaryDirectory() as tmp:
        os.environ.setdefault("PADDLEMIX_DATA_CACHE", os.path.join(tmp, "cache"))
        args.data = os.path.join(write_counting_layout(tmp, n=16, n_eval=1), "clevr_cogen_a_train")
        if args.model is None:
            default = os.path.join(REPO, "tests", "fixtures", "models", "qwen2_vl_tied")
            args.model = (
                build_2b_checkpoint(os.path.join(tmp, "qwen2_vl_2b_widths"))
                if args.width == "2b"
                else default
            )
        ours = run_side(args, "ours")
        have_trl = all(importlib.util.find_spec(m) for m in ("trl", "torch", "transformers", "datasets"))
        theirs = run_side(args, "trl") if have_trl and not args.no_trl else None
    report(args, ours, theirs, have_trl)


def compare_settings(ours: dict, theirs: dict) -> list[str]:
    """Print both sides' effective settings; the names of those that differ."""
    print(f"\n{'setting':24s} {'ours':>14s} {'trl':>14s}")
    differ = []
    for key in ours:
        mine, other = ours[key], theirs.get(key)
        same = mine == other or (
            isinstance(mine, float) and isinstance(other, float) and abs(mine - other) < 1e-12
        )
        differ += [] if same else [key]
        print(f"{key:24s} {str(mine):>14s} {str(other):>14s}{'' if same else '   <- differs'}")
    return differ


def report(args, ours: dict, theirs: dict | None, have_trl: bool) -> None:
    """Print the split of our step, both step times and peak memories, and the ratios."""
    model = "2B widths, 2 layers" if args.width == "2b" else os.path.basename(os.path.normpath(args.model))
    print(
        f"\nGRPO step, CPU float32, {args.threads} threads each: {model}, "
        f"{args.prompts} prompts x G={args.generations}, <= {args.length} tokens, beta 0.04, "
        f"loss_type {args.loss_type}, our rollouts {args.rollouts}; {args.steps} steps after 1 warm-up"
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
    differ = compare_settings(ours["settings"], theirs["settings"])
    if differ:
        print(f"refusing to compare: the sides differ in {', '.join(differ)}")
        sys.exit(1)
    print(f"{'step (trl)':16s} {theirs['step'] * 1e3:9.1f}   {_spread(theirs)}")
    # Medians: a trl step now and then takes several times its usual time on this machine.
    time_ratio = statistics.median(ours["steps"]) / statistics.median(theirs["steps"])
    token_ratio = (ours["tokens"] / theirs["tokens"]) / time_ratio
    print(
        f"ours / trl step time (medians): {time_ratio:.2f}x, i.e. {1 / time_ratio:.2f}x faster; "
        f"completion tokens per second {token_ratio:.2f}x trl's"
    )
    ratio = ours["peak"] / theirs["peak"]
    print(f"peak memory over the steps: ours {_memory(ours)}; trl {_memory(theirs)}; ours / trl {ratio:.2f}x")


def _memory(result: dict) -> str:
    """Peak resident set over the measured steps, and the resident set before them."""
    return f"{result['peak']:.0f} MiB (before the steps {result['rss_before']:.0f} MiB)"


def _spread(result: dict) -> str:
    """Median and range of the step times, and completion tokens per second."""
    steps = result["steps"]
    return (
        f"median {statistics.median(steps) * 1e3:.0f} ms (min {min(steps) * 1e3:.0f}, max {max(steps) * 1e3:.0f}), "
        f"{result['tokens'] / result['step']:.0f} completion tokens/s"
    )


if __name__ == "__main__":
    main()
