"""Write synthetic detection, OVD and grounding sets in the seeds' own formats and folder layouts.

    Detection/Vision-R1-Data/                         Vision-R1-Data (HF dataset directory): image, problem,
                                                      solution, width, height, num_instances, target_id_maps
    Detection/coco/annotations/instances_val2017.json COCO 2017 val layout: instances file + val2017/*.jpg
    Detection/coco/val2017/*.jpg
    Detection/odinw/ShapesDemo/valid/                 an ODinW-style subset: annotations_without_background.json
                                                      beside its images, as Vision-R1's DATASET_MAP expects
    OVD/ovd_train.jsonl, OVD/ovd_val.jsonl            VLM-R1 jsonl (id, image, conversations, accu_reward_method);
    OVD/images/*.png                                  every 8th training sample has two images (boxes in the second)
    OVD/annotations/instances_ovd_val.json            the eval set as COCO instances, phrases as categories
    Grounding/refcoco_320k/                           PR1's training set (HF): image, problem, solution (0-1000)
    Grounding/annotations/refcoco_{val,testA}.json    PR1 eval jsons: image, problem, solution (pixels),
    Grounding/images/*.jpg                            normalized_solution (0-1000)
    Grounding/counting/pixmo_count_val540.jsonl       PR1 counting: image_path, question, ground_truth
    Grounding/counting/images/*.png

`python -m paddlemix.datasets.synthetic --task detection|ovd|grounding --out DIR` writes them. Every sample is
drawn from its own seeded generator (`sample_rng`), and every ground truth is the exact drawn box.
"""

from __future__ import annotations

import json
import os

from paddlemix.datasets.hf_dir import write_hf_dir
from paddlemix.datasets.synthetic.detection import (
    CATEGORIES,
    OVD_PROBLEM,
    coco_dataset,
    draw_detection_scene,
    ovd_answer,
    ovd_query,
    vision_r1_record,
)
from paddlemix.datasets.synthetic.rec import draw_rec_scene
from paddlemix.datasets.synthetic.writers import _png, _save, _write_jsonl, sample_rng

DETECTION_DIR, OVD_DIR, GROUNDING_DIR = "Detection", "OVD", "Grounding"
GROUNDING_SPLITS = ("refcoco_val", "refcoco_testA")
COUNTING_FILE = "pixmo_count_val540.jsonl"

VISION_R1_FEATURES = {
    "image": {"_type": "Image"},
    "problem": {"dtype": "string", "_type": "Value"},
    "solution": {"dtype": "string", "_type": "Value"},
    "width": {"dtype": "int64", "_type": "Value"},
    "height": {"dtype": "int64", "_type": "Value"},
    "num_instances": {"dtype": "int64", "_type": "Value"},
    "target_id_maps": {"dtype": "string", "_type": "Value"},
}
GROUNDING_FEATURES = {
    "image": {"_type": "Image"},
    "problem": {"dtype": "string", "_type": "Value"},
    "solution": {"dtype": "string", "_type": "Value"},
}


def write_detection_layout(
    out: str, n: int = 64, n_eval: int = 16, seed: int = 0, layout: str = "hub"
) -> str:
    """Detection/: a Vision-R1-Data training set, a COCO-val-like set and an ODinW-like set; returns Detection/."""
    root = os.path.join(out, DETECTION_DIR)
    rows = []
    for i in range(n):
        rng = sample_rng(seed, "detection", "train", i)
        img, objects = draw_detection_scene(rng)
        row = vision_r1_record(rng, img.size, objects)
        rows.append({"image": {"bytes": _png(img), "path": f"synthetic_vr1_{i:06d}.png"}, **row})
    write_hf_dir(os.path.join(root, "Vision-R1-Data"), {"train": rows}, VISION_R1_FEATURES, layout)
    for split, folder, annotation in (
        (
            "coco",
            os.path.join("coco", "val2017"),
            os.path.join("coco", "annotations", "instances_val2017.json"),
        ),
        ("odinw", os.path.join("odinw", "ShapesDemo", "valid"), None),
    ):
        images = []
        for i in range(n_eval):
            img, objects = draw_detection_scene(sample_rng(seed, "detection", split, i), min_objects=0)
            file_name = f"{i:012d}.jpg"
            _save(img, os.path.join(root, folder, file_name))
            images.append((file_name, img.size, objects))
        path = os.path.join(root, annotation or os.path.join(folder, "annotations_without_background.json"))
        _write_json(path, coco_dataset(images))
    return root


def write_ovd_layout(out: str, n: int = 64, n_eval: int = 16, seed: int = 0, layout: str = "hub") -> str:
    """OVD/: VLM-R1 jsonl training and eval sets (negatives and two-image samples) and COCO instances; returns OVD/."""
    root = os.path.join(out, OVD_DIR)
    for split, count in (("train", n), ("val", n_eval)):
        records, coco_images = [], []
        for i in range(count):
            rng = sample_rng(seed, "ovd", split, i)
            img, objects = draw_detection_scene(rng)
            name = f"images/ovd_{split}_{i:06d}.png"
            _save(img, os.path.join(root, name))
            asked, answer = ovd_query(rng, objects)
            problem = OVD_PROBLEM.format(objects=", ".join(asked))
            image, human = name, "<image>" + problem
            if split == "train" and i % 8 == 7:
                # Two images: a reference first, the boxes refer to the second one.
                reference, _ = draw_detection_scene(sample_rng(seed, "ovd", "reference", i))
                ref_name = f"images/ovd_reference_{i:06d}.png"
                _save(reference, os.path.join(root, ref_name))
                image, human = [ref_name, name], "<image><image>In the second image: " + problem
            records.append(
                {
                    "id": i,
                    "image": image,
                    "conversations": [
                        {"from": "human", "value": human},
                        {"from": "gpt", "value": ovd_answer(answer)},
                    ],
                    "accu_reward_method": "odLength",
                }
            )
            coco_images.append((name, img.size, answer))
        _write_jsonl(os.path.join(root, f"ovd_{split}.jsonl"), records)
        if split == "val":
            phrases = sorted({o.phrase for _, _, objects in coco_images for o in objects})
            _write_json(
                os.path.join(root, "annotations", "instances_ovd_val.json"),
                coco_dataset(coco_images, names=phrases, key="phrase"),
            )
    return root


def write_grounding_layout(
    out: str, n: int = 64, n_eval: int = 16, seed: int = 0, layout: str = "hub"
) -> str:
    """Grounding/: PR1's grounding training set and eval jsons, and a counting jsonl; returns Grounding/."""
    root = os.path.join(out, GROUNDING_DIR)
    rows = []
    for i in range(n):
        img, caption, box = draw_rec_scene(sample_rng(seed, "grounding", "train", i))
        cell = {"bytes": _png(img), "path": f"synthetic_refcoco_{i:06d}.png"}
        rows.append({"image": cell, "problem": caption, "solution": str(norm1000(box, img.size))})
    write_hf_dir(os.path.join(root, "refcoco_320k"), {"train": rows}, GROUNDING_FEATURES, layout)
    for split in GROUNDING_SPLITS:
        records = []
        for i in range(n_eval):
            img, caption, box = draw_rec_scene(sample_rng(seed, "grounding", split, i))
            name = f"{split}_{i:012d}.jpg"
            _save(img, os.path.join(root, "images", name))
            records.append(
                {
                    "image": name,
                    "problem": caption,
                    "solution": box,
                    "normalized_solution": norm1000(box, img.size),
                }
            )
        _write_json(os.path.join(root, "annotations", f"{split}.json"), records)
    records = []
    for i in range(n_eval):
        rng = sample_rng(seed, "grounding", "counting", i)
        img, objects = draw_detection_scene(rng, min_objects=0, max_objects=6)
        category = rng.choice(CATEGORIES)
        name = f"images/pixmo_{i:06d}.png"
        _save(img, os.path.join(root, "counting", name))
        count = sum(o.category == category for o in objects)
        records.append({"image_path": name, "question": f"{category}s", "ground_truth": count})
    _write_jsonl(os.path.join(root, "counting", COUNTING_FILE), records)
    return root


LOCALIZATION_WRITERS = {
    "detection": write_detection_layout,
    "ovd": write_ovd_layout,
    "grounding": write_grounding_layout,
}


def norm1000(box, size) -> list[int]:
    """A pixel box in Qwen2-VL's 0-1000 frame, rounded as PR1's normalized_solution."""
    w, h = size
    return [
        round(box[0] / w * 1000),
        round(box[1] / h * 1000),
        round(box[2] / w * 1000),
        round(box[3] / h * 1000),
    ]


def _write_json(path: str, data) -> None:
    """Write one JSON file, creating its folder."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(data, f)
