"""Box parsing, rescaling and IoU (metrics/boxes.py) against hand-computed values."""

from __future__ import annotations

import numpy as np
import pytest

from paddlemix.metrics import (
    CoordFrame,
    answer_iou,
    box_iou,
    find_boxes,
    frame_for_model,
    inclusive_pixel_iou,
    input_size_from_grid,
    parse_box,
    resolve_frame,
    resolve_input_size,
    solution_box,
    to_original_frame,
)
from paddlemix.metrics.published import seed_rec_correct

FIND_CASES = [
    # a bare JSON list of integers
    ("[10, 20, 30, 40]", [[10, 20, 30, 40]]),
    # VLM-R1's object with floats
    ('{"bbox_2d": [10.5, 20, 30, 40.25], "label": "cat"}', [[10.5, 20, 30, 40.25]]),
    # Qwen2.5-VL's fenced list of objects
    ('```json\n[\n\t{"bbox_2d": [1, 2, 3, 4], "label": "dog"}\n]\n```', [[1, 2, 3, 4]]),
    # prose around the bracket, no spaces inside it
    ("the box is [1,2,3,4].", [[1, 2, 3, 4]]),
    # Qwen2-VL's native point pair
    ("(100,200),(300,400)", [[100, 200, 300, 400]]),
    # signs and exponents
    ("[-5, 1e2, +3, .5]", [[-5, 100, 3, 0.5]]),
    # two boxes, in order of appearance
    ("[5, 6, 7, 8] then (1,2),(3,4)", [[5, 6, 7, 8], [1, 2, 3, 4]]),
    # NaN and infinity are not coordinates
    ("[NaN, 1, 2, 3]", []),
    ("[1e999, 0, 1, 1]", []),
    # three or five numbers are not a box
    ("[1, 2, 3]", []),
    ("[1, 2, 3, 4, 5]", []),
    # non-numeric entries
    ("[a, b, c, d]", []),
    ('["1", "2", "3", "4"]', []),
    # empty
    ("", []),
]


@pytest.mark.parametrize("text, expected", FIND_CASES)
def test_find_boxes(text, expected):
    assert find_boxes(text) == [[float(v) for v in b] for b in expected]


PARSE_CASES = [
    # the answer's one box
    ('<think>t</think><answer>{"bbox_2d": [1, 2, 30, 40]}</answer>', [1, 2, 30, 40]),
    # untagged completion (baseline prompt): the whole text
    ('[{"bbox_2d": [1, 2, 30, 40], "label": "a"}]', [1, 2, 30, 40]),
    # a box in the reasoning only does not count
    ("<think>[1, 2, 30, 40]</think><answer>none</answer>", None),
    # unclosed answer: no answer, no box
    ("<think>t</think><answer>[1, 2, 30, 40]", None),
    # several different boxes: a hedge, no box (the seed took the first)
    ("<answer>[1, 2, 30, 40], [50, 60, 70, 80]</answer>", None),
    ('<answer>[{"bbox_2d": [1, 2, 30, 40]}, {"bbox_2d": [1, 2, 30, 41]}]</answer>', None),
    # the same box twice is one box
    ('<answer>{"bbox_2d": [1, 2, 30, 40]} i.e. [1, 2, 30, 40]</answer>', [1, 2, 30, 40]),
    # reversed corners are returned as written; IoU then scores them 0
    ("<answer>[30, 40, 1, 2]</answer>", [30, 40, 1, 2]),
    # no box
    ("<answer>the dog</answer>", None),
    ("", None),
]


@pytest.mark.parametrize("text, expected", PARSE_CASES)
def test_parse_box(text, expected):
    assert parse_box(text) == (None if expected is None else [float(v) for v in expected])


IOU_CASES = [
    # identical boxes
    ([0, 0, 10, 10], [0, 0, 10, 10], 1.0),
    # half overlap: inter (9-5+1)*(9-0+1) = 50, union 100+100-50 = 150
    ([0, 0, 10, 10], [5, 0, 15, 10], 1 / 3),
    # contained: inter (5-2+1)^2 = 16, union 100+16-16 = 100
    ([0, 0, 10, 10], [2, 2, 6, 6], 0.16),
    # floats: inter (min(9.5, 9)-0+1)*(9-0+1) = 100, union 105+100-100 = 105
    ([0, 0, 10.5, 10], [0, 0, 10, 10], 100 / 105),
    # disjoint
    ([0, 0, 10, 10], [20, 20, 30, 30], 0.0),
    # a one-pixel overlap is no overlap under the seed's rule (exclusive IoU would be 10/190)
    ([0, 0, 10, 10], [9, 0, 19, 10], 0.0),
    # reversed corners cover nothing
    ([10, 10, 0, 0], [0, 0, 10, 10], 0.0),
    # a zero-area box (the seed divided by zero when both were)
    ([5, 5, 5, 5], [5, 5, 5, 5], 0.0),
]


@pytest.mark.parametrize("a, b, expected", IOU_CASES)
def test_inclusive_pixel_iou(a, b, expected):
    assert inclusive_pixel_iou(a, b) == pytest.approx(expected, abs=1e-12)
    assert inclusive_pixel_iou(b, a) == pytest.approx(expected, abs=1e-12)


BOX_IOU_CASES = [
    # identical boxes
    ([0, 0, 10, 10], [0, 0, 10, 10], 1.0),
    # half overlap: inter 5*10 = 50, union 150 (the inclusive variant gives the same here)
    ([0, 0, 10, 10], [5, 0, 15, 10], 1 / 3),
    # contained: inter 4*4 = 16, union 100
    ([0, 0, 10, 10], [2, 2, 6, 6], 0.16),
    # a one-unit overlap counts: 10 / 190 (the inclusive variant gives 0)
    ([0, 0, 10, 10], [9, 0, 19, 10], 10 / 190),
    # touching edges: no area in common
    ([0, 0, 10, 10], [10, 0, 20, 10], 0.0),
    # floats: inter 10*10 = 100, union 105 + 100 - 100 (the inclusive variant agrees)
    ([0, 0, 10.5, 10], [0, 0, 10, 10], 100 / 105),
    # disjoint
    ([0, 0, 10, 10], [20, 20, 30, 30], 0.0),
    # reversed corners cover nothing
    ([10, 10, 0, 0], [0, 0, 10, 10], 0.0),
    # zero-area boxes: 0, not a division by zero
    ([5, 5, 5, 5], [5, 5, 5, 5], 0.0),
]


@pytest.mark.parametrize("a, b, expected", BOX_IOU_CASES)
def test_box_iou(a, b, expected):
    assert box_iou(a, b) == pytest.approx(expected, abs=1e-12)
    assert box_iou(b, a) == pytest.approx(expected, abs=1e-12)


def test_inclusive_pixel_iou_matches_the_seed_float_for_float():
    # The seed's formula, verbatim, on float boxes: same float, not just close.
    def seed_iou(box1, box2):
        inter_x1 = max(box1[0], box2[0])
        inter_y1 = max(box1[1], box2[1])
        inter_x2 = min(box1[2] - 1, box2[2] - 1)
        inter_y2 = min(box1[3] - 1, box2[3] - 1)
        if inter_x1 < inter_x2 and inter_y1 < inter_y2:
            inter = (inter_x2 - inter_x1 + 1) * (inter_y2 - inter_y1 + 1)
        else:
            inter = 0
        union = (box1[2] - box1[0]) * (box1[3] - box1[1]) + (box2[2] - box2[0]) * (box2[3] - box2[1]) - inter
        return float(inter) / union

    rng = np.random.default_rng(0)
    for _ in range(200):
        a = sorted(rng.uniform(0, 100, 2))
        b = sorted(rng.uniform(0, 100, 2))
        c = sorted(rng.uniform(0, 100, 2))
        d = sorted(rng.uniform(0, 100, 2))
        box1, box2 = [a[0], b[0], a[1], b[1]], [c[0], d[0], c[1], d[1]]
        assert inclusive_pixel_iou(box1, box2) == seed_iou(box1, box2)


def test_qwen2_5_vl_boxes_scale_from_the_resized_input():
    # Original 1000x500 (w, h); grid (1, 36, 72) -> input 504x1008 (h, w): x scales by 1000/1008, y 500/504.
    box = to_original_frame(
        [100.8, 50.4, 504, 252], "qwen2_5_vl_abs", image_size=(1000, 500), input_size=(504, 1008)
    )
    assert box == pytest.approx([100, 50, 500, 250])


def test_qwen2_vl_boxes_scale_from_1000():
    # Original 640x480: x * 0.64, y * 0.48.
    box = to_original_frame([100, 250, 500, 1000], CoordFrame.QWEN2_VL_NORM1000, image_size=(640, 480))
    assert box == pytest.approx([64, 120, 320, 480])


def test_original_frame_only_clamps():
    assert to_original_frame([1, 2, 3, 4], "original") == [1, 2, 3, 4]
    # negative corners and overshoot are clipped to the image
    assert to_original_frame([-10, -5, 700, 500], "original", image_size=(640, 480)) == [0, 0, 640, 480]


def test_rescaled_boxes_are_clamped():
    # 1100/1000 * 640 = 704 > 640: clamped to the image
    box = to_original_frame([0, 0, 1100, 1000], "qwen2_vl_norm1000", image_size=(640, 480))
    assert box == pytest.approx([0, 0, 640, 480])


@pytest.mark.parametrize(
    "frame, kwargs, message",
    [
        ("qwen2_5_vl_abs", {"image_size": (10, 10)}, "input_size"),  # no input size
        ("qwen2_5_vl_abs", {"input_size": (14, 14)}, "image_size"),  # no original size
        ("qwen2_vl_norm1000", {}, "image_size"),  # no original size
        ("pixels", {}, "qwen2_5_vl_abs, qwen2_vl_norm1000, original"),  # unknown frame: known ones listed
    ],
)
def test_to_original_frame_errors(frame, kwargs, message):
    with pytest.raises(ValueError, match=message):
        to_original_frame([1, 2, 3, 4], frame, **kwargs)


def test_input_size_from_grid():
    assert input_size_from_grid([1, 36, 72]) == (504, 1008)
    assert input_size_from_grid(np.array([[1, 36, 72]])) == (504, 1008)  # one row of a (n, 3) grid
    with pytest.raises(ValueError, match="3 entries"):
        input_size_from_grid([[1, 2, 2], [1, 2, 2]])  # two images


def test_resolve_input_size_prefers_the_explicit_size():
    assert resolve_input_size(input_size=(28, 56), image_grid_thw=[1, 4, 4]) == (28, 56)
    assert resolve_input_size(image_grid_thw=[1, 2, 4]) == (28, 56)
    assert resolve_input_size() is None


def test_frames_from_model_type():
    assert frame_for_model("qwen2_5_vl") is CoordFrame.QWEN2_5_VL_ABS
    assert frame_for_model("qwen2_vl") is CoordFrame.QWEN2_VL_NORM1000
    assert resolve_frame("original", "qwen2_vl") is CoordFrame.ORIGINAL  # explicit frame wins
    with pytest.raises(ValueError, match="qwen2_5_vl, qwen2_vl"):
        frame_for_model("llava")
    with pytest.raises(ValueError, match="coord_frame"):
        resolve_frame()


@pytest.mark.parametrize(
    "solution, expected",
    [
        ([1, 2, 3, 4], [1, 2, 3, 4]),  # the REC json's list
        ((1, 2, 3, 4), [1, 2, 3, 4]),
        (np.array([1, 2, 3, 4]), [1, 2, 3, 4]),
        ("[1, 2, 3, 4]", [1, 2, 3, 4]),  # a list saved as text
        ("<answer>[1, 2, 3, 4]</answer>", [1, 2, 3, 4]),  # VLM-R1's tagged solution
        ("<answer> 3 </answer>", None),  # a counting solution
        ("140°", None),  # a GeoQA solution
        (4, None),
        ([1, 2, 3], None),
        ([float("nan"), 2, 3, 4], None),
        ([[1, 2], [3, 4]], None),  # two points, not one box: never flattened into one
        ([[1, 2, 3, 4]], None),  # a list of boxes (here of one): a detection-style solution, not a REC box
        (np.array([[1, 2], [3, 4]]), None),
        (None, None),
    ],
)
def test_solution_box(solution, expected):
    assert solution_box(solution) == expected


def test_answer_iou_fixes_the_seeds_resize_bug():
    # Original 2000x1000, model input 1008x504 (grid 1x36x72). The model's box is exactly the ground truth in
    # input pixels. Rescaled, IoU is 1; compared raw as the seed did, inter (503-200+1)*(251-100+1) = 46208
    # over union 403.2*201.6 + 800*400 - 46208, about 0.13: a right answer scored wrong.
    gt = [200, 100, 1000, 500]
    completion = "<think>t</think><answer>[100.8, 50.4, 504, 252]</answer>"
    assert (
        answer_iou(completion, gt, "qwen2_5_vl_abs", (2000, 1000), input_size_from_grid([1, 36, 72])) == 1.0
    )
    assert inclusive_pixel_iou([100.8, 50.4, 504, 252], gt) == pytest.approx(
        46208 / (403.2 * 201.6 + 320000 - 46208)
    )
    assert not seed_rec_correct(completion, gt)


def test_answer_iou_qwen2_vl():
    # 640x480 image; the answer in 0-1000 maps onto the ground truth exactly.
    completion = "<answer>(100,250),(500,1000)</answer>"
    assert answer_iou(completion, [64, 120, 320, 480], "qwen2_vl_norm1000", (640, 480)) == pytest.approx(1.0)


def test_answer_iou_without_a_box_is_zero_and_a_bad_solution_raises():
    assert answer_iou("<answer>none</answer>", [0, 0, 10, 10], "original") == 0.0
    with pytest.raises(ValueError, match="not one"):
        answer_iou("<answer>[0, 0, 10, 10]</answer>", "4", "original")


@pytest.mark.parametrize(
    "frame, input_size",
    [("qwen2_5_vl_abs", (84, 112)), ("qwen2_vl_norm1000", None), ("original", None)],
)
def test_to_model_frame_inverts_to_original_frame(frame, input_size):
    from paddlemix.metrics.boxes import to_model_frame

    box = [13.0, 7.0, 120.0, 90.0]
    there = to_model_frame(box, frame, image_size=(150, 100), input_size=input_size)
    assert to_original_frame(there, frame, image_size=(150, 100), input_size=input_size) == pytest.approx(box)


def test_to_model_frame_scales_into_the_resized_input_and_1000():
    from paddlemix.metrics.boxes import to_model_frame

    # 150x100 (w, h) resized to 84x112 (h, w): x * 112/150, y * 84/100.
    assert to_model_frame([75, 50, 150, 100], "qwen2_5_vl_abs", (150, 100), (84, 112)) == pytest.approx(
        [56, 42, 112, 84]
    )
    assert to_model_frame([75, 50, 150, 100], "qwen2_vl_norm1000", (150, 100)) == pytest.approx(
        [500, 500, 1000, 1000]
    )
