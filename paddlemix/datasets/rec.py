"""REC (referring expression comprehension) annotations: RefCOCO/+/g and RefGTA records as samples.

Two record formats are read, both as `.json` (a list) or `.jsonl` (one record a line):

- the seed's `rec_jsons_processed/*.json` (VLM-R1's REC data, which PaddleMIX's REC.tar packs):
  `{"image": "train2014/COCO_train2014_....jpg", "problem": "Please provide the bounding box coordinate
  of the region this sentence describes: the lady with the blue shirt.", "solution": [x1, y1, x2, y2],
  "normal_caption": "the lady with the blue shirt", "normalized_solution": [...]}`; `solution` is in
  original-image pixels and may also be stored as the string "[x1, y1, x2, y2]";
- VLM-R1's later general jsonl: `{"id": ..., "image": ..., "conversations": [{"from": "human", "value":
  "<image>..."}, {"from": "gpt", "value": "[x1, y1, x2, y2]"}]}`.

A malformed file stops the load with an error that names the place: `file.jsonl:LINE` for a line that
is not JSON or not a REC record, `file.json[INDEX]` for a bad record of a `.json` list, `file.json:LINE:COL`
for a `.json` that does not parse. A record that is malformed says the file is not what it is taken for,
so nothing is skipped silently; a missing image, by contrast, is skipped and counted (`images.py`).

`image` is resolved under `image_root`. A record without `normal_caption` gets the text after the last
":" of its problem, without the final ".", as PaddleMIX's `scripts/preprocess_refcoco.py` derives it.
"""

from __future__ import annotations

import json
import os

from paddlemix.datasets.dataset import SampleDataset
from paddlemix.datasets.images import SkippedImages, filter_samples
from paddlemix.errors import DataError
from paddlemix.metrics.boxes import solution_box


def _open_annotations(path: str):
    """`path` opened for reading; a missing file is a DataError naming it."""
    try:
        return open(path, encoding="utf-8")
    except (FileNotFoundError, IsADirectoryError, PermissionError) as e:
        raise DataError(f"cannot read the annotation file ({e.strerror})", where=path) from None


def located_records(path: str) -> list[tuple[str, object]]:
    """(where, record) for each record of a `.json` list (`file[i]`) or a `.jsonl` file (`file:line`).

    A line or file that is not JSON, or a `.json` that is not a list, is a DataError naming `file:line`.
    """
    if path.endswith(".jsonl"):
        located = []
        with _open_annotations(path) as f:
            for number, line in enumerate(f, start=1):
                if not line.strip():
                    continue
                try:
                    located.append((f"{path}:{number}", json.loads(line)))
                except json.JSONDecodeError as e:
                    raise DataError(
                        f"line is not JSON ({e.msg.removesuffix(' at')} at column {e.colno})",
                        where=f"{path}:{number}",
                        fix="fix or delete the line; a .jsonl holds one JSON record a line",
                    ) from None
        return located
    if path.endswith(".json"):
        with _open_annotations(path) as f:
            try:
                data = json.load(f)
            except json.JSONDecodeError as e:
                raise DataError(
                    f"not valid JSON ({e.msg.removesuffix(' at')}; truncated?)",
                    where=f"{path}:{e.lineno}:{e.colno}",
                ) from None
        if not isinstance(data, list):
            raise DataError(f"expected a JSON list of records, got a {type(data).__name__}", where=path)
        return [(f"{path}[{i}]", record) for i, record in enumerate(data)]
    raise DataError("unsupported annotation file type (want .json or .jsonl)", where=path)


def read_records(path: str) -> list[dict]:
    """The records of a `.json` list or a `.jsonl` file; other extensions are an error (as in the seed)."""
    return [record for _, record in located_records(path)]


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


def located_rec_sample(where: str, record, image_root: str, source: str) -> dict:
    """`rec_sample` of the record at `where`; a malformed record is a DataError naming `where` and the key."""
    try:
        return rec_sample(record, image_root, source)
    except KeyError as e:
        problem = f"missing the field {e}"
    except (ValueError, SyntaxError, TypeError, AttributeError) as e:
        problem = str(e)
    raise DataError(
        f"not a REC record: {problem}",
        where=where,
        fix='a record has "image", "problem" and "solution" [x1, y1, x2, y2], or "image" and "conversations"',
    )


def rec_samples(records: list, image_root: str, source: str, where: list[str] | None = None) -> list[dict]:
    """Records as samples; a malformed record is a DataError naming `where[i]` (default `source[i]`)."""
    where = where or [f"{source}[{i}]" for i in range(len(records))]
    return [located_rec_sample(w, record, image_root, source) for w, record in zip(where, records)]


def load_rec(
    path: str, image_root: str, check: str = "exists", skipped: SkippedImages | None = None
) -> SampleDataset:
    """Load one REC annotation file; samples whose image fails `check` are skipped, counted and named."""
    skipped = skipped if skipped is not None else SkippedImages()
    located = located_records(path)
    samples = rec_samples([r for _, r in located], image_root, path, [w for w, _ in located])
    samples = filter_samples(samples, check, skipped, path)
    return SampleDataset(samples, os.path.basename(path), skipped)
