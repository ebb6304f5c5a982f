"""One-to-one matching of predicted and ground-truth boxes: Hungarian on Vision-R1's cost, and a greedy one.

Vision-R1 (`BoxPriorMatcher`, vision_r1/visionr1_qwen.py) matches with `scipy.optimize.linear_sum_assignment`
on the cost

    C[i, j] = L1(pred_i, gt_j) - [class(pred_i) == class(gt_j)] - GIoU(pred_i, gt_j)

with weights 1:1:1. L1 is over raw pixel coordinates, not normalised, so it dominates: the match is in effect
"nearest box", the class term only breaks near-ties. A prediction's class is its label's id in the sample's
`target_id_maps` (lower-cased), 0 for an unknown label; ground-truth ids are >= 1, so an unknown label never
earns the class term. min(N, M) pairs are returned; surplus predictions are left unmatched.

`greedy_match` is VLM-R1's `weighted_sum` matching: repeatedly pair the highest-IoU unmatched pair, stopping
when the best is below the threshold.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment

from paddlemix.metrics.detection.overlap import as_boxes, giou_matrix, l1_matrix


@dataclass(frozen=True)
class Match:
    """Matched index pairs and the GIoU of each pair."""

    pred: np.ndarray  # (K,) int, indices into the predictions
    gt: np.ndarray  # (K,) int, indices into the ground truth
    giou: np.ndarray  # (K,) float64


def vision_r1_cost(pred_boxes, pred_classes, gt_boxes, gt_classes) -> np.ndarray:
    """(N, M) Vision-R1's matching cost: L1 - class agreement - GIoU."""
    same_class = np.asarray(pred_classes)[:, None] == np.asarray(gt_classes)[None, :]
    return l1_matrix(pred_boxes, gt_boxes) - same_class.astype(np.float64) - giou_matrix(pred_boxes, gt_boxes)


def hungarian(cost: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row and column indices of the minimum-cost one-to-one assignment (min(N, M) pairs)."""
    cost = np.asarray(cost, dtype=np.float64)
    if cost.size == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    rows, cols = linear_sum_assignment(cost)
    return rows.astype(np.int64), cols.astype(np.int64)


def vision_r1_match(pred_boxes, pred_classes, gt_boxes, gt_classes) -> Match:
    """Vision-R1's Hungarian match of valid predicted boxes to ground-truth boxes, with each pair's GIoU."""
    pred_boxes, gt_boxes = as_boxes(pred_boxes), as_boxes(gt_boxes)
    rows, cols = hungarian(vision_r1_cost(pred_boxes, pred_classes, gt_boxes, gt_classes))
    giou = giou_matrix(pred_boxes, gt_boxes)[rows, cols] if len(rows) else np.zeros(0)
    return Match(rows, cols, giou)


def greedy_match(iou: np.ndarray, threshold: float) -> list[tuple[int, int]]:
    """VLM-R1's greedy pairing: take the max-IoU unmatched pair (first in row-major order on ties) until < threshold."""
    iou = np.array(iou, dtype=np.float64, copy=True).reshape(iou.shape if np.ndim(iou) == 2 else (0, 0))
    pairs: list[tuple[int, int]] = []
    while iou.size and min(iou.shape) > len(pairs):
        flat = int(np.argmax(iou))
        i, j = divmod(flat, iou.shape[1])
        if iou[i, j] < threshold:
            break
        pairs.append((i, j))
        iou[i, :] = -np.inf
        iou[:, j] = -np.inf
    return pairs
