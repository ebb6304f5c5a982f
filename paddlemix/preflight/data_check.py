"""Preflight of the training data: images readable, exact visual tokens, prompts against max_prompt_length.

Everything is read from image headers and the tokenizer: no pixel is decoded. A prompt's length is its
chat text's tokens with each `<|image_pad|>` placeholder replaced by the image's tokens after smart_resize
with the run's pixel budget ((h / 28) x (w / 28) after resizing), exactly what the training encoder
(`training.data.PromptEncoder`) builds, so the prompts counted here as too long are the ones it would drop.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field

from paddlemix.image_files import image_size
from paddlemix.processors.image_processor import smart_resize
from paddlemix.tasks import sample_messages

# An image whose decoded RGB pixels take more than this is flagged: a batch of them dominates host memory.
LARGE_IMAGE_BYTES = 64 << 20


@dataclass
class DataReport:
    """What the data check found (see the module docstring)."""

    samples: int = 0
    unreadable: list[tuple[str, str]] = field(default_factory=list)  # (image, why)
    visual_tokens: list[int] = field(default_factory=list)  # per readable sample, all its images
    too_long: list[tuple[int, str]] = field(default_factory=list)  # (prompt tokens, source / image)
    longest: tuple[int, str] = (0, "")
    large: list[tuple[int, str]] = field(default_factory=list)  # (decoded bytes, image)
    largest_patches: int = 0  # vision patches of the largest image, for the memory budget


def visual_tokens(
    size: tuple[int, int], min_pixels: int, max_pixels: int, merge: int = 2, patch: int = 14
) -> tuple[int, int]:
    """(LLM tokens, vision patches) of a (w, h) image after smart_resize with the pixel budget."""
    w, h = size
    factor = patch * merge
    rh, rw = smart_resize(h, w, factor=factor, min_pixels=min_pixels, max_pixels=max_pixels)
    patches = (rh // patch) * (rw // patch)
    return patches // (merge * merge), patches


def check_data(dataset, processor, max_prompt_length: int, limit: int | None = None) -> DataReport:
    """Check the first `limit` samples of `dataset` (all with None) against the processor's pixel budget."""
    ip = processor.image_processor
    report = DataReport()
    pad = processor.image_token
    n = len(dataset) if limit is None else min(limit, len(dataset))
    for i in range(n):
        sample = dataset[i]
        report.samples += 1
        paths = sample.get("images") or [sample.get("image")]
        tokens, ok = [], True
        for path in paths:
            try:
                size = image_size(path)
            except Exception as e:  # Pillow raises many types for damaged files; each is "unreadable"
                report.unreadable.append((str(path), f"{type(e).__name__}: {e}"))
                ok = False
                break
            count, patches = visual_tokens(size, ip.min_pixels, ip.max_pixels, ip.merge_size, ip.patch_size)
            tokens.append(count)
            report.largest_patches = max(report.largest_patches, patches)
            if size[0] * size[1] * 3 > LARGE_IMAGE_BYTES:
                report.large.append((size[0] * size[1] * 3, str(path)))
        if not ok:
            continue
        report.visual_tokens.append(sum(tokens))
        text = processor.apply_chat_template(sample_messages(sample, "train"), add_generation_prompt=True)
        ids = processor.tokenizer([text])["input_ids"][0]
        length = len(ids) - text.count(pad) + sum(tokens)
        where = f"{sample.get('source') or ''} ({paths[-1]})".strip()
        if length > report.longest[0]:
            report.longest = (length, where)
        if length > max_prompt_length:
            report.too_long.append((length, where))
    return report


def data_rows(report: DataReport, max_prompt_length: int, max_pixels: int) -> list[tuple[str, str, str]]:
    """(check, status, detail) rows of the preflight table."""
    rows = []
    bad = report.unreadable
    rows.append(
        (
            "data: images readable",
            "ERROR" if bad else "ok",
            f"{report.samples - len(bad)}/{report.samples}"
            + (f"; first: {bad[0][0]} ({bad[0][1]})" if bad else ""),
        )
    )
    v = report.visual_tokens
    if v:
        rows.append(
            (
                f"data: image tokens (max_pixels {max_pixels})",
                "ok",
                f"min {min(v)}, median {int(statistics.median(v))}, max {max(v)}",
            )
        )
    long = sorted(report.too_long, reverse=True)
    detail = f"longest {report.longest[0]}: {report.longest[1]}"
    if long:
        files = ", ".join(w for _, w in long[:3])
        detail = f"{len(long)} of {len(v)} over {max_prompt_length} would be dropped; largest {long[0][0]}: {files}"
    rows.append((f"data: prompt + image tokens <= {max_prompt_length}", "WARN" if long else "ok", detail))
    if report.large:
        size, path = max(report.large)
        rows.append(
            (
                "data: images that dominate host memory",
                "WARN",
                f"{len(report.large)}; largest {size / (1 << 20):.0f} MiB decoded: {path}",
            )
        )
    return rows
