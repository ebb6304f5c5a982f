"""Affordance scenes: simple tools with a handle-like part, a question about a use, and its exact answer.

Four kinds of object, each drawn as two parts with their affordance: a mug (handle: hold, body: contain), a
knife (handle: hold, blade: cut), a hammer (handle: hold, head: pound) and a pan (handle: hold, body:
contain). A scene holds the target object (or two of them, and then the question is plural) and maybe one
object of another kind as a distractor. Each target part is drawn into its own mask, so the answer is exact:
its tight box, a point on the part (the part pixel nearest its centroid: a mug handle's centroid lies in
the hole), the affordance word, and the union mask.

Files (`write_affordance_layout`), in Affordance-R1's fields: `Affordance/reasonaff_train/` (HF dataset
directory, split "train": `problem, image, solution, aff_name, part_name`, the solution a JSON string of
`{"bbox_2d", "point_2d", "affordance"}` in the 840x840 frame, rounded to integers) and
`Affordance/reasonaff_test/` (split "test": `id, image, mask, img_height, img_width, mask_h, mask_w,
bboxes, problem`, `bboxes` the seed's string `[[(x1, y1), (x2, y2)], ...]` in original pixels, `mask` a
PNG; plus our `aff_name` and `solution`).
"""

from __future__ import annotations

import io
import json
import os
import random
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw

from paddlemix.datasets.hf_dir import write_hf_dir

AFF_SIZE = 840  # the seed's frame for boxes and points
KINDS = {
    "mug": {"handle": "hold", "body": "contain"},
    "knife": {"handle": "hold", "blade": "cut"},
    "hammer": {"handle": "hold", "head": "pound"},
    "pan": {"handle": "hold", "body": "contain"},
}
QUESTIONS = {  # (one object, two objects)
    ("mug", "hold"): (
        "Which part of the mug would you hold to drink from it?",
        "Which parts of the mugs would you hold to drink from them?",
    ),
    ("mug", "contain"): ("Where does the mug keep the coffee?", "Where do the mugs keep the coffee?"),
    ("knife", "hold"): (
        "Where should I grip the knife to use it safely?",
        "Where should I grip the knives to use them safely?",
    ),
    ("knife", "cut"): ("Which part of the knife cuts the bread?", "Which parts of the knives cut the bread?"),
    ("hammer", "hold"): (
        "Which part of the hammer do you hold when driving a nail?",
        "Which parts of the hammers do you hold when driving nails?",
    ),
    ("hammer", "pound"): (
        "Which part of the hammer strikes the nail?",
        "Which parts of the hammers strike the nails?",
    ),
    ("pan", "hold"): (
        "Where would you hold the pan to lift it?",
        "Where would you hold the pans to lift them?",
    ),
    ("pan", "contain"): ("Which part of the pan holds the food?", "Which parts of the pans hold the food?"),
}
PALETTE = ((180, 60, 50), (50, 110, 180), (70, 150, 80), (200, 160, 40), (120, 80, 160), (90, 90, 90))
TRAIN_FEATURES = {
    "image": {"_type": "Image"},
    "problem": {"dtype": "string", "_type": "Value"},
    "solution": {"dtype": "string", "_type": "Value"},
    "aff_name": {"dtype": "string", "_type": "Value"},
    "part_name": {"dtype": "string", "_type": "Value"},
}
TEST_FEATURES = {
    "id": {"dtype": "string", "_type": "Value"},
    "image": {"_type": "Image"},
    "mask": {"_type": "Image"},
    "img_height": {"dtype": "int64", "_type": "Value"},
    "img_width": {"dtype": "int64", "_type": "Value"},
    "mask_h": {"dtype": "int64", "_type": "Value"},
    "mask_w": {"dtype": "int64", "_type": "Value"},
    "bboxes": {"dtype": "string", "_type": "Value"},
    "problem": {"dtype": "string", "_type": "Value"},
    "aff_name": {"dtype": "string", "_type": "Value"},
    "solution": {"dtype": "string", "_type": "Value"},
}


@dataclass
class AffordanceScene:
    """A drawn scene and its answer, boxes and points in the image's own pixels."""

    image: Image.Image
    problem: str
    aff_name: str
    part_name: str
    objects: list[dict]  # {"bbox_2d": [x1, y1, x2, y2], "point_2d": [x, y], "affordance": str}
    mask: np.ndarray  # bool (H, W): the union of the target parts


def _draw_parts(kind: str, x: int, y: int, s: int) -> dict[str, list[tuple[str, tuple]]]:
    """Drawing commands (method, args) per part for an object whose top-left corner is (x, y); s = scale."""
    u = max(2, s // 20)  # one unit of thickness
    if kind == "mug":
        return {
            "body": [("rectangle", (x, y, x + 4 * u, y + 5 * u))],
            "handle": [("arc", (x + 3 * u, y + u, x + 6 * u, y + 4 * u, -90, 90))],
        }
    if kind == "knife":
        return {
            "handle": [("rectangle", (x, y + u, x + 4 * u, y + 2 * u))],
            "blade": [("polygon", ((x + 4 * u, y), (x + 10 * u, y + u), (x + 4 * u, y + 2 * u + u // 2)))],
        }
    if kind == "hammer":
        return {
            "head": [("rectangle", (x, y, x + 5 * u, y + 2 * u))],
            "handle": [("rectangle", (x + 2 * u, y + 2 * u, x + 3 * u, y + 8 * u))],
        }
    return {  # pan
        "body": [("ellipse", (x, y, x + 5 * u, y + 5 * u))],
        "handle": [("rectangle", (x + 5 * u, y + 2 * u, x + 10 * u, y + 3 * u))],
    }


def _extent(kind: str, s: int) -> tuple[int, int]:
    """(width, height) an object of this kind takes at scale s."""
    u = max(2, s // 20)
    return {
        "mug": (6 * u, 5 * u),
        "knife": (10 * u, 3 * u),
        "hammer": (5 * u, 8 * u),
        "pan": (10 * u, 5 * u),
    }[kind]


def _render(draw: ImageDraw.ImageDraw, commands, fill, width: int) -> None:
    """Run drawing commands with one fill colour (arcs get a stroke width)."""
    for method, args in commands:
        if method == "arc":
            draw.arc(args[:4], args[4], args[5], fill=fill, width=width)
        else:
            getattr(draw, method)(args, fill=fill)


def draw_affordance_scene(rng: random.Random, size: int = 224) -> AffordanceScene:
    """A square scene of `size` pixels with its question and exact answer (see the module docstring)."""
    kind = rng.choice(sorted(KINDS))
    part = rng.choice(sorted(KINDS[kind]))
    affordance = KINDS[kind][part]
    kinds = [kind, kind] if rng.random() < 0.25 else [kind]
    if len(kinds) == 1 and rng.random() < 0.5:
        kinds.append(rng.choice([k for k in sorted(KINDS) if k != kind]))
    placed = _place(rng, kinds, size)
    if placed is None:  # a crowded draw: fall back to the target alone
        kinds = [kind]
        placed = _place(rng, kinds, size)
    img = Image.new("RGB", (size, size), tuple(rng.randint(225, 250) for _ in range(3)))
    draw = ImageDraw.Draw(img)
    unit = max(2, size // 20)
    objects, mask = [], np.zeros((size, size), dtype=bool)
    for k, (x, y) in zip(kinds, placed):
        colors = rng.sample(PALETTE, 2)
        parts = _draw_parts(k, x, y, size)
        for (name, commands), color in zip(sorted(parts.items()), colors):
            _render(draw, commands, color, unit)
            if k != kind or name != part:
                continue
            part_img = Image.new("1", (size, size), 0)
            _render(ImageDraw.Draw(part_img), commands, 1, unit)
            part_mask = np.array(part_img, dtype=bool)
            mask |= part_mask
            objects.append(
                {"bbox_2d": _box(part_mask), "point_2d": _point(part_mask), "affordance": affordance}
            )
    problem = QUESTIONS[(kind, affordance)][len(objects) > 1]
    return AffordanceScene(img, problem, affordance, part, objects, mask)


def _place(rng: random.Random, kinds: list[str], size: int) -> list[tuple[int, int]] | None:
    """Top-left corners for the objects, at least 4 px apart and inside the image, or None."""
    boxes: list[tuple[int, int, int, int]] = []
    for kind in kinds:
        w, h = _extent(kind, size)
        for _ in range(100):
            x, y = rng.randint(2, size - w - 2), rng.randint(2, size - h - 2)
            box = (x, y, x + w, y + h)
            if all(
                b[2] + 4 <= box[0] or box[2] + 4 <= b[0] or b[3] + 4 <= box[1] or box[3] + 4 <= b[1]
                for b in boxes
            ):
                boxes.append(box)
                break
        else:
            return None
    return [(b[0], b[1]) for b in boxes]


def _box(mask: np.ndarray) -> list[int]:
    """The tight box [x1, y1, x2, y2] of a mask, x2/y2 the last covered pixel (the seed's +1 convention)."""
    ys, xs = np.nonzero(mask)
    return [int(xs.min()), int(ys.min()), int(xs.max()), int(ys.max())]


def _point(mask: np.ndarray) -> list[int]:
    """The mask pixel nearest the mask's centroid."""
    ys, xs = np.nonzero(mask)
    i = int(np.argmin((xs - xs.mean()) ** 2 + (ys - ys.mean()) ** 2))
    return [int(xs[i]), int(ys[i])]


def to_840(values: list[int], size: int) -> list[int]:
    """Pixels of a `size`-square image into the 840 frame, rounded."""
    return [int(round(v * AFF_SIZE / size)) for v in values]


def solution_json(scene: AffordanceScene) -> str:
    """The seed's solution string: the objects in the 840 frame."""
    size = scene.image.size[0]
    items = [
        {
            "bbox_2d": to_840(o["bbox_2d"], size),
            "point_2d": to_840(o["point_2d"], size),
            "affordance": o["affordance"],
        }
        for o in scene.objects
    ]
    return json.dumps(items)


def write_affordance_layout(
    out: str, n: int = 64, n_eval: int = 16, seed: int = 0, layout: str = "save_to_disk", size: int = 224
) -> str:
    """Affordance/ with a ReasonAff-like train and test set (HF dataset directories); returns Affordance/."""
    root = os.path.join(out, "Affordance")
    train = []
    for i in range(n):
        scene = draw_affordance_scene(random.Random(f"{seed}/affordance/train/{i}"), size)
        train.append(
            {
                "image": {"bytes": _png(scene.image), "path": f"synthetic_aff_train_{i:06d}.png"},
                "problem": scene.problem,
                "solution": solution_json(scene),
                "aff_name": scene.aff_name,
                "part_name": scene.part_name,
            }
        )
    write_hf_dir(os.path.join(root, "reasonaff_train"), {"train": train}, TRAIN_FEATURES, layout)
    test = []
    for i in range(n_eval):
        scene = draw_affordance_scene(random.Random(f"{seed}/affordance/test/{i}"), size)
        width, height = scene.image.size
        mask = Image.fromarray(scene.mask.astype(np.uint8) * 255, mode="L")
        bboxes = [
            [(o["bbox_2d"][0], o["bbox_2d"][1]), (o["bbox_2d"][2], o["bbox_2d"][3])] for o in scene.objects
        ]
        test.append(
            {
                "id": f"synthetic_aff_{i:06d}",
                "image": {"bytes": _png(scene.image), "path": f"synthetic_aff_test_{i:06d}.png"},
                "mask": {"bytes": _png(mask), "path": f"synthetic_aff_mask_{i:06d}.png"},
                "img_height": height,
                "img_width": width,
                "mask_h": height,
                "mask_w": width,
                "bboxes": str(bboxes),
                "problem": scene.problem,
                "aff_name": scene.aff_name,
                "solution": solution_json(scene),
            }
        )
    write_hf_dir(os.path.join(root, "reasonaff_test"), {"test": test}, TEST_FEATURES, layout)
    return root


def _png(img: Image.Image) -> bytes:
    """PNG bytes of an image."""
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()
