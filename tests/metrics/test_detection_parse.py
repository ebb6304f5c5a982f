"""Answer parsing for each seed's detection format (metrics/detection/parse.py), valid and malformed."""

from __future__ import annotations

import pytest

from paddlemix.metrics.detection import (
    MAX_BOXES,
    Detection,
    box_to_original,
    parse_json_detections,
    parse_qwen2_boxes,
    parse_vision_r1,
    parse_vlm_r1,
    pr1_box,
)

FENCE = "```"


def vlm(items_json: str) -> str:
    """A VLM-R1 completion answering a fenced JSON list."""
    return f"<think>t</think><answer>{FENCE}json\n{items_json}\n{FENCE}</answer>"


VLM_CASES = [
    # one well-formed item
    (vlm('[{"bbox_2d": [1, 2, 30, 40], "label": "cat"}]'), "list", [((1, 2, 30, 40), "cat")]),
    # "None" answers no target
    ("<answer>None</answer>", "none", []),
    # no <answer> block: nothing answered
    (vlm("[]").replace("<answer>", ""), "missing", []),
    # the last <answer> and the last fence win (VLM-R1's findall()[-1])
    (
        "<answer>None</answer> " + vlm('[{"bbox_2d": [0, 0, 5, 5], "label": "a"}]'),
        "list",
        [((0, 0, 5, 5), "a")],
    ),
    # an unfenced list is no list for VLM-R1
    ('<answer>[{"bbox_2d": [1, 2, 3, 4], "label": "a"}]</answer>', "list", []),
    # truncated JSON inside the fence: no items
    (vlm('[{"bbox_2d": [1, 2, 3'), "list", []),
    # malformed items stay as items with no box: reversed corners, NaN, 3 numbers, strings, booleans, no box
    (
        vlm(
            '[{"bbox_2d": [30, 40, 1, 2], "label": "a"}, {"bbox_2d": [NaN, 0, 1, 1], "label": "b"},'
            ' {"bbox_2d": [1, 2, 3], "label": "c"}, {"bbox_2d": ["1", "2", "3", "4"], "label": "d"},'
            ' {"bbox_2d": [true, 0, 2, 2], "label": "e"}, {"label": "f"}, 7]'
        ),
        "list",
        [(None, "a"), (None, "b"), (None, "c"), (None, "d"), (None, "e"), (None, "f"), (None, None)],
    ),
    # an overflowing literal is malformed, not an exception
    (vlm('[{"bbox_2d": [1e999, 0, 1, 1], "label": "a"}]'), "list", [(None, "a")]),
    # a label that is not a string is no label
    (vlm('[{"bbox_2d": [0, 0, 1, 1], "label": 3}]'), "list", [((0, 0, 1, 1), None)]),
]


@pytest.mark.parametrize("text, kind, expected", VLM_CASES)
def test_parse_vlm_r1(text, kind, expected):
    answer = parse_vlm_r1(text)
    assert answer.kind == kind
    assert [(d.box, d.label) for d in answer.items] == [
        (None if b is None else tuple(float(v) for v in b), label) for b, label in expected
    ]


def test_vlm_r1_too_many_items_is_no_list():
    items = ",".join('{"bbox_2d": [0, 0, 1, 1], "label": "a"}' for _ in range(MAX_BOXES + 1))
    assert parse_vlm_r1(vlm(f"[{items}]")).items == ()


VISION_R1_CASES = [
    # the fenced list, Qwen2.5-VL's own layout
    (
        f'{FENCE}json\n[\n\t{{"bbox_2d": [1, 2, 30, 40], "label": "cat"}}\n]\n{FENCE}',
        [((1, 2, 30, 40), "cat")],
    ),
    # a bare list
    ('[{"bbox_2d": [1, 2, 30, 40], "label": "cat"}]', [((1, 2, 30, 40), "cat")]),
    # floats are truncated to int, as Vision-R1 does
    ('[{"bbox_2d": [1.9, 2.5, 30.2, 40.99], "label": "cat"}]', [((1, 2, 30, 40), "cat")]),
    # a box that truncation makes empty is dropped
    ('[{"bbox_2d": [1.1, 2, 1.9, 40], "label": "cat"}]', []),
    # invalid items are dropped, not kept (Vision-R1 filters x1 < x2, y1 < y2)
    (
        '[{"bbox_2d": [30, 2, 1, 40], "label": "a"}, {"bbox_2d": [0, 0, 5, 5], "label": "b"}]',
        [((0, 0, 5, 5), "b")],
    ),
    # prose before the fence: JSON fails, the fallback regex finds the exactly spaced items
    (
        f'Here:\n{FENCE}json\n[{{"bbox_2d": [10, 20, 30, 40], "label": "dog"}}]\n{FENCE}',
        [((10, 20, 30, 40), "dog")],
    ),
    # truncated output: the regex recovers the complete items
    ('[{"bbox_2d": [10, 20, 30, 40], "label": "dog"}, {"bbox_2d": [1, 2', [((10, 20, 30, 40), "dog")]),
    # the regex wants the exact spacing and 0-1000 integers
    ('Here: [{"bbox_2d":[10,20,30,40],"label":"dog"}', []),
    ('x {"bbox_2d": [10, 20, 3000, 40], "label": "dog"}', []),
    # nothing
    ("", []),
    ("   ", []),
]


@pytest.mark.parametrize("text, expected", VISION_R1_CASES)
def test_parse_vision_r1(text, expected):
    assert [(d.box, d.label) for d in parse_vision_r1(text)] == [
        (tuple(float(v) for v in b), label) for b, label in expected
    ]


def test_parse_json_detections_repairs_a_truncated_list_on_demand():
    cut = f'{FENCE}json\n[{{"bbox_2d": [1, 2, 3, 4], "label": "a"}}, {{"bbox_2d": [5, 6'
    assert parse_json_detections(cut) == (None, False)
    items, repaired = parse_json_detections(cut, repair=True)
    assert repaired and items == [Detection((1.0, 2.0, 3.0, 4.0), "a")]


def test_parse_json_detections_reads_the_answer_block():
    text = '<think>[{"bbox_2d": [0, 0, 1, 1], "label": "x"}]</think><answer>[{"bbox_2d": [0, 0, 2, 2], "label": "y"}]</answer>'
    assert parse_json_detections(text) == ([Detection((0.0, 0.0, 2.0, 2.0), "y")], False)


QWEN2_CASES = [
    # Qwen2-VL's grounding output
    (
        "<|object_ref_start|>the cat<|object_ref_end|><|box_start|>(10,20),(300,400)<|box_end|><|im_end|>",
        [((10, 20, 300, 400), "the cat")],
    ),
    # two objects, each labelled by the ref just before its box
    (
        "<|object_ref_start|>a<|object_ref_end|><|box_start|>(1,2),(3,4)<|box_end|> and "
        "<|object_ref_start|>b<|object_ref_end|><|box_start|>(5,6),(7,8)<|box_end|>",
        [((1, 2, 3, 4), "a"), ((5, 6, 7, 8), "b")],
    ),
    # a span without a point pair, and a reversed one: malformed items
    ("<|box_start|>(1,2)<|box_end|><|box_start|>(9,9),(1,1)<|box_end|>", [(None, None), (None, None)]),
    # special tokens stripped by decoding: the bare pairs
    ("the cat(10,20),(300,400)", [((10, 20, 300, 400), None)]),
    # no box
    ("a cat", []),
]


@pytest.mark.parametrize("text, expected", QWEN2_CASES)
def test_parse_qwen2_boxes(text, expected):
    assert [(d.box, d.label) for d in parse_qwen2_boxes(text)] == [
        (None if b is None else tuple(float(v) for v in b), label) for b, label in expected
    ]


PR1_CASES = [
    ("[1, 2, 3, 4]", [1, 2, 3, 4]),
    ("(1.5, 2, 3, 4)", [1.5, 2, 3, 4]),
    ("<|box_start|>(10,20),(30,40)<|box_end|>", [10, 20, 30, 40]),
    # the bracket pattern is tried first wherever it is
    ("(10,20),(30,40) [1, 2, 3, 4]", [1, 2, 3, 4]),
    # PR1's third pattern allows no space before ")"
    ("(10,20 ),(30,40)", [0, 0, 0, 0]),
    ("nothing", [0, 0, 0, 0]),
]


@pytest.mark.parametrize("text, expected", PR1_CASES)
def test_pr1_box(text, expected):
    assert pr1_box(text) == [float(v) for v in expected]


FRAME_CASES = [
    # Qwen2-VL 0-1000 on a 200x100 image
    ((100, 100, 500, 500), "qwen2_vl_norm1000", (200, 100), None, (20, 10, 100, 50)),
    # Qwen2.5-VL absolute pixels of a 56x112 (h, w) input on a 224x112 (w, h) image: x2, y2
    ((28, 14, 56, 28), "qwen2_5_vl_abs", (224, 112), (56, 112), (56, 28, 112, 56)),
    # partly outside the image: clamped
    ((-10, -10, 50, 50), "original", (20, 20), None, (0, 0, 20, 20)),
    # entirely outside the image: no area left
    ((30, 30, 50, 50), "original", (20, 20), None, None),
    # a runaway coordinate is no box, not a full-image box
    ((0, 0, 1e12, 1e12), "qwen2_vl_norm1000", (200, 100), None, None),
    # reversed corners
    ((50, 50, 10, 10), "original", (100, 100), None, None),
]


@pytest.mark.parametrize("box, frame, image_size, input_size, expected", FRAME_CASES)
def test_box_to_original(box, frame, image_size, input_size, expected):
    out = box_to_original(box, frame, image_size, input_size)
    if expected is None:
        assert out is None
    else:
        assert out == pytest.approx(expected)
