"""How detection-style eval results are scored over a dataset: COCO bbox AP rebuilt from the results alone.

A detection result record holds the model output and its image's ground truth (Vision-R1's
`[[name, [[x1, y1, x2, y2]]], ...]` in original pixels), `image_id`, `image_size` and the model's frame, so a
results file can be rescored with no annotation file: the ground truth of the dataset is the union of the
records' ground truths (one COCO image per `image_id`, one category per name).

Scorers (`--metric`):
- "fixed" (ours): boxes mapped from the model's frame to original pixels and clamped; a truncated list
  repaired as Vision-R1's eval does; labels matched case-insensitively; every image counted.
- "vision_r1": Vision-R1's eval_localization.py: the same rescale and repair, labels lower-cased, unknown
  labels skipped, score 0.99 (a constant: the AP is that of 1.0); Vision-R1 did not clamp.
- "pr1": PR1's evaluate_detection.py: `<answer>` contents if any, fences stripped, `json.loads` without
  repair, labels kept only if exactly (case-sensitively) a category name, boxes used as output (no rescale
  from the model's input to the image) and the last image of the set dropped (`getImgIds()[:-1]`).
"""

from __future__ import annotations

import json

from paddlemix.metrics.boxes import resolve_frame, resolve_input_size
from paddlemix.metrics.detection import (
    coco_bbox_ap,
    parse_json_detections,
    to_original_detections,
    xyxy_to_xywh,
)
from paddlemix.metrics.detection.ovdeval import nms_ap
from paddlemix.metrics.detection.vision_r1 import solution_boxes

DETECTION_METRICS = ("fixed", "vision_r1", "pr1", "ovdeval")


def coco_from_results(results: list[dict]) -> tuple[dict, dict[str, int]]:
    """The COCO ground truth that `results` carry, and category name -> id."""
    names: dict[str, int] = {}
    images: dict[int, dict] = {}
    seen: set[tuple] = set()
    annotations = []
    for r in results:
        image_id = int(r["image_id"])
        w, h = r["image_size"]
        images.setdefault(image_id, {"id": image_id, "width": w, "height": h, "file_name": str(image_id)})
        for name, box in solution_boxes(r["ground_truth"]):
            cid = names.setdefault(name, len(names) + 1)
            key = (image_id, cid, tuple(box))
            if key in seen:
                continue
            seen.add(key)
            xywh = xyxy_to_xywh(box)
            annotations.append(
                {
                    "id": len(annotations) + 1,
                    "image_id": image_id,
                    "category_id": cid,
                    "bbox": xywh,
                    "area": xywh[2] * xywh[3],
                    "iscrowd": 0,
                }
            )
    categories = [{"id": cid, "name": name} for name, cid in names.items()]
    return {"images": list(images.values()), "annotations": annotations, "categories": categories}, names


def result_detections(result: dict, names: dict[str, int], metric: str = "fixed") -> tuple[list[dict], bool]:
    """COCO detection dicts of one result under `metric`, and whether its output needed the repair."""
    output = result["model_output"]
    if metric == "pr1":
        items, repaired = parse_json_detections(output, repair=False)
        lookup = names
        frame, image_size, input_size = "original", None, None
    else:
        items, repaired = parse_json_detections(output, repair=True)
        lookup = {n.lower(): cid for n, cid in names.items()}
        frame = resolve_frame(result.get("coord_frame"), result.get("model_type"))
        image_size = result["image_size"]
        input_size = resolve_input_size(result.get("input_size"), result.get("image_grid_thw"))
        items = to_original_detections(items or [], frame, image_size, input_size)
    out = []
    for d in items or []:
        if d.box is None or d.label is None:
            continue
        label = d.label if metric == "pr1" else d.label.strip().lower()
        if label in lookup:
            out.append(
                {
                    "image_id": int(result["image_id"]),
                    "category_id": lookup[label],
                    "bbox": xyxy_to_xywh(d.box),
                    "score": 0.99 if metric == "vision_r1" else 1.0,
                }
            )
    return out, repaired


def detection_stats(results: list[dict], metric: str = "fixed") -> dict[str, float]:
    """COCO bbox stats (AP, AP50, ... in [0, 1]) of a dataset's results, plus `repaired` (outputs repaired)."""
    gt, names = coco_from_results(results)
    detections, repaired = [], 0
    for r in results:
        dets, fixed = result_detections(r, names, metric)
        detections.extend(dets)
        repaired += int(fixed)
    img_ids = sorted(im["id"] for im in gt["images"])
    if metric == "pr1":
        img_ids = img_ids[:-1]
        detections = [d for d in detections if d["image_id"] in set(img_ids)]
    # OVDEval's NMS-AP (VLM-R1's OVD numbers): our parsing, then its ground-truth NMS before the COCO AP.
    stats = nms_ap(gt, detections, img_ids) if metric == "ovdeval" else coco_bbox_ap(gt, detections, img_ids)
    return {**stats, "repaired": repaired}


def detection_ap(results: list[dict], metric: str = "fixed", **_) -> float:
    """The dataset's COCO AP@[.5:.95] in percent."""
    return detection_stats(results, metric)["AP"] * 100


def is_detection_ground_truth(ground_truth) -> bool:
    """A detection ground truth in a results file: Vision-R1's JSON list of [name, boxes] pairs."""
    if not isinstance(ground_truth, str):
        return False
    try:
        data = json.loads(ground_truth)
        solution_boxes(data)
    except (ValueError, TypeError):
        return False
    return isinstance(data, list)
