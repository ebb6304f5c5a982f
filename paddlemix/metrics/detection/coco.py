"""COCO bbox AP through pycocotools: of one image (VLM-R1's OVD reward) and of a dataset (the eval commands).

pycocotools prints its progress and summary table; every call here runs it with stdout captured, so a reward
computed per completion prints nothing.

`single_image_ap` is VLM-R1's `calculate_map` (grpo_jsonl.py): one fake image, the ground-truth labels as
categories in order of first appearance, every prediction scored 1.0 (pycocotools' stable sort then keeps
the answer's order, so earlier boxes win ties), predictions with a label that is not a ground-truth label
dropped. `stat` indexes COCOeval.stats: 0 = AP@[.5:.95], 1 = AP50, 2 = AP75.

`coco_bbox_ap` scores a dataset: every image of the ground truth counts, with or without predictions (PR1's
`getImgIds()[:-1]` dropped the last image), and a dataset with no prediction at all scores 0, not an error.
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
from collections.abc import Sequence

import numpy as np
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

STAT_NAMES = ("AP", "AP50", "AP75", "APs", "APm", "APl", "AR1", "AR10", "AR100", "ARs", "ARm", "ARl")
FAKE_IMAGE_SIZE = 2048  # VLM-R1's fake image is 2048 x 2048; only the annotations' areas matter to COCOeval


def coco_from_dict(dataset: dict) -> COCO:
    """A pycocotools COCO index of an in-memory annotation dict, built silently."""
    coco = COCO()
    coco.dataset = dataset
    with contextlib.redirect_stdout(io.StringIO()):
        coco.createIndex()
    return coco


def load_coco(annotations) -> COCO:
    """A COCO index from a path to an instances_*.json, a dict, or an existing COCO object."""
    if isinstance(annotations, COCO):
        return annotations
    if isinstance(annotations, dict):
        return coco_from_dict(copy.deepcopy(annotations))
    with open(annotations, encoding="utf-8") as f:
        return coco_from_dict(json.load(f))


def xyxy_to_xywh(box: Sequence[float]) -> list[float]:
    """[x1, y1, x2, y2] as COCO's [x, y, w, h]."""
    x1, y1, x2, y2 = (float(v) for v in box)
    return [x1, y1, x2 - x1, y2 - y1]


def run_cocoeval(coco_gt: COCO, results: list[dict], img_ids=None) -> np.ndarray:
    """COCOeval bbox stats (12,) of `results` (COCO result dicts) on `coco_gt`; zeros if there are none."""
    if not results:
        return np.zeros(len(STAT_NAMES))
    with contextlib.redirect_stdout(io.StringIO()):
        coco_dt = coco_gt.loadRes(results)
        evaluator = COCOeval(coco_gt, coco_dt, "bbox")
        if img_ids is not None:
            evaluator.params.imgIds = list(img_ids)
        evaluator.evaluate()
        evaluator.accumulate()
        evaluator.summarize()
    return np.asarray(evaluator.stats, dtype=np.float64)


def single_image_ap(
    predictions: Sequence[tuple[str | None, Sequence[float]]],
    ground_truth: Sequence[tuple[str, Sequence[float]]],
    stat: int = 0,
) -> float:
    """VLM-R1's one-image COCO AP of (label, xyxy box) predictions against (label, xyxy box) ground truth.

    0.0 when there is no ground truth or no prediction with a ground-truth label.
    """
    categories: dict[str, int] = {}
    annotations = []
    for idx, (label, box) in enumerate(ground_truth):
        categories.setdefault(label, len(categories))
        xywh = xyxy_to_xywh(box)
        annotations.append(
            {
                "id": idx + 1,
                "image_id": 0,
                "category_id": categories[label],
                "bbox": xywh,
                "area": xywh[2] * xywh[3],
                "iscrowd": 0,
            }
        )
    if not annotations:
        return 0.0
    dataset = {
        "images": [
            {"id": 0, "width": FAKE_IMAGE_SIZE, "height": FAKE_IMAGE_SIZE, "file_name": "image_0.jpg"}
        ],
        "annotations": annotations,
        "categories": [{"id": cid, "name": name} for name, cid in categories.items()],
    }
    results = [
        {"image_id": 0, "category_id": categories[label], "bbox": xyxy_to_xywh(box), "score": 1.0}
        for label, box in predictions
        if label in categories
    ]
    # -1 would mean "no ground truth"; there is some, so the stat is in [0, 1] (max() only guards the type).
    return max(0.0, float(run_cocoeval(coco_from_dict(dataset), results)[stat]))


def coco_bbox_ap(annotations, results: list[dict], img_ids=None) -> dict[str, float]:
    """Dataset-level COCO bbox metrics {AP, AP50, AP75, APs, ..., ARl} of COCO-format `results`.

    annotations: an instances_*.json path, its dict, or a COCO object. results: dicts with image_id,
    category_id, bbox [x, y, w, h] and score. img_ids: the images scored (default: all of the ground truth).
    Values are pycocotools' own, -1 included ("no ground truth in this area range").
    """
    coco_gt = load_coco(annotations)
    ids = sorted(coco_gt.getImgIds()) if img_ids is None else list(img_ids)
    stats = run_cocoeval(coco_gt, list(results), ids)
    return dict(zip(STAT_NAMES, (float(v) for v in stats)))
