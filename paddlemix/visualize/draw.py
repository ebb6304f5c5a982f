"""Shapes drawn on an image: the prediction in solid red, the ground truth dashed green, text in a band below.

The image keeps its pixels except where a shape is drawn (box outlines `line_width(image)` wide on the box's
own edges, kept on the canvas at its border, points as small discs, labels in a filled tag above each
predicted box and under each true one, always inside the image); answers without geometry (a count, an
expression, OCR text) go into a white band added under the image, so a box drawn at (x1, y1, x2, y2) is found
at exactly those pixels of the output (a dashed truth within a pixel of them). `scale` enlarges the image
first (nearest neighbour: whole pixels stay sharp squares) and the shapes with it: a box is then at `scale`
times its original pixels.

The truth is drawn after the prediction, dashed: where the two boxes coincide (a right answer), the truth's
dashes fill the inner part of the prediction's outline (one pixel thinner) and the red shows around and
between them.
"""

from __future__ import annotations

import textwrap

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from paddlemix.visualize.shapes import Shapes

PRED_COLOR = (230, 30, 30)
TRUTH_COLOR = (20, 170, 60)
MASK_ALPHA = 0.45
DASH = 3  # the truth's dashes and gaps, in line widths


def line_width(image: Image.Image) -> int:
    """Outline width in pixels: about 1/150 of the shorter side, at least 1."""
    return max(1, round(min(image.size) / 150))


def _font(size=(0, 0)):
    """PIL's built-in font (no font file needed): 10 px, larger over 300 px so that labels stay legible."""
    return ImageFont.load_default(size=max(10, round(min(size) / 30)))


def overlay_mask(image: Image.Image, mask, color=PRED_COLOR) -> Image.Image:
    """`image` with the boolean `mask` (h, w) tinted in `color`."""
    arr = np.asarray(image.convert("RGB"), dtype=np.float32)
    m = np.asarray(mask, dtype=bool)
    if m.shape != arr.shape[:2]:
        raise ValueError(f"mask shape {m.shape} differs from the image's {arr.shape[:2]}")
    arr[m] = arr[m] * (1 - MASK_ALPHA) + np.asarray(color, np.float32) * MASK_ALPHA
    return Image.fromarray(arr.round().astype(np.uint8))


def _dashed_line(draw: ImageDraw.ImageDraw, start, end, color, width: int) -> None:
    """A horizontal or vertical line from `start` to `end` in dashes and gaps of DASH * width."""
    (x1, y1), (x2, y2) = start, end
    length = max(abs(x2 - x1), abs(y2 - y1))
    step = DASH * width
    for a in range(0, int(length) + 1, 2 * step):
        b = min(a + step, length)
        t0, t1 = a / length if length else 0.0, b / length if length else 0.0
        draw.line(
            [(x1 + t0 * (x2 - x1), y1 + t0 * (y2 - y1)), (x1 + t1 * (x2 - x1), y1 + t1 * (y2 - y1))],
            fill=color,
            width=width,
        )


def _dashed_rectangle(draw: ImageDraw.ImageDraw, box, color, width: int) -> None:
    """`box`'s outline in dashes, `width` wide inside its edges as `draw.rectangle` draws a solid one."""
    x1, y1, x2, y2 = box
    inset = (width - 1) / 2  # a line is centred on its coordinates; a rectangle's outline grows inwards
    left, top, right, bottom = x1 + inset, y1 + inset, x2 - inset, y2 - inset
    for start, end in (
        ((x1, top), (x2, top)),
        ((x1, bottom), (x2, bottom)),
        ((left, y1), (left, y2)),
        ((right, y1), (right, y2)),
    ):
        _dashed_line(draw, start, end, color, width)


def _label_y(y1: float, y2: float, th: int, h: int, below: bool) -> float:
    """The top of a label tag th + 2 high, inside an image h high: above the box (under it if `below`), else
    inside the box at that edge, else on its other side; the prediction's and the truth's tags thus stay apart
    when the two boxes coincide at an image edge."""
    tag = th + 2
    outside, inside, other = (y2 + 1, y2 - tag - 1, y1 - tag) if below else (y1 - tag, y1 + 1, y2 + 1)
    fits_inside = y2 - y1 >= tag + 2
    for ty in (outside, inside, other) if fits_inside else (outside, other):
        if 0 <= ty and ty + tag <= h:
            return ty
    return min(max(inside, 0), max(h - tag, 0))


def _draw_shapes(
    draw: ImageDraw.ImageDraw, shapes: Shapes, color, width: int, size, below=False, dashed=False
) -> None:
    """Outline each box (`dashed` or solid), tag it with its label (above it, or `below`), mark each point."""
    font = _font(size)
    w, h = size
    for box, label in shapes.boxes:
        # a box reaching the border (clamped answers end at x = w) would lose that edge off the canvas:
        # keep every edge on the last pixel row / column
        x1, x2 = (min(max(float(v), 0.0), w - 1.0) for v in (box[0], box[2]))
        y1, y2 = (min(max(float(v), 0.0), h - 1.0) for v in (box[1], box[3]))
        if dashed:
            # the inner width - 1 pixels of the outline's band: on a coinciding solid box its outermost pixel
            # stays unbroken, and either box is still found within a pixel of its coordinates
            thin = max(1, width - 1)
            d = width - thin
            _dashed_rectangle(draw, (x1 + d, y1 + d, x2 - d, y2 - d), color, thin)
        else:
            draw.rectangle([x1, y1, x2, y2], outline=color, width=width)
        if label:
            tw, th = draw.textbbox((0, 0), label, font=font)[2:]
            ty = _label_y(y1, y2, th, h, below)
            tx = min(max(x1, 0), max(w - tw - 2, 0))
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
    image: Image.Image, prediction: Shapes, truth: Shapes | None = None, mask=None, scale: int = 1
) -> Image.Image:
    """A copy of `image`, enlarged `scale` times, with `prediction` (red), `truth` (dashed green, on top), an
    optional mask and a text band."""
    if scale < 1 or int(scale) != scale:
        raise ValueError(f"scale must be a whole number >= 1, got {scale!r}")
    scale = int(scale)
    out = image.convert("RGB")
    if scale > 1:
        out = out.resize((out.size[0] * scale, out.size[1] * scale), Image.NEAREST)
        prediction = prediction.scaled(scale)
        truth = truth.scaled(scale) if truth is not None else None
        if mask is not None:
            mask = np.repeat(np.repeat(np.asarray(mask, dtype=bool), scale, 0), scale, 1)
    if mask is not None:
        out = overlay_mask(out, mask)
    elif scale == 1:
        out = out.copy()
    draw = ImageDraw.Draw(out)
    width = line_width(out)
    _draw_shapes(draw, prediction, PRED_COLOR, width, out.size)
    if truth is not None:
        _draw_shapes(draw, truth, TRUTH_COLOR, width, out.size, below=True, dashed=True)
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
