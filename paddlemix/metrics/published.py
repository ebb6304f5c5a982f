"""The scorers behind published numbers, kept as they were so `rescore` can reproduce those numbers.

They are not our metric (that is `math_correct` / `answer_iou`); each one's known flaw is stated beside it.

- R1-V counting (src/eval/test_qwen2vl_counting_superclevr.py): the integer in `<answer> N </answer>`
  equals the ground truth. Gave 48.0 (Qwen2-VL-2B-Instruct) and 82.5 (after 100 GRPO steps) on SuperCLEVR-200.
- R1-V GeoQA (src/eval/test_qwen2vl_geoqa.py): math-verify `parse` of the *whole* output, verified against
  `parse(ground_truth)`. Gave 30.6366 (Qwen2-VL-7B-Instruct) and 38.7268 (after 2 epochs of GRPO). math-verify
  does not see a number written flush against the tags (`<answer>25</answer>`), so this mostly scored the
  last number of the reasoning, and it reads the ground truth "4√{3}" as 4.
- the seed (PaddleMIX eval/test_r1-v.py) scores GeoQA with the counting regex, an int compared with strings
  such as "140°": always wrong.
- the seed's REC eval (PaddleMIX eval/test_rec.py, after VLM-R1's src/eval/test_rec_r1.py): the first
  bracket of four numbers in the `<answer>` block (r1 prompt) or the first four comma-separated numbers in the
  output (baseline prompt), compared raw, with no rescale, IoU > 0.5.
- VLM-R1's REC eval (src/eval/test_rec_r1.py and test_rec_baseline.py at 6fd7e5e, the version that wrote its
  published `rec_results_*_qwen2_5vl_3b_instruct_*.json`): r1 reads `<answer>...</answer>` and then a
  `{... [a, b, c, d] ...}` of integers, both *without* re.DOTALL (an answer spanning lines scores 0);
  baseline reads the first `[a, b, c, d]` of numbers anywhere. No rescale; IoU > 0.5. Reproduces 90.2
  (refcoco_val, r1_600) and 83.0 (refcocog_val, sft_500).
"""

from __future__ import annotations

import re

from math_verify import parse, verify

from paddlemix.metrics.answers import extract_count
from paddlemix.metrics.boxes import inclusive_pixel_iou

_SEED_ANSWER = re.compile(r"\s*<answer>(.*?)</answer>", re.DOTALL)
_SEED_R1_BOX = re.compile(
    r"\[([-+]?\d*\.\d+|\d+),\s*([-+]?\d*\.\d+|\d+),\s*([-+]?\d*\.\d+|\d+),\s*([-+]?\d*\.\d+|\d+)\]"
)
_SEED_BASELINE_BOX = re.compile(r"(-?\d*\.?\d+),\s*(-?\d*\.?\d+),\s*(-?\d*\.?\d+),\s*(-?\d*\.?\d+)")

# VLM-R1 at 6fd7e5e: no re.DOTALL in either r1 search, on purpose (later commits added it and moved scores).
_VLM_R1_ANSWER = re.compile(r"<answer>(.*?)</answer>")
_VLM_R1_R1_BOX = re.compile(r"\{.*\[(\d+),\s*(\d+),\s*(\d+),\s*(\d+)]\s*.*\}")
_VLM_R1_BASELINE_BOX = re.compile(
    r"\[(\s*-?\d*\.?\d+\s*),\s*(\s*-?\d*\.?\d+\s*),\s*(\s*-?\d*\.?\d+\s*),\s*(\s*-?\d*\.?\d+\s*)\]"
)
VLM_R1_METHODS = ("r1", "baseline")


def r1v_counting_correct(output: str, ground_truth) -> bool:
    """R1-V's counting rule: `<answer>\\s*(\\d+)\\s*</answer>` as an int equals the ground truth."""
    answer = extract_count(output)
    return answer is not None and answer == ground_truth


def r1v_geoqa_correct(output: str, ground_truth: str) -> bool:
    """R1-V's GeoQA rule: math-verify of the whole output (reasoning included) against the ground truth.

    `parse` skips "<answer>25</answer>" and takes the last number of the reasoning instead, and reads "2√{3}"
    as 2. The argument order of `verify` is R1-V's (prediction first), kept for exactness.
    """
    answer = parse(output)
    return answer is not None and float(verify(answer, parse(ground_truth))) > 0


def seed_geoqa_correct(output: str, ground_truth) -> bool:
    """The seed's GeoQA rule, the counting regex: never right when the ground truth is a string."""
    return r1v_counting_correct(output, ground_truth)


def seed_rec_box(output: str, method: str = "r1") -> list[float]:
    """The box the seed's REC eval read from an output; [0, 0, 0, 0] when it found none."""
    if method == "baseline":
        match = _SEED_BASELINE_BOX.search(output)
    elif method == "r1":
        answer = _SEED_ANSWER.search(output)
        match = _SEED_R1_BOX.search(answer.group(1).strip()) if answer else None
    else:
        raise ValueError(f"unknown seed REC method {method!r}; known: r1, baseline")
    return [float(g) for g in match.groups()] if match else [0.0, 0.0, 0.0, 0.0]


def seed_rec_correct(output: str, ground_truth, method: str = "r1") -> bool:
    """The seed's REC rule: IoU of the raw (not rescaled) box with the ground truth above 0.5."""
    return inclusive_pixel_iou(seed_rec_box(output, method), [float(v) for v in ground_truth]) > 0.5


def vlm_r1_rec_box(output: str, method: str = "r1") -> list[float]:
    """The box VLM-R1's published REC eval read from an output (`method` r1 | baseline); [0, 0, 0, 0] if none."""
    if method == "r1":
        answer = _VLM_R1_ANSWER.search(output)
        match = _VLM_R1_R1_BOX.search(answer.group(1).strip()) if answer else None
    elif method == "baseline":
        match = _VLM_R1_BASELINE_BOX.search(output)
    else:
        raise ValueError(f"unknown VLM-R1 REC method {method!r}; known: {', '.join(VLM_R1_METHODS)}")
    return [float(g) for g in match.groups()] if match else [0.0, 0.0, 0.0, 0.0]


def vlm_r1_rec_correct(output: str, ground_truth, method: str = "r1") -> bool:
    """VLM-R1's published REC rule: IoU of the raw box with the ground truth above 0.5."""
    return inclusive_pixel_iou(vlm_r1_rec_box(output, method), [float(v) for v in ground_truth]) > 0.5
