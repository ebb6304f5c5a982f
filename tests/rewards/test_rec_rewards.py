"""REC rewards (rewards/rec.py): IoU after rescaling, binary and continuous, against hand-computed values."""

from __future__ import annotations

import numpy as np
import pytest

from paddlemix.rewards import build_rewards, compute_rewards, get_reward

GT = [0, 0, 10, 10]
ORIGINAL = {"coord_frame": "original"}

REC_CASES = [
    # (completion, fields, binary reward, continuous reward)
    # --- valid answers ---
    # exact box
    ("<think>t</think><answer>[0, 0, 10, 10]</answer>", ORIGINAL, 1.0, 1.0),
    # VLM-R1's object, float coordinates
    ('<answer>{"bbox_2d": [0.0, 0.0, 10.0, 10.0], "label": "x"}</answer>', ORIGINAL, 1.0, 1.0),
    # half overlap: 50 / 150, below the 0.5 threshold
    ("<answer>[5, 0, 15, 10]</answer>", ORIGINAL, 0.0, 1 / 3),
    # a contained 8x8 box: inter (8-1+1)^2 = 64, union 64+100-64 = 100
    ("<answer>[1, 1, 9, 9]</answer>", ORIGINAL, 1.0, 0.64),
    # partly outside the image: clamped to [0, 0, 10, 10] of a 10x10 image first
    ("<answer>[-5, -5, 10, 10]</answer>", {**ORIGINAL, "image_size": (10, 10)}, 1.0, 1.0),
    # --- invalid answers ---
    # reversed corners
    ("<answer>[10, 10, 0, 0]</answer>", ORIGINAL, 0.0, 0.0),
    # several different boxes: a hedge
    ("<answer>[0, 0, 10, 10], [20, 20, 30, 30]</answer>", ORIGINAL, 0.0, 0.0),
    # five boxes, the right one first: still a hedge
    (
        "<answer>" + ", ".join(f"[{i}, 0, {i + 10}, 10]" for i in range(0, 50, 10)) + "</answer>",
        ORIGINAL,
        0.0,
        0.0,
    ),
    # NaN, non-numeric, no box
    ("<answer>[NaN, 0, 10, 10]</answer>", ORIGINAL, 0.0, 0.0),
    ("<answer>[a, b, c, d]</answer>", ORIGINAL, 0.0, 0.0),
    ("<answer>the left dog</answer>", ORIGINAL, 0.0, 0.0),
    # no tags closed, no answer
    ("<think>t</think><answer>[0, 0, 10, 10]", ORIGINAL, 0.0, 0.0),
    ("", ORIGINAL, 0.0, 0.0),
]


@pytest.mark.parametrize("completion, fields, binary, continuous", REC_CASES)
def test_rec_rewards(completion, fields, binary, continuous):
    columns = {"solution": [GT], **{k: [v] for k, v in fields.items()}}
    assert get_reward("rec_iou")([completion], **columns) == [binary]
    assert get_reward("rec_iou_continuous")([completion], **columns) == [pytest.approx(continuous)]


def test_qwen2_5_vl_answer_in_resized_input_pixels():
    # Original 2000x1000 (w, h), grid (1, 36, 72): input 504x1008 (h, w). The answer is the ground truth
    # [200, 100, 1000, 500] in input pixels; raw it would score about 0.13.
    columns = {
        "solution": [[200, 100, 1000, 500]],
        "image_size": [(2000, 1000)],
        "image_grid_thw": [np.array([1, 36, 72])],
        "model_type": ["qwen2_5_vl"],
    }
    completion = "<answer>[100.8, 50.4, 504, 252]</answer>"
    assert get_reward("rec_iou")([completion], **columns) == [1.0]
    assert get_reward("rec_iou_continuous")([completion], **columns) == [pytest.approx(1.0)]
    # the same via input_size instead of the grid
    columns.pop("image_grid_thw")
    assert get_reward("rec_iou")([completion], input_size=[(504, 1008)], **columns) == [1.0]


def test_qwen2_vl_answer_in_0_1000():
    # 640x480 image: [100, 250, 500, 1000] -> [64, 120, 320, 480].
    columns = {
        "solution": [[64, 120, 320, 480]],
        "image_size": [(640, 480)],
        "coord_frame": ["qwen2_vl_norm1000"],
    }
    assert get_reward("rec_iou")(["<answer>[100, 250, 500, 1000]</answer>"], **columns) == [1.0]
    # compared raw, as the seed did: inter 220*230 = 50600 over 300000+92160-50600, about 0.15
    raw = {**columns, "coord_frame": ["original"]}
    assert get_reward("rec_iou")(["<answer>[100, 250, 500, 1000]</answer>"], **raw) == [0.0]


@pytest.mark.parametrize(
    "solution",
    [
        "[0, 0, 10, 10]",  # saved as text
        "<answer>[0, 0, 10, 10]</answer>",  # VLM-R1's tagged solution
        (0, 0, 10, 10),
    ],
)
def test_solution_forms(solution):
    reward = get_reward("rec_iou")(
        ["<answer>[0, 0, 10, 10]</answer>"], solution=[solution], coord_frame=["original"]
    )
    assert reward == [1.0]


def test_other_tasks_samples_do_not_apply():
    assert get_reward("rec_iou")(
        ["<answer>4</answer>"], solution=["<answer> 4 </answer>"], task=["counting"]
    ) == [None]
    assert get_reward("rec_iou_continuous")(["<answer>4</answer>"], solution=["140°"], task=["geometry"]) == [
        None
    ]


def test_a_sample_without_a_frame_is_an_error_counted_by_the_runner():
    # Scoring a box in an unknown frame would be the seed's silent bug; it raises, and the runner counts it.
    with pytest.raises(ValueError, match="coord_frame"):
        get_reward("rec_iou")(["<answer>[0, 0, 10, 10]</answer>"], solution=[GT])
    funcs, weights = build_rewards(["rec_iou"])
    total, _, n_errors = compute_rewards(
        funcs, weights, ["<answer>[0, 0, 10, 10]</answer>"], {"solution": [GT]}
    )
    assert total.tolist() == [0.0] and n_errors == {"rec_iou": 1}
