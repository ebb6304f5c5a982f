"""OVDEval's NMS-AP (om-ai-lab/OVDEval `eval.py`), the metric of VLM-R1's OVD blog numbers.

OVDEval asks for every label of an image, hard negatives included, so a detector that answers each label
with the same box would be paid for its guesses. Before pycocotools' bbox AP, each image's predictions are
thinned against its ground truth: for every ground-truth box, the predictions of *any* class with IoU > 0.5
are gathered, the top-scoring one is kept, and the others are removed unless another ground truth keeps them.
Predictions near no ground truth stay (they are false positives either way). Ties in score break as
OVDEval's `np.argsort(scores)[::-1]` breaks them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

import numpy as np

from paddlemix.metrics.detection.coco import coco_bbox_ap, load_coco


def xywh_iou(box: Sequence[float], boxes: np.ndarray) -> np.ndarray:
    """IoU of one [x, y, w, h] box with each row of `boxes` (0 where the union is empty), as OVDEval computes it."""
    x1, y1, w1, h1 = box
    x2, y2, w2, h2 = boxes[:, 0], boxes[:, 1], boxes[:, 2], boxes[:, 3]
    inter = np.maximum(0, np.minimum(x1 + w1, x2 + w2) - np.maximum(x1, x2)) * np.maximum(
        0, np.minimum(y1 + h1, y2 + h2) - np.maximum(y1, y2)
    )
    union = w1 * h1 + w2 * h2 - inter
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(union == 0, 0, inter / union)


def nms_with_ground_truth(
    ground_truth: Sequence[dict], predictions: Sequence[dict], iou_threshold=0.5
) -> list[dict]:
    """One image's predictions after OVDEval's ground-truth NMS (COCO dicts with `bbox` and `score`)."""
    if not predictions:
        return []
    boxes = np.array([p["bbox"] for p in predictions], dtype=float)
    scores = np.array([p["score"] for p in predictions], dtype=float)
    keep, remove = set(), set()
    for gt in ground_truth:
        hits = np.where(xywh_iou(gt["bbox"], boxes) > iou_threshold)[0]
        if len(hits):
            ranked = hits[np.argsort(scores[hits])[::-1]]
            keep.add(int(ranked[0]))
            remove.update(int(i) for i in ranked[1:])
    return [p for i, p in enumerate(predictions) if i not in remove - keep]


def nms_ap(
    annotations, results: Sequence[dict], img_ids=None, iou_threshold: float = 0.5
) -> dict[str, float]:
    """COCO bbox stats of `results` after OVDEval's ground-truth NMS, image by image (see `coco_bbox_ap`)."""
    coco_gt = load_coco(annotations)
    by_image = defaultdict(list)
    for r in results:
        by_image[r["image_id"]].append(r)
    kept = []
    for image_id, predictions in by_image.items():
        ground_truth = coco_gt.loadAnns(coco_gt.getAnnIds(imgIds=[image_id]))
        kept.extend(nms_with_ground_truth(ground_truth, predictions, iou_threshold))
    return coco_bbox_ap(coco_gt, kept, img_ids)
