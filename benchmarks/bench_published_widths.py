"""CPU speed at the published Qwen2-VL-2B / Qwen2.5-VL-3B / Qwen3-VL-2B widths, ours against transformers.

    python benchmarks/bench_published_widths.py [--model 2b|3b|qwen3_vl_2b] [--threads 2] [--repeats 3] [--rows fwd,greedy,g8,b4g8]
                                               [--profile forward|greedy|g8]

The checkpoint has the published layer widths (2B: hidden 1536, 12 heads / 2 kv heads, SwiGLU 8960; 3B: hidden
2048, 16 / 2, SwiGLU 11008), the real vocabulary of 151,936 rows (tied), vision width 1280 with 16 heads (2B:
LayerNorm + QuickGELU MLP 5120; 3B: RMSNorm + SwiGLU 3420, 112 px windows), but only `--layers` text layers
and `--vision-depth` vision blocks (default 2 each), with random weights built by transformers. One 640x480
image (under the seed's max_pixels 401408: 34 x 46 = 1564 patches, 391 image tokens) in a chat prompt.
`qwen3_vl_2b` is Qwen3-VL-2B-Instruct's nested config (`paddlemix.diagnostics.subject`): text 2048, 16 heads /
8 kv heads of 128, q/k norms, SwiGLU 6144, interleaved M-RoPE; vision 1024 wide, 16 heads, GELU MLP 4096, patch
16 (32 px per merged token: the same image is 30 x 40 = 1200 patches, 300 image tokens), DeepStack on the
published blocks [5, 11, 17] that exist at the cut depth (else the last min(3, layers) blocks).

Rows, each timed `--repeats` times after one warmup, ours and transformers alternating on every repeat:

    forward   one prefill of the image prompt with logits at every position (ratio: ref time / our time)
    greedy    generate 64 new tokens greedily for one prompt
    g8        G=8 sampled rollouts x 64 tokens of one image prompt; transformers: generate(num_return_sequences=8)
    b4g8      B=4 image prompts (left-padded, 4 images) x G=8 rollouts x 64 tokens

eos is an id no sampler produces, so both sides decode exactly 64 tokens. Sampling is temperature 1.0 over the
full vocabulary (top_k=0, top_p=1.0 passed to both sides; each side's effective settings are printed). Ratios > 1 mean ours is faster; each
row shows the ratio of medians and of minima, and is marked unstable when the repeats of either side spread
by more than 15% (the machine is shared; the 1-minute load average is printed for every repeat). Both
frameworks run `--threads` math threads (default 2, Paddle's and torch's setter and OMP_NUM_THREADS). The
forward row also gives its FLOP rate (matmul FLOPs counted from the config) beside Paddle's own GEMM rate on
one (1024 x 1536) @ (1536 x 8960) matmul at the same thread count.
"""

from __future__ import annotations

import argparse
import functools
import os
import statistics
import sys
import tempfile
import time

THREADS_DEFAULT = 2
# Paddle reads OMP_NUM_THREADS when it starts; set it before the import so both setters agree.
os.environ.setdefault("OMP_NUM_THREADS", str(THREADS_DEFAULT))

import json  # noqa: E402
import subprocess  # noqa: E402

import numpy as np  # noqa: E402
import paddle  # noqa: E402
import torch  # noqa: E402
import transformers  # noqa: E402
from bench_qwen2_vl import HF_CLASSES, NEVER_EOS, SETTLE_S, build_checkpoint, profile_ours  # noqa: E402
from PIL import Image  # noqa: E402
from transformers.models.qwen2_vl.image_processing_pil_qwen2_vl import Qwen2VLImageProcessorPil  # noqa: E402

from paddlemix.diagnostics.subject import PUBLISHED_WIDTHS, random_config  # noqa: E402
from paddlemix.models import AutoModelForConditionalGeneration  # noqa: E402
from paddlemix.testing.tiny_models import tiny_config_dict  # noqa: E402

UNSTABLE_SPREAD = 1.15
PROMPTS = [
    "Describe this image in detail, then output the bounding box of the red car as a list of coordinates.",
    "How many people are in the picture?",
    "Output the bounding box of the dog.",
    "What is written on the sign in the top left corner of this photograph, and what colour is it?",
]
# Published widths (qwen_vl_facts.md); depth is cut to --layers / --vision-depth.
PRESETS = {
    "2b": {
        "model_type": "qwen2_vl",
        "text": {
            "hidden_size": 1536,
            "intermediate_size": 8960,
            "num_attention_heads": 12,
            "num_key_value_heads": 2,
        },
        "vision": {"embed_dim": 1280, "mlp_ratio": 4, "num_heads": 16, "hidden_size": 1536},
    },
    "3b": {
        "model_type": "qwen2_5_vl",
        "text": {
            "hidden_size": 2048,
            "intermediate_size": 11008,
            "num_attention_heads": 16,
            "num_key_value_heads": 2,
        },
        "vision": {
            "hidden_size": 1280,
            "intermediate_size": 3420,
            "num_heads": 16,
            "out_hidden_size": 2048,
            "window_size": 112,
        },
    },
    "qwen3_vl_2b": {"model_type": "qwen3_vl"},  # widths from paddlemix.diagnostics.subject.PUBLISHED_WIDTHS
}


def parse_args(argv=None) -> argparse.Namespace:
    """Command-line options."""
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--model", choices=sorted(PRESETS), default="2b")
    p.add_argument("--layers", type=int, default=2)
    p.add_argument("--vision-depth", type=int, default=2)
    p.add_argument("--width", type=int, default=640)
    p.add_argument("--height", type=int, default=480)
    p.add_argument("--new-tokens", type=int, default=64)
    p.add_argument("--group", type=int, default=8)
    p.add_argument("--batch", type=int, default=4, help="prompts of the b4g8 row")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--warmup", type=int, default=1, help="untimed runs of each side before the repeats")
    p.add_argument("--threads", type=int, default=THREADS_DEFAULT)
    p.add_argument("--rows", default="forward,greedy,g8,b4g8")
    p.add_argument("--no-ref", action="store_true", help="time ours only (for profiling levers)")
    p.add_argument("--profile", choices=("forward", "greedy", "g8"))
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--load-memory", action="store_true", help="also measure peak host memory while loading")
    p.add_argument("--measure-load", metavar="CKPT", help=argparse.SUPPRESS)  # the child of --load-memory
    p.add_argument("--measure-side", choices=("ours", "ref"), default="ours", help=argparse.SUPPRESS)
    return p.parse_args(argv)


def bench_config(args) -> dict:
    """The hub config.json: tiny-tokenizer ids, published widths, real vocabulary, cut depth."""
    preset = PRESETS[args.model]
    if preset["model_type"] == "qwen3_vl":
        cfg = random_config(args.model, layers=args.layers)
        depth = args.vision_depth
        published = PUBLISHED_WIDTHS[args.model][2]["deepstack_visual_indexes"]
        deepstack = [i for i in published if i < depth and i < args.layers]
        deepstack = deepstack or list(range(depth - min(3, args.layers, depth), depth))
        cfg["vision_config"].update(depth=depth, deepstack_visual_indexes=deepstack)
        return cfg
    cfg = tiny_config_dict(f"{preset['model_type']}_tied")
    head_dim = preset["text"]["hidden_size"] // preset["text"]["num_attention_heads"]
    cfg.update(
        vocab_size=151936,
        num_hidden_layers=args.layers,
        rope_scaling={"type": "mrope", "mrope_section": [16, 24, 24]},
        **preset["text"],
    )
    assert head_dim == 128
    cfg["vision_config"].update(depth=args.vision_depth, **preset["vision"])
    if preset["model_type"] == "qwen2_5_vl":
        cfg["vision_config"]["fullatt_block_indexes"] = [args.vision_depth - 1]
    return cfg


def make_inputs(ckpt: str, args, batch: int, image_token_id: int):
    """`batch` chat prompts (left-padded) with one random image each, as torch and as paddle tensors."""
    tok = transformers.AutoTokenizer.from_pretrained(ckpt)
    tok.padding_side = "left"
    images = Qwen2VLImageProcessorPil.from_pretrained(ckpt)
    with open(os.path.join(ckpt, "chat_template.json")) as f:
        template = json.load(f)["chat_template"]
    rng = np.random.RandomState(args.seed)
    pics = [
        Image.fromarray(rng.randint(0, 255, (args.height, args.width, 3), dtype=np.uint8))
        for _ in range(batch)
    ]
    vision = images(images=pics, return_tensors="pt")
    n_image_tokens = int(vision["image_grid_thw"][0].prod()) // images.merge_size**2
    if int(vision["image_grid_thw"][0].prod()) > 401408 // images.patch_size**2:
        raise ValueError("the image exceeds the seed's max_pixels 401408")
    texts = []
    for i in range(batch):
        messages = [
            {"role": "user", "content": [{"type": "image"}, {"type": "text", "text": PROMPTS[i % 4]}]}
        ]
        text = tok.apply_chat_template(
            messages, chat_template=template, tokenize=False, add_generation_prompt=True
        )
        texts.append(text.replace("<|image_pad|>", "<|image_pad|>" * n_image_tokens))
    ref = {**tok(texts, return_tensors="pt", padding=True), **vision}
    ref["mm_token_type_ids"] = (ref["input_ids"] == image_token_id).long()
    ours = {k: paddle.to_tensor(v.numpy()) for k, v in ref.items() if k != "mm_token_type_ids"}
    return ref, ours


def forward_flops(cfg: dict, seq: int, patches: int) -> float:
    """Matmul FLOPs of one prefill with full logits (2 per multiply-add); attention scores counted causally."""
    t = cfg.get("text_config", cfg)  # Qwen3-VL nests the text fields
    h, inter, nh, nkv = (
        t[k] for k in ("hidden_size", "intermediate_size", "num_attention_heads", "num_key_value_heads")
    )
    d = t.get("head_dim") or h // nh
    per_tok = 2 * (h * (nh + 2 * nkv) * d + nh * d * h + 3 * h * inter)
    text = t["num_hidden_layers"] * (seq * per_tok + 2 * nh * d * seq * seq)  # QK^T and PV, half masked
    logits = 2 * seq * h * t["vocab_size"]
    v = cfg["vision_config"]
    w = v.get("embed_dim", v["hidden_size"])
    if "mlp_ratio" in v:
        mlp = 2 * w * int(w * v["mlp_ratio"])
    elif cfg["model_type"] == "qwen3_vl":
        mlp = 2 * w * v["intermediate_size"]  # fc1 / fc2, no gate
    else:
        mlp = 3 * w * v["intermediate_size"]
    vis_tok = 2 * (4 * w * w + mlp)
    if "window_size" in v:
        win = (v["window_size"] // 14) ** 2
        full = len(v["fullatt_block_indexes"])
        att = full * 4 * patches * patches * w + (v["depth"] - full) * 4 * patches * win * w
    else:
        att = v["depth"] * 4 * patches * patches * w
    merged = patches // 4
    patch_values = (
        v.get("in_chans", v.get("in_channels", 3)) * v["temporal_patch_size"] * v["patch_size"] ** 2
    )
    vision = patches * 2 * patch_values * w + v["depth"] * patches * vis_tok + att
    mergers = 1 + len(v.get("deepstack_visual_indexes", []))  # DeepStack: one merger per listed block
    vision += mergers * 2 * merged * (4 * w * 4 * w + 4 * w * h)
    return float(text + logits + vision)


def sampling_settings(ref_model, kw: dict) -> str:
    """Both sides' effective sampling settings: what ours receives, and transformers' merged generation config."""
    merged, _ = ref_model._prepare_generation_config(None, **kw)
    ref = {k: getattr(merged, k) for k in ("temperature", "top_k", "top_p", "min_p", "repetition_penalty")}
    ours = {k: kw.get(k) for k in ("temperature", "top_k", "top_p")}
    return f"sampling: ours {ours} (no other filters) | transformers {ref}"


def profile_ref(name: str, fn) -> None:
    """Print torch's operator table (CPU time per op) for one run of fn after one warmup run."""
    fn()
    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]) as prof:
        fn()
    print(f"\n== transformers, {name}: operators by total CPU time ==")
    print(prof.key_averages().table(sort_by="cpu_time_total", row_limit=25))


def _rss_kb(field: str) -> int:
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith(field + ":"))


def measure_load(ckpt: str, side: str) -> None:
    """(In a fresh process) print the peak anonymous host memory added while loading `ckpt`, and its weight bytes.

    RssAnon is sampled every 2 ms by a thread: safetensors maps the file, and its page-cache pages (RssFile)
    count in VmRSS/VmHWM although the kernel can drop them, so the peak that matters is the anonymous one.
    """
    import threading

    weights = os.path.getsize(os.path.join(ckpt, "model.safetensors"))
    base, peak, stop = _rss_kb("RssAnon"), [0], threading.Event()

    def sample():
        while not stop.is_set():
            peak[0] = max(peak[0], _rss_kb("RssAnon"))
            time.sleep(0.002)

    watcher = threading.Thread(target=sample, daemon=True)
    watcher.start()
    if side == "ours":
        model = AutoModelForConditionalGeneration.from_pretrained(ckpt, dtype="float32")
    else:
        model_type = json.load(open(os.path.join(ckpt, "config.json")))["model_type"]
        model = HF_CLASSES[model_type][1].from_pretrained(ckpt, dtype=torch.float32)
    stop.set()
    watcher.join()
    peak, after = max(peak[0], _rss_kb("RssAnon")), _rss_kb("RssAnon")
    print(json.dumps({"weights": weights, "peak": (peak - base) * 1024, "after": (after - base) * 1024}))
    del model


def load_memory_rows(ckpt: str) -> list[str]:
    """Peak host memory while loading, ours (malloc policy on and off) and transformers, each in a fresh process."""
    rows = []
    for label, side, env in (
        ("ours", "ours", {}),
        ("ours, glibc malloc defaults", "ours", {"GLIBC_TUNABLES": ""}),
        ("transformers", "ref", {}),
    ):
        out = (
            subprocess.run(
                [sys.executable, os.path.abspath(__file__), "--measure-load", ckpt, "--measure-side", side],
                env={**os.environ, **env},
                capture_output=True,
                text=True,
                check=True,
            )
            .stdout.strip()
            .splitlines()[-1]
        )
        m = json.loads(out)
        rows.append(
            f"{'load ' + label:30s} peak anonymous +{m['peak'] / 2**20:7.0f} MB = {m['peak'] / m['weights']:.2f}x the weights "
            f"({m['weights'] / 2**20:.0f} MB); anonymous memory after load {m['after'] / m['weights']:.2f}x"
        )
    return rows


def gemm_rate(threads: int) -> float:
    """Paddle float32 GEMM GFLOP/s on (1024 x 1536) @ (1536 x 8960), best of 5."""
    a, b = paddle.randn([1024, 1536]), paddle.randn([1536, 8960])
    paddle.matmul(a, b)
    best = min(_time(lambda: paddle.matmul(a, b).numpy()) for _ in range(5))
    return 2 * 1024 * 1536 * 8960 / best / 1e9


def _time(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def alternate(fns: dict, repeats: int, warmup: int) -> tuple[dict, list]:
    """Times of each callable over `repeats` rounds after `warmup` rounds, alternating; and the load per round."""
    for _ in range(warmup):
        for fn in fns.values():
            fn()
            time.sleep(SETTLE_S)
    times, loads = {k: [] for k in fns}, []
    for _ in range(repeats):
        loads.append(os.getloadavg()[0])
        for name, fn in fns.items():
            time.sleep(SETTLE_S)
            times[name].append(_time(fn))
    return times, loads


def report_row(name: str, times: dict, loads: list) -> str:
    """One line: medians, minima, the ratio ref/ours of each, the spread, and the load seen."""
    ours = times["ours"]
    line = f"{name:30s} ours med {statistics.median(ours):7.3f}s min {min(ours):7.3f}s"
    spread = max(max(v) / min(v) for v in times.values())
    if "ref" in times:
        ref = times["ref"]
        line += (
            f" | ref med {statistics.median(ref):7.3f}s min {min(ref):7.3f}s"
            f" | ratio med {statistics.median(ref) / statistics.median(ours):5.2f}x min {min(ref) / min(ours):5.2f}x"
        )
    line += f" | spread {spread:4.2f} load {min(loads):.1f}-{max(loads):.1f}"
    return line + ("  UNSTABLE" if spread > UNSTABLE_SPREAD else "")


def run(args) -> None:
    """Build the checkpoint, load both models, time the rows, print the table."""
    torch.set_num_threads(args.threads)
    os.environ["OMP_NUM_THREADS"] = str(args.threads)
    paddle.base.core.set_num_threads(args.threads)
    transformers.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()
    cfg = bench_config(args)
    rows = [r for r in args.rows.split(",") if r]
    with tempfile.TemporaryDirectory() as ckpt:
        build_checkpoint(cfg, ckpt, args.seed)
        ref_model = None
        if not args.no_ref:
            ref_model = HF_CLASSES[cfg["model_type"]][1].from_pretrained(ckpt, dtype=torch.float32).eval()
        our_model = AutoModelForConditionalGeneration.from_pretrained(ckpt, dtype="float32")
        ref1, ours1 = make_inputs(ckpt, args, 1, cfg["image_token_id"])
        refb, oursb = make_inputs(ckpt, args, args.batch, cfg["image_token_id"])
        memory = load_memory_rows(ckpt) if args.load_memory else []
    T, G = args.new_tokens, args.group
    text_cfg = cfg.get("text_config", cfg)
    pad_id = cfg.get("pad_token_id", text_cfg.get("pad_token_id"))
    seq, patches = ref1["input_ids"].shape[1], ref1["pixel_values"].shape[0]

    def gen_kwargs(sample, g):
        # Full vocabulary on both sides: transformers would otherwise take top_k from the generation config.
        full_vocab = dict(top_k=0, top_p=1.0) if sample else {}
        return dict(
            max_new_tokens=T,
            do_sample=sample,
            temperature=1.0,
            **full_vocab,
            num_return_sequences=g,
            eos_token_id=NEVER_EOS,
            pad_token_id=pad_id,
        )

    @torch.no_grad()
    def ref_fn(inputs, **kw):
        return ref_model.generate(**inputs, **kw).numpy() if kw else ref_model(**inputs).logits.numpy()

    @paddle.no_grad()
    def our_fn(inputs, **kw):
        return our_model.generate(**inputs, **kw).numpy() if kw else our_model(**inputs).logits.numpy()

    work = {
        "forward": (ours1, ref1, {}),
        "greedy": (ours1, ref1, gen_kwargs(False, 1)),
        "g8": (ours1, ref1, gen_kwargs(True, G)),
        "b4g8": (oursb, refb, gen_kwargs(True, G)),
    }
    labels = {
        "forward": f"forward, {seq} tok + logits",
        "greedy": f"greedy 1 x {T}",
        "g8": f"sampled G={G} x {T}",
        "b4g8": f"sampled B={args.batch} x G={G} x {T}",
    }
    if "greedy" in rows and not args.no_ref:
        a, b = our_fn(ours1, **gen_kwargs(False, 1)), ref_fn(ref1, **gen_kwargs(False, 1))
        same = int((a[0, seq:] == b[0, seq:]).sum())
        print(f"greedy ids agree with transformers on {same}/{T}")
    vis = cfg["vision_config"]
    print(
        f"{args.model} widths ({cfg['model_type']}): text {args.layers} layers x {text_cfg['hidden_size']}, vision "
        f"{args.vision_depth} x {vis.get('embed_dim', vis['hidden_size'])}"
        f"{', deepstack ' + str(vis['deepstack_visual_indexes']) if 'deepstack_visual_indexes' in vis else ''}, "
        f"vocab {text_cfg['vocab_size']}; image {args.width}x{args.height} = {patches} "
        f"patches, prompt {seq} tokens (B={args.batch}: {refb['input_ids'].shape[1]}); float32; threads "
        f"paddle={args.threads} (OMP_NUM_THREADS={os.environ['OMP_NUM_THREADS']}) torch={torch.get_num_threads()}; "
        f"transformers {transformers.__version__} ({ref_model.config._attn_implementation if ref_model else '-'}) "
        f"vs paddle {paddle.__version__}; {args.repeats} repeats after {args.warmup} warmup; load before {os.getloadavg()}"
    )
    if ref_model is not None and any(work[r][2].get("do_sample") for r in rows):
        print(sampling_settings(ref_model, gen_kwargs(True, G)))
    sys.stdout.flush()
    for row in rows:
        ours_in, ref_in, kw = work[row]
        fns = {"ours": functools.partial(our_fn, ours_in, **kw)}
        if not args.no_ref:
            fns["ref"] = functools.partial(ref_fn, ref_in, **kw)
        times, loads = alternate(fns, args.repeats, args.warmup)
        print(report_row(labels[row], times, loads))
        if row == "forward":
            rate = forward_flops(cfg, seq, patches) / min(times["ours"]) / 1e9
            gemm = gemm_rate(args.threads)
            print(
                f"{'':30s} forward {forward_flops(cfg, seq, patches) / 1e9:.0f} GFLOP: ours {rate:.1f} GFLOP/s = "
                f"{rate / gemm:.0%} of Paddle's GEMM rate {gemm:.1f} GFLOP/s"
            )
        sys.stdout.flush()
    for line in memory:
        print(line)
    if args.profile:
        ours_in, ref_in, kw = work[args.profile]
        profile_ours(args.profile, lambda: our_fn(ours_in, **kw))
        if ref_model is not None:
            profile_ref(args.profile, lambda: ref_fn(ref_in, **kw))


def main(argv=None) -> None:
    """Entry point."""
    args = parse_args(argv)
    if args.measure_load:
        measure_load(args.measure_load, args.measure_side)
        return
    run(args)


if __name__ == "__main__":
    main()
