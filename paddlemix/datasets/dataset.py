"""The list-like dataset every loader returns: indexable dict samples, plus what was skipped while loading.

A sample is a plain dict. Every loader sets:

- `image`: absolute path of the image file;
- `problem`: the question (a REC `problem` is the full instruction, e.g. "Please provide the bounding box
  coordinate of the region this sentence describes: the man in red.");
- `solution`: REC: `[x1, y1, x2, y2]` floats in original-image pixels; counting / geometry: the answer
  string as stored (it may carry `<answer>…</answer>`); eval sets: the `ground_truth` as stored (an int for
  SuperCLEVR, a string such as "140°" for GeoQA);
- `task`: "rec" | "counting" | "geometry";
- `source`: the file or directory the sample came from (named in warnings).

REC samples add `normal_caption` (the bare referring expression; None when the record has none) and,
when the record has it, `normalized_solution`. Eval samples add `record`, the untouched input record,
which the seed writes back into its results file.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Sequence

from paddlemix.datasets.images import SkippedImages, ValidationReport, validate_images

REQUIRED_KEYS = ("image", "problem", "solution", "task", "source")


class SampleDataset(Sequence):
    """An indexable collection of sample dicts with the images skipped while loading (`skipped`)."""

    def __init__(self, samples: list[dict], name: str = "", skipped: SkippedImages | None = None):
        """Wrap `samples` (dicts with REQUIRED_KEYS); `name` is used in messages."""
        self.samples = samples
        self.name = name
        self.skipped = skipped if skipped is not None else SkippedImages()

    def __len__(self) -> int:
        """Number of samples."""
        return len(self.samples)

    def __getitem__(self, i):
        """Sample `i` as a fresh dict (a slice gives a list), so callers may add keys freely."""
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        return self._load(self.samples[i])

    def _load(self, stored: dict) -> dict:
        """Turn a stored sample into the dict callers get; subclasses fetch lazy fields here."""
        return dict(stored)

    def __iter__(self) -> Iterator[dict]:
        """Iterate over the samples in order."""
        return (self[i] for i in range(len(self)))

    def __repr__(self) -> str:
        """Name, size and skipped count."""
        return f"{type(self).__name__}({self.name!r}, {len(self)} samples, {self.skipped.count} skipped)"

    def subset(self, indices: Sequence[int]) -> SampleDataset:
        """A dataset of the samples at `indices`, of the same kind and sharing the skipped-image record."""
        view = copy.copy(self)
        view.samples = [self.samples[i] for i in indices]
        return view

    def validate(self, check: str = "decode") -> ValidationReport:
        """Decode (or only stat, `check="exists"`) every image; returns the good indices and the bad files."""
        return validate_images(self, check)

    def drop_bad_images(self, check: str = "decode") -> SampleDataset:
        """The dataset without samples whose image is missing or corrupt; they are counted in `skipped`."""
        report = self.validate(check)
        self.skipped.merge(report.skipped)
        return self.subset(report.good)


def concat(datasets: Sequence[SampleDataset], name: str = "") -> SampleDataset:
    """One dataset holding the samples of several, with their skipped images merged."""
    skipped = SkippedImages()
    for ds in datasets:
        skipped.merge(ds.skipped)
    if any(type(ds)._load is not SampleDataset._load for ds in datasets):
        raise TypeError(
            "concat joins eagerly loaded datasets only; lazily loaded ones (Hugging Face dirs) stay apart"
        )
    samples = [s for ds in datasets for s in ds.samples]
    return SampleDataset(samples, name or "+".join(ds.name for ds in datasets), skipped)
