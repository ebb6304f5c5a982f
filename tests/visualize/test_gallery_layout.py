"""What a gallery picture and page look like (`paddlemix/visualize/gallery.py`, `draw.py`): small images
enlarged by whole pixels, a right answer showing both its boxes, labels kept on the picture, and (in headless
Chromium) no text running out of its entry; `tools/screenshot_gallery.py` crops the page to N entries."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from paddlemix.visualize.draw import PRED_COLOR, TRUTH_COLOR
from paddlemix.visualize.gallery import Entry, write_gallery
from tests.visualize.helpers import box_drawn_at, edge_share, open_gallery, label_tag

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BOARD = (138, 120)  # (w, h): a quickstart board's size; enlarged 3 times to 414 x 360


def board(path, seed=0) -> str:
    """A BOARD-sized image of grey noise (no pixel of the drawing colours), saved at `path`."""
    rng = np.random.default_rng(seed)
    arr = rng.integers(150, 200, size=(BOARD[1], BOARD[0], 3), dtype=np.uint8)
    Image.fromarray(arr).save(path)
    return str(path)


def rec_result(answer_box, truth_box) -> dict:
    """A REC result record answered with `answer_box`, both boxes in original pixels."""
    return {
        "question": "the red circle",
        "model_output": "the red circle [{}, {}, {}, {}]".format(*answer_box),
        "ground_truth": list(truth_box),
        "coord_frame": "original",
        "image_size": list(BOARD),
    }


def picture(tmp_path, answer_box, truth_box, image=None):
    """The gallery of one REC entry; returns (its picture's path, the image it was drawn from)."""
    image = image or board(tmp_path / "board.png")
    index = write_gallery(str(tmp_path / "g"), [Entry(image, rec_result(answer_box, truth_box))], "rec", "t")
    page = open_gallery(index)
    return os.path.join(os.path.dirname(index), page.images[0]), image


def test_small_images_are_enlarged_by_whole_pixels_and_boxes_with_them(tmp_path):
    box = [46, 40, 92, 80]
    path, image = picture(tmp_path, box, [0, 0, 46, 40])
    drawn = np.asarray(Image.open(path).convert("RGB"))
    original = np.asarray(Image.open(image).convert("RGB"))
    assert drawn.shape[:2] == (BOARD[1] * 3, BOARD[0] * 3)  # the smallest whole factor reaching 320 px
    # nearest neighbour: each original pixel is a 3 x 3 square of its own colour (the bottom-right third of
    # the board holds no shape or label)
    corner = drawn[270:, 300:]
    assert (corner == np.repeat(np.repeat(original[90:, 100:], 3, 0), 3, 1)).all()
    assert box_drawn_at(path, box, BOARD[0])  # the box at 3 times its original pixels


def test_a_right_answer_shows_the_prediction_and_the_truth_on_every_edge(tmp_path):
    box = [46, 40, 92, 80]
    path, _ = picture(tmp_path, box, box)
    scale = Image.open(path).size[0] / BOARD[0]
    scaled = [scale * v for v in box]
    # drawn one over the other, the truth was hidden: now dashed on top, the prediction's red around it
    assert edge_share(path, scaled, TRUTH_COLOR) > 0.3
    assert edge_share(path, scaled, PRED_COLOR) > 0.9


def test_labels_stay_on_the_picture_when_the_box_spans_it(tmp_path):
    box = [0, 0, 46, BOARD[1]]  # top to bottom: no room above or under for either tag
    path, _ = picture(tmp_path, box, box)
    assert label_tag(path, PRED_COLOR) and label_tag(path, TRUTH_COLOR)


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None or DRIVER is None, reason="no chromium + chromedriver installed")
def test_in_a_browser_nothing_overflows_its_entry_and_the_screenshot_crops_to_n_entries(tmp_path):
    pytest.importorskip("selenium", reason="selenium not installed")
    deep = tmp_path / ("a_very_long_folder_name_without_any_space_" * 4)
    deep.mkdir()
    entries = [
        Entry(board(deep / f"board_{i}_{'x' * 60}.png", i), rec_result([46, 40, 92, 80], [46, 40, 92, 80]))
        for i in range(4)
    ]
    entries[3].result["model_output"] = "[" + ",".join(["1234567890"] * 30) + "]"  # one long word
    index = write_gallery(str(tmp_path / "g"), entries, "rec", "layout")

    from tools.screenshot_gallery import open_browser

    driver = open_browser(CHROMIUM, DRIVER, 1400, 2000)
    try:
        driver.get("file://" + index)
        overflow = driver.execute_script(
            "return Array.from(document.querySelectorAll('div.entry, div.entry p'))"
            ".filter(e => e.scrollWidth > e.clientWidth + 1)"
            ".map(e => e.className || e.textContent.slice(0, 40));"
        )
        images = driver.execute_script(
            "return Array.from(document.images).map(i => [i.naturalWidth, i.getBoundingClientRect().width]);"
        )
    finally:
        driver.quit()
    assert overflow == []
    assert all(natural >= 320 and shown == natural for natural, shown in images), images  # not shrunk

    shot = tmp_path / "gallery.png"
    proc = subprocess.run(
        [sys.executable, os.path.join(REPO, "tools", "screenshot_gallery.py"), index, str(shot),
         "--entries", "3", "--width", "1400", "--chromium", CHROMIUM, "--chromedriver", DRIVER],
        cwd=REPO, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    print(f"screenshot: {shot}")
    assert "3 entries" in proc.stdout
    with Image.open(shot) as img:
        # 3 entries of 414 px pictures make the first row at 1400 px (about 780 px high): the crop ends under
        # it, above the second row's long entry
        assert img.size[0] == 1400 and 600 < img.size[1] < 1000, img.size
