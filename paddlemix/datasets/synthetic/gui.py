"""A synthetic GUI-defect set in VLM-R1's `gui_multi-image.jsonl` layout: two "screenshots" per record.

    GUI/gui_multi-image.jsonl        {"id", "image": [before, after], "conversations": [...],
    GUI/gui_multi-image_val.jsonl     "accu_reward_method": "all_match"}
    GUI/images/*.png                 56 x 56 "screens": a title bar, a button, a text field

Each record shows a screen before and after an "action" (a click on the button). The answer is a defect
name when the after-screen went wrong, or "No Defect" when it changed as it should:

| answer           | the after-screen                                      |
|------------------|-------------------------------------------------------|
| No Defect        | the button is pressed (darker), everything else equal |
| Button No Response | identical to the before-screen                      |
| Blank Screen     | all white                                             |
| Overlap          | the text field drawn over the button                  |

`python -m paddlemix.datasets.synthetic --task gui --out DIR` writes it; every record draws from its own
seeded generator (`sample_rng`).
"""

from __future__ import annotations

import os

from PIL import Image, ImageDraw

from paddlemix.datasets.synthetic.writers import _save, _write_jsonl, sample_rng

GUI_DIR = "GUI"
TRAIN_FILE, VAL_FILE = "gui_multi-image.jsonl", "gui_multi-image_val.jsonl"
ANSWERS = ("No Defect", "Button No Response", "Blank Screen", "Overlap")
QUESTION = (
    "<image><image>The first image is the screen before the user clicked the button, the second the screen "
    "after. Is there a UI defect? Answer with the defect name, or No Defect."
)
SIZE = 56


def draw_screen(rng, pressed: bool = False) -> tuple[Image.Image, dict]:
    """A before-screen (or the same layout with the button pressed) and its layout, drawn from `rng`."""
    layout = {
        "bar": tuple(rng.randrange(40, 200) for _ in range(3)),
        "button": (rng.randrange(4, 20), rng.randrange(14, 24)),
        "field": (rng.randrange(26, 40), rng.randrange(34, 44)),
    }
    return render(layout, pressed), layout


def render(layout: dict, pressed: bool = False, overlap: bool = False) -> Image.Image:
    """One screen of `layout`: title bar, button (darker when pressed) and text field (over the button)."""
    img = Image.new("RGB", (SIZE, SIZE), (235, 235, 235))
    draw = ImageDraw.Draw(img)
    draw.rectangle([0, 0, SIZE - 1, 9], fill=layout["bar"])
    bx, by = layout["button"]
    draw.rectangle([bx, by, bx + 18, by + 10], fill=(40, 60, 160) if pressed else (90, 130, 230))
    fx, fy = layout["field"] if not overlap else (bx + 4, by + 3)
    draw.rectangle([fx, fy, fx + 14, fy + 7], fill=(255, 255, 255), outline=(0, 0, 0))
    return img


def after_screen(layout: dict, answer: str) -> Image.Image:
    """The after-screen that shows `answer`."""
    if answer == "No Defect":
        return render(layout, pressed=True)
    if answer == "Button No Response":
        return render(layout)
    if answer == "Blank Screen":
        return Image.new("RGB", (SIZE, SIZE), (255, 255, 255))
    return render(layout, pressed=True, overlap=True)


def gui_record(root: str, split: str, index: int, seed: int) -> dict:
    """One record: draw the two screens under root/images and return its jsonl record."""
    rng = sample_rng(seed, "gui", split, index)
    answer = ANSWERS[index % len(ANSWERS)] if split == "train" else rng.choice(ANSWERS)
    before, layout = draw_screen(rng)
    names = [f"images/{split}_{index:05d}_before.png", f"images/{split}_{index:05d}_after.png"]
    _save(before, os.path.join(root, names[0]))
    _save(after_screen(layout, answer), os.path.join(root, names[1]))
    return {
        "id": f"{split}_{index}",
        "image": names,
        "conversations": [{"from": "human", "value": QUESTION}, {"from": "gpt", "value": answer}],
        "accu_reward_method": "all_match",
    }


def write_gui_layout(out: str, n: int = 16, n_eval: int = 4, seed: int = 0, **_) -> str:
    """GUI/ with n training and n_eval validation records (module docstring); returns GUI/."""
    root = os.path.join(out, GUI_DIR)
    os.makedirs(os.path.join(root, "images"), exist_ok=True)
    for name, split, count in ((TRAIN_FILE, "train", n), (VAL_FILE, "val", n_eval)):
        _write_jsonl(os.path.join(root, name), [gui_record(root, split, i, seed) for i in range(count)])
    return root
