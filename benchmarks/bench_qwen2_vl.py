"""CPU speed of paddlemix's Qwen2-VL / Qwen2.5-VL against transformers: prefill, greedy decoding, G rollouts.

    python benchmarks/bench_qwen2_vl.py [--model-type qwen2_vl|qwen2_5_vl] [--layers 4 --hidden 512 ...]

One small random checkpoint is built in the hub layout with transformers in a temp dir (default: text 4 layers,
hidden 512, 8 heads of 64, 2 kv heads, SwiGLU 1376, vocab 2048, tied embeddings; vision depth 4, width 256,
Qwen2.5-VL with 112 px windows and full attention in its last block; one 448x448 image = 1024 patches = 256
image tokens) and loaded twice: transformers on torch float32 with its
default attention (sdpa), and paddlemix on paddle float32 (eager attention, the CPU backend). Both get the
same token ids and pixels. Every measurement is the median of `--repeats` runs after `--warmup` runs, with ours
and the reference alternating so that both see the same machine load:

1. forward: one prefill of prompt + image with full logits, in tokens/s (ratio ours/ref, > 1 means faster);
2. greedy: `generate` of exactly `--new-tokens` tokens for one prompt, in new tokens/s (ratio ours/ref);
3. rollouts: `generate(num_return_sequences=G, do_sample=True)`, wall time (speedup ref/ours).

The eos id is -1, which no sampler can produce, so both libraries always decode exactly `--new-tokens` tokens;
sampling is plain temperature 1.0 (no top-k/top-p) on both sides. transformers gets `--threads` CPU threads
(default: all cores). Paddle gets what `import paddlemix` chose (`paddlemix/paddle_setup.py`: the usable cores,
or OMP_NUM_THREADS / PADDLEMIX_NUM_THREADS when set) unless `--paddle-threads` says otherwise; Paddle alone would
use 1. The report names both settings. Issue 8's figures, at the published 2B text widths:

    python benchmarks/bench_qwen2_vl.py --layers 2 --hidden 1536 --heads 12 --kv-heads 2 --intermediate 8960 \
        --vocab 151936 --vision-depth 2 --vision-width 1280 --threads 2 [--paddle-threads 1]

On AMD CPUs the MKL that Paddle bundles (2019) takes a generic, ~3x slower GEMM path unless the process runs
with MKL_DEBUG_CPU_TYPE=5; the script says so when it applies, and honours the variable when it is set.
`--profile forward|greedy|rollouts` adds Paddle's per-operator time table for one such run of ours.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time

import numpy as np
import paddle
import paddle.profiler
import torch
import transformers
from PIL import Image
from transformers.models.qwen2_vl.image_processing_pil_qwen2_vl import Qwen2VLImageProcessorPil

import paddlemix
from paddlemix.models import AutoModelForConditionalGeneration
from paddlemix.testing.tiny_models import tiny_config_dict
from paddlemix.testing.tiny_qwen3_vl import QWEN3_VL_CHAT_TEMPLATE, qwen3_vl_preprocessor_config
from paddlemix.testing.tiny_tokenizer import build_tiny_tokenizer

HF_CLASSES = {
    "qwen2_vl": (transformers.Qwen2VLConfig, transformers.Qwen2VLForConditionalGeneration),
    "qwen2_5_vl": (transformers.Qwen2_5_VLConfig, transformers.Qwen2_5_VLForConditionalGeneration),
    "qwen3_vl": (transformers.Qwen3VLConfig, transformers.Qwen3VLForConditionalGeneration),
}
# An id outside the vocabulary: generation can never stop early, so both sides decode the same count.
NEVER_EOS = -1
# Paddle's OpenMP threads spin for up to 200 ms (KMP_BLOCKTIME) after a parallel region; without a pause they
# would take the cores from the transformers run that follows, which measured ~50% slower that way.
SETTLE_S = 0.3
UNSTABLE_SPREAD = 1.33
PROMPT = (
    "Describe this image in detail, then output the bounding box of the red car as a list of coordinates."
)


def parse_args(argv=None) -> argparse.Namespace:
    """Command-line options; the defaults keep one run under about three minutes on 2 cores."""
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--model-type", choices=sorted(HF_CLASSES), default="qwen2_vl")
    p.add_argument("--layers", type=int, default=4, help="text decoder layers")
    p.add_argument("--hidden", type=int, default=512, help="text hidden size")
    p.add_argument("--heads", type=int, default=8, help="text attention heads")
    p.add_argument("--kv-heads", type=int, default=2, help="text key/value heads")
    p.add_argument("--intermediate", type=int, default=1376, help="text SwiGLU width")
    p.add_argument(
        "--vocab", type=int, default=2048, help="vocabulary rows (the tokenizer uses the first 414)"
    )
    p.add_argument("--untied", action="store_true", help="separate lm_head instead of tied embeddings")
    p.add_argument("--vision-depth", type=int, default=4)
    p.add_argument("--vision-width", type=int, default=256, help="vision block width (heads of 64)")
    p.add_argument("--image-size", type=int, default=448, help="side of the square image, a multiple of 28")
    p.add_argument("--new-tokens", type=int, default=64)
    p.add_argument("--group", type=int, default=8, help="G, sampled rollouts per prompt")
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--threads", type=int, default=os.cpu_count(), help="CPU threads for torch")
    p.add_argument(
        "--paddle-threads",
        type=int,
        default=None,
        help="CPU threads for paddle (default: paddlemix's policy)",
    )
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--profile",
        choices=("forward", "greedy", "rollouts"),
        help="also print ours' per-operator times for one run",
    )
    return p.parse_args(argv)


def mrope_section(head_dim: int) -> list:
    """Split head_dim/2 rotary frequencies over (t, h, w) in the published 16:24:24 proportion."""
    half = head_dim // 2
    t = half // 4
    return [t, (half - t) // 2, half - t - (half - t) // 2]


def bench_config(args) -> dict:
    """The flat hub config.json of the benchmark checkpoint (token ids of the tiny tokenizer)."""
    head_dim = args.hidden // args.heads
    vision_heads = max(1, args.vision_width // 64)
    if args.model_type == "qwen2_vl":
        name = "qwen2_vl_tied"
        vision = {
            "depth": args.vision_depth,
            "embed_dim": args.vision_width,
            "hidden_size": args.hidden,
            "mlp_ratio": 4,
            "num_heads": vision_heads,
        }
    else:
        name = "qwen2_5_vl_tied"
        # Published ratios: SwiGLU 3420/1280 of the width; full attention in the last block of each group.
        vision = {
            "depth": args.vision_depth,
            "hidden_size": args.vision_width,
            "intermediate_size": args.vision_width * 3420 // 1280,
            "num_heads": vision_heads,
            "out_hidden_size": args.hidden,
            "window_size": 112,
            "fullatt_block_indexes": [args.vision_depth - 1],
        }
    cfg = tiny_config_dict(name)
    cfg.update(
        vocab_size=args.vocab,
        hidden_size=args.hidden,
        intermediate_size=args.intermediate,
        num_hidden_layers=args.layers,
        num_attention_heads=args.heads,
        num_key_value_heads=args.kv_heads,
        tie_word_embeddings=not args.untied,
        rope_scaling={"type": "mrope", "mrope_section": mrope_section(head_dim)},
    )
    cfg["vision_config"].update(vision)
    return cfg


def build_checkpoint(cfg: dict, out_dir: str, seed: int) -> None:
    """Write random transformers weights, the config (flat, or nested for Qwen3-VL) and the tiny tokenizer."""
    config_cls, model_cls = HF_CLASSES[cfg["model_type"]]
    kwargs = {k: v for k, v in cfg.items() if k not in ("architectures", "model_type", "torch_dtype")}
    torch.manual_seed(seed)
    model_cls(config_cls(**kwargs)).eval().save_pretrained(out_dir)
    with open(os.path.join(out_dir, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2, sort_keys=True)
    if cfg["model_type"] == "qwen3_vl":
        # Qwen3-VL's template (no default system turn) and image processor (patch 16, mean = std = 0.5).
        build_tiny_tokenizer(
            out_dir,
            chat_template=QWEN3_VL_CHAT_TEMPLATE,
            preprocessor_config=qwen3_vl_preprocessor_config(),
        )
        return
    # The default pixel budget (3136 .. 12845056) keeps a 448x448 image at its size.
    build_tiny_tokenizer(out_dir)


def make_inputs(ckpt: str, image_size: int, image_token_id: int, seed: int):
    """One chat prompt with one random image, as torch tensors for transformers and paddle tensors for ours."""
    tok = transformers.AutoTokenizer.from_pretrained(ckpt)
    images = Qwen2VLImageProcessorPil.from_pretrained(ckpt)
    with open(os.path.join(ckpt, "chat_template.json")) as f:
        template = json.load(f)["chat_template"]
    messages = [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": PROMPT}]}]
    text = tok.apply_chat_template(
        messages, chat_template=template, tokenize=False, add_generation_prompt=True
    )
    pixels = np.random.RandomState(seed).randint(0, 255, (image_size, image_size, 3), dtype=np.uint8)
    vision = images(images=[Image.fromarray(pixels)], return_tensors="pt")
    # transformers' AutoProcessor needs torchvision, so the image placeholder is expanded here, as it would.
    n_image_tokens = int(vision["image_grid_thw"][0].prod()) // images.merge_size**2
    text = text.replace("<|image_pad|>", "<|image_pad|>" * n_image_tokens)
    ref = {**tok([text], return_tensors="pt"), **vision}
    ref["mm_token_type_ids"] = (ref["input_ids"] == image_token_id).long()
    ours = {k: paddle.to_tensor(v.numpy()) for k, v in ref.items() if k != "mm_token_type_ids"}
    return ref, ours


def wall_times(fns: dict, warmup: int, repeats: int) -> dict:
    """Wall times in seconds of each callable over `repeats` runs, alternating between them on every repeat."""
    for fn in fns.values():
        for _ in range(warmup):
            fn()
            time.sleep(SETTLE_S)
    times = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            time.sleep(SETTLE_S)
            t0 = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t0)
    return times


def check_lengths(ref_shape, our_shape, rows: int, length: int) -> None:
    """Both libraries must have produced `rows` sequences of `length` ids, or the timings compare nothing."""
    for name, shape in (("transformers", tuple(ref_shape)), ("ours", tuple(our_shape))):
        if shape != (rows, length):
            raise RuntimeError(f"{name} generated shape {shape}, expected {(rows, length)}")


def amd_without_mkl_fix() -> bool:
    """True on an AMD CPU when MKL_DEBUG_CPU_TYPE is unset, i.e. when Paddle's MKL takes its slow path."""
    if "MKL_DEBUG_CPU_TYPE" in os.environ or not os.path.isfile("/proc/cpuinfo"):
        return False
    with open("/proc/cpuinfo") as f:
        return "AuthenticAMD" in f.read()


def profile_ours(name: str, fn) -> None:
    """Print Paddle's operator table (CPU time per op type) for one run of fn after one warmup run."""
    fn()
    # One profiler per process (Paddle's is a singleton); a no-op handler, as the default writes ./profiler_log.
    prof = paddle.profiler.Profiler(
        targets=[paddle.profiler.ProfilerTarget.CPU], on_trace_ready=lambda p: None
    )
    prof.start()
    fn()
    prof.stop()
    print(f"\n== ours, {name}: operators by total CPU time ==")
    prof.summary(
        sorted_by=paddle.profiler.SortedKeys.CPUTotal,
        op_detail=False,
        time_unit="ms",
        views=[paddle.profiler.SummaryView.OperatorView],
    )


def print_report(args, info: dict, fwd: dict, greedy: dict, rollouts: dict) -> None:
    """The setup in two lines, then one row per workload with the times and the ratio."""
    head_dim = args.hidden // args.heads
    T, G = args.new_tokens, args.group
    print(
        f"\n{args.model_type}: text {args.layers} layers x {args.hidden} ({args.heads} heads of {head_dim}, "
        f"{args.kv_heads} kv, SwiGLU {args.intermediate}, vocab {args.vocab}, "
        f"{'untied' if args.untied else 'tied'}, mrope {mrope_section(head_dim)}); vision {args.vision_depth} "
        f"blocks x {args.vision_width}; image {args.image_size}px = {info['patches']} patches"
    )
    print(
        f"prompt {info['seq']} tokens; float32; torch {args.threads} threads, paddle {info['paddle_threads']}; "
        f"transformers "
        f"{transformers.__version__} ({info['ref_attn']} attention) vs paddle {paddle.__version__} "
        f"({info['our_attn']} attention); MKL_DEBUG_CPU_TYPE={os.environ.get('MKL_DEBUG_CPU_TYPE', 'unset')}; "
        f"median of {args.repeats} after {args.warmup} warmup; greedy ids agree on {info['same']}/{T}"
    )
    rows = [
        ("forward, prefill + full logits", info["seq"], fwd, "ours/ref"),
        (f"greedy generate, 1 x {T}", T, greedy, "ours/ref"),
        (f"sampled generate, G={G} x {T}", G * T, rollouts, "ref/ours"),
    ]
    # Other jobs on a small machine inflate single runs; the best-of ratio shows how much that moved the median.
    print(
        f"\n{'workload':34s} {'ours tok/s':>11s} {'ref tok/s':>10s} {'ours s':>8s} {'ref s':>8s}  ratio (best-of)"
    )
    med = {}
    for name, tokens, times, label in rows:
        t = {k: statistics.median(v) for k, v in times.items()}
        best = min(times["ref"]) / min(times["ours"])
        med[name] = t
        # Repeats that differ by over a third mean another job took the cores for part of the run.
        unstable = max(max(v) / min(v) for v in times.values()) > UNSTABLE_SPREAD
        print(
            f"{name:34s} {tokens / t['ours']:11.0f} {tokens / t['ref']:10.0f} {t['ours']:8.3f} {t['ref']:8.3f}  "
            f"{label} = {t['ref'] / t['ours']:.2f} ({best:.2f}){'  unstable: rerun at low load' if unstable else ''}"
        )
    # A decode step's cost, net of the prefill: (greedy - forward) / (T - 1) steps.
    fwd_t, greedy_t = med[rows[0][0]], med[rows[1][0]]
    steps = {k: (greedy_t[k] - fwd_t[k]) / max(T - 1, 1) * 1e3 for k in ("ours", "ref")}
    print(
        f"\nper decode step, b=1 (greedy minus forward): ours {steps['ours']:.1f} ms, ref {steps['ref']:.1f} ms"
    )
    if amd_without_mkl_fix():
        print(
            "note: AMD CPU and MKL_DEBUG_CPU_TYPE unset: Paddle's bundled MKL runs its slow GEMM path here; "
            "rerun with MKL_DEBUG_CPU_TYPE=5 to see ours with fast GEMM"
        )


def run(args) -> None:
    """Build the checkpoint, load both models, time the three workloads and print the table."""
    torch.set_num_threads(args.threads)
    paddle_threads = f"{paddlemix.CPU_THREADS[0]} threads ({paddlemix.CPU_THREADS[1]})"
    if args.paddle_threads is not None:
        # Paddle has no public setter; this is the call that OMP_NUM_THREADS feeds at import.
        paddle.base.core.set_num_threads(args.paddle_threads)
        paddle_threads = f"{args.paddle_threads} threads (--paddle-threads)"
    transformers.logging.set_verbosity_error()  # the eos=-1 warning on every generate call
    transformers.utils.logging.disable_progress_bar()
    cfg = bench_config(args)
    with tempfile.TemporaryDirectory() as ckpt:
        build_checkpoint(cfg, ckpt, args.seed)
        ref_model = HF_CLASSES[args.model_type][1].from_pretrained(ckpt, dtype=torch.float32).eval()
        our_model = AutoModelForConditionalGeneration.from_pretrained(ckpt, dtype="float32")
        ref_in, our_in = make_inputs(ckpt, args.image_size, cfg["image_token_id"], args.seed)
    seq = ref_in["input_ids"].shape[1]
    T, G = args.new_tokens, args.group
    pad = cfg["pad_token_id"]

    @torch.no_grad()
    def ref_forward():
        return ref_model(**ref_in).logits.numpy()

    @paddle.no_grad()
    def our_forward():
        return our_model(**our_in).logits.numpy()

    @torch.no_grad()
    def ref_generate(sample: bool):
        return ref_model.generate(
            **ref_in,
            max_new_tokens=T,
            do_sample=sample,
            temperature=1.0,
            num_return_sequences=G if sample else 1,
            eos_token_id=NEVER_EOS,
            pad_token_id=pad,
        ).numpy()

    def our_generate(sample: bool):
        return our_model.generate(
            **our_in,
            max_new_tokens=T,
            do_sample=sample,
            temperature=1.0,
            num_return_sequences=G if sample else 1,
            eos_token_id=NEVER_EOS,
            pad_token_id=pad,
        ).numpy()

    torch.manual_seed(args.seed)
    paddle.seed(args.seed)
    greedy_ref, greedy_ours = ref_generate(False), our_generate(False)
    check_lengths(greedy_ref.shape, greedy_ours.shape, 1, seq + T)
    check_lengths(ref_generate(True).shape, our_generate(True).shape, G, seq + T)
    info = {
        "seq": seq,
        "patches": ref_in["pixel_values"].shape[0],
        "same": int((greedy_ref[0, seq:] == greedy_ours[0, seq:]).sum()),
        "ref_attn": ref_model.config._attn_implementation,
        "our_attn": our_model.config.attn_implementation,
        "paddle_threads": paddle_threads,
    }

    w, r = args.warmup, args.repeats
    fwd = wall_times({"ours": our_forward, "ref": ref_forward}, w, r)
    greedy = wall_times({"ours": lambda: our_generate(False), "ref": lambda: ref_generate(False)}, w, r)
    rollouts = wall_times({"ours": lambda: our_generate(True), "ref": lambda: ref_generate(True)}, w, r)
    print_report(args, info, fwd, greedy, rollouts)
    if args.profile:
        runs = {
            "forward": our_forward,
            "greedy": lambda: our_generate(False),
            "rollouts": lambda: our_generate(True),
        }
        profile_ours(args.profile, runs[args.profile])


def main(argv=None) -> None:
    """Entry point."""
    run(parse_args(argv))


if __name__ == "__main__":
    main()
