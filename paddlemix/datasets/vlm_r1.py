"""VLM-R1's general jsonl (`grpo_jsonl.py` `main`): files, their image folders and accuracy methods, as samples.

    sources = parse_sources("a.jsonl:b.jsonl", "imgs_a:imgs_b", "mcq:all_match")   # VLM-R1's three flags
    sources = read_sources_yaml("configs/data/gui.yaml")                            # or one YAML listing them
    train = load_vlm_r1(sources, task_type="gui")

A record is `{"id", "image": str | [str, ...], "conversations": [{"from": "human", "value": "<image>..."},
{"from": "gpt", "value": ...}], "accu_reward_method"?}`. As VLM-R1 derives them (`main`, the loop over
`data_files`):
- `problem` = the human value with every `<image>` removed (not stripped);
- `solution` = `"<answer> {s} </answer>"`, s the gpt value without `<answer>` / `</answer>`, stripped (a
  non-string value is `str()`-ed, unstripped);
- `images` = every image path joined to the file's folder, in order (`image` is the last: the frame boxes
  of the detection methods are in); the prompt shows them all before the text (`build_messages`);
- `accu_reward_method` = the record's own, else its file's `--reward_method`, else `default`;
- `upscale_small_images`: True, so the prompt encoders scale images under 28 px up as VLM-R1's trainer does.

Differences, on purpose: the three flags' counts must agree (VLM-R1 checked files against folders but only
asserted the methods); an unknown method is an error naming the record (VLM-R1 silently scored it as
`default`); a missing image skips its record, counted and named (VLM-R1 asserted); a record without an
image is an error naming its line (text-only prompts are not trained here).

The YAML form, for `--dataset_name` (relative paths: from the working directory, else beside the yaml):

    datasets:
      - data_file: gui_multi-image.jsonl
        image_folder: images
        reward_method: all_match       # optional, default "default"
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from paddlemix.config import ConfigError
from paddlemix.datasets.data_yaml import resolve_json_path, yaml_datasets
from paddlemix.datasets.dataset import SampleDataset
from paddlemix.datasets.images import SkippedImages, filter_samples
from paddlemix.datasets.rec import located_records
from paddlemix.errors import DataError
from paddlemix.metrics.vlm_r1 import ACCURACY_METHODS


@dataclass(frozen=True)
class VlmR1Source:
    """One jsonl, the folder its image paths are relative to, and the accuracy method of its records."""

    data_file: str
    image_folder: str
    reward_method: str = "default"


def check_method(method: str, where: str) -> str:
    """`method` if VLM-R1's `accuracy_reward` knows it; a DataError naming `where` and the known ones otherwise."""
    if method not in ACCURACY_METHODS:
        raise DataError(
            f"unknown accuracy method {method!r}",
            where=where,
            fix=f"use one of {', '.join(ACCURACY_METHODS)}",
        )
    return method


def parse_sources(
    data_file_paths: str, image_folders: str, reward_method: str | None = None
) -> list[VlmR1Source]:
    """VLM-R1's `--data_file_paths a:b --image_folders A:B [--reward_method m1:m2]`; a ConfigError if counts differ."""
    files, folders = data_file_paths.split(":"), image_folders.split(":")
    if len(files) != len(folders):
        raise ConfigError(
            f"--data_file_paths names {len(files)} file(s) but --image_folders {len(folders)} folder(s); "
            "give one folder per file, ':'-separated"
        )
    methods = reward_method.split(":") if reward_method else ["default"] * len(files)
    if len(methods) != len(files):
        raise ConfigError(
            f"--reward_method names {len(methods)} method(s) for {len(files)} --data_file_paths; "
            "give one per file, ':'-separated"
        )
    for method in methods:
        if method not in ACCURACY_METHODS:
            raise ConfigError(f"--reward_method {method!r} is unknown; known: {', '.join(ACCURACY_METHODS)}")
    return [VlmR1Source(f, d, m) for f, d, m in zip(files, folders, methods)]


def read_sources_yaml(path: str) -> list[VlmR1Source]:
    """The sources a VLM-R1 data YAML lists (module docstring); errors name the yaml and the entry."""
    items = yaml_datasets(path, "data_file, image_folder, reward_method")
    known = set(VlmR1Source.__dataclass_fields__)
    sources = []
    for i, item in enumerate(items):
        where = f"{path}: datasets[{i}]"
        if not isinstance(item, dict) or not {"data_file", "image_folder"} <= set(item):
            raise DataError(f"needs data_file and image_folder, got {item!r}", where=where)
        if set(item) - known:
            raise DataError(
                f"unknown key(s) {sorted(set(item) - known)}; known: {sorted(known)}", where=where
            )
        folder = item["image_folder"]
        if not os.path.isabs(folder) and not os.path.isdir(folder):
            folder = os.path.join(os.path.dirname(os.path.abspath(path)), folder)
        method = check_method(item.get("reward_method", "default"), where)
        sources.append(VlmR1Source(resolve_json_path(item["data_file"], path), folder, method))
    return sources


def solution_of(value) -> str:
    """VLM-R1's solution: the gpt value without answer tags, stripped (non-strings `str()`-ed), re-wrapped."""
    text = (
        value.replace("<answer>", "").replace("</answer>", "").strip()
        if isinstance(value, str)
        else str(value)
    )
    return f"<answer> {text} </answer>"


def record_sample(
    record,
    image_folder: str,
    method: str | None,
    where: str,
    task: str = "vlm_r1",
    strip_problem: bool = False,
) -> dict:
    """One VLM-R1 record as a sample (module docstring); a malformed record is a DataError naming `where`."""
    try:
        image = record["image"]
        turns = record["conversations"]
        human, gpt = turns[0]["value"], turns[1]["value"]
    except (KeyError, IndexError, TypeError) as e:
        raise DataError(
            f"not a VLM-R1 record ({type(e).__name__}: {e})",
            where=where,
            fix='a record has "image" and "conversations": [{"from": "human", ...}, {"from": "gpt", ...}]',
        ) from None
    names = image if isinstance(image, list) else [image]
    if not names or not all(isinstance(n, str) and n for n in names):
        raise DataError(f"'image' must be a path or a non-empty list of paths, got {image!r}", where=where)
    paths = [os.path.abspath(os.path.join(image_folder, n)) for n in names]
    problem = str(human).replace("<image>", "")
    sample = {
        "image": paths[-1],
        "problem": problem.strip() if strip_problem else problem,
        "solution": solution_of(gpt),
        "accu_reward_method": _method_of(record, method, where),
        "task": task,
        "source": where,
        "record": record,
        "upscale_small_images": True,  # VLM-R1's trainer scales every image under 28 px up (images.upscale_small)
    }
    if len(paths) > 1:
        sample["images"] = paths
    return sample


def _method_of(record: dict, method: str | None, where: str) -> str | None:
    """The record's own `accu_reward_method`, else its file's (VLM-R1 `item.get('accu_reward_method', ...)`)."""
    own = record.get("accu_reward_method")
    if own is None and method is None:
        return None  # the OVD task reads a missing method as its own default (odLength)
    return check_method(own if own is not None else method, where)


def source_samples(source: VlmR1Source, task: str = "vlm_r1", strip_problem: bool = False) -> list[dict]:
    """The samples of one source file, in order (before the image check)."""
    if not source.data_file.endswith(".jsonl"):
        raise DataError("a VLM-R1 data file is a .jsonl", where=source.data_file)
    return [
        record_sample(r, source.image_folder, source.reward_method, where, task, strip_problem)
        for where, r in located_records(source.data_file)
    ]


def load_vlm_r1(
    sources: list[VlmR1Source],
    task: str = "vlm_r1",
    fields: dict | None = None,
    check: str = "exists",
    strip_problem: bool = False,
) -> SampleDataset:
    """All sources' samples, in order, each with `fields` added; a missing image skips its sample (counted)."""
    skipped = SkippedImages()
    samples = []
    for source in sources:
        found = [{**s, **(fields or {})} for s in source_samples(source, task, strip_problem)]
        kept = []
        for sample in found:
            # Every image of a multi-image record must be there; the check looks at one path per call.
            paths = sample.get("images") or [sample["image"]]
            if all(filter_samples([{**sample, "image": p}], check, skipped, source.data_file) for p in paths):
                kept.append(sample)
        samples.extend(kept)
    name = "+".join(os.path.basename(s.data_file) for s in sources)
    return SampleDataset(samples, name, skipped)
