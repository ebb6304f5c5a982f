"""The preflight of an SFT run: its sequences against max_seq_length, its targets, and its memory budget.

An SFT sequence is the prompt (chat text, each `<|image_pad|>` replaced by the image's tokens after
smart_resize with the run's pixel budget), then the target `targets.render_target` writes, then `<|im_end|>`:
exactly what `SFTTrainer.sequences` trains on and drops when longer than max_seq_length (or when its prompt
is longer than max_prompt_length). Image sizes come from headers: no pixel is decoded.

A target that cannot be rendered (a `box` target for a sample without one box, `vision_r1_json` without a
detection solution) would stop the run at that sample; each is counted, and the table names the first three.

The budget is the GRPO one (`memory.budget`) with a batch of per_device_train_batch_size sequences of the
longest length and logits over the whole sequence; SFT has no rollouts, no KV cache and no reference model.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from paddlemix.image_files import image_size
from paddlemix.preflight.data_check import LARGE_IMAGE_BYTES, visual_tokens
from paddlemix.preflight.memory import GIB, RunShape, budget, trainable_parameters
from paddlemix.processors.image_processor import smart_resize
from paddlemix.sft.targets import render_target
from paddlemix.tasks import sample_messages


@dataclass
class SFTDataReport:
    """What the SFT data check found (see the module docstring)."""

    samples: int = 0
    unreadable: list[tuple[str, str]] = field(default_factory=list)  # (image, why)
    visual_tokens: list[int] = field(default_factory=list)  # per readable sample, all its images
    too_long: list[tuple[int, str]] = field(default_factory=list)  # (sequence tokens, source / image)
    longest: tuple[int, str] = (0, "")
    unrenderable: list[tuple[str, str]] = field(default_factory=list)  # (source / image, why)
    large: list[tuple[int, str]] = field(default_factory=list)  # (decoded bytes, image)
    largest_patches: int = 0


def _where(sample: dict, paths: list) -> str:
    return f"{sample.get('source') or ''} ({paths[-1]})".strip()


def check_sft_data(dataset, processor, cfg, frame=None, limit: int | None = None) -> SFTDataReport:
    """Check the first `limit` samples (all with None) of an SFT run (`cfg` an SFTConfig); `frame` for box targets."""
    ip, tok, s = processor.image_processor, processor.tokenizer, cfg.sft
    factor = ip.patch_size * ip.merge_size
    report = SFTDataReport()
    n = len(dataset) if limit is None else min(limit, len(dataset))
    for i in range(n):
        sample = dataset[i]
        report.samples += 1
        paths = sample.get("images") or [sample.get("image")]
        tokens, sizes = [], []
        for path in paths:
            try:
                sizes.append(image_size(path))
            except Exception as e:  # Pillow raises many types for damaged files; each is "unreadable"
                report.unreadable.append((str(path), f"{type(e).__name__}: {e}"))
                break
            count, patches = visual_tokens(sizes[-1], ip.min_pixels, ip.max_pixels, ip.merge_size, ip.patch_size)
            tokens.append(count)
            report.largest_patches = max(report.largest_patches, patches)
            if sizes[-1][0] * sizes[-1][1] * 3 > LARGE_IMAGE_BYTES:
                report.large.append((sizes[-1][0] * sizes[-1][1] * 3, str(path)))
        if len(sizes) < len(paths):
            continue
        report.visual_tokens.append(sum(tokens))
        where = _where(sample, paths)
        w, h = sizes[-1]  # the boxes of a multi-image sample are those of its last image, as in training
        input_size = smart_resize(h, w, factor=factor, min_pixels=ip.min_pixels, max_pixels=ip.max_pixels)
        try:
            target = render_target(sample, s.target_format, tuple(input_size), (w, h), frame)
        except (KeyError, ValueError, TypeError, IndexError) as e:
            report.unrenderable.append((where, f"{type(e).__name__}: {e}"[:200]))
            continue
        messages = sample["messages"] if s.conversations else sample_messages(sample, "train")
        text = processor.apply_chat_template(messages, add_generation_prompt=True)
        prompt = len(tok([text])["input_ids"][0]) - text.count(processor.image_token) + sum(tokens)
        length = prompt + len(tok(target)["input_ids"]) + 1  # + <|im_end|>
        if length > report.longest[0]:
            report.longest = (length, where)
        if length > s.max_seq_length or prompt > cfg.data.max_prompt_length:
            report.too_long.append((length, where))
    return report


def _named(unrenderable: list[tuple[str, str]], shown: int = 3) -> str:
    """The first `shown` unrenderable samples with why, then how many more: the row stays one line."""
    names = "; ".join(f"{where} ({why})" for where, why in unrenderable[:shown])
    more = len(unrenderable) - shown
    return names + (f"; and {more} more" if more > 0 else "")


def sft_data_rows(report: SFTDataReport, cfg, max_pixels: int) -> list[tuple[str, str, str]]:
    """(check, status, detail) rows of the SFT preflight table."""
    s, bad = cfg.sft, report.unreadable
    rows = [
        (
            "data: images readable",
            "ERROR" if bad else "ok",
            f"{report.samples - len(bad)}/{report.samples}" + (f"; first: {bad[0][0]} ({bad[0][1]})" if bad else ""),
        )
    ]
    v = report.visual_tokens
    if v:
        median = sorted(v)[len(v) // 2]
        rows.append((f"data: image tokens (max_pixels {max_pixels})", "ok", f"min {min(v)}, median {median}, max {max(v)}"))
    u = report.unrenderable
    rows.append(
        (
            f"data: {s.target_format} targets renderable",
            "ERROR" if u else "ok",
            f"{len(v) - len(u)}/{len(v)}" + (f"; {len(u)} cannot be: {_named(u)}" if u else ""),
        )
    )
    long = sorted(report.too_long, reverse=True)
    detail = "no target rendered"
    if report.longest[0]:
        detail = f"longest {report.longest[0]}: {report.longest[1]}"
    if long:
        files = ", ".join(w for _, w in long[:3])
        detail = (
            f"{len(long)} of {len(v) - len(u)} over {s.max_seq_length} (or prompt over "
            f"{cfg.data.max_prompt_length}) would be dropped; largest {long[0][0]}: {files}"
        )
    status = "WARN" if long else "ok" if report.longest[0] else "n/a"  # n/a: the targets row is the error
    rows.append((f"data: prompt + target + image tokens <= {s.max_seq_length}", status, detail))
    if report.large:
        size, path = max(report.large)
        rows.append(("data: images that dominate host memory", "WARN", f"{len(report.large)}; largest {size / (1 << 20):.0f} MiB decoded: {path}"))
    return rows


def sft_shape(cfg, counts, seq_tokens: int, patches: int, on_gpu: bool, world: int) -> RunShape:
    """The memory-relevant shape of an SFT run: per_device_train_batch_size sequences of seq_tokens."""
    m, lora, d = cfg.model, cfg.lora, cfg.distributed
    half = on_gpu and (m.bf16 or m.fp16)
    o2 = half and m.fp16_opt_level == "O2"
    stage = int(d.sharding[-1]) if d.sharding else 0
    targets = len(lora.lora_target_modules) if lora.enabled else 0
    batch = cfg.trainer.per_device_train_batch_size
    return RunShape(
        counts=counts,
        num_generations=batch,
        prompt_tokens=0,
        completion_tokens=seq_tokens,  # the logits of every position are computed
        image_patches=patches * batch,  # the batch's images go through the tower together
        weight_bytes=2 if half else 4,
        master_weights=o2,
        master_grads=o2 and m.amp_master_grad,
        recompute=m.recompute,
        flash=on_gpu and (m.attn_implementation or "flash") != "eager" and half,
        reference=False,
        trainable=trainable_parameters(counts, lora.lora_rank, targets, m.freeze_vision),
        sharding_stage=stage if on_gpu else 0,
        world=world if on_gpu else 1,
    )


def sft_budget(shape: RunShape) -> dict[str, int]:
    """Bytes per rank of parameters, gradients, optimizer state and activations (no KV cache in SFT)."""
    parts = budget(shape)
    parts.pop("kv_cache")
    return parts


def sft_budget_rows(cfg, counts, seq_tokens: int, patches: int, gpu_memory_gb: float, world: int, runtime: int):
    """Rows of the SFT GPU budget per rank, and the CPU training estimate in bytes."""
    gpu = sft_shape(cfg, counts, seq_tokens, patches, on_gpu=True, world=world)
    parts = sft_budget(gpu)
    total = sum(parts.values())
    fits = total <= gpu_memory_gb * GIB
    detail = ", ".join(f"{k} {v / GIB:.2f}" for k, v in parts.items())
    rows = [
        (f"budget: model ({counts.total / 1e9:.3g}B params)", "ok", f"trainable {gpu.trainable / 1e9:.3g}B"),
        (
            f"budget: GPU GiB per rank (of {gpu_memory_gb:g}, {world} ranks)",
            "ok" if fits else "WARN",
            f"{total / GIB:.2f} = {detail} ({gpu.num_generations} x {seq_tokens} tokens; no rollouts, KV cache "
            "or reference model in SFT)",
        ),
    ]
    if not fits:
        tips = [] if cfg.model.recompute else ["--recompute"]
        tips += ["--sharding stage2", "a smaller --per_device_train_batch_size", "LoRA (--lora_rank 64)"]
        rows.append(("budget: recommendation", "WARN", "; ".join(tips)))
    cpu = sft_shape(cfg, counts, seq_tokens, patches, on_gpu=False, world=1)
    return rows, runtime + sum(sft_budget(cpu).values())
