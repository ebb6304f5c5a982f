"""REC evaluation (`eval/test_rec.py`): RefCOCO/+/g and RefGTA, IoU > 0.5 in original-image pixels.

As PaddleMIX's `eval/test_rec.py` (after VLM-R1's `src/eval/test_rec_r1.py`): each `{data_root}/{ds}.json`
is shuffled with one `random.Random(seed)` shared by the datasets in turn, cut to `sample_num`, prompted
with the "r1" template around `problem` or the "baseline" one, decoded greedily in batches, and written to
`{output_dir}/rec_results_{ds}_{model_name}_{method}_{steps}.json`.

What differs from the seed, on purpose:
- the answer's box is mapped to original pixels before the IoU (Qwen2.5-VL answers in pixels of the resized
  input, Qwen2-VL in 0-1000; `metrics.boxes`); the seed compared it raw, wrong whenever an image was resized;
- the box is parsed by the rewards' `parse_box` for both methods, and an answer naming several different
  boxes gets none; the seed took the first four numbers it saw;
- the baseline prompt is filled with `normal_caption`, and each result's `question` is its own prompt (the
  seed wrote the last sample's problem into every result).

Each result holds the seed's `question`, `ground_truth`, `model_output`, `extracted_answer` (the box as the
model wrote it, or null) and `correct`, plus `image`, `pred_box` (in original pixels), `iou`, and what
`rescore` needs to recompute the verdict: `image_size` (w, h), `input_size` (h, w), `image_grid_thw`,
`coord_frame` and `model_type`.
"""

from __future__ import annotations

import os
import random

from paddlemix.datasets import load_rec_eval
from paddlemix.errors import MissingFileError
from paddlemix.evaluation.config import EvalConfig
from paddlemix.evaluation.model_loading import load_model_and_processor
from paddlemix.evaluation.partial import run_header
from paddlemix.evaluation.results import report, results_path
from paddlemix.evaluation.runner import evaluate
from paddlemix.evaluation.scoring import EvalTask
from paddlemix.metrics.boxes import (
    answer_iou,
    coord_frame,
    frame_for_model,
    parse_box,
    to_original_frame,
)
from paddlemix.tasks import prompt_text, sample_messages

PREFIX = "rec"


def prompt_mode(method: str) -> str:
    """The template mode of a `--method`: "r1" -> the think/answer template, "baseline" -> the caption one."""
    return "eval" if method == "r1" else "baseline"


def rec_task(method: str, frame, model_type: str, metric: str = "fixed") -> EvalTask:
    """The REC task for a prompt method, the frame the model answers boxes in, and the metric that scores it."""
    frame = coord_frame(frame)
    mode = prompt_mode(method)

    def record(sample: dict, output: str, info: dict) -> dict:
        """The result of one sample: the seed's fields, the box in original pixels, and rescoring inputs."""
        image_size = info["image_size"]
        input_size = list(info["input_size"])
        box = parse_box(output)
        return {
            "image": sample["record"]["image"],
            "question": prompt_text(sample, mode),
            "ground_truth": sample["solution"],
            "model_output": output,
            "extracted_answer": box,
            "pred_box": None if box is None else to_original_frame(box, frame, image_size, input_size),
            "iou": answer_iou(output, sample["solution"], frame, image_size, input_size),
            "image_size": image_size,
            "input_size": input_size,
            "image_grid_thw": info["image_grid_thw"],
            "coord_frame": frame.value,
            "model_type": model_type,
        }

    return EvalTask(
        score_task="rec",
        messages=lambda sample: sample_messages(sample, mode),
        record=record,
        metric=metric,
        score_options={"rec_method": method},
    )


def data_file(cfg: EvalConfig, ds: str) -> str:
    """`{data_root}/{ds}.json`, or a FileNotFoundError naming the path."""
    path = os.path.join(cfg.data_root, f"{ds}.json")
    if not os.path.isfile(path):
        raise MissingFileError(
            f"test dataset {ds!r}: no data file {path} (test_rec reads {{data_root}}/{{ds}}.json)"
        )
    return path


def run_rec(cfg: EvalConfig) -> dict[str, dict]:
    """Evaluate every dataset of `cfg.test_datasets`; returns dataset -> the results file's contents."""
    paths = {ds: data_file(cfg, ds) for ds in cfg.test_datasets}
    rng = random.Random(cfg.seed)  # one generator for all datasets, as the seed's single random.seed()
    # Every file is read before the model loads, so a malformed one stops the run at once.
    datasets = {
        ds: load_rec_eval(cfg.data_root, ds, cfg.image_root, cfg.sample_num, cfg.seed, rng=rng)
        for ds in cfg.test_datasets
    }
    print("Steps: ", cfg.steps)
    model, processor = load_model_and_processor(cfg)
    model_type = model.config.model_type
    frame = coord_frame(cfg.coord_frame) if cfg.coord_frame else frame_for_model(model_type)
    task = rec_task(cfg.method, frame, model_type, cfg.metric)
    out = {}
    for ds in cfg.test_datasets:
        print(f"Processing {ds}...")
        dataset = datasets[ds]
        header = run_header(cfg, model, processor, paths[ds], coord_frame=frame.value)
        path = results_path(cfg.output_dir, PREFIX, ds, cfg)
        out[ds] = evaluate(list(dataset), task, model, processor, cfg, path, header, dataset.skipped, ds)
        report(ds, out[ds], path)
    return out
