"""Board scenes for the CPU quickstarts' box tasks: flat shapes in the squares of an N x N board, boxes in pixels.

Each scene is N x N squares of `cell` pixels, `cell` drawn per scene from a range whose multiples of N are never
a multiple of 28, so the processor always resizes the image: with the quickstart's `max_pixels` a 3 x 3 board
becomes an 84 x 84 input (one merged vision token a square) whatever its original size, and the boxes the model
answers (Qwen2.5-VL: pixels of that input; Qwen2-VL: 0-1000) differ from the ground truth's original pixels by
a factor of 1.4-1.9. Every object fills the middle half of its square, and its box is the tight box of the
drawn shape.

`draw_board_scene` gives the objects; `board_expression` the REC/grounding phrase naming one of them, which the
colours alone decide (a scene's objects have distinct colours; the shape is said too, as RefCOCO phrases do).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from PIL import Image, ImageDraw

from paddlemix.datasets.synthetic.rec import COLORS as REC_COLORS

COLORS = {name: REC_COLORS[name] for name in ("red", "green", "blue", "yellow")}
SHAPES = ("circle", "square", "triangle")
CELL_PIXELS = (40, 54)  # 3 x 40 .. 3 x 54 = 120 .. 162 px, no multiple of 28
BACKGROUND = (235, 235, 225)


@dataclass(frozen=True)
class BoardObject:
    """One drawn object: its shape, colour, square index (row-major) and tight box (x1, y1, x2, y2) in pixels."""

    shape: str
    color: str
    cell: int
    box: tuple[int, int, int, int]


def draw_board_scene(
    rng: random.Random,
    cells: int = 3,
    min_objects: int = 2,
    max_objects: int = 3,
    shapes: tuple[str, ...] = SHAPES,
    distinct_colors: bool = True,
    cell_pixels: tuple[int, int] = CELL_PIXELS,
    shaded: bool = True,
    colors: tuple[str, ...] = tuple(COLORS),
) -> tuple[Image.Image, list[BoardObject]]:
    """A square board scene and its objects, one a square, in n distinct squares (n in min..max_objects).

    `shaded` tints each square's background by its row and column (`square_shade`), as a chessboard's labels
    would: RoPE puts no position into a token's value, so a model of two layers trained from scratch cannot
    otherwise tell which square the token it attends to is in, and could not say where an object is. The
    object keeps a quarter of the square free on each side so that the tint, not the object, dominates the
    square's token: with objects filling 80% of a square and a light tint, a linear probe on the random tiny
    vision tower's output read the square of the object's token right in 57% of held-out scenes, and SFT stayed
    image-blind; with the half-size object and this tint, 99% (docs/quickstart.md).
    """
    if not 0 <= min_objects <= max_objects <= min(cells * cells, len(colors) if distinct_colors else 99):
        raise ValueError(f"cannot place {min_objects}..{max_objects} objects on a {cells}x{cells} board")
    cell = rng.randint(*cell_pixels)
    img = Image.new("RGB", (cells * cell, cells * cell), BACKGROUND)
    draw = ImageDraw.Draw(img)
    if shaded:
        for square in range(cells * cells):
            x, y = (square % cells) * cell, (square // cells) * cell
            draw.rectangle([x, y, x + cell - 1, y + cell - 1], fill=square_shade(square, cells))
    n = rng.randint(min_objects, max_objects)
    colors = rng.sample(list(colors), n) if distinct_colors else [rng.choice(colors) for _ in range(n)]
    margin = cell // 4
    objects = []
    for square, color in zip(sorted(rng.sample(range(cells * cells), n)), colors):
        x1, y1 = (square % cells) * cell + margin, (square // cells) * cell + margin
        box = (x1, y1, x1 + cell - 2 * margin, y1 + cell - 2 * margin)
        obj = BoardObject(rng.choice(shapes), color, square, box)
        _draw(draw, obj)
        objects.append(obj)
    return img, objects


def square_shade(square: int, cells: int) -> tuple[int, int, int]:
    """A background whose red channel says the column and whose blue channel says the row (60-255)."""
    row, col = divmod(square, cells)
    step = 195 // max(1, cells - 1)
    return (60 + step * col, 225, 60 + step * row)


def board_expression(obj: BoardObject) -> str:
    """The referring expression of one object: "the red circle"."""
    return f"the {obj.color} {obj.shape}"


def _draw(draw: ImageDraw.ImageDraw, obj: BoardObject) -> None:
    """Draw a shape filling its box; the painted pixels span [x1, x2) x [y1, y2)."""
    x1, y1, x2, y2 = obj.box
    fill = COLORS[obj.color]
    if obj.shape == "circle":
        draw.ellipse([x1, y1, x2 - 1, y2 - 1], fill=fill)
    elif obj.shape == "square":
        draw.rectangle([x1, y1, x2 - 1, y2 - 1], fill=fill)
    else:
        draw.polygon([((x1 + x2 - 1) / 2, y1), (x2 - 1, y2 - 1), (x1, y2 - 1)], fill=fill)
