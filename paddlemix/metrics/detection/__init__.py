"""Detection, grounding and counting-by-boxes metrics: answer parsing, overlap, matching and COCO AP.

| module        | what                                                                              |
|---------------|-----------------------------------------------------------------------------------|
| parse.py      | the boxes and labels of a completion, in each seed's answer format, bounded        |
| frames.py     | detections from the model's frame to original pixels (through `metrics.boxes`)     |
| overlap.py    | IoU, GIoU, L1 and VLM-R1's inclusive-pixel IoU as (N, M) matrices                  |
| matching.py   | Hungarian matching on Vision-R1's cost; VLM-R1's greedy matching                   |
| coco.py       | pycocotools AP of one image (VLM-R1's reward) and of a dataset (the evals), silent |
| vision_r1.py  | Vision-R1's precision, recall and dual-format test                                 |
| ovd.py        | VLM-R1's OVD scores: one-image AP with the surplus-box penalty, weighted_sum       |
| ovdeval.py    | OVDEval's NMS-AP: ground-truth NMS over all labels, then COCO AP                  |
| grounding.py  | PR1's grounding metrics (IoU, ACC@t, Center_ACC) and counting by boxes             |
"""

from paddlemix.metrics.boxes import box_iou
from paddlemix.metrics.detection.coco import coco_bbox_ap, load_coco, single_image_ap, xyxy_to_xywh
from paddlemix.metrics.detection.frames import box_to_original, to_original_detections
from paddlemix.metrics.detection.grounding import (
    ACC_THRESHOLDS,
    GROUNDING_METRICS,
    count_boxes,
    grounding_scores,
    grounding_summary,
    pr1_count,
)
from paddlemix.metrics.detection.matching import greedy_match, hungarian, vision_r1_cost, vision_r1_match
from paddlemix.metrics.detection.ovd import ground_truth_items, ovd_ap, weighted_sum
from paddlemix.metrics.detection.overlap import giou_matrix, iou_matrix, l1_matrix, pixel_iou_matrix
from paddlemix.metrics.detection.parse import (
    MAX_BOXES,
    MAX_CHARS,
    Detection,
    VlmR1Answer,
    parse_json_detections,
    parse_qwen2_boxes,
    parse_vision_r1,
    parse_vlm_r1,
    pr1_box,
    valid_box,
)
from paddlemix.metrics.detection.vision_r1 import (
    VisionR1Rule,
    dual_format_ok,
    solution_boxes,
    target_id_map,
    vision_r1_rule,
    vision_r1_scores,
)

__all__ = [
    "ACC_THRESHOLDS",
    "GROUNDING_METRICS",
    "MAX_BOXES",
    "MAX_CHARS",
    "Detection",
    "VisionR1Rule",
    "VlmR1Answer",
    "box_iou",
    "box_to_original",
    "coco_bbox_ap",
    "count_boxes",
    "dual_format_ok",
    "giou_matrix",
    "greedy_match",
    "ground_truth_items",
    "grounding_scores",
    "grounding_summary",
    "hungarian",
    "iou_matrix",
    "l1_matrix",
    "load_coco",
    "ovd_ap",
    "parse_json_detections",
    "parse_qwen2_boxes",
    "parse_vision_r1",
    "parse_vlm_r1",
    "pixel_iou_matrix",
    "pr1_box",
    "pr1_count",
    "single_image_ap",
    "solution_boxes",
    "target_id_map",
    "to_original_detections",
    "valid_box",
    "vision_r1_cost",
    "vision_r1_match",
    "vision_r1_rule",
    "vision_r1_scores",
    "weighted_sum",
    "xyxy_to_xywh",
]
