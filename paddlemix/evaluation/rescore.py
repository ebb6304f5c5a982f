"""Recompute the accuracy of a saved eval results file, with no model.

    python -m paddlemix.evaluation.rescore logs/counting_results_superclevr_200_....json [--metric r1v]
    python -m paddlemix.evaluation.rescore logs/rec_results_....json --visualize 16   # + a gallery

The file is R1-V's and the seed's `./logs/*_results_*.json`: `{"accuracy": float, "results": [{"question",
"ground_truth", "model_output", "extracted_answer", and "correct" or "is_correct"}]}`. Only `model_output` and
`ground_truth` are read; the stored verdicts are what we check ourselves against.

The task (`paddlemix.tasks`) is `task=` if given, else the `task` our eval writes in the file's `run` header,
else the one registered task that recognises every ground truth: four numbers -> "rec", integers ->
"counting", strings -> "geometry" (R1-V's files and `--task` call it "geoqa", an alias). Pass `task=` for a
counting file whose ground truths were saved as strings. Each task owns its scorers and how they aggregate.

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
also accepts "A. 8" for 8 (48.0 -> 49.5; 82.5 unchanged). GeoQA (30.6366 -> 29.7082, 38.7268 -> 36.6048):
R1-V parses the whole output, where math-verify skips a number flush against the tags, so the last number
of the reasoning (or of a truncated output) counted as the answer, and it reads the ground truth "4√{3}" as
4, so "4.0" passed; fixed reads only the `<answer>` and the real value, and accepts what R1-V missed: "0.6"
for "\\frac{3}{5}", "100.0" for "100°", "√5" for "√{5}". It rejects "4.0 + PE + PF" for 4 (an expression
with unknowns, not a value: `is_value`), which math-verify alone accepted (29.8408 before that fix).
"""

from __future__ import annotations

import argparse
import json
import os

from paddlemix.errors import DataError, MissingFileError, run_main
from paddlemix.tasks import get_task, list_tasks, mean_percent, resolve_results_task
from paddlemix.visualize.gallery import SELECTIONS, Entry, results_gallery

METRICS = ("fixed", "r1v", "seed", "vision_r1", "pr1", "ovdeval")  # a task scores the ones it knows


def infer_task(results: list[dict]) -> str:
    """The task of a results list that names none: the one registered task that recognises its ground truths."""
    try:
        return resolve_results_task([r["ground_truth"] for r in results])
    except ValueError as e:
        raise DataError(str(e), fix="pass --task") from None


def _task(results: list[dict], task: str | None, metric: str):
    """The task that scores `results` under `metric`; errors list the known metrics and the tasks it scores."""
    if metric not in METRICS:
        raise DataError(f"unknown metric {metric!r}; known: {', '.join(METRICS)}")
    try:
        scorer = get_task(task or infer_task(results))
    except DataError:
        raise
    except ValueError as e:
        raise DataError(str(e), fix="pass --task") from None
    if metric not in scorer.metrics:
        known = ", ".join(t for t in list_tasks() if metric in get_task(t).metrics)
        raise DataError(f"metric {metric!r} has no scorer for task {scorer.name!r}; it scores: {known}")
    return scorer


def score_results(
    results: list[dict], metric: str = "fixed", task: str | None = None, coord_frame=None, rec_method="r1"
) -> list[bool]:
    """Per-sample verdicts of `metric` on a results list (the `results` of a results file)."""
    return (
        _task(results, task, metric)
        .score(results, metric, coord_frame=coord_frame, rec_method=rec_method)
        .verdicts
    )


def score_dataset(
    results: list[dict], metric: str = "fixed", task: str | None = None, coord_frame=None, rec_method="r1"
):
    """The task's `Scores` of a results list: the dataset's number and each result's verdict."""
    return _task(results, task, metric).score(results, metric, coord_frame=coord_frame, rec_method=rec_method)


def accuracy(verdicts: list[bool]) -> float:
    """Percent correct, computed as R1-V does (count / n * 100) so the floats match its files."""
    return mean_percent(verdicts)


def load_results(path: str) -> dict:
    """A results file: {"accuracy": float, "results": [...]}; a missing, truncated or foreign file is a
    DataError that names it (and the line, or the result, at fault)."""
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except FileNotFoundError:
        raise MissingFileError("no such results file", where=path) from None
    except IsADirectoryError:
        raise DataError("a directory, not a results file", where=path) from None
    except json.JSONDecodeError as e:
        raise DataError(
            f"not valid JSON ({e.msg.removesuffix(' at')}; truncated?)",
            where=f"{path}:{e.lineno}:{e.colno}",
            fix="rerun the eval that wrote it",
        ) from None
    except UnicodeDecodeError:
        raise DataError("not a text file", where=path) from None
    if not isinstance(data, dict) or not isinstance(data.get("results"), list):
        raise DataError("not a results file (a JSON object with a 'results' list)", where=path)
    for i, result in enumerate(data["results"]):
        lacks = [
            key
            for key in ("ground_truth", "model_output")
            if not isinstance(result, dict) or key not in result
        ]
        if lacks:
            raise DataError(f"the result lacks {', '.join(lacks)}", where=f"{path}: results[{i}]")
    return data


def rescore_samples(
    path: str, metric: str = "fixed", task: str | None = None, coord_frame=None
) -> list[bool]:
    """Per-sample verdicts of `metric` on the results file at `path`."""
    rec_method = "baseline" if "_baseline_" in os.path.basename(path) else "r1"
    return score_results(
        load_results(path)["results"], metric, _file_task(path, task), coord_frame, rec_method
    )


def _file_task(path: str, task: str | None) -> str | None:
    """The task given, else the one our eval wrote in the file's `run` header, else None (inferred)."""
    return task or (load_results(path).get("run") or {}).get("task")


def rescore(path: str, metric: str = "fixed", task: str | None = None, coord_frame=None) -> float:
    """The accuracy (percent) of the results file at `path` under `metric`, aggregated as its task does."""
    rec_method = "baseline" if "_baseline_" in os.path.basename(path) else "r1"
    return score_dataset(
        load_results(path)["results"], metric, _file_task(path, task), coord_frame, rec_method
    ).value


def main(argv=None) -> None:
    """Command line: print the recomputed and the stored accuracy of each results file."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("results", nargs="+", help="results JSON files")
    parser.add_argument("--metric", default="fixed", choices=METRICS)
    parser.add_argument(
        "--task",
        default=None,
        choices=[*list_tasks(), "geoqa"],
        help="default: the file's run header, else inferred from the ground truths (geoqa: geometry)",
    )
    parser.add_argument("--coord_frame", default=None, help="REC: frame of every box, e.g. original")
    parser.add_argument("--visualize", type=int, default=0, metavar="N", help="Draw a gallery of N samples.")
    parser.add_argument("--visualize_select", default="first", choices=SELECTIONS)
    args = parser.parse_args(argv)
    for path in args.results:
        data = load_results(path)
        rec_method = "baseline" if "_baseline_" in os.path.basename(path) else "r1"
        try:
            scores = score_dataset(
                data["results"], args.metric, _file_task(path, args.task), args.coord_frame, rec_method
            )
        except DataError as e:
            e.where = e.where or path
            raise
        acc, verdicts, stored = scores.value, scores.verdicts, data.get("accuracy")
        counts = f" ({sum(verdicts)}/{len(verdicts)})" if verdicts is not None else ""
        same = "equal to" if acc == stored else "differs from"
        print(f"{path}: {args.metric} accuracy {acc!r}{counts}, {same} stored {stored!r}")
        if args.visualize:
            task = _file_task(path, args.task) or infer_task(data["results"])
            rescore_gallery(path, data, task, args.visualize, args.visualize_select)


def result_image(result: dict, run: dict) -> str | None:
    """The image file of a result: its `image` (REC's is relative to the run's image_root), or R1-V's
    `question.image_path`; None when the result names none."""
    image = result.get("image")
    if image is None and isinstance(result.get("question"), dict):
        image = result["question"].get("image_path")
    if not isinstance(image, str):
        return None
    if not os.path.isabs(image) and run.get("image_root"):
        image = os.path.join(run["image_root"], image.removeprefix("./"))
    return image


def rescore_gallery(path: str, data: dict, task: str, n: int, how: str) -> str | None:
    """The gallery of a results file from the images it names, if they can be read from here."""
    run = data.get("run") or {}
    entries = [
        Entry(img, r) for r in data["results"] if (img := result_image(r, run)) and os.path.isfile(img)
    ]
    if not entries:
        print(f"{path}: no gallery, none of its images is reachable from here")
        return None
    return results_gallery(path, entries, task, n, how, run.get("seed", 0))


if __name__ == "__main__":
    run_main(main)
