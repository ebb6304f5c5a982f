"""VLM-R1's open-vocabulary detection scores: one-image COCO AP with a surplus-box penalty, and weighted_sum.

Both read the answer with `parse_vlm_r1` (last `<answer>`; "None" or the last ```json list) and map boxes to
original pixels first (VLM-R1 compared raw numbers; the ground truth's frame was never published).

`ovd_ap` (VLM-R1 `map_reward` / `od_reward` / `odLength_reward`):
    no <answer> -> 0;  ground truth "None" -> 1 iff the answer is "None";  answer "None" -> 0
    ap = single_image_ap(P, G)  (0 if P is empty);   with the length penalty: ap * min(1, |G| / |P|)
|P| counts every item the answer lists, malformed ones and labels outside the ground truth included, though
only well-formed boxes with a ground-truth label enter the AP (as VLM-R1's `except: pass` did).
Difference from VLM-R1: there, an answer with no fenced list (e.g. "no objects") against a "None" ground
truth also scored 1 (both lists empty); here only "None" does.

`weighted_sum` (VLM-R1 `detection_score`, iou_threshold 0.5, alpha 0.7, beta 0.0, gamma 0.3): greedy IoU
matching (`greedy_match`, VLM-R1's inclusive-pixel IoU); a matched pair with different lower-cased labels
scores IoU 0;
    pos = sum(IoU of matches) / |G|;  label = #label-correct / |G|
    completeness = 1 - (unmatched G / |G| + unmatched P / |P|) / 2
    score = (alpha * pos + beta * label + gamma * completeness) / (alpha + beta + gamma)
VLM-R1's item without a label kept the previous item's label (an unbound or stale `pred_label`); here it
matches no label.
"""

from __future__ import annotations

from collections.abc import Sequence

from paddlemix.metrics.detection.coco import single_image_ap
from paddlemix.metrics.detection.frames import to_original_detections
from paddlemix.metrics.detection.matching import greedy_match
from paddlemix.metrics.detection.overlap import pixel_iou_matrix
from paddlemix.metrics.detection.parse import Detection, VlmR1Answer, parse_vlm_r1, vlm_r1_solution


def ground_truth_items(solution, frame="original", image_size=None, input_size=None) -> VlmR1Answer:
    """The ground truth of a VLM-R1 sample, boxes in original pixels; ValueError if an item is malformed."""
    gt = vlm_r1_solution(solution)
    if gt.kind == "missing":
        raise ValueError(f"VLM-R1 solution {str(solution)[:200]!r} is neither None nor a ```json list")
    items = to_original_detections(gt.items, frame, image_size, input_size)
    if any(d.box is None or d.label is None for d in items):
        raise ValueError(f"VLM-R1 solution {str(solution)[:200]!r} has a malformed item")
    return VlmR1Answer(gt.kind, tuple(items))


def _answer_items(completion: str, frame, image_size, input_size) -> VlmR1Answer:
    """The completion's answer with its boxes in original pixels."""
    pred = parse_vlm_r1(completion)
    return VlmR1Answer(pred.kind, tuple(to_original_detections(pred.items, frame, image_size, input_size)))


def ovd_ap(
    completion: str,
    gt: VlmR1Answer,
    frame,
    image_size=None,
    input_size=None,
    stat: int = 0,
    length_penalty: bool = False,
) -> float:
    """VLM-R1's od_ap (stat 0), od_ap50 (stat 1), or odLength (stat 0 with the length penalty)."""
    pred = _answer_items(completion, frame, image_size, input_size)
    if pred.kind == "missing":
        return 0.0
    if gt.kind == "none" or not gt.items:
        return 1.0 if pred.kind == "none" else 0.0
    if pred.kind == "none" or not pred.items:
        return 0.0
    boxes = [(d.label, d.box) for d in pred.items if d.box is not None]
    ap = single_image_ap(boxes, [(d.label, d.box) for d in gt.items], stat=stat) if boxes else 0.0
    if length_penalty and len(pred.items) > len(gt.items):
        ap *= len(gt.items) / len(pred.items)
    return ap


def weighted_sum(
    completion: str,
    gt: VlmR1Answer,
    frame,
    image_size=None,
    input_size=None,
    iou_threshold: float = 0.5,
    alpha: float = 0.7,
    beta: float = 0.0,
    gamma: float = 0.3,
) -> float:
    """VLM-R1's `detection_score` of a completion against the ground truth (see the module docstring)."""
    pred = _answer_items(completion, frame, image_size, input_size)
    if pred.kind == "missing":
        return 0.0
    if gt.kind == "none" or not gt.items:
        return 1.0 if pred.kind == "none" else 0.0
    if pred.kind == "none" or not pred.items:
        return 0.0
    return _detection_score(pred.items, gt.items, iou_threshold, alpha, beta, gamma)


def _detection_score(
    pred: Sequence[Detection],
    gt: Sequence[Detection],
    threshold: float,
    alpha: float,
    beta: float,
    gamma: float,
) -> float:
    """The weighted sum of position, label and completeness over a greedy IoU matching."""
    boxes = [d.box if d.box is not None else (0.0, 0.0, 0.0, 0.0) for d in pred]
    iou = pixel_iou_matrix(boxes, [d.box for d in gt])
    pairs = greedy_match(iou, threshold)
    position = label_hits = 0.0
    for i, j in pairs:
        same = pred[i].label is not None and pred[i].label.lower() == gt[j].label.lower()
        position += iou[i, j] if same else 0.0
        label_hits += float(same)
    completeness = 1.0 - ((len(gt) - len(pairs)) / len(gt) + (len(pred) - len(pairs)) / len(pred)) / 2.0
    total = alpha * position / len(gt) + beta * label_hits / len(gt) + gamma * completeness
    return float(total / (alpha + beta + gamma))
