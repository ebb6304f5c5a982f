"""OCR samples: an image and the text it holds, from Perception-R1's json, a plain jsonl, or an HF folder.

Formats (`load_ocr`):
- Perception-R1's OCR json (a list, or one record a line): `image` and `conversations`, whose second turn
  (`conversations[1].value`) is the ground-truth text;
- a plain jsonl (or json list): `image` and `text`;
- a Hugging Face dataset folder (`load_ocr_hf`): an `image` column and a `text` (or `solution`) column.
Image paths are relative to `image_root`, by default the data file's folder. Samples: `image`, `problem`
("": the OCR prompt has no question), `solution` (the text), `task` ("ocr"), `source` (file:line), and
`record` (the input record, for eval results).
"""

from __future__ import annotations

import json
import os

from paddlemix.datasets.dataset import SampleDataset
from paddlemix.datasets.hf_columns import HFColumnsDataset
from paddlemix.datasets.hf_dir import read_hf_dir
from paddlemix.datasets.r1v import default_cache_dir
from paddlemix.errors import UserError

TEXT_COLUMNS = ("text", "solution")


def read_records(path: str) -> list[dict]:
    """The records of a json list or a jsonl file, each with its position for messages."""
    with open(path, encoding="utf-8") as f:
        content = f.read()
    stripped = content.lstrip()
    if stripped.startswith("["):
        try:
            records = json.loads(content)
        except json.JSONDecodeError as e:
            raise UserError(f"not valid JSON: {e}", where=path) from e
        return records
    records = []
    for number, line in enumerate(content.splitlines(), 1):
        if not line.strip():
            continue
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError as e:
            raise UserError(f"not valid JSON: {e}", where=f"{path}:{number}") from e
    return records


def record_text(record: dict, where: str) -> str:
    """The ground-truth text of a record: `text`, else Perception-R1's `conversations[1].value`."""
    if isinstance(record, dict) and isinstance(record.get("text"), str):
        return record["text"]
    try:
        value = record["conversations"][1]["value"]
    except (KeyError, IndexError, TypeError):
        value = None
    if not isinstance(value, str):
        raise UserError(
            "an OCR record needs `text` or `conversations[1].value` (the ground truth)",
            where=where,
            fix="see paddlemix/datasets/ocr.py for the formats",
        )
    return value


def load_ocr(path: str, image_root: str | None = None, task: str = "ocr") -> SampleDataset:
    """The OCR samples of one json / jsonl file (see the module docstring)."""
    root = image_root if image_root is not None else os.path.dirname(os.path.abspath(path))
    samples = []
    for i, record in enumerate(read_records(path)):
        where = f"{path}:{i + 1}"
        if not isinstance(record, dict) or not isinstance(record.get("image"), str):
            raise UserError("an OCR record needs an `image` path", where=where)
        samples.append(
            {
                "image": os.path.abspath(os.path.join(root, record["image"])),
                "problem": "",
                "solution": record_text(record, where),
                "task": task,
                "source": where,
                "record": record,
            }
        )
    return SampleDataset(samples, os.path.basename(path))


def load_ocr_hf(path: str, task: str = "ocr", split: str = "train", cache_dir: str | None = None):
    """The OCR samples of one split of a Hugging Face dataset folder (`image` + `text` or `solution`)."""
    table = read_hf_dir(path, split)
    column = next((c for c in TEXT_COLUMNS if c in table.column_names), None)
    if "image" not in table.column_names or column is None:
        raise UserError(
            f"an OCR dataset folder needs `image` and one of {TEXT_COLUMNS}; it has {table.column_names}",
            where=f"{path} [{split}]",
        )
    return HFColumnsDataset(
        table, task, cache_dir or default_cache_dir(), {"solution": column}, constants={"problem": ""}
    )
