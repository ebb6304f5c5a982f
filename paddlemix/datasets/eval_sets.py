"""The seed's evaluation sets as samples: R1-V's jsonl prompt files and the REC `{data_root}/{ds}.json` files.

- R1-V (`test_r1-v`): `{data_root}/{ds}.jsonl`, one `{"image_path", "question", "ground_truth"}` a line,
  e.g. `superclevr_test200_counting_problems.jsonl` (`"./images/superCLEVR_new_025000.png"`, an int
  answer) and `geoqa_test_prompts.jsonl` (`"./Geo170K/images/test/0.png"`, a string such as "140°").
  A leading "./" is dropped and the path is joined to `image_root`, as PaddleMIX's `test_r1-v.py` does.
- REC (`test_rec`): `{data_root}/{ds}.json`, records as in `rec.py`, shuffled with the seed and cut to
  `sample_num`, as VLM-R1's `test_rec_r1.py` and PaddleMIX's `test_rec.py` do.

Each sample keeps its input record under `record` (the seed writes it back into the results file). Images
are checked only for existence by default; a skipped sample is named in a warning and counted in
`dataset.skipped`, so an eval can report it instead of scoring it as wrong.
"""

from __future__ import annotations

import os
import random

from paddlemix.datasets.dataset import SampleDataset
from paddlemix.datasets.images import SkippedImages, filter_samples
from paddlemix.datasets.rec import located_rec_sample, located_records
from paddlemix.errors import DataError


def infer_eval_task(path: str, ground_truths: list) -> str:
    """ "counting" for an integer ground truth (SuperCLEVR), "geometry" for a string one (GeoQA)."""
    if ground_truths and all(isinstance(g, int) and not isinstance(g, bool) for g in ground_truths):
        return "counting"
    if ground_truths and all(isinstance(g, str) for g in ground_truths):
        return "geometry"
    raise DataError(
        "cannot tell counting (int answers) from geometry (string answers)", where=path, fix="pass task="
    )


def load_eval_jsonl(
    path: str, image_root: str, task: str | None = None, check: str = "exists"
) -> SampleDataset:
    """An R1-V eval jsonl as samples (`problem` = question, `solution` = ground_truth, `record` = the line)."""
    located = located_records(path)
    for where, record in located:
        if not isinstance(record, dict):
            raise DataError(f"expected a JSON object, got a {type(record).__name__}", where=where)
        missing = {"image_path", "question", "ground_truth"} - set(record)
        if missing:
            raise DataError(
                f"the record lacks {sorted(missing)}",
                where=where,
                fix="an R1-V eval line has image_path, question and ground_truth",
            )
    records = [record for _, record in located]
    task = task or infer_eval_task(path, [r["ground_truth"] for r in records])
    samples = []
    for record in records:
        relative = record["image_path"][2:] if record["image_path"].startswith("./") else record["image_path"]
        samples.append(
            {
                "image": os.path.abspath(os.path.join(image_root, relative)),
                "problem": record["question"],
                "solution": record["ground_truth"],
                "task": task,
                "source": path,
                "record": record,
            }
        )
    skipped = SkippedImages()
    return SampleDataset(filter_samples(samples, check, skipped, path), os.path.basename(path), skipped)


def load_r1v_eval(
    data_root: str, ds: str, image_root: str, task: str | None = None, check: str = "exists"
) -> SampleDataset:
    """`test_r1-v`'s dataset `ds`: the file `{data_root}/{ds}.jsonl`."""
    return load_eval_jsonl(os.path.join(data_root, f"{ds}.jsonl"), image_root, task, check)


def load_rec_eval(
    data_root: str,
    ds: str,
    image_root: str,
    sample_num: int | None = None,
    seed: int = 42,
    rng: random.Random | None = None,
    check: str = "exists",
) -> SampleDataset:
    """`test_rec`'s dataset `ds`: `{data_root}/{ds}.json` shuffled with the seed, first `sample_num` kept.

    The seed calls `random.seed(seed)` once and then shuffles each test dataset in turn; pass one shared
    `rng = random.Random(seed)` to successive calls to pick the same samples for the 2nd, 3rd, ... dataset.
    """
    path = os.path.join(data_root, f"{ds}.json")
    located = located_records(path)
    (rng or random.Random(seed)).shuffle(located)
    if sample_num is not None:
        located = located[:sample_num]
    samples = []
    for where, record in located:
        sample = located_rec_sample(where, record, image_root, path)
        sample["record"] = record
        samples.append(sample)
    skipped = SkippedImages()
    return SampleDataset(filter_samples(samples, check, skipped, path), ds, skipped)
