"""Overlap of box sets: IoU, GIoU and L1 as (N, M) matrices over [x1, y1, x2, y2] arrays.

`iou_matrix` and `giou_matrix` are the standard continuous definitions (pycocotools' and torchvision's):
intersection (min x2 - max x1) * (min y2 - max y1), clamped at 0; union = area1 + area2 - intersection;
GIoU = IoU - (hull - union) / hull. A box with no area (x2 <= x1 or y2 <= y1) overlaps nothing: IoU 0 and
GIoU -1 against everything, never a division by zero. `pixel_iou_matrix` is VLM-R1's inclusive-pixel IoU
(the same rule as `metrics.boxes.inclusive_pixel_iou`), which its `weighted_sum` reward uses. The scalar
standard IoU of two boxes is `metrics.boxes.box_iou`; `iou_matrix` is the same number for every pair.
"""

from __future__ import annotations

import numpy as np


def as_boxes(boxes) -> np.ndarray:
    """Boxes as a float64 (N, 4) array (an empty list gives (0, 4))."""
    array = np.asarray(boxes, dtype=np.float64)
    return array.reshape(-1, 4)


def _areas(b: np.ndarray) -> np.ndarray:
    """(N,) areas; 0 for boxes with x2 <= x1 or y2 <= y1."""
    return np.clip(b[:, 2] - b[:, 0], 0, None) * np.clip(b[:, 3] - b[:, 1], 0, None)


def _intersections(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(N, M) intersection areas."""
    w = np.minimum(a[:, None, 2], b[None, :, 2]) - np.maximum(a[:, None, 0], b[None, :, 0])
    h = np.minimum(a[:, None, 3], b[None, :, 3]) - np.maximum(a[:, None, 1], b[None, :, 1])
    return np.clip(w, 0, None) * np.clip(h, 0, None)


def iou_matrix(a, b) -> np.ndarray:
    """(N, M) standard IoU of every box of `a` with every box of `b`; 0 where either box has no area."""
    a, b = as_boxes(a), as_boxes(b)
    inter = _intersections(a, b)
    union = _areas(a)[:, None] + _areas(b)[None, :] - inter
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(union > 0, inter / np.where(union > 0, union, 1.0), 0.0)
    return out


def giou_matrix(a, b) -> np.ndarray:
    """(N, M) generalized IoU in [-1, 1]; -1 where either box has no area."""
    a, b = as_boxes(a), as_boxes(b)
    iou = iou_matrix(a, b)
    inter = _intersections(a, b)
    union = _areas(a)[:, None] + _areas(b)[None, :] - inter
    hull_w = np.maximum(a[:, None, 2], b[None, :, 2]) - np.minimum(a[:, None, 0], b[None, :, 0])
    hull_h = np.maximum(a[:, None, 3], b[None, :, 3]) - np.minimum(a[:, None, 1], b[None, :, 1])
    hull = np.clip(hull_w, 0, None) * np.clip(hull_h, 0, None)
    degenerate = (_areas(a)[:, None] <= 0) | (_areas(b)[None, :] <= 0) | (hull <= 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        giou = iou - (hull - union) / np.where(hull > 0, hull, 1.0)
    return np.where(degenerate, -1.0, giou)


def l1_matrix(a, b) -> np.ndarray:
    """(N, M) L1 distance between the coordinate vectors (torch.cdist p=1), in the boxes' own units."""
    a, b = as_boxes(a), as_boxes(b)
    return np.abs(a[:, None, :] - b[None, :, :]).sum(axis=-1)


def pixel_iou_matrix(a, b) -> np.ndarray:
    """(N, M) VLM-R1's IoU: intersection over inclusive pixel indices (a 1-pixel overlap is none), plain areas."""
    a, b = as_boxes(a), as_boxes(b)
    x1 = np.maximum(a[:, None, 0], b[None, :, 0])
    y1 = np.maximum(a[:, None, 1], b[None, :, 1])
    x2 = np.minimum(a[:, None, 2] - 1, b[None, :, 2] - 1)
    y2 = np.minimum(a[:, None, 3] - 1, b[None, :, 3] - 1)
    inter = np.where((x1 < x2) & (y1 < y2), (x2 - x1 + 1) * (y2 - y1 + 1), 0.0)
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    union = area_a[:, None] + area_b[None, :] - inter
    empty = (_areas(a)[:, None] <= 0) | (_areas(b)[None, :] <= 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = inter / np.where(union > 0, union, 1.0)
    return np.where(empty | (union <= 0), 0.0, out)
