"""Samples from a Hugging Face dataset folder with any columns: the OCR and affordance training sets.

`HFImageDataset` (r1v.py) reads `problem` and `solution`; the OCR and affordance sets carry other columns
(`text`; `aff_name`, `part_name`). `HFColumnsDataset` maps sample fields to columns, adds constant and derived fields,
and writes each image to the cache when its sample is read, as `HFImageDataset` does.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable

from paddlemix.datasets.dataset import SampleDataset
from paddlemix.datasets.r1v import HFImageDataset


class HFColumnsDataset(HFImageDataset):
    """One split of a dataset folder; `fields` maps sample field -> column, `constants` adds fixed fields."""

    def __init__(
        self,
        table,
        task: str,
        cache_dir: str,
        fields: dict[str, str],
        constants: dict | None = None,
        derive: Callable[[dict], dict] | None = None,
    ):
        """Read the text columns of `fields` up front; `derive(sample)` adds fields computed from them."""
        columns = {field: table.column(column) for field, column in fields.items()}
        samples = [{"row": i, **{f: columns[f][i] for f in fields}} for i in range(len(table))]
        SampleDataset.__init__(self, samples, os.path.basename(os.path.normpath(table.path)))
        self.table, self.task, self.constants, self.derive = table, task, dict(constants or {}), derive
        key = hashlib.sha1(f"{os.path.abspath(table.path)}:{table.split}".encode()).hexdigest()[:12]
        self.image_dir = os.path.join(cache_dir, f"{self.name}-{table.split}-{key}")

    def _load(self, stored: dict) -> dict:
        """The sample with `image` pointing at a file holding the row's image."""
        sample = {k: v for k, v in stored.items() if k != "row"}
        if self.derive is not None:
            sample.update(self.derive(sample))
        return {
            "image": self._image_file(stored["row"]),
            **self.constants,
            **sample,
            "task": self.task,
            "source": f"{self.table.path} [{self.table.split}] row {stored['row']}",
        }
