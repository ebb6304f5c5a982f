"""Detection, OVD and grounding data in the seeds' own formats, as samples (one image each).

| loader                   | format                                                | task      |
|--------------------------|-------------------------------------------------------|-----------|
| `load_vision_r1`         | Vision-R1-Data, a Hugging Face folder: image, problem, | detection |
|                          | solution, width, height, num_instances, target_id_maps |           |
| `load_vision_r1_records` | the same fields in a .json list or .jsonl, image paths  | detection |
| `load_coco_detection`    | COCO instances_*.json (+ images) turned into prompts   | detection |
| `load_vlm_r1_jsonl`      | VLM-R1 jsonl: id, image, conversations, accu_reward_method | ovd   |
| `load_pr1_grounding`     | PR1's refcoco_320k folder: image, problem, solution (0-1000) | grounding |
| `load_grounding_eval`    | PR1's eval jsons: image, problem, solution, normalized_solution | grounding |

Vision-R1's loader keeps 1 <= num_instances <= 30 and rewrites the Griffon problems for Qwen as Vision-R1's
`make_conversation_image` does (it then sorted by num_instances; the HF Trainer's random sampler undid that,
and so do we). A VLM-R1 sample with several images keeps them in `images` and is trained on with all of
them in one prompt (VLM-R1's own multi-image path is broken: #317, #342).
"""

from __future__ import annotations

import json
import os

from paddlemix.datasets.dataset import SampleDataset
from paddlemix.datasets.hf_dir import read_hf_dir
from paddlemix.datasets.images import SkippedImages, filter_samples
from paddlemix.datasets.r1v import HFImageDataset, default_cache_dir
from paddlemix.datasets.vlm_r1 import VlmR1Source, load_vlm_r1

VISION_R1_COLUMNS = ("width", "height", "num_instances", "target_id_maps")
# Vision-R1 visionr1_qwen.py make_conversation_image (qwen_enable): Griffon wording -> Qwen wording.
QWEN_MULTI = (
    "Examine the image for any objects from the category set. Report the coordinates of each detected object.",
    "Locate every item from the category list in the image and output the coordinates in JSON format.",
)
QWEN_SINGLE = (
    ("Can you point out", "Locate every", "in the image and provide the coordinates of its location?"),
    ("Locate the exact position of", "Locate every", "in the picture, if you can."),
)
QWEN_SINGLE_END = "in the image and output the coordinates in JSON format."
# Vision-R1 eval_localization.sh's COCO query (the Qwen form of the multi-category problem).
COCO_QUERY = QWEN_MULTI[1] + " The category set includes {categories}."
SINGLE_QUERY = "Locate every {category} " + QWEN_SINGLE_END


def qwen_problem(problem: str) -> str:
    """Vision-R1's rewrite of a Griffon-style problem into the Qwen prompt; ValueError for other wordings."""
    if QWEN_MULTI[0] in problem:
        return problem.replace(*QWEN_MULTI)
    for start, new_start, end in QWEN_SINGLE:
        if start in problem:
            return problem.replace(start, new_start).replace(end, QWEN_SINGLE_END)
    raise ValueError(f"not a Vision-R1-Data problem wording: {problem[:120]!r}")


class VisionR1Dataset(HFImageDataset):
    """Vision-R1-Data rows as detection samples, with their ground-truth columns."""

    def __init__(self, table, cache_dir: str, min_instances: int = 1, max_instances: int = 30):
        """Wrap an open split, keeping rows with min..max instances."""
        super().__init__(table, "detection", cache_dir)
        self.columns = {c: table.column(c) for c in VISION_R1_COLUMNS}
        counts = self.columns["num_instances"]
        self.samples = [s for s in self.samples if min_instances <= int(counts[s["row"]]) <= max_instances]

    def _load(self, stored: dict) -> dict:
        """The sample with the Qwen problem and Vision-R1's fields."""
        sample = super()._load(stored)
        sample["problem"] = qwen_problem(sample["problem"])
        sample.update({c: self.columns[c][stored["row"]] for c in VISION_R1_COLUMNS})
        sample["image_size"] = [int(sample["width"]), int(sample["height"])]
        return sample


def load_vision_r1(path: str, split: str = "train", cache_dir: str | None = None, hard: bool = False, **_):
    """Vision-R1-Data (hub snapshot or save_to_disk) as detection samples; `hard` keeps >= 10 instances."""
    table = read_hf_dir(path, split)
    missing = {"image", "problem", "solution", *VISION_R1_COLUMNS} - set(table.column_names)
    if missing:
        raise KeyError(
            f"{path} [{split}] lacks Vision-R1 columns {sorted(missing)}; has {table.column_names}"
        )
    return VisionR1Dataset(table, cache_dir or default_cache_dir(), min_instances=10 if hard else 1)


def load_vision_r1_records(path: str, image_root: str, hard: bool = False, check: str = "exists", **_):
    """Vision-R1's fields in a .json list or a .jsonl (`image` a path under `image_root`) as detection samples."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    records = (
        json.loads(text)
        if path.endswith(".json")
        else [json.loads(x) for x in text.splitlines() if x.strip()]
    )
    samples = []
    for i, r in enumerate(records):
        missing = {"image", "problem", "solution", *VISION_R1_COLUMNS} - set(r)
        if missing:
            raise ValueError(f"{path}: record {i + 1} lacks Vision-R1 fields {sorted(missing)}")
        if not (10 if hard else 1) <= int(r["num_instances"]) <= 30:
            continue
        samples.append(
            {
                "image": os.path.abspath(os.path.join(image_root, r["image"])),
                "problem": qwen_problem(r["problem"]),
                "solution": r["solution"] if isinstance(r["solution"], str) else json.dumps(r["solution"]),
                **{c: r[c] for c in VISION_R1_COLUMNS},
                "image_size": [int(r["width"]), int(r["height"])],
                "task": "detection",
                "source": f"{path} record {i + 1}",
            }
        )
    skipped = SkippedImages()
    return SampleDataset(filter_samples(samples, check, skipped, path), os.path.basename(path), skipped)


def load_coco_detection(
    annotation_file: str, image_root: str, mode: str = "all", check: str = "exists", **_
) -> SampleDataset:
    """COCO instances as detection samples: one per image over all categories (`mode="all"`, Vision-R1's
    COCO protocol) or one per (image, category present) (`mode="single_pos"`, its ODinW `--single --pos`).

    Every image is kept, with or without objects (PR1's eval dropped the last image).
    """
    with open(annotation_file, encoding="utf-8") as f:
        coco = json.load(f)
    if mode not in ("all", "single_pos"):
        raise ValueError(f"COCO prompt mode is 'all' or 'single_pos', got {mode!r}")
    names = {c["id"]: c["name"] for c in coco["categories"]}
    by_image: dict[int, list[dict]] = {}
    for ann in coco.get("annotations", []):
        if not ann.get("iscrowd", 0):
            by_image.setdefault(ann["image_id"], []).append(ann)
    samples = []
    for image in coco["images"]:
        anns = by_image.get(image["id"], [])
        queries = [None] if mode == "all" else sorted({names[a["category_id"]] for a in anns})
        for category in queries:
            chosen = [a for a in anns if category is None or names[a["category_id"]] == category]
            gt = [[names[a["category_id"]], [_xyxy(a["bbox"])]] for a in chosen]
            problem = (
                COCO_QUERY.format(categories=", ".join(names.values()))
                if category is None
                else SINGLE_QUERY.format(category=category)
            )
            samples.append(
                {
                    "image": os.path.abspath(os.path.join(image_root, image["file_name"])),
                    "problem": problem,
                    "solution": json.dumps(gt),
                    "width": image["width"],
                    "height": image["height"],
                    "image_size": [image["width"], image["height"]],
                    "num_instances": len(gt),
                    "target_id_maps": json.dumps({name: cid for cid, name in names.items()}),
                    "image_id": image["id"],
                    "category": category,
                    "task": "detection",
                    "source": annotation_file,
                    "record": {
                        "image_id": image["id"],
                        "file_name": image["file_name"],
                        "category": category,
                    },
                }
            )
    skipped = SkippedImages()
    return SampleDataset(
        filter_samples(samples, check, skipped, annotation_file), os.path.basename(annotation_file), skipped
    )


def _xyxy(bbox) -> list[float]:
    """COCO [x, y, w, h] as [x1, y1, x2, y2]."""
    x, y, w, h = (float(v) for v in bbox)
    return [x, y, x + w, y + h]


def load_vlm_r1_jsonl(path: str, image_root: str | None = None, check: str = "exists", **_) -> SampleDataset:
    """A VLM-R1 OVD jsonl as ovd samples, read by `datasets.vlm_r1` (problem stripped; method as recorded).

    Images are relative to `image_root` (default: the jsonl's folder). A record with several images keeps them
    all in `images`, shown in order before the text (VLM-R1's layout); its boxes are taken to be in the last
    one, which is `image` (the frame the rewards map from). A missing image drops the sample.
    """
    root = image_root if image_root is not None else os.path.dirname(os.path.abspath(path))
    return load_vlm_r1([VlmR1Source(path, root, None)], task="ovd", check=check, strip_problem=True)


class GroundingDataset(HFImageDataset):
    """PR1's grounding rows: the expression as `problem`, the 0-1000 box as `solution`."""

    def _load(self, stored: dict) -> dict:
        """The sample with its ground truth's frame."""
        return {**super()._load(stored), "solution_frame": "qwen2_vl_norm1000"}


def load_pr1_grounding(path: str, split: str = "train", cache_dir: str | None = None, **_):
    """PR1's grounding training folder (Kangheng/refcoco_320k layout) as grounding samples."""
    table = read_hf_dir(path, split)
    missing = {"image", "problem", "solution"} - set(table.column_names)
    if missing:
        raise KeyError(f"{path} [{split}] lacks columns {sorted(missing)}; has {table.column_names}")
    return GroundingDataset(table, "grounding", cache_dir or default_cache_dir())


def load_grounding_eval(path: str, image_root: str, check: str = "exists", **_) -> SampleDataset:
    """A PR1 grounding eval json (image, problem, solution in pixels, normalized_solution) as samples."""
    with open(path, encoding="utf-8") as f:
        records = json.load(f)
    samples = [
        {
            "image": os.path.abspath(os.path.join(image_root, r["image"])),
            "problem": r["problem"],
            "solution": r["solution"],
            "solution_frame": "original",
            "task": "grounding",
            "source": path,
            "record": r,
        }
        for r in records
    ]
    skipped = SkippedImages()
    return SampleDataset(filter_samples(samples, check, skipped, path), os.path.basename(path), skipped)
