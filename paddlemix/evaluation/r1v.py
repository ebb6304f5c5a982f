"""Counting and geometry evaluation (`eval/test_r1-v.py`): SuperCLEVR-200 and GeoQA, scored by math-verify.

As PaddleMIX's `eval/test_r1-v.py` (after R1-V's `src/eval/test_qwen2vl_counting_superclevr.py` and
`test_qwen2vl_geoqa.py`): each `{data_root}/{ds}.jsonl` (`image_path`, `question`, `ground_truth`) is read in
file order, its images resolved under `image_root` (a leading "./" dropped), decoded greedily in batches,
and written to `{output_dir}/r1-v_results_{ds}_{model_name}_{method}_{steps}.json`.

What differs from the seed, on purpose:
- every answer is scored by `math_correct` (the `<answer>` contents equal the ground truth, as strings or by
  math-verify); the seed read an integer with the counting regex and compared it with GeoQA's string ground
  truths such as "140°", so GeoQA scored 0 whatever the model said;
- the prompt is R1-V's eval template of the task (`paddlemix/tasks/`): GeoQA gets R1-V's GeoQA template, which
  the published GeoQA numbers were made with, where the seed reused the counting one. `--method` only names
  the output file, as in the seed, whose two methods shared one template;
- `--sample_num` keeps the first N samples when given; the seed accepted it and evaluated everything, which
  is still the default.

Each result holds the seed's `question` (the input record), `ground_truth`, `model_output` and
`extracted_answer` (the final answer the metric read: the `<answer>` contents), plus `correct`.
"""

from __future__ import annotations

import os

from paddlemix.config import ConfigError
from paddlemix.datasets import SkippedImages, load_r1v_eval
from paddlemix.datasets.images import filter_samples
from paddlemix.errors import MissingFileError
from paddlemix.evaluation.config import EvalConfig
from paddlemix.evaluation.model_loading import load_model_and_processor
from paddlemix.evaluation.partial import run_header
from paddlemix.evaluation.results import report, results_path
from paddlemix.evaluation.runner import evaluate
from paddlemix.evaluation.scoring import EvalTask
from paddlemix.metrics.answers import final_answer
from paddlemix.tasks import canonical_name, sample_messages

PREFIX = "r1-v"
R1V_TASKS = ("counting", "geometry")  # the tasks test_r1-v evaluates


def record(sample: dict, output: str, info: dict) -> dict:
    """The result of one sample in the seed's fields."""
    return {
        "question": sample["record"],
        "ground_truth": sample["solution"],
        "model_output": output,
        "extracted_answer": final_answer(output),
    }


def r1v_task(task: str) -> EvalTask:
    """The eval task for a dataset task, "counting" or "geometry"."""
    if canonical_name(task) not in R1V_TASKS:
        raise ConfigError(f"test_r1-v evaluates {list(R1V_TASKS)}, got task {task!r}")
    return EvalTask(
        score_task=canonical_name(task), messages=lambda s: sample_messages(s, "eval"), record=record
    )


def data_file(cfg: EvalConfig, ds: str) -> str:
    """`{data_root}/{ds}.jsonl`, or a FileNotFoundError naming the path."""
    path = os.path.join(cfg.data_root, f"{ds}.jsonl")
    if not os.path.isfile(path):
        raise MissingFileError(
            f"test dataset {ds!r}: no data file {path} (test_r1-v reads {{data_root}}/{{ds}}.jsonl)"
        )
    return path


def run_r1v(cfg: EvalConfig) -> dict[str, dict]:
    """Evaluate every dataset of `cfg.test_datasets`; returns dataset -> the results file's contents."""
    if cfg.coord_frame is not None:
        raise ConfigError("--coord_frame applies to REC only; test_r1-v has no boxes")
    paths = {ds: data_file(cfg, ds) for ds in cfg.test_datasets}
    # Every file is read before the model loads, so a malformed one stops the run at once. Cut before
    # dropping missing images, as test_rec does, so N names the same lines whatever is missing.
    read = {
        ds: list(load_r1v_eval(cfg.data_root, ds, cfg.image_root, check="none"))[: cfg.sample_num]
        for ds in cfg.test_datasets
    }
    print("Steps: ", cfg.steps)
    model, processor = load_model_and_processor(cfg)
    out = {}
    for ds in cfg.test_datasets:
        print(f"Processing {ds}...")
        records = read[ds]
        skipped = SkippedImages()
        samples = filter_samples(records, "exists", skipped, paths[ds])
        task = records[0]["task"]
        header = run_header(cfg, model, processor, paths[ds], task=task)
        path = results_path(cfg.output_dir, PREFIX, ds, cfg)
        out[ds] = evaluate(samples, r1v_task(task), model, processor, cfg, path, header, skipped, ds)
        report(ds, out[ds], path)
    return out
