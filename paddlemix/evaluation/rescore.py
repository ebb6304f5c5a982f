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
- "seed": PaddleMIX's scorers, bugs included: GeoQA always 0, REC boxes not rescaled.
- "vlm_r1": VLM-R1's published REC scorer (`metrics/published.py`, the version at 6fd7e5e that wrote its
  `rec_results_*_qwen2_5vl_3b_instruct_*.json`). Reproduces its files verdict for verdict.

REC's scorer method (r1 or baseline) is `--method`, else the file name's run: `_r1_` -> r1, `_sft_` or
`_baseline` -> baseline (VLM-R1 scored its SFT checkpoints with the baseline script). Files with no
`coord_frame`/`model_type` (VLM-R1's, the seed's) need `--coord_frame` or `--model_type` for "fixed".

REC, where the three differ, on VLM-R1's refcoco_val r1_600 (published 90.2) and refcocog_val sft_500
(published 83.0), 500 samples each:
- vlm_r1: 90.2 (451) and 83.0 (415), every stored verdict reproduced.
- seed: 90.4 (452) and 83.0. Sample 80 of r1_600 answers two boxes; VLM-R1's greedy `.*` before the box reads the last
  (wrong), the seed's regex the first (right). Read as r1 (the seed's old file-name rule), sft_500 gives 0.0:
  the SFT outputs have no `<answer>` block.
- fixed with `--coord_frame original` (VLM-R1 did not rescale, and stores no image size): 90.2 and 83.0;
  on sample 80 fixed finds two different boxes, so no answer: wrong, as VLM-R1 scored it. VLM-R1's r1 regex
  also scores 0 for an answer spanning lines (no re.DOTALL) and for float coordinates, which fixed accepts;
  none occurs in these two files. With a rescaling frame, fixed needs each result's image size.

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
from paddlemix.evaluation.results import coco_ap
from paddlemix.metrics.boxes import MODEL_TYPES, CoordFrame
from paddlemix.metrics.published import VLM_R1_METHODS
from paddlemix.tasks import get_task, list_tasks, mean_percent, resolve_results_task
from paddlemix.visualize.gallery import SELECTIONS, Entry, results_gallery

METRICS = ("fixed", "r1v", "seed", "vlm_r1", "vision_r1", "pr1", "ovdeval")  # a task scores the ones it knows


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
    results: list[dict], metric: str = "fixed", task: str | None = None, **options
) -> list[bool]:
    """Per-sample verdicts of `metric` on a results list (the `results` of a results file).

    options: REC's `coord_frame`, `model_type` (the frame of files that store none) and `rec_method`.
    """
    return score_dataset(results, metric, task, **options).verdicts


def score_dataset(results: list[dict], metric: str = "fixed", task: str | None = None, **options):
    """The task's `Scores` of a results list: the dataset's number and each result's verdict."""
    options.setdefault("rec_method", "r1")
    return _task(results, task, metric).score(results, metric, **options)


def method_from_name(path: str) -> str | None:
    """The REC scorer method a results file's name implies: `_r1_` -> r1, `_sft_` / `_baseline` -> baseline.

    VLM-R1 scored its GRPO checkpoints (`..._r1_600.json`) with test_rec_r1.py and its base and SFT ones
    (`..._baseline.json`, `..._sft_500.json`) with test_rec_baseline.py; the seed writes `_{method}_{steps}`.
    None when the name says neither.
    """
    name = os.path.basename(path)
    if "_sft_" in name or "_baseline" in name:
        return "baseline"
    if "_r1_" in name:
        return "r1"
    return None


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
    path: str, metric: str = "fixed", task: str | None = None, method=None, **options
) -> list[bool]:
    """Per-sample verdicts of `metric` on the results file at `path` (`method`: REC's, default from the name)."""
    return score_results(
        load_results(path)["results"],
        metric,
        _file_task(path, task),
        rec_method=_method(path, method),
        **options,
    )


def _method(path: str, method: str | None) -> str:
    """The REC method given, else the file name's, else r1 (the seed's default)."""
    return method or method_from_name(path) or "r1"


def _file_task(path: str, task: str | None) -> str | None:
    """The task given, else the one our eval wrote in the file's `run` header, else None (inferred)."""
    return task or (load_results(path).get("run") or {}).get("task")


def rescore(path: str, metric: str = "fixed", task: str | None = None, method=None, **options) -> float:
    """The accuracy (percent) of the results file at `path` under `metric`, aggregated as its task does."""
    return score_dataset(
        load_results(path)["results"],
        metric,
        _file_task(path, task),
        rec_method=_method(path, method),
        **options,
    ).value


def add_rec_flags(parser: argparse.ArgumentParser, method: bool = True) -> None:
    """REC's rescoring flags: the frame of files that store none, and the scorer method."""
    parser.add_argument(
        "--coord_frame",
        default=None,
        choices=[f.value for f in CoordFrame],
        help="REC, fixed metric: frame of every box (VLM-R1's files: original); default the file's",
    )
    parser.add_argument(
        "--model_type",
        default=None,
        choices=MODEL_TYPES,
        help="REC, fixed metric: the model that answered, for its frame; default the file's",
    )
    if method:
        parser.add_argument(
            "--method",
            default=None,
            choices=VLM_R1_METHODS,
            help="REC, seed/vlm_r1 metrics: the scorer; default from the file name (_r1_ -> r1, _sft_/_baseline -> baseline)",
        )


def main(argv=None) -> None:
    """Command line: print the recomputed and the stored accuracy of each results file."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("results", nargs="+", help="results JSON files")
    parser.add_argument(
        "--metric",
        default=None,
        choices=METRICS,
        help="default: the metric the file was scored with, else fixed",
    )
    parser.add_argument(
        "--task",
        default=None,
        choices=[*list_tasks(), "geoqa"],
        help="default: the file's run header, else inferred from the ground truths (geoqa: geometry)",
    )
    add_rec_flags(parser)
    parser.add_argument("--visualize", type=int, default=0, metavar="N", help="Draw a gallery of N samples.")
    parser.add_argument("--visualize_select", default="first", choices=SELECTIONS)
    args = parser.parse_args(argv)
    for path in args.results:
        data = load_results(path)
        metric = args.metric or data.get("metric") or "fixed"
        try:
            scores = score_dataset(
                data["results"],
                metric,
                _file_task(path, args.task),
                coord_frame=args.coord_frame,
                model_type=args.model_type,
                rec_method=_method(path, args.method),
            )
        except DataError as e:
            e.where = e.where or path
            raise
        acc, verdicts, stored = scores.value, scores.verdicts, data.get("accuracy")
        same = "equal to" if acc == stored else "differs from"
        if verdicts is None:  # a dataset-level number: COCO's AP, printed as pycocotools does
            print(f"{path}: {metric} AP {coco_ap(acc)} (COCO AP@[.50:.95]), {same} stored {coco_ap(stored)}")
        else:
            counts = f" ({sum(verdicts)}/{len(verdicts)})"
            print(f"{path}: {metric} accuracy {acc!r}{counts}, {same} stored {stored!r}")
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
