"""COCO AP (metrics/detection/coco.py) equals pycocotools run directly, per image and per dataset."""

from __future__ import annotations

import contextlib
import io

import numpy as np
import pytest
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

from paddlemix.metrics.detection import coco_bbox_ap, single_image_ap


def vlm_r1_calculate_map(pred_bbox_list, gt_bbox_list, score_type=0):
    """VLM-R1's calculate_map (grpo_jsonl.py), its logic verbatim, on pycocotools directly."""
    gt_json = {"annotations": [], "images": [], "categories": []}
    gt_json["images"] = [{"id": 0, "width": 2048, "height": 2048, "file_name": "image_0.jpg"}]
    cats2id, cat_count = {}, 0
    for idx, gt_bbox in enumerate(gt_bbox_list):
        if gt_bbox["label"] not in cats2id:
            cats2id[gt_bbox["label"]] = cat_count
            gt_json["categories"].append({"id": cat_count, "name": gt_bbox["label"]})
            cat_count += 1
        b = gt_bbox["bbox_2d"]
        gt_json["annotations"].append(
            {
                "id": idx + 1,
                "image_id": 0,
                "category_id": cats2id[gt_bbox["label"]],
                "bbox": [b[0], b[1], b[2] - b[0], b[3] - b[1]],
                "area": (b[2] - b[0]) * (b[3] - b[1]),
                "iscrowd": 0,
            }
        )
    with contextlib.redirect_stdout(io.StringIO()):
        coco_gt = COCO()
        coco_gt.dataset = gt_json
        coco_gt.createIndex()
        dt_json = []
        for pred_bbox in pred_bbox_list:
            try:
                b = pred_bbox["bbox_2d"]
                dt_json.append(
                    {
                        "image_id": 0,
                        "category_id": cats2id[pred_bbox["label"]],
                        "bbox": [b[0], b[1], b[2] - b[0], b[3] - b[1]],
                        "score": 1.0,
                        "area": (b[2] - b[0]) * (b[3] - b[1]),
                    }
                )
            except (KeyError, TypeError, IndexError):
                pass
        if len(dt_json) == 0:
            return 0.0
        coco_dt = coco_gt.loadRes(dt_json)
        coco_eval = COCOeval(coco_gt, coco_dt, "bbox")
        coco_eval.evaluate()
        coco_eval.accumulate()
        coco_eval.summarize()
    return coco_eval.stats[score_type]


def random_case(rng):
    """A ground truth of 1-6 boxes over 1-3 labels, and predictions: jittered hits, misses, strays, wrong labels."""
    labels = ["cat", "dog", "car"][: rng.integers(1, 4)]
    gt = []
    for _ in range(rng.integers(1, 7)):
        x, y = rng.uniform(0, 400, 2)
        w, h = rng.uniform(4, 120, 2)
        gt.append({"bbox_2d": [x, y, x + w, y + h], "label": str(rng.choice(labels))})
    pred = []
    for g in gt:
        if rng.random() < 0.8:
            jitter = rng.normal(0, rng.choice([1, 5, 15]), 4)
            label = g["label"] if rng.random() < 0.85 else "bird"
            pred.append({"bbox_2d": list(np.asarray(g["bbox_2d"]) + jitter), "label": label})
    for _ in range(rng.integers(0, 3)):
        x, y = rng.uniform(0, 400, 2)
        pred.append({"bbox_2d": [x, y, x + 30, y + 30], "label": str(rng.choice(labels))})
    order = rng.permutation(len(pred))
    return [pred[i] for i in order], gt


@pytest.mark.parametrize("stat", [0, 1, 2])
def test_single_image_ap_equals_vlm_r1_calculate_map(stat):
    rng = np.random.default_rng(stat)
    values = []
    for _ in range(40):
        pred, gt = random_case(rng)
        ours = single_image_ap(
            [(p["label"], p["bbox_2d"]) for p in pred], [(g["label"], g["bbox_2d"]) for g in gt], stat=stat
        )
        theirs = max(0.0, vlm_r1_calculate_map(pred, gt, score_type=stat))
        assert ours == pytest.approx(theirs, abs=1e-12)
        values.append(ours)
    # the cases spread over the range, so the comparison means something
    assert min(values) < 0.3 and max(values) > 0.6


SINGLE_CASES = [
    # a perfect answer
    ([("cat", [0, 0, 10, 10])], [("cat", [0, 0, 10, 10])], 1.0),
    # the right box with the wrong label is dropped: no prediction left
    ([("dog", [0, 0, 10, 10])], [("cat", [0, 0, 10, 10])], 0.0),
    # IoU 1/3 is below every threshold
    ([("cat", [5, 0, 15, 10])], [("cat", [0, 0, 10, 10])], 0.0),
    # one of two objects found: AP = recall 0.5 at precision 1 -> 101-point interpolation gives 51/101
    ([("cat", [0, 0, 10, 10])], [("cat", [0, 0, 10, 10]), ("cat", [50, 50, 60, 60])], 51 / 101),
    # a wrong box after the right ones does not lower AP (all scores are 1.0, order kept)
    ([("cat", [0, 0, 10, 10]), ("cat", [80, 80, 90, 90])], [("cat", [0, 0, 10, 10])], 1.0),
    # ... but before them it does: precision 1/2 at full recall
    ([("cat", [80, 80, 90, 90]), ("cat", [0, 0, 10, 10])], [("cat", [0, 0, 10, 10])], 0.5),
    # no ground truth
    ([("cat", [0, 0, 10, 10])], [], 0.0),
]


@pytest.mark.parametrize("pred, gt, expected", SINGLE_CASES)
def test_single_image_ap_by_hand(pred, gt, expected):
    assert single_image_ap(pred, gt) == pytest.approx(expected, abs=1e-9)


def test_single_image_ap_prints_nothing(capsys):
    single_image_ap([("cat", [0, 0, 10, 10])], [("cat", [0, 0, 10, 10])])
    assert capsys.readouterr().out == ""


def coco_dataset(rng, n_images=6):
    """A small COCO instances dict: 3 categories, 0-5 objects an image (one image has none)."""
    images, annotations = [], []
    for i in range(n_images):
        images.append({"id": i + 1, "width": 640, "height": 480, "file_name": f"{i:012d}.jpg"})
        for _ in range(0 if i == 2 else rng.integers(1, 6)):
            x, y = rng.uniform(0, 500, 2)
            w, h = rng.uniform(5, 200, 2)
            annotations.append(
                {
                    "id": len(annotations) + 1,
                    "image_id": i + 1,
                    "category_id": int(rng.integers(1, 4)),
                    "bbox": [x, y, w, h],
                    "area": w * h,
                    "iscrowd": 0,
                }
            )
    categories = [{"id": k, "name": name} for k, name in [(1, "cat"), (2, "dog"), (3, "car")]]
    return {"images": images, "annotations": annotations, "categories": categories}


def test_dataset_ap_equals_pycocotools(tmp_path):
    rng = np.random.default_rng(7)
    dataset = coco_dataset(rng)
    results = []
    for ann in dataset["annotations"]:
        if rng.random() < 0.75:
            box = list(np.asarray(ann["bbox"]) + rng.normal(0, 6, 4))
            results.append(
                {
                    "image_id": ann["image_id"],
                    "category_id": ann["category_id"],
                    "bbox": box,
                    "score": float(rng.random()),
                }
            )
    results.append({"image_id": 3, "category_id": 1, "bbox": [10, 10, 50, 50], "score": 0.9})
    path = tmp_path / "instances_val.json"
    path.write_text(__import__("json").dumps(dataset))
    with contextlib.redirect_stdout(io.StringIO()):
        coco_gt = COCO(str(path))
        evaluator = COCOeval(coco_gt, coco_gt.loadRes(results), "bbox")
        evaluator.evaluate()
        evaluator.accumulate()
        evaluator.summarize()
    ours = coco_bbox_ap(str(path), results)
    assert list(ours.values()) == pytest.approx(list(evaluator.stats), abs=1e-12)
    assert 0.1 < ours["AP"] < 0.95
    assert coco_bbox_ap(dataset, results) == ours


def test_dataset_ap_counts_images_without_predictions():
    dataset = coco_dataset(np.random.default_rng(3))
    perfect = [
        {"image_id": a["image_id"], "category_id": a["category_id"], "bbox": a["bbox"], "score": 1.0}
        for a in dataset["annotations"]
    ]
    assert coco_bbox_ap(dataset, perfect)["AP"] == pytest.approx(1.0)
    last_image = max(a["image_id"] for a in dataset["annotations"])
    without_last = [r for r in perfect if r["image_id"] != last_image]
    # PR1 dropped the last image; here its missed objects count
    assert coco_bbox_ap(dataset, without_last)["AP"] < 1.0


def test_dataset_ap_of_no_predictions_is_zero():
    assert coco_bbox_ap(coco_dataset(np.random.default_rng(4)), [])["AP"] == 0.0
