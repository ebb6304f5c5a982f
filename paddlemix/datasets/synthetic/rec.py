"""REC scenes: a few flat shapes, a referring expression that picks exactly one, and its box in pixels.

An expression names the target by color and shape, adds its size when that is needed (or by chance), and
adds a spatial relation to a reference object whose shape is unique in the scene when that is needed (or
by chance): "the small red circle left of the square". Every expression is checked to match exactly one
object, and the box is the tight box of the drawn shape in original-image pixels, as RefCOCO's are.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from PIL import Image, ImageDraw

COLORS = {
    "red": (200, 40, 40),
    "green": (40, 160, 60),
    "blue": (40, 80, 210),
    "yellow": (230, 200, 40),
    "purple": (140, 50, 180),
    "orange": (240, 130, 30),
}
SHAPES = ("circle", "square", "triangle")
RELATIONS = ("left of", "right of", "above", "below")

# VLM-R1's REC problems wrap the expression in this sentence (rec_jsons_processed).
PROBLEM_TEMPLATE = (
    "Please provide the bounding box coordinate of the region this sentence describes: {caption}."
)


@dataclass
class Shape:
    """One drawn object and its tight box (x1, y1, x2, y2), in pixels."""

    shape: str
    color: str
    size: str  # "small" | "large"
    box: tuple[int, int, int, int]

    @property
    def center(self) -> tuple[float, float]:
        """The box center."""
        return (self.box[0] + self.box[2]) / 2, (self.box[1] + self.box[3]) / 2


def draw_rec_scene(
    rng: random.Random, size: tuple[int, int] | None = None
) -> tuple[Image.Image, str, list[float]]:
    """A scene, an expression that refers to exactly one of its shapes, and that shape's box [x1, y1, x2, y2]."""
    while True:
        width, height = size or (rng.randrange(96, 161, 8), rng.randrange(72, 129, 8))
        shapes = _place_shapes(rng, width, height)
        target = rng.choice(shapes)
        caption = _describe(rng, target, shapes)
        if caption is not None:
            break
    img = Image.new("RGB", (width, height), (235, 235, 225))
    draw = ImageDraw.Draw(img)
    for s in shapes:
        _draw_shape(draw, s)
    return img, caption, [float(v) for v in target.box]


def rec_problem(caption: str) -> str:
    """The REC problem sentence around an expression."""
    return PROBLEM_TEMPLATE.format(caption=caption)


def _place_shapes(rng: random.Random, width: int, height: int) -> list[Shape]:
    """Two to four shapes whose boxes are at least 4 pixels apart."""
    wanted = rng.randint(2, 4)
    shapes: list[Shape] = []
    for _ in range(200):
        if len(shapes) == wanted:
            break
        size = rng.choice(("small", "large"))
        side = max(8, min(width, height) // (5 if size == "small" else 3))
        x1, y1 = rng.randint(2, width - side - 2), rng.randint(2, height - side - 2)
        box = (x1, y1, x1 + side, y1 + side)
        if all(_apart(box, s.box, 4) for s in shapes):
            shapes.append(Shape(rng.choice(SHAPES), rng.choice(list(COLORS)), size, box))
    return shapes if len(shapes) >= 2 else _place_shapes(rng, width, height)


def _apart(a: tuple, b: tuple, margin: int) -> bool:
    """True when boxes a and b are at least `margin` pixels apart on some axis."""
    return a[2] + margin <= b[0] or b[2] + margin <= a[0] or a[3] + margin <= b[1] or b[3] + margin <= a[1]


def _describe(rng: random.Random, target: Shape, shapes: list[Shape]) -> str | None:
    """An expression matching only `target`, or None when this scene cannot single it out."""
    with_size = rng.random() < 0.3
    words = [target.size] if with_size else []
    words += [target.color, target.shape]
    matches = [s for s in shapes if _fits(s, target, with_size)]
    if len(matches) > 1 and not with_size:
        with_size, words = True, [target.size, target.color, target.shape]
        matches = [s for s in shapes if _fits(s, target, True)]
    relation = _relation(rng, target, shapes, matches, force=len(matches) > 1)
    if len(matches) > 1 and relation is None:
        return None
    phrase = "the " + " ".join(words)
    return f"{phrase} {relation}" if relation else phrase


def _fits(s: Shape, target: Shape, with_size: bool) -> bool:
    """Whether `s` matches the target's color and shape (and size when said)."""
    return s.shape == target.shape and s.color == target.color and (not with_size or s.size == target.size)


def _relation(
    rng: random.Random, target: Shape, shapes: list[Shape], matches: list[Shape], force: bool
) -> str | None:
    """ "left of the square"-like phrase true for the target and for no other match, or None."""
    if not force and rng.random() < 0.5:
        return None
    options = []
    for ref in shapes:
        if ref is target or sum(s.shape == ref.shape for s in shapes) != 1:
            continue
        for rel in RELATIONS:
            holding = [m for m in matches if _holds(m, rel, ref)]
            if holding == [target]:
                options.append(f"{rel} the {ref.shape}")
    return rng.choice(options) if options else None


def _holds(s: Shape, relation: str, ref: Shape) -> bool:
    """Whether `s` lies entirely to the relation's side of `ref`'s box."""
    return {
        "left of": s.box[2] <= ref.box[0],
        "right of": s.box[0] >= ref.box[2],
        "above": s.box[3] <= ref.box[1],
        "below": s.box[1] >= ref.box[3],
    }[relation]


def _draw_shape(draw: ImageDraw.ImageDraw, s: Shape) -> None:
    """Draw a shape filling its box, so the box is tight."""
    x1, y1, x2, y2 = s.box
    fill = COLORS[s.color]
    # PIL draws the end coordinates inclusively; stop one pixel short so the painted pixels span [x1, x2).
    if s.shape == "circle":
        draw.ellipse([x1, y1, x2 - 1, y2 - 1], fill=fill)
    elif s.shape == "square":
        draw.rectangle([x1, y1, x2 - 1, y2 - 1], fill=fill)
    else:
        draw.polygon([((x1 + x2 - 1) / 2, y1), (x2 - 1, y2 - 1), (x1, y2 - 1)], fill=fill)
