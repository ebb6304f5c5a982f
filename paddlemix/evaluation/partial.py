"""Resumable evals: the append-only `.partial.jsonl` beside each results file, and what a run depends on.

Each finished batch is appended to `<results>.partial.jsonl` (flushed and synced) before the next starts, so
an interrupted eval, run again with the same command, resumes where it stopped. The first line records what
the results depend on (`run_header`: model, dtype, prompt method, generation length, pixel budget); if that
differs, the old partial file is discarded with a warning rather than mixed in. Each record carries its
sample's index and a hash of its image and prompt (`sample_key`), so a changed data file is caught too.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Sequence

from paddlemix.evaluation.config import EvalConfig
from paddlemix.models.hub import is_hub_id

logger = logging.getLogger("paddlemix.evaluation")


def partial_path(path: str) -> str:
    """Where the results of `path` accumulate while the eval runs."""
    return os.path.splitext(path)[0] + ".partial.jsonl"


def sample_key(sample: dict, prompt: str) -> str:
    """A short hash of what a sample asks (image path and prompt), to match partial records to samples."""
    return hashlib.sha1(f"{sample['image']}\n{prompt}".encode()).hexdigest()[:16]


class PartialResults:
    """The append-only `.partial.jsonl` of one results file: a header line, then one line per sample."""

    def __init__(self, path: str, header: dict):
        """Open `path` for `header`'s run; records from another run's header are discarded with a warning."""
        self.path, self.header = path, header
        self.records = self._read()
        lines = [json.dumps({"header": header}, ensure_ascii=False)]
        lines += [json.dumps(r, ensure_ascii=False) for r in self.records.values()]
        # Rewritten whole first, so a line cut short by a crash is dropped rather than appended to.
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n")
        self._file = open(path, "a", encoding="utf-8")

    def _read(self) -> dict[int, dict]:
        """The usable records already in the file, by sample index."""
        if not os.path.isfile(self.path):
            return {}
        with open(self.path, encoding="utf-8") as f:
            lines = f.read().splitlines()
        try:
            old_header = json.loads(lines[0])["header"] if lines else {}
        except (json.JSONDecodeError, KeyError, TypeError):
            old_header = {}
        if old_header != self.header:
            changed = sorted(
                k for k in {*old_header, *self.header} if old_header.get(k) != self.header.get(k)
            )
            logger.warning("%s is from a different run (differs in %s); starting over", self.path, changed)
            return {}
        records = {}
        for line in lines[1:]:
            try:
                record = json.loads(line)
                records[int(record["index"])] = record
            except (json.JSONDecodeError, KeyError, TypeError, ValueError):
                continue  # a line cut short by the interruption
        return records

    def done(self, index: int, key: str) -> dict | None:
        """The stored record of sample `index` if it was recorded for the same image and prompt."""
        record = self.records.get(index)
        return record if record is not None and record.get("key") == key else None

    def append(self, records: Sequence[dict]) -> None:
        """Add the records of one batch and push them to disk before going on."""
        for record in records:
            self.records[record["index"]] = record
            self._file.write(json.dumps(record, ensure_ascii=False) + "\n")
        self._file.flush()
        os.fsync(self._file.fileno())

    def close(self) -> None:
        """Close the file (it stays on disk until `remove`)."""
        self._file.close()

    def remove(self) -> None:
        """Delete the file once the final results are written."""
        self.close()
        os.remove(self.path)


def run_header(cfg: EvalConfig, model, processor, ds_path: str, **extra) -> dict:
    """What a dataset's results depend on; a partial file written under another header is not resumed."""
    image_processor = processor.image_processor
    header = {
        # A hub ID stays the ID: made absolute it would name a folder that does not exist.
        "model_path": cfg.model_path
        if is_hub_id(cfg.model_path) and not os.path.exists(cfg.model_path)
        else os.path.abspath(cfg.model_path),
        "model_type": model.config.model_type,
        "dtype": str(next(iter(model.parameters())).dtype).replace("paddle.", ""),
        "data_file": os.path.abspath(ds_path),
        "image_root": os.path.abspath(cfg.image_root),
        "method": cfg.method,
        "seed": cfg.seed,
        "sample_num": cfg.sample_num,
        "max_new_tokens": cfg.max_new_tokens,
        "min_pixels": image_processor.min_pixels,
        "max_pixels": image_processor.max_pixels,
    }
    header.update(extra)
    return header
