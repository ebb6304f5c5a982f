"""Image checks: find missing and corrupt image files, skip them, count them, and say which they were.

The seed loops forever picking random replacements when an image is missing (PaddleMIX's
`Qwen2VLRECDataset.__getitem__`) and dies on a corrupt one. Here a bad image is never fatal:

- loaders drop samples whose image file is missing when they load (`check="exists"`, a cheap `stat`);
- `validate_images` is a full pass that decodes every image (`check="decode"`), for a dataset you
  have not used before;
- `load_sample_image` is what a collator calls per sample: it returns the RGB image, or `None` for a
  bad one, which the caller drops from the batch. Nothing is resampled.

Each bad file is logged as a warning that names it (the first `max_named` of them; after that only the
count grows, so a missing folder of 100k images does not flood the log), and `SkippedImages` keeps the
count for the trainer to log as a metric.
"""

from __future__ import annotations

import io
import logging
import os
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from PIL import Image

from paddlemix.errors import UserError
from paddlemix.image_files import read_rgb

logger = logging.getLogger("paddlemix.datasets")

CHECKS = ("none", "exists", "decode")


class BadImageError(UserError, OSError):
    """An image file that is missing or cannot be decoded."""


def check_image(path: str, check: str = "decode") -> str | None:
    """Why `path` is unusable ("missing: ...", "corrupt: ..."), or None if it is fine under `check`."""
    if check not in CHECKS:
        raise ValueError(f"unknown image check {check!r}; known: {', '.join(CHECKS)}")
    if check == "none":
        return None
    if not path or not os.path.isfile(path):
        return f"missing: {path or '<no path>'}"
    if check == "exists":
        return None
    try:
        open_image(path)
    except BadImageError as e:
        return str(e)
    return None


def open_image(path: str) -> Image.Image:
    """Decode `path` fully into an upright RGB image; raise BadImageError (never a PIL internal) if it is bad."""
    if not path or not os.path.isfile(path):
        raise BadImageError(f"missing: {path or '<no path>'}")
    try:
        return read_rgb(path)  # the loader eval and inference use too: EXIF orientation applied
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as e:
        raise BadImageError(f"corrupt: {path} ({type(e).__name__}: {e})") from e


MIN_SIDE = 28  # the Qwen patch merge size: a side under it cannot make one image token


def upscale_small(image: Image.Image) -> Image.Image:
    """An image with a side under 28 px scaled up (LANCZOS) so that side is 28, keeping the aspect ratio.

    VLM-R1's trainer does this to every image before the processor (`grpo_trainer.py`, "Ensure minimum
    dimensions of 28 pixels"): the shorter side becomes 28 and the other `int(side * 28 / shorter)`.
    """
    w, h = image.size
    if w >= MIN_SIDE and h >= MIN_SIDE:
        return image
    if w < h:
        size = (MIN_SIDE, int(h * (MIN_SIDE / w)))
    else:
        size = (int(w * (MIN_SIDE / h)), MIN_SIDE)
    return image.resize(size, Image.Resampling.LANCZOS)


def check_image_bytes(data: bytes) -> str | None:
    """Why embedded image bytes (a Hugging Face Image cell) do not decode, or None if they do."""
    try:
        with Image.open(io.BytesIO(data)) as img:
            img.load()
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as e:
        return f"{type(e).__name__}: {e}"
    return None


@dataclass
class SkippedImages:
    """Counts bad images and warns once per file, naming the first `max_named` of them."""

    max_named: int = 20  # files named individually in warnings; later ones are only counted
    items: list[tuple[str, str]] = field(default_factory=list)  # (path, reason), in the order met
    sources: dict[str, str] = field(default_factory=dict)  # path -> the file whose sample named it, if known
    _seen: set[str] = field(default_factory=set, repr=False)

    def add(self, path: str, reason: str, context: str = "") -> None:
        """Record one bad image (once per path) and warn, naming it while under `max_named`."""
        if path in self._seen:
            return
        self._seen.add(path)
        self.items.append((path, reason))
        if context:
            self.sources[path] = context
        where = f" in {context}" if context else ""
        if len(self.items) <= self.max_named:
            logger.warning("skipping sample%s: image %s", where, reason)
        elif len(self.items) == self.max_named + 1:
            logger.warning("more bad images%s; only counting them from now on", where)

    def merge(self, other: SkippedImages) -> None:
        """Add another record's bad images (without warning again)."""
        for path, reason in other.items:
            if path not in self._seen:
                self._seen.add(path)
                self.items.append((path, reason))
                if path in other.sources:
                    self.sources[path] = other.sources[path]

    @property
    def count(self) -> int:
        """How many distinct bad images were met."""
        return len(self.items)

    def summary(self) -> str:
        """One line: how many images were skipped and how many of them were missing vs corrupt."""
        missing = sum(reason.startswith("missing") for _, reason in self.items)
        return f"{self.count} bad image(s) skipped ({missing} missing, {self.count - missing} corrupt)"

    def breakdown(self) -> str:
        """Per source file, how many images were missing and how many corrupt, and the first one named."""
        counts: dict[str, Counter] = {}
        for path, reason in self.items:
            kind = "missing" if reason.startswith("missing") else "corrupt"
            counts.setdefault(self.sources.get(path, "<unknown file>"), Counter())[kind] += 1
        parts = [
            f"{source}: " + ", ".join(f"{n} {kind}" for kind, n in sorted(kinds.items()))
            for source, kinds in counts.items()
        ]
        first = f"; first: {self.items[0][1]}" if self.items else ""
        return "; ".join(parts) + first


def load_sample_image(sample: dict, skipped: SkippedImages | None = None) -> Image.Image | None:
    """The sample's RGB image, or None (recorded in `skipped` and warned about) if it is missing or corrupt."""
    path = sample.get("image")
    try:
        return open_image(path)
    except BadImageError as e:
        (skipped if skipped is not None else SkippedImages()).add(
            path or "<no path>", str(e), sample.get("source", "")
        )
        return None


def filter_samples(
    samples: Iterable[dict], check: str, skipped: SkippedImages | None = None, context: str = ""
) -> list[dict]:
    """The samples whose image passes `check`; the others are recorded in `skipped` and warned about."""
    skipped = skipped if skipped is not None else SkippedImages()
    kept = []
    for sample in samples:
        reason = check_image(sample.get("image"), check)
        if reason is None:
            kept.append(sample)
        else:
            skipped.add(sample.get("image") or "<no path>", reason, context or sample.get("source", ""))
    return kept


@dataclass
class ValidationReport:
    """The result of a validation pass: which indices are usable and which images were bad."""

    good: list[int]  # indices into the dataset whose image decoded
    skipped: SkippedImages  # the bad ones, with reasons

    @property
    def ok(self) -> bool:
        """True when no image was bad."""
        return self.skipped.count == 0


def validate_images(dataset: Sequence[dict], check: str = "decode", max_named: int = 20) -> ValidationReport:
    """Check every sample's image under `check`; returns the good indices and the bad images, with warnings."""
    skipped = SkippedImages(max_named=max_named)
    good = []
    for i in range(len(dataset)):
        sample = dataset[i]
        reason = check_image(sample.get("image"), check)
        if reason is None:
            good.append(i)
        else:
            skipped.add(sample.get("image") or f"<sample {i}: no path>", reason, sample.get("source", ""))
    if skipped.count:
        logger.warning("validation: %s of %d samples", skipped.summary(), len(dataset))
    return ValidationReport(good=good, skipped=skipped)
