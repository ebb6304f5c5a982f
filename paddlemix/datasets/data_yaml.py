"""The seed's data yaml: a list of REC annotation files, each with an optional sampling strategy.

The format is VLM-R1's (`grpo_rec.py`), used by PaddleMIX's `data_config/rec.yaml`:

    datasets:
      - json_path: data/REC/rec_jsons_processed/refcoco_train.json
      - json_path: data/REC/rec_jsons_processed/refcocog_train.json
        sampling_strategy: random:25%

`sampling_strategy` is `all` (the default), `first:N`, `end:N` or `random:N`, where N is a count or a
percentage `P%` of the file (rounded up, as the seed does). Differences from the seed, on purpose:

- `random` is seeded: one `random.Random(seed)` shuffles the files in order, which picks the same samples
  as VLM-R1 after `random.seed(seed)` (PaddleMIX never seeds, so its picks change every run);
- `end:0` keeps nothing (the seed's `records[-0:]` keeps everything);
- a strategy without N, an unknown strategy or an unknown key is an error (the seed silently keeps all);
- a relative `json_path` is looked up from the working directory, as in the seed, and then beside the yaml.
"""

from __future__ import annotations

import math
import os
import random
from dataclasses import dataclass

import yaml

from paddlemix.datasets.dataset import SampleDataset
from paddlemix.datasets.images import SkippedImages, filter_samples
from paddlemix.datasets.rec import located_records, rec_samples
from paddlemix.errors import DataError, MissingFileError

STRATEGIES = ("all", "first", "end", "random")


@dataclass
class DataYamlEntry:
    """One `datasets:` item of the data yaml."""

    json_path: str  # a .json or .jsonl REC annotation file
    sampling_strategy: str = "all"  # all | first:N | end:N | random:N, N a count or "P%"


def parse_sampling_strategy(strategy: str) -> tuple[str, int | None, float | None]:
    """Split a strategy into (kind, count, percent); exactly one of count/percent is set unless kind is "all"."""
    kind, _, number = str(strategy).strip().partition(":")
    if kind not in STRATEGIES:
        raise ValueError(
            f"unknown sampling_strategy {strategy!r}; known: all, first:N, end:N, random:N (N or P%)"
        )
    if kind == "all":
        if number:
            raise ValueError(f"sampling_strategy {strategy!r}: 'all' takes no number")
        return kind, None, None
    if not number:
        raise ValueError(f"sampling_strategy {strategy!r} needs a number: {kind}:N or {kind}:P%")
    try:
        if number.endswith("%"):
            percent = float(number[:-1])
            if not 0 <= percent <= 100:
                raise ValueError
            return kind, None, percent
        count = int(number)
        if count < 0:
            raise ValueError
        return kind, count, None
    except ValueError:
        raise ValueError(
            f"sampling_strategy {strategy!r}: N must be a count >= 0 or a percentage 0-100%"
        ) from None


def apply_sampling(records: list, strategy: str, rng: random.Random) -> list:
    """The records a strategy keeps; `random` shuffles a copy with `rng` and keeps the first N."""
    kind, count, percent = parse_sampling_strategy(strategy)
    if kind == "all":
        return list(records)
    n = math.ceil(percent * len(records) / 100) if percent is not None else count
    if kind == "first":
        return records[:n]
    if kind == "end":
        return records[len(records) - n :] if n else []
    shuffled = list(records)
    rng.shuffle(shuffled)
    return shuffled[:n]


def yaml_datasets(path: str, fields: str) -> list:
    """The non-empty `datasets:` list of a yaml; a DataError naming the file otherwise (`fields` for the message)."""
    try:
        with open(path, encoding="utf-8") as f:
            data = yaml.safe_load(f) or {}
    except FileNotFoundError:
        raise MissingFileError("no such data yaml", where=path) from None
    except yaml.YAMLError as e:
        raise DataError(f"not valid YAML ({' '.join(str(e).split())})", where=path) from None
    items = data.get("datasets") if isinstance(data, dict) else None
    if not isinstance(items, list) or not items:
        raise DataError(f"expected a non-empty 'datasets:' list of {{{fields}}}", where=path)
    return items


def read_data_yaml(path: str) -> list[DataYamlEntry]:
    """The entries of a data yaml; unknown keys are an error that lists the known ones."""
    items = yaml_datasets(path, "json_path, sampling_strategy")
    known = set(DataYamlEntry.__dataclass_fields__)
    entries = []
    for i, item in enumerate(items):
        if not isinstance(item, dict) or "json_path" not in item:
            raise DataError(f"needs a json_path, got {item!r}", where=f"{path}: datasets[{i}]")
        unknown = set(item) - known
        if unknown:
            raise DataError(
                f"unknown key(s) {sorted(unknown)}; known: {sorted(known)}", where=f"{path}: datasets[{i}]"
            )
        entry = DataYamlEntry(**item)
        try:
            parse_sampling_strategy(entry.sampling_strategy)
        except ValueError as e:
            raise DataError(str(e), where=f"{path}: datasets[{i}]") from None
        entries.append(entry)
    return entries


def resolve_json_path(json_path: str, yaml_path: str) -> str:
    """A yaml's json_path: absolute, else from the working directory (as the seed), else beside the yaml."""
    if os.path.isabs(json_path) or os.path.exists(json_path):
        return os.path.abspath(json_path)
    beside = os.path.join(os.path.dirname(os.path.abspath(yaml_path)), json_path)
    if os.path.exists(beside):
        return beside
    raise MissingFileError(
        f"json_path {json_path!r} found neither from {os.getcwd()} nor beside the yaml", where=yaml_path
    )


def load_data_yaml(path: str, image_root: str, seed: int = 42, check: str = "exists") -> SampleDataset:
    """All REC samples a data yaml selects, in file order; missing images are skipped, counted and named."""
    rng = random.Random(seed)
    skipped = SkippedImages()
    samples = []
    for entry in read_data_yaml(path):
        json_path = resolve_json_path(entry.json_path, path)
        # Sampling picks from (where, record) pairs: the same picks as from the records, and a bad record
        # is still named by its line.
        picked = apply_sampling(located_records(json_path), entry.sampling_strategy, rng)
        found = rec_samples([r for _, r in picked], image_root, json_path, [w for w, _ in picked])
        samples.extend(filter_samples(found, check, skipped, json_path))
    return SampleDataset(samples, os.path.basename(path), skipped)
