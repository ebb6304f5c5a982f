"""REC (referring expression comprehension) annotations: RefCOCO/+/g and RefGTA records as samples.

Two record formats are read, both as `.json` (a list) or `.jsonl` (one record a line):

- the seed's `rec_jsons_processed/*.json` (VLM-R1's REC data, which PaddleMIX's REC.tar packs):
  `{"image": "train2014/COCO_train2014_....jpg", "problem": "Please provide the bounding box coordinate
  of the region this sentence describes: the lady with the blue shirt.", "solution": [x1, y1, x2, y2],
  "normal_caption": "the lady with the blue shirt", "normalized_solution": [...]}`; `solution` is in
  original-image pixels and may also be stored as the string "[x1, y1, x2, y2]";
- VLM-R1's later general jsonl: `{"id": ..., "image": ..., "conversations": [{"from": "human", "value":
  "<image>..."}, {"from": "gpt", "value": "[x1, y1, x2, y2]"}]}`.

`image` is resolved under `image_root`. A record without `normal_caption` gets the text after the last
":" of its problem, without the final ".", as PaddleMIX's `scripts/preprocess_refcoco.py` derives it.
"""

from __future__ import annotations

import json
import os

from paddlemix.datasets.dataset import SampleDataset
from paddlemix.datasets.images import SkippedImages, filter_samples
from paddlemix.metrics.boxes import solution_box


def read_records(path: str) -> list[dict]:
    """The records of a `.json` list or a `.jsonl` file; other extensions are an error (as in the seed)."""
    if path.endswith(".jsonl"):
        with open(path, encoding="utf-8") as f:
            return [json.loads(line) for line in f if line.strip()]
    if path.endswith(".json"):
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
        if not isinstance(data, list):
            raise ValueError(f"{path}: expected a JSON list of records, got {type(data).__name__}")
        return data
    raise ValueError(f"unsupported annotation file type (want .json or .jsonl): {path}")


def parse_box(value) -> list[float]:
    """A REC solution `[x1, y1, x2, y2]` (list or text) as four floats, via the metrics' one box parser."""
    box = solution_box(value)
    if box is None:
        raise ValueError(f"a REC solution must be [x1, y1, x2, y2], got {value!r}")
    return [float(v) for v in box]


def caption_from_problem(problem: str) -> str | None:
    """The referring expression inside a REC problem: the text after the last ":" without a final "."."""
    if ":" not in problem:
        return None
    caption = problem.rsplit(":", 1)[1].strip()
    return caption[:-1] if caption.endswith(".") else caption


def rec_sample(record: dict, image_root: str, source: str = "") -> dict:
    """One REC record (either format) as a sample dict with an absolute image path."""
    if "conversations" in record and "problem" not in record:
        turns = {turn["from"]: turn["value"] for turn in record["conversations"]}
        problem = turns["human"].replace("<image>", "").strip()
        solution = turns["gpt"]
    else:
        problem, solution = record["problem"], record["solution"]
    image = record["image"]
    if isinstance(image, list):
        if len(image) != 1:
            raise ValueError(f"{source}: a REC record has one image, got {len(image)}")
        image = image[0]
    sample = {
        "image": os.path.abspath(os.path.join(image_root, image)),
        "problem": problem,
        "solution": parse_box(solution),
        "normal_caption": record.get("normal_caption") or caption_from_problem(problem),
        "task": "rec",
        "source": source,
    }
    if "normalized_solution" in record:
        sample["normalized_solution"] = parse_box(record["normalized_solution"])
    return sample


def rec_samples(records: list[dict], image_root: str, source: str) -> list[dict]:
    """Records as samples; a malformed record is an error that names the file and the record's index."""
    samples = []
    for i, record in enumerate(records):
        try:
            samples.append(rec_sample(record, image_root, source))
        except (KeyError, ValueError, SyntaxError, TypeError) as e:
            raise ValueError(
                f"{source}: record {i} is not a REC record ({type(e).__name__}: {e}): {record!r}"
            ) from e
    return samples


def load_rec(
    path: str, image_root: str, check: str = "exists", skipped: SkippedImages | None = None
) -> SampleDataset:
    """Load one REC annotation file; samples whose image fails `check` are skipped, counted and named."""
    skipped = skipped if skipped is not None else SkippedImages()
    samples = filter_samples(rec_samples(read_records(path), image_root, path), check, skipped, path)
    return SampleDataset(samples, os.path.basename(path), skipped)
