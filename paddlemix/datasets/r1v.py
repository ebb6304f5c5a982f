"""R1-V's counting and geometry training sets (`clevr_cogen_a_train`, `GEOQA_R1V_Train_8K`) as samples.

Both are Hugging Face dataset directories (see `hf_dir`) with columns `image` (embedded bytes), `problem`
and `solution` (e.g. "<answer> 3 </answer>"). The samples need an image *file*, so the first time a
sample is read its embedded bytes are written to `cache_dir` (atomically, so several DataLoader workers
may race on it safely) and `image` is that file's path. An image cell with no bytes falls back to its
stored `path` if that file exists; otherwise `image` names a file that does not exist, and the collator's
`load_sample_image` skips the sample as missing, like any other bad image.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile

from paddlemix.datasets.dataset import SampleDataset
from paddlemix.datasets.hf_dir import HFTable, MissingSplitError, read_hf_dir
from paddlemix.file_modes import honour_umask

CACHE_ENV = "PADDLEMIX_DATA_CACHE"
# The sample labels of the R1-V sets this module reads (counting_direct: counting, asked without a template).
R1V_TASKS = ("counting", "geometry", "counting_direct")


def default_cache_dir() -> str:
    """Where embedded images are written: $PADDLEMIX_DATA_CACHE, else ~/.cache/paddlemix/images."""
    return os.environ.get(CACHE_ENV) or os.path.join(os.path.expanduser("~"), ".cache", "paddlemix", "images")


class HFImageDataset(SampleDataset):
    """Samples of one split of a Hugging Face dataset directory; images are written to files when read."""

    def __init__(self, table: HFTable, task: str, cache_dir: str, name: str = ""):
        """Wrap an open split; `cache_dir` receives the images (one subfolder per dataset directory)."""
        problems, solutions = table.column("problem"), table.column("solution")
        samples = [
            {"row": i, "problem": p, "solution": s} for i, (p, s) in enumerate(zip(problems, solutions))
        ]
        super().__init__(samples, name or os.path.basename(os.path.normpath(table.path)))
        self.table, self.task = table, task
        key = hashlib.sha1(f"{os.path.abspath(table.path)}:{table.split}".encode()).hexdigest()[:12]
        self.image_dir = os.path.join(cache_dir, f"{self.name}-{table.split}-{key}")

    def _load(self, stored: dict) -> dict:
        """The sample with `image` pointing at a file holding the row's image."""
        return {
            "image": self._image_file(stored["row"]),
            "problem": stored["problem"],
            "solution": stored["solution"],
            "task": self.task,
            "source": f"{self.table.path} [{self.table.split}] row {stored['row']}",
        }

    def _image_file(self, row: int) -> str:
        """Write row's image bytes to the cache (once) and return the file's path."""
        stored_path = self.table.image_path(row) or ""
        target = os.path.join(self.image_dir, f"{row:08d}-{_safe_name(stored_path)}")
        if os.path.isfile(target):
            return target
        cell = self.table.image(row) or {}
        if not cell.get("bytes"):
            if stored_path and os.path.isabs(stored_path) and os.path.isfile(stored_path):
                return stored_path
            return os.path.join(self.image_dir, f"{row:08d}-missing-{_safe_name(stored_path)}")
        os.makedirs(self.image_dir, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.image_dir, suffix=".part")
        with os.fdopen(fd, "wb") as f:
            f.write(cell["bytes"])
        honour_umask(tmp)
        os.replace(tmp, target)
        return target


def load_r1v(
    path: str, task: str, split: str = "train", cache_dir: str | None = None, name: str = ""
) -> HFImageDataset:
    """Load a counting or geometry training split from a hub-snapshot or save_to_disk directory."""
    if task not in R1V_TASKS:
        raise ValueError(
            f"load_r1v reads counting/geometry sets, got task {task!r}; REC uses load_rec/load_data_yaml"
        )
    table = read_hf_dir(path, split)
    for column in ("image", "problem", "solution"):
        if column not in table.column_names:
            raise MissingSplitError(
                f"{path} [{split}] lacks column {column!r}; columns: {table.column_names}"
            )
    return HFImageDataset(table, task, cache_dir or default_cache_dir(), name)


def _safe_name(path: str) -> str:
    """A file name from a stored image path, safe to create (no folders, no odd characters)."""
    name = re.sub(r"[^A-Za-z0-9._-]", "_", os.path.basename(path or ""))
    return name or "image"
