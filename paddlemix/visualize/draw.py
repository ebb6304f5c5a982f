"""Shapes drawn on an image: the prediction in red, the ground truth in green, text in a band below.

The image keeps its size and pixels except where a shape is drawn (box outlines `line_width(image)` wide on
the box's own edges, kept on the canvas at its border, points as small discs, labels in a filled tag above
each predicted box and under each true one); answers without geometry (a count, an expression, OCR text) go
into a white band added under the image, so a box drawn at (x1, y1, x2, y2) is found at exactly those pixels
of the output.
"""

from __future__ import annotations

import textwrap

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from paddlemix.visualize.shapes import Shapes

PRED_COLOR = (230, 30, 30)
TRUTH_COLOR = (20, 170, 60)
MASK_ALPHA = 0.45


def line_width(image: Image.Image) -> int:
    """Outline width in pixels: about 1/150 of the shorter side, at least 1."""
    return max(1, round(min(image.size) / 150))


def _font():
    """PIL's built-in font (no font file needed)."""
    return ImageFont.load_default()


def overlay_mask(image: Image.Image, mask, color=PRED_COLOR) -> Image.Image:
    """`image` with the boolean `mask` (h, w) tinted in `color`."""
    arr = np.asarray(image.convert("RGB"), dtype=np.float32)
    m = np.asarray(mask, dtype=bool)
    if m.shape != arr.shape[:2]:
        raise ValueError(f"mask shape {m.shape} differs from the image's {arr.shape[:2]}")
    arr[m] = arr[m] * (1 - MASK_ALPHA) + np.asarray(color, np.float32) * MASK_ALPHA
    return Image.fromarray(arr.round().astype(np.uint8))


def _draw_shapes(draw: ImageDraw.ImageDraw, shapes: Shapes, color, width: int, size, below=False) -> None:
    """Outline each box, tag it with its label (above it, or `below`), and mark each point."""
    font = _font()
    w, h = size
    for box, label in shapes.boxes:
        # a box reaching the border (clamped answers end at x = w) would lose that edge off the canvas:
        # keep every edge on the last pixel row / column
        x1, x2 = (min(max(float(v), 0.0), w - 1.0) for v in (box[0], box[2]))
        y1, y2 = (min(max(float(v), 0.0), h - 1.0) for v in (box[1], box[3]))
        draw.rectangle([x1, y1, x2, y2], outline=color, width=width)
        if label:
            tw, th = draw.textbbox((0, 0), label, font=font)[2:]
            above, under = y1 - th - 2, y2 + 1
            ty = (under if under + th + 2 <= h else above) if below else (above if above >= 0 else under)
            tx = min(max(x1, 0), max(w - tw - 2, 0))
            if ty + th + 2 <= h:
                draw.rectangle([tx, ty, tx + tw + 2, ty + th + 2], fill=color)
                draw.text((tx + 1, ty + 1), label, fill=(255, 255, 255), font=font)
    r = max(2, width * 2)
    for x, y in shapes.points:
        draw.ellipse([x - r, y - r, x + r, y + r], fill=color, outline=(255, 255, 255))


def _text_band(texts: list[tuple[str, tuple]], width: int) -> Image.Image | None:
    """A white band holding each (text, colour) line, wrapped to the image width; None without text."""
    font = _font()
    chars = max(10, width // 6)
    lines = [(line, color) for text, color in texts for line in textwrap.wrap(text, chars)[:6]]
    if not lines:
        return None
    band = Image.new("RGB", (width, 12 * len(lines) + 6), (255, 255, 255))
    draw = ImageDraw.Draw(band)
    for i, (line, color) in enumerate(lines):
        draw.text((3, 3 + 12 * i), line, fill=color, font=font)
    return band


def draw_answer(
    image: Image.Image, prediction: Shapes, truth: Shapes | None = None, mask=None
) -> Image.Image:
    """A copy of `image` with `truth` (green) under `prediction` (red), an optional mask, and a text band."""
    out = image.convert("RGB")
    if mask is not None:
        out = overlay_mask(out, mask)
    else:
        out = out.copy()
    draw = ImageDraw.Draw(out)
    width = line_width(out)
    if truth is not None:
        _draw_shapes(draw, truth, TRUTH_COLOR, width, out.size, below=True)
    _draw_shapes(draw, prediction, PRED_COLOR, width, out.size)
    texts = []
    if prediction.text:
        texts.append((f"answer: {prediction.text}", PRED_COLOR))
    if truth is not None and truth.text:
        texts.append((f"truth: {truth.text}", TRUTH_COLOR))
    band = _text_band(texts, out.size[0])
    if band is None:
        return out
    canvas = Image.new("RGB", (out.size[0], out.size[1] + band.size[1]), (255, 255, 255))
    canvas.paste(out, (0, 0))
    canvas.paste(band, (0, out.size[1]))
    return canvas
