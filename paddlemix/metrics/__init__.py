"""Metrics shared by the GRPO rewards and the eval commands: boxes and IoU, answers and math correctness.

A leaf package: it imports nothing else of paddlemix (tests/metrics/test_leaf_package.py checks). Rewards,
tasks and evaluation wrap it. Which metric gives which number:

| metric                                    | file         | reproduces                                       |
|-------------------------------------------|--------------|--------------------------------------------------|
| `math_correct`                            | answers.py   | ours ("fixed"): counting and geometry rewards/eval |
| `answer_iou` (`inclusive_pixel_iou` > 0.5) | boxes.py     | ours ("fixed"): REC reward/eval, VLM-R1's IoU formula, boxes rescaled |
| `box_iou`                                 | boxes.py     | the standard IoU (COCO, torchvision); no published number here yet |
| `r1v_counting_correct`                    | published.py | R1-V SuperCLEVR-200: 48.0 (Qwen2-VL-2B), 82.5 (GRPO 100 steps) |
| `r1v_geoqa_correct`                       | published.py | R1-V GeoQA: 30.6366 (Qwen2-VL-7B), 38.7268 (GRPO 2 epochs) |
| `seed_geoqa_correct`, `seed_rec_correct`  | published.py | PaddleMIX's eval scripts, bugs included           |
"""

from paddlemix.metrics.answers import (
    answer_candidates,
    equivalent,
    extract_answer,
    extract_answers,
    extract_count,
    final_answer,
    gold_answer,
    is_value,
    math_correct,
    parse_math,
    to_latex,
)
from paddlemix.metrics.boxes import (
    PATCH_SIZE,
    CoordFrame,
    answer_iou,
    box_iou,
    coord_frame,
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

__all__ = [
    "PATCH_SIZE",
    "CoordFrame",
    "answer_candidates",
    "answer_iou",
    "box_iou",
    "coord_frame",
    "equivalent",
    "extract_answer",
    "extract_answers",
    "extract_count",
    "final_answer",
    "find_boxes",
    "frame_for_model",
    "gold_answer",
    "inclusive_pixel_iou",
    "is_value",
    "input_size_from_grid",
    "math_correct",
    "parse_box",
    "parse_math",
    "resolve_frame",
    "resolve_input_size",
    "solution_box",
    "to_latex",
    "to_original_frame",
]
