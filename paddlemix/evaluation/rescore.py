"""Recompute the accuracy of a saved eval results file, with no model.

    python -m paddlemix.evaluation.rescore logs/counting_results_superclevr_200_....json [--metric r1v]

The file is R1-V's and the seed's `./logs/*_results_*.json`: `{"accuracy": float, "results": [{"question",
"ground_truth", "model_output", "extracted_answer", and "correct" or "is_correct"}]}`. Only `model_output` and
`ground_truth` are read; the stored verdicts are what we check ourselves against.

The task comes from the ground truths: four numbers -> "rec", integers -> "counting", strings -> "geoqa"
(pass `task=` for a counting file whose ground truths were saved as strings).

Metrics:
- "fixed" (default): ours, the very functions the GRPO rewards call. Counting and GeoQA: `math_correct` (the
  `<answer>` contents equal the ground truth as strings or by math-verify once GeoQA notation is made LaTeX;
  hedged answers are wrong). REC: `answer_iou` > 0.5 after mapping the box to original pixels, which needs per
  result `coord_frame` (or `model_type`), `image_size` (w, h) and, for Qwen2.5-VL, `input_size` (h, w) or
  `image_grid_thw`; pass `coord_frame="original"` for files whose boxes are already in original pixels.
- "r1v": R1-V's published scorers (`metrics/published.py`). Reproduces its four numbers exactly, float for
  float: SuperCLEVR-200 counting 48.0 (Qwen2-VL-2B-Instruct) and 82.5 (GRPO 100 steps), GeoQA test
  30.636604774535808 (Qwen2-VL-7B-Instruct) and 38.726790450928384 (GRPO 2 epochs).
- "seed": PaddleMIX's scorers, bugs included: GeoQA always 0, REC boxes not rescaled. The REC prompt method
  (r1 or baseline) is read from the file name, where the seed's eval wrote it.

"fixed" and "r1v" disagree on these logs, by design; every disagreement was checked by hand. Counting: fixed
also accepts "A. 8" for 8 (48.0 -> 49.5; 82.5 unchanged). GeoQA (30.6366 -> 29.8408, 38.7268 -> 36.6048):
R1-V parses the whole output, where math-verify skips a number flush against the tags, so the last number
of the reasoning (or of a truncated output) counted as the answer, and it reads the ground truth "4√{3}" as
4, so "4.0" passed; fixed reads only the `<answer>` and the real value, and accepts what R1-V missed: "0.6"
for "\\frac{3}{5}", "100.0" for "100°", "√5" for "√{5}".
"""

from __future__ import annotations

import argparse
import json
import numbers
import os

from paddlemix.metrics.answers import math_correct
from paddlemix.metrics.boxes import answer_iou, resolve_frame, resolve_input_size, solution_box
from paddlemix.metrics.published import (
    r1v_counting_correct,
    r1v_geoqa_correct,
    seed_geoqa_correct,
    seed_rec_correct,
)

TASKS = ("counting", "geoqa", "rec")


def _fixed_math(result: dict, **_) -> bool:
    return math_correct(result["model_output"], result["ground_truth"])


def _fixed_rec(result: dict, coord_frame=None, **_) -> bool:
    frame = resolve_frame(coord_frame or result.get("coord_frame"), result.get("model_type"))
    input_size = resolve_input_size(result.get("input_size"), result.get("image_grid_thw"))
    iou = answer_iou(
        result["model_output"], result["ground_truth"], frame, result.get("image_size"), input_size
    )
    return iou > 0.5


def _r1v_counting(result: dict, **_) -> bool:
    return r1v_counting_correct(result["model_output"], result["ground_truth"])


def _r1v_geoqa(result: dict, **_) -> bool:
    return r1v_geoqa_correct(result["model_output"], result["ground_truth"])


def _seed_geoqa(result: dict, **_) -> bool:
    return seed_geoqa_correct(result["model_output"], result["ground_truth"])


def _seed_rec(result: dict, rec_method: str = "r1", **_) -> bool:
    return seed_rec_correct(result["model_output"], result["ground_truth"], rec_method)


_SCORERS = {
    "fixed": {"counting": _fixed_math, "geoqa": _fixed_math, "rec": _fixed_rec},
    "r1v": {"counting": _r1v_counting, "geoqa": _r1v_geoqa},
    "seed": {"counting": _r1v_counting, "geoqa": _seed_geoqa, "rec": _seed_rec},
}
METRICS = tuple(_SCORERS)


def _task_of(ground_truth) -> str | None:
    if isinstance(ground_truth, str):
        return "geoqa"
    if isinstance(ground_truth, numbers.Integral) and not isinstance(ground_truth, bool):
        return "counting"
    if isinstance(ground_truth, (list, tuple)) and solution_box(ground_truth) is not None:
        return "rec"
    return None


def infer_task(results: list[dict]) -> str:
    """The task of a results list, from the type of its ground truths; an error if they disagree."""
    tasks = {_task_of(r["ground_truth"]) for r in results}
    if len(tasks) != 1 or None in tasks:
        raise ValueError(
            f"cannot tell the task from the ground truths (found {tasks}); pass task= one of {TASKS}"
        )
    return tasks.pop()


def score_results(
    results: list[dict], metric: str = "fixed", task: str | None = None, coord_frame=None, rec_method="r1"
) -> list[bool]:
    """Per-sample verdicts of `metric` on a results list (the `results` of a results file)."""
    if metric not in _SCORERS:
        raise ValueError(f"unknown metric {metric!r}; known: {', '.join(METRICS)}")
    task = task or infer_task(results)
    if task not in _SCORERS[metric]:
        known = ", ".join(t for t in TASKS if t in _SCORERS[metric])
        raise ValueError(f"metric {metric!r} has no scorer for task {task!r}; it scores: {known}")
    scorer = _SCORERS[metric][task]
    return [bool(scorer(r, coord_frame=coord_frame, rec_method=rec_method)) for r in results]


def accuracy(verdicts: list[bool]) -> float:
    """Percent correct, computed as R1-V does (count / n * 100) so the floats match its files."""
    if not verdicts:
        raise ValueError("no results to score")
    return sum(verdicts) / len(verdicts) * 100


def load_results(path: str) -> dict:
    """A results file: {"accuracy": float, "results": [...]}."""
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    if not isinstance(data, dict) or not isinstance(data.get("results"), list):
        raise ValueError(f"{path}: not a results file (a JSON object with a 'results' list)")
    return data


def rescore_samples(
    path: str, metric: str = "fixed", task: str | None = None, coord_frame=None
) -> list[bool]:
    """Per-sample verdicts of `metric` on the results file at `path`."""
    rec_method = "baseline" if "_baseline_" in os.path.basename(path) else "r1"
    return score_results(load_results(path)["results"], metric, task, coord_frame, rec_method)


def rescore(path: str, metric: str = "fixed", task: str | None = None, coord_frame=None) -> float:
    """The accuracy (percent) of the results file at `path` under `metric`."""
    return accuracy(rescore_samples(path, metric, task, coord_frame))


def main(argv=None) -> None:
    """Command line: print the recomputed and the stored accuracy of each results file."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("results", nargs="+", help="results JSON files")
    parser.add_argument("--metric", default="fixed", choices=METRICS)
    parser.add_argument(
        "--task", default=None, choices=TASKS, help="default: inferred from the ground truths"
    )
    parser.add_argument("--coord_frame", default=None, help="REC: frame of every box, e.g. original")
    args = parser.parse_args(argv)
    for path in args.results:
        verdicts = rescore_samples(path, args.metric, args.task, args.coord_frame)
        acc = accuracy(verdicts)
        stored = load_results(path).get("accuracy")
        same = "equal to" if acc == stored else "differs from"
        print(
            f"{path}: {args.metric} accuracy {acc!r} ({sum(verdicts)}/{len(verdicts)}), "
            f"{same} stored {stored!r}"
        )


if __name__ == "__main__":
    main()
