"""Detection scenes: flat shapes of a few categories, none overlapping, each with its tight box in pixels.

A scene is the image and its objects; the records of each seed's format are built from them here:
- Vision-R1 (`vision_r1_record`): problem in Vision-R1-Data's Griffon wording, `solution` as
  `[[name, [x1, y1, x2, y2]], ...]`, `width`, `height`, `num_instances`, `target_id_maps`;
- VLM-R1 OVD (`ovd_conversation`): the blog's final prompt over open-vocabulary phrases ("red circle"),
  the answer a fenced JSON list or "None";
- COCO instances (`coco_dataset`): images, annotations (xywh, area, iscrowd 0) and categories with ids from 1.
Boxes are in original-image pixels, the frame every ground truth of ours is stored in.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass

from PIL import Image, ImageDraw

from paddlemix.datasets.synthetic.rec import COLORS

CATEGORIES = ("circle", "square", "triangle")  # COCO-style category names; ids are 1, 2, 3

# Vision-R1-Data's problems (Griffon wording), which Vision-R1 rewrites for Qwen (make_conversation_image).
VISION_R1_MULTI = (
    "Examine the image for any objects from the category set. Report the coordinates of each detected object."
    " The category set includes {categories}."
)
VISION_R1_SINGLE = (
    "Can you point out {category} in the image and provide the coordinates of its location?",
    "Locate the exact position of {category} in the picture, if you can.",
)
# VLM-R1's OVD problem, the final form its blog quotes (2025-03-24).
OVD_PROBLEM = (
    "Please carefully check the image and detect the following objects: [{objects}]. Output the bbox coordinates"
    " of detected objects in <answer></answer>. The bbox coordinates in Markdown format should be: \n"
    '```json\n[{{"bbox_2d": [x1, y1, x2, y2], "label": "object name"}}]\n```\n'
    ' If no targets are detected in the image, simply respond with "None".'
)


@dataclass(frozen=True)
class SceneObject:
    """One drawn object: its category, color and tight box (x1, y1, x2, y2) in pixels."""

    category: str
    color: str
    box: tuple[int, int, int, int]

    @property
    def phrase(self) -> str:
        """The open-vocabulary name, "red circle"."""
        return f"{self.color} {self.category}"


def draw_detection_scene(
    rng: random.Random, min_objects: int = 1, max_objects: int = 5
) -> tuple[Image.Image, list[SceneObject]]:
    """An image of min..max non-overlapping shapes (fewer if they do not fit) and the objects drawn."""
    width, height = rng.randrange(96, 161, 8), rng.randrange(72, 129, 8)
    wanted = rng.randint(min_objects, max_objects)
    objects: list[SceneObject] = []
    for _ in range(wanted * 40):
        if len(objects) == wanted:
            break
        side = rng.randint(max(8, min(width, height) // 7), max(10, min(width, height) // 3))
        x1, y1 = rng.randint(1, width - side - 1), rng.randint(1, height - side - 1)
        box = (x1, y1, x1 + side, y1 + side)
        if all(_apart(box, o.box) for o in objects):
            objects.append(SceneObject(rng.choice(CATEGORIES), rng.choice(list(COLORS)), box))
    if len(objects) < min_objects:
        return draw_detection_scene(rng, min_objects, max_objects)
    img = Image.new("RGB", (width, height), (235, 235, 225))
    draw = ImageDraw.Draw(img)
    for o in objects:
        _draw(draw, o)
    return img, objects


def _apart(a: tuple, b: tuple, margin: int = 3) -> bool:
    """Whether boxes a and b are at least `margin` pixels apart on some axis."""
    return a[2] + margin <= b[0] or b[2] + margin <= a[0] or a[3] + margin <= b[1] or b[3] + margin <= a[1]


def _draw(draw: ImageDraw.ImageDraw, o: SceneObject) -> None:
    """Fill the object's box with its shape; PIL's end coordinates are inclusive, so stop one pixel short."""
    x1, y1, x2, y2 = o.box
    fill = COLORS[o.color]
    if o.category == "circle":
        draw.ellipse([x1, y1, x2 - 1, y2 - 1], fill=fill)
    elif o.category == "square":
        draw.rectangle([x1, y1, x2 - 1, y2 - 1], fill=fill)
    else:
        draw.polygon([((x1 + x2 - 1) / 2, y1), (x2 - 1, y2 - 1), (x1, y2 - 1)], fill=fill)


def vision_r1_record(rng: random.Random, image_size: tuple[int, int], objects: list[SceneObject]) -> dict:
    """A Vision-R1-Data row (without the image): the multi-category problem, or a single-category one."""
    present = sorted({o.category for o in objects})
    if len(present) > 1 or rng.random() < 0.5:
        problem = VISION_R1_MULTI.format(categories=", ".join(present))
        chosen = objects
    else:
        problem = rng.choice(VISION_R1_SINGLE).format(category=present[0])
        chosen = [o for o in objects if o.category == present[0]]
    width, height = image_size
    return {
        "problem": problem,
        "solution": json.dumps([[o.category, [list(o.box)]] for o in chosen]),
        "width": width,
        "height": height,
        "num_instances": len(chosen),
        "target_id_maps": json.dumps({name: CATEGORIES.index(name) + 1 for name in present}),
    }


def ovd_answer(objects: list[SceneObject]) -> str:
    """VLM-R1's OVD answer for these objects: a fenced JSON list, or "None" when there are none."""
    if not objects:
        return "None"
    items = [{"bbox_2d": list(o.box), "label": o.phrase} for o in objects]
    return "```json\n" + json.dumps(items) + "\n```"


def ovd_query(rng: random.Random, objects: list[SceneObject]) -> tuple[list[str], list[SceneObject]]:
    """The phrases a sample asks for and the objects that answer them; 1 in 5 asks for absent ones only."""
    present = sorted({o.phrase for o in objects})
    absent = sorted({f"{c} {k}" for c in COLORS for k in CATEGORIES} - set(present))
    if rng.random() < 0.2:
        return rng.sample(absent, k=min(2, len(absent))), []
    asked = rng.sample(present, k=rng.randint(1, len(present)))
    if rng.random() < 0.3:
        asked.append(rng.choice(absent))
    return asked, [o for o in objects if o.phrase in asked]


def coco_dataset(
    images: list[tuple[str, tuple[int, int], list[SceneObject]]], names=CATEGORIES, key="category"
) -> dict:
    """A COCO instances dict of (file_name, (w, h), objects) images, categories `names` with ids from 1."""
    ids = {name: i + 1 for i, name in enumerate(names)}
    out = {
        "images": [],
        "annotations": [],
        "categories": [{"id": i, "name": n, "supercategory": "shape"} for n, i in ids.items()],
    }
    for image_id, (file_name, (w, h), objects) in enumerate(images, start=1):
        out["images"].append({"id": image_id, "file_name": file_name, "width": w, "height": h})
        for o in objects:
            x1, y1, x2, y2 = o.box
            out["annotations"].append(
                {
                    "id": len(out["annotations"]) + 1,
                    "image_id": image_id,
                    "category_id": ids[getattr(o, key)],
                    "bbox": [x1, y1, x2 - x1, y2 - y1],
                    "area": (x2 - x1) * (y2 - y1),
                    "iscrowd": 0,
                }
            )
    return out
