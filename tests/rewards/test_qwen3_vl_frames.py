"""Qwen3-VL's 0-1000 frame in every box task: a perfect answer in that frame scores the maximum.

The image is 640 x 480 and Qwen3-VL's processor resizes it (factor 32, the tiny budget) to a different input,
so a reward that used the input size (or Qwen2.5-VL's absolute frame) would score below the maximum.
"""

from __future__ import annotations

import json

import pytest

from paddlemix.metrics.boxes import CoordFrame, frame_for_model
from paddlemix.processors import Qwen3VLProcessor
from paddlemix.rewards import get_reward
from paddlemix.testing.reference import synthetic_image
from tests.helpers import tiny_dir

W, H = 640, 480
BOX = [64, 96, 320, 288]  # original pixels
NORM = [100, 200, 500, 600]  # the same box in 0-1000 of the image


@pytest.fixture(scope="module")
def grid():
    """Qwen3-VL's image_grid_thw for the image, checked to be a resized input (not 640 x 480)."""
    processor = Qwen3VLProcessor.from_pretrained(tiny_dir("qwen3_vl_tied"), max_pixels=256 * 256)
    thw = processor.image_processor([synthetic_image(H, W, 0)])["image_grid_thw"][0].tolist()
    assert (thw[1] * 16, thw[2] * 16) != (H, W)
    return thw


def score(name, completion, **fields):
    return get_reward(name)([completion], **{k: [v] for k, v in fields.items()})[0]


def test_qwen3_vl_is_in_the_norm1000_frame():
    assert frame_for_model("qwen3_vl") is CoordFrame.QWEN2_VL_NORM1000


def test_rec(grid):
    fields = {"solution": BOX, "image_size": [W, H], "image_grid_thw": grid, "model_type": "qwen3_vl"}
    answer = f"<answer>{json.dumps([{'bbox_2d': NORM, 'label': 'cat'}])}</answer>"
    assert score("rec_iou_continuous", answer, **fields) == pytest.approx(1.0)
    # The same numbers read as Qwen2.5-VL's absolute input pixels are a different box.
    assert score("rec_iou_continuous", answer, **{**fields, "model_type": "qwen2_5_vl"}) < 0.9


def test_grounding(grid):
    answer = f"<|object_ref_start|>the cat<|object_ref_end|><|box_start|>({NORM[0]},{NORM[1]}),({NORM[2]},{NORM[3]})<|box_end|>"
    fields = {"solution": BOX, "image_size": [W, H], "image_grid_thw": grid, "model_type": "qwen3_vl"}
    assert score("iou_squared", answer, **fields) == pytest.approx(1.0)


def test_detection(grid):
    fields = {
        "solution": json.dumps([["cat", [BOX]]]),
        "width": W,
        "height": H,
        "num_instances": 1,
        "target_id_maps": json.dumps({"cat": 1}),
        "image_grid_thw": grid,
        "model_type": "qwen3_vl",
    }
    answer = f'```json\n[{{"bbox_2d": {NORM}, "label": "cat"}}]\n```'
    assert score("vision_r1_precision", answer, **fields) == pytest.approx(1.0)
    assert score("vision_r1_recall", answer, **fields) == pytest.approx(1.0)


def test_ovd(grid):
    solution = f'<answer> ```json\n[{{"bbox_2d": {BOX}, "label": "cat"}}]\n``` </answer>'
    answer = f'<think>t</think><answer>```json\n[{{"bbox_2d": {NORM}, "label": "cat"}}]\n```</answer>'
    fields = {"solution": solution, "image_size": [W, H], "image_grid_thw": grid, "model_type": "qwen3_vl"}
    assert score("od_ap", answer, **fields) == pytest.approx(1.0)


def test_affordance(grid):
    # Ground truth in the 840 x 840 frame Affordance-R1 uses: the box and its centre point.
    sx, sy = 840 / W, 840 / H
    gt_box = [BOX[0] * sx, BOX[1] * sy, BOX[2] * sx, BOX[3] * sy]
    gt = [{"bbox_2d": gt_box, "point_2d": [(gt_box[0] + gt_box[2]) / 2, (gt_box[1] + gt_box[3]) / 2]}]
    item = {"bbox_2d": NORM, "point_2d": [300, 400], "affordance": "hold"}
    answer = f"<think>a</think> <rethink>b</rethink> <answer>{json.dumps([item])}</answer>"
    fields = {
        "solution": json.dumps(gt),
        "image_size": [W, H],
        "image_grid_thw": grid,
        "model_type": "qwen3_vl",
    }
    assert score("aff_accuracy", answer, **fields) == pytest.approx(3.0)
