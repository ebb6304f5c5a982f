"""Simple GeoQA-like problems: a labelled figure, a question in GeoQA's wording, and a numeric answer.

Four kinds, each drawn to scale: the third angle of a triangle, a base angle of an isosceles triangle,
the supplement of an angle on a straight line, and the hypotenuse of a right triangle. Answers are written
the way GeoQA's test file writes them: angles with a degree sign ("70°"), lengths as a bare number ("10").
"""

from __future__ import annotations

import math
import random

from PIL import Image, ImageDraw

KINDS = ("triangle_angle", "isosceles_base", "supplementary", "hypotenuse")


def draw_geometry_problem(
    rng: random.Random, size: tuple[int, int] = (112, 96), kind: str | None = None
) -> tuple[Image.Image, str, str]:
    """A figure, its question and the answer string."""
    kind = kind or rng.choice(KINDS)
    if kind not in KINDS:
        raise ValueError(f"unknown geometry kind {kind!r}; known: {', '.join(KINDS)}")
    img = Image.new("RGB", size, (255, 255, 255))
    draw = ImageDraw.Draw(img)
    if kind == "triangle_angle":
        a, b = rng.randrange(30, 91, 5), rng.randrange(30, 81, 5)
        _triangle(draw, size, a, b)
        question = (
            f"As shown in the figure, in triangle ABC, angle A = {a:.1f}, angle B = {b:.1f}, "
            "then the size of angle C is ()"
        )
        return img, question, f"{180 - a - b}°"
    if kind == "isosceles_base":
        apex = rng.randrange(20, 141, 10)
        base = (180 - apex) / 2
        _triangle(draw, size, base, base, apex_label="A", base_labels=("B", "C"))
        question = f"As shown in the figure, in triangle ABC, AB = AC, angle A = {apex:.1f}, then the size of angle B is ()"
        return img, question, f"{_number(base)}°"
    if kind == "supplementary":
        angle = rng.randrange(20, 161, 5)
        _straight_angle(draw, size, angle)
        question = (
            "As shown in the figure, point O is on the straight line AB, "
            f"angle AOC = {angle:.1f}, then the size of angle BOC is ()"
        )
        return img, question, f"{180 - angle}°"
    k = rng.randint(1, 3)
    leg_a, leg_b = rng.choice(((3, 4), (6, 8), (5, 12)))
    ac, bc = leg_a * k, leg_b * k
    hyp = math.hypot(ac, bc)
    _right_triangle(draw, size, ac, bc)
    question = (
        f"As shown in the figure, in right triangle ABC, angle C = 90.0, AC = {ac:.1f}, BC = {bc:.1f}, "
        "then the length of AB is ()"
    )
    return img, question, _number(hyp)


def geometry_solution(answer: str) -> str:
    """The training solution string for an answer."""
    return f"<answer>{answer}</answer>"


def _number(x: float) -> str:
    """A number without a needless ".0"."""
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


def _triangle(
    draw: ImageDraw.ImageDraw,
    size: tuple[int, int],
    angle_left: float,
    angle_right: float,
    apex_label: str = "C",
    base_labels: tuple[str, str] = ("A", "B"),
) -> None:
    """A triangle on a horizontal base with the given base angles, scaled to fit, vertices labelled."""
    w, h = size
    tl, tr = math.tan(math.radians(angle_left)), math.tan(math.radians(angle_right))
    # Apex over a unit base: the sides rise at the two base angles, so x * tan(left) = (1 - x) * tan(right).
    x = tr / (tl + tr)
    y = x * tl
    scale = min((w - 24) / 1.0, (h - 24) / max(y, 1e-6))
    left, base_y = (w - scale) / 2, h - 12
    p0, p1 = (left, base_y), (left + scale, base_y)
    apex = (left + x * scale, base_y - y * scale)
    draw.polygon([p0, p1, apex], outline=(0, 0, 0))
    _label(draw, p0, base_labels[0], -9, 0)
    _label(draw, p1, base_labels[1], 3, 0)
    _label(draw, apex, apex_label, -3, -11)


def _straight_angle(draw: ImageDraw.ImageDraw, size: tuple[int, int], angle_aoc: float) -> None:
    """Line AB through O and a ray OC making angle AOC with OA."""
    w, h = size
    o = (w / 2, h - 20)
    a, b = (8, o[1]), (w - 8, o[1])
    theta = math.radians(180 - angle_aoc)
    length = min(w / 2 - 8, h - 30)
    c = (o[0] + length * math.cos(theta), o[1] - length * math.sin(theta))
    draw.line([a, b], fill=(0, 0, 0))
    draw.line([o, c], fill=(0, 0, 0))
    for point, name, dx, dy in ((a, "A", 0, 2), (b, "B", -6, 2), (o, "O", -3, 2), (c, "C", -3, -11)):
        _label(draw, point, name, dx, dy)


def _right_triangle(draw: ImageDraw.ImageDraw, size: tuple[int, int], ac: float, bc: float) -> None:
    """Right triangle with the right angle at C (bottom left), legs drawn to scale."""
    w, h = size
    scale = min((w - 24) / bc, (h - 24) / ac)
    c = (12, h - 12)
    a, b = (12, h - 12 - ac * scale), (12 + bc * scale, h - 12)
    draw.polygon([a, b, c], outline=(0, 0, 0))
    draw.rectangle([c[0], c[1] - 5, c[0] + 5, c[1]], outline=(0, 0, 0))
    _label(draw, a, "A", 2, -4)
    _label(draw, b, "B", 2, -10)
    _label(draw, c, "C", 2, 0)


def _label(draw: ImageDraw.ImageDraw, point: tuple[float, float], text: str, dx: float, dy: float) -> None:
    """A vertex name near `point`, in PIL's built-in bitmap font (no font files needed)."""
    draw.text((point[0] + dx, point[1] + dy), text, fill=(0, 0, 0))
