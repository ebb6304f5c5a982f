"""CLEVR-like counting scenes drawn with PIL: cubes, spheres and cylinders on a gray floor.

The questions and answers are R1-V's: the training problem "How many items are there in the image?" with
the solution "<answer> N </answer>" (clevr_cogen_a_train), and the SuperCLEVR-200 eval question "How many
different items are there in the image?" with an integer ground truth. Objects never overlap, so the
answer is exactly the number drawn.
"""

from __future__ import annotations

import random

from PIL import Image, ImageDraw

TRAIN_QUESTION = "How many items are there in the image?"
EVAL_QUESTION = "How many different items are there in the image?"

# CLEVR's eight colors (RGB as in its renderer's properties.json).
COLORS = {
    "gray": (87, 87, 87),
    "red": (173, 35, 35),
    "blue": (42, 75, 215),
    "green": (29, 105, 20),
    "brown": (129, 74, 25),
    "purple": (129, 38, 192),
    "cyan": (41, 208, 208),
    "yellow": (255, 238, 51),
}
SHAPES = ("cube", "sphere", "cylinder")


def draw_counting_scene(
    rng: random.Random, size: tuple[int, int] = (120, 80), min_items: int = 3, max_items: int = 10
) -> tuple[Image.Image, int]:
    """A scene of non-overlapping objects and how many there are (fewer than asked if they do not fit)."""
    width, height = size
    img = Image.new("RGB", size, (128, 128, 128))
    draw = ImageDraw.Draw(img)
    # A lighter band for the floor's far half, so the scene reads like CLEVR's lit ground plane.
    draw.rectangle([0, 0, width, height // 3], fill=(140, 140, 140))
    wanted = rng.randint(min_items, max_items)
    placed: list[tuple[int, int, int]] = []
    for _ in range(wanted * 30):
        if len(placed) == wanted:
            break
        r = rng.choice((max(3, min(size) // 14), max(4, min(size) // 9)))
        x, y = rng.randint(r + 1, width - r - 2), rng.randint(height // 5 + r, height - r - 2)
        # 1.3x the radii: a cube's corners reach 1.25 r from its center.
        if all((x - px) ** 2 + (y - py) ** 2 > (1.3 * (r + pr) + 2) ** 2 for px, py, pr in placed):
            placed.append((x, y, r))
    # Painter's order: objects further back (smaller y) first.
    for x, y, r in sorted(placed, key=lambda p: p[1]):
        _draw_object(draw, rng.choice(SHAPES), rng.choice(list(COLORS.values())), x, y, r)
    return img, len(placed)


def draw_grid_counting_scene(
    rng: random.Random,
    cells: int = 3,
    min_items: int = 1,
    max_items: int = 3,
    cell: int = 28,
    count: int | None = None,
) -> tuple[Image.Image, int]:
    """A square scene of cells × cells squares of `cell` px with one object in each of n distinct squares; (image, n).

    With `cell` = 28 px, each square is one merged vision token of Qwen2-VL (14-px patches, 2 × 2 merge), so a
    tiny model trained from scratch can count occupied tokens: the CPU quickstart's task. `count` fixes n
    (else it is uniform in min_items..max_items).
    """
    if not 1 <= min_items <= max_items <= cells * cells:
        raise ValueError(f"need 1 <= min_items <= max_items <= {cells * cells}, got {min_items}, {max_items}")
    side = cells * cell
    img = Image.new("RGB", (side, side), (128, 128, 128))
    draw = ImageDraw.Draw(img)
    wanted = rng.randint(min_items, max_items) if count is None else count
    r = int(cell * 0.4)
    for square in sorted(rng.sample(range(cells * cells), wanted)):
        x = (square % cells) * cell + cell // 2 + rng.randint(-2, 2)
        y = (square // cells) * cell + cell // 2 + rng.randint(-2, 2)
        _draw_object(draw, rng.choice(SHAPES), rng.choice(list(COLORS.values())), x, y, r)
    return img, wanted


def counting_solution(count: int) -> str:
    """The training solution string, spaced as in clevr_cogen_a_train."""
    return f"<answer> {count} </answer>"


def _draw_object(
    draw: ImageDraw.ImageDraw, shape: str, color: tuple[int, int, int], x: int, y: int, r: int
) -> None:
    """One object inside the circle (x, y, r), with a lighter face or highlight for a 3-D look."""
    light = tuple(min(255, c + 60) for c in color)
    if shape == "cube":
        draw.rectangle([x - r, y - r // 2, x + r * 3 // 4, y + r], fill=color)
        draw.polygon(
            [(x - r, y - r // 2), (x - r // 2, y - r), (x + r, y - r), (x + r * 3 // 4, y - r // 2)],
            fill=light,
        )
        draw.polygon(
            [(x + r * 3 // 4, y - r // 2), (x + r, y - r), (x + r, y + r * 3 // 4), (x + r * 3 // 4, y + r)],
            fill=color,
        )
    elif shape == "sphere":
        draw.ellipse([x - r, y - r, x + r, y + r], fill=color)
        draw.ellipse([x - r // 2, y - r // 2, x, y], fill=light)
    else:
        draw.rectangle([x - r * 3 // 4, y - r // 2, x + r * 3 // 4, y + r * 3 // 4], fill=color)
        draw.ellipse([x - r * 3 // 4, y + r // 2, x + r * 3 // 4, y + r], fill=color)
        draw.ellipse([x - r * 3 // 4, y - r, x + r * 3 // 4, y], fill=light)
