"""Detection, grounding and counting-by-boxes evaluation: Perception-R1's command lines on our eval runner.

    python eval/evaluate_detection.py --model_path M --anno_dir coco_val2017.json --image_dir IMAGES/
    python eval/evaluate_grounding.py --model_path M --anno_dir D --image_dir I
    python eval/evaluate_counting.py --model_path M --anno_dir D --image_dir I
    python eval/evaluate_detection.py --rescore logs/detection_results_....json [--metric pr1|vision_r1]

Each runs `runner.evaluate` (batched greedy decoding, progress bar, resume from `<results>.partial.jsonl`,
skipped images counted) and writes `{output_dir}/{prefix}_results_{ds}_{model_name}_r1_{steps}.json`.

- detection: one query per image over all categories of the COCO file (`--mode single_pos`: one per image
  and positive category, Vision-R1's ODinW protocol). The number is COCO bbox AP over the whole set
  (`tasks/localization_scoring.py`); the file also holds AP50, AP75, ..., and how many outputs needed the
  truncation repair. Every image counts (PR1 dropped the last one: `--metric pr1` reproduces that).
- grounding: every `*.json` split of `anno_dir` (PR1's refcoco/+/g splits first, in its order); the number is
  ACC@0.5, and `average_scores` holds PR1's IoU, ACC@{0.1,0.3,0.5,0.75,0.95} and Center_ACC in percent.
- counting: every `*.jsonl` of `anno_dir` (PR1's pixmo_count_val540 / test540); exact count of boxes.

Differences from PR1, on purpose: boxes are mapped from the model's frame to original pixels (PR1 used
detection boxes raw); the prompt has no thinking suffix for grounding (PR1's script added one, its README
and paper say no thinking); greedy decoding (PR1's grounding script sampled). `--metric pr1` rescoring gives
PR1's own rules on the same outputs.
"""

from __future__ import annotations

import argparse
import glob
import logging
import os

from paddlemix.datasets import load_eval_jsonl
from paddlemix.datasets.localization import load_coco_detection, load_grounding_eval
from paddlemix.errors import UserError, missing_files_are_user_errors
from paddlemix.evaluation.cli import add_gallery_flags, add_overwrite_flag, rescore_argv
from paddlemix.evaluation.config import DTYPES, EvalConfig
from paddlemix.evaluation.model_loading import load_model_and_processor
from paddlemix.evaluation.partial import run_header
from paddlemix.evaluation.rescore import main as rescore_main
from paddlemix.evaluation.results import report, results_path, write_results
from paddlemix.evaluation.runner import evaluate
from paddlemix.evaluation.scoring import EvalTask
from paddlemix.metrics.boxes import CoordFrame, coord_frame, frame_for_model
from paddlemix.metrics.detection import grounding_summary
from paddlemix.models.runtime import ATTN_NAMES
from paddlemix.tasks import prompt_text, sample_messages
from paddlemix.tasks.grounding import result_scores
from paddlemix.tasks.localization_scoring import DETECTION_METRICS, detection_stats

# PR1 evaluate_grounding.py ALL_DATASETS, in its order; other *.json splits follow, sorted.
PR1_GROUNDING_SPLITS = (
    "refcoco_val",
    "refcoco_testA",
    "refcoco_testB",
    "refcocop_val",
    "refcocop_testA",
    "refcocop_testB",
    "refcocog_val",
    "refcocog_test",
    "lisa_test_rl3",
)
PR1_COUNTING_SPLITS = ("pixmo_count_val540", "pixmo_count_test540")
COMMANDS = {  # command -> (task, results prefix, PR1's max_new_tokens, --metric choices)
    "detection": ("detection", "detection", 4096, DETECTION_METRICS),
    "grounding": ("grounding", "grounding", 512, ("fixed", "pr1")),
    "counting": ("counting_boxes", "counting", 512, ("fixed", "pr1")),
}


def localization_parser(command: str) -> argparse.ArgumentParser:
    """PR1's flags for `command` (detection | grounding | counting), plus the eval runner's."""
    task, _, max_new_tokens, metrics = COMMANDS[command]
    p = argparse.ArgumentParser(description=f"Run {command} evaluation (Perception-R1's command line).")
    p.add_argument("--model_path", type=str, default=None, help="Model path (hub layout).")
    p.add_argument(
        "--anno_dir",
        type=str,
        default=None,
        help="detection: the COCO instances json; grounding / counting: the folder of split files.",
    )
    p.add_argument("--image_dir", type=str, default=None, help="Folder the images are relative to.")
    p.add_argument("--output_dir", type=str, default="logs", help="Where the results files go.")
    p.add_argument("--batch_size", type=int, default=32, help="Batch size.")
    p.add_argument("--sample_num", type=int, default=-1, help="First N samples of each split (-1: all).")
    p.add_argument(
        "--model_name", type=str, default=None, help="Names the output files; default the model folder."
    )
    p.add_argument("--steps", type=int, default=0, help="Checkpoint step, for the output file names.")
    p.add_argument(
        "--max_new_tokens", type=int, default=max_new_tokens, help=f"Longest output (PR1: {max_new_tokens})."
    )
    p.add_argument(
        "--min_pixels", type=int, default=None, help="Image pixel floor; default the checkpoint's."
    )
    p.add_argument(
        "--max_pixels", type=int, default=None, help="Image pixel ceiling; default the checkpoint's."
    )
    p.add_argument("--dtype", type=str, default="bfloat16", choices=DTYPES, help="float32 on CPU.")
    p.add_argument("--attn_implementation", type=str, default=None, choices=sorted(ATTN_NAMES))
    p.add_argument(
        "--coord_frame",
        type=str,
        default=None,
        choices=[f.value for f in CoordFrame],
        help="Frame the model answers boxes in; default from the model type.",
    )
    if command == "detection":
        p.add_argument(
            "--mode",
            type=str,
            default="all",
            choices=("all", "single_pos"),
            help="all: one query per image (COCO); single_pos: per image and positive category (ODinW).",
        )
    add_overwrite_flag(p)
    p.add_argument("--rescore", type=str, nargs="+", default=None, metavar="RESULTS.json")
    p.add_argument(
        "--metric", type=str, default="fixed", choices=metrics, help="With --rescore: whose scoring."
    )
    add_gallery_flags(p)
    p.set_defaults(command=command, task=task)
    return p


def run_localization_cli(parser: argparse.ArgumentParser, argv=None) -> dict | None:
    """Parse, then rescore (no model) or evaluate; returns split -> results file contents for an eval."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    args = parser.parse_args(argv)
    if args.rescore:
        given = [f"--{n}" for n in ("model_path", "anno_dir", "image_dir") if getattr(args, n) is not None]
        if given:
            parser.error(f"--rescore reads saved results and loads no model; drop {' '.join(given)}")
        rescore_main(rescore_argv(args))  # the task is in each file's run header
        return None
    if args.metric != "fixed":
        parser.error("--metric applies to --rescore; an eval scores with the fixed metric")
    missing = [f"--{n}" for n in ("model_path", "anno_dir", "image_dir") if getattr(args, n) is None]
    if missing:
        parser.error(f"the following arguments are required: {', '.join(missing)}")
    try:
        splits = list_splits(args.command, args.anno_dir)
        check_image_dir(args.image_dir)
        cfg = EvalConfig(
            model_name=args.model_name or os.path.basename(os.path.normpath(args.model_path)),
            model_path=args.model_path,
            data_root=args.anno_dir,
            image_root=args.image_dir,
            test_datasets=list(splits),
            batch_size=args.batch_size,
            sample_num=None if args.sample_num < 0 else args.sample_num,
            steps=args.steps,
            dtype=args.dtype,
            attn_implementation=args.attn_implementation,
            max_new_tokens=args.max_new_tokens,
            min_pixels=args.min_pixels,
            max_pixels=args.max_pixels,
            output_dir=args.output_dir,
            coord_frame=args.coord_frame,
            overwrite=args.overwrite,
            visualize=args.visualize,
            visualize_select=args.visualize_select,
        )
    except (ValueError, FileNotFoundError) as e:
        raise UserError(str(e)) from e
    with missing_files_are_user_errors():
        return run_localization(args.command, cfg, splits, getattr(args, "mode", "all"))


def _path_kind(path: str) -> str:
    """'a folder', 'a file' or 'no such file or folder': what is at `path`."""
    return (
        "a folder" if os.path.isdir(path) else "a file" if os.path.exists(path) else "no such file or folder"
    )


def check_image_dir(image_dir: str) -> None:
    """A FileNotFoundError unless `image_dir` is a folder, saying what is there instead."""
    if not os.path.isdir(image_dir):
        raise FileNotFoundError(f"--image_dir {image_dir}: {_path_kind(image_dir)}, not the folder of images")


def list_splits(command: str, anno_dir: str) -> dict[str, str]:
    """Split name -> file: the COCO file itself (detection), or the split files of the folder.

    A path of the wrong kind (a folder for detection's COCO file, a file for the others' folder) says which
    kind was expected.
    """
    if command == "detection":
        if os.path.isdir(anno_dir):
            raise FileNotFoundError(
                f"--anno_dir {anno_dir}: a folder, not a COCO instances json (give the instances_*.json in it)"
            )
        if not os.path.isfile(anno_dir):
            raise FileNotFoundError(f"--anno_dir {anno_dir}: no such COCO instances file")
        return {coco_split_name(anno_dir): anno_dir}
    if not os.path.isdir(anno_dir):
        if not os.path.exists(anno_dir):
            raise FileNotFoundError(f"--anno_dir {anno_dir}: no such folder of split files")
        raise FileNotFoundError(
            f"--anno_dir {anno_dir}: a file, not the folder of split files (give {os.path.dirname(anno_dir) or '.'})"
        )
    suffix, order = (
        (".json", PR1_GROUNDING_SPLITS) if command == "grounding" else (".jsonl", PR1_COUNTING_SPLITS)
    )
    found = {os.path.basename(p)[: -len(suffix)]: p for p in glob.glob(os.path.join(anno_dir, f"*{suffix}"))}
    if not found:
        raise FileNotFoundError(f"--anno_dir {anno_dir}: no *{suffix} split file")
    names = [n for n in order if n in found] + sorted(n for n in found if n not in order)
    return {n: found[n] for n in names}


def coco_split_name(path: str) -> str:
    """A COCO file's split name: its stem, or for ODinW's shared file name the subset's folder name."""
    stem = os.path.splitext(os.path.basename(path))[0]
    if not stem.startswith("annotations_without_background") and "annotations" not in stem:
        return stem
    folder = os.path.dirname(os.path.abspath(path))
    while os.path.basename(folder).lower() in ("valid", "val", "test", "train", "export", "annotations"):
        folder = os.path.dirname(folder)
    return os.path.basename(folder) or stem


def load_split(command: str, path: str, image_root: str, mode: str = "all"):
    """The samples of one split file."""
    if command == "detection":
        return load_coco_detection(path, image_root, mode=mode)
    if command == "grounding":
        return load_grounding_eval(path, image_root)
    return load_eval_jsonl(path, image_root, task="counting_boxes")


def eval_task(command: str, frame, model_type: str) -> EvalTask:
    """How a sample of `command` is prompted and recorded (with what rescoring needs)."""
    task = COMMANDS[command][0]

    def record(sample: dict, output: str, info: dict) -> dict:
        """The result: question, ground truth, output, and the image and frame facts of the box mapping."""
        result = {
            "image": sample["image"],
            "question": prompt_text(sample, "eval"),
            "ground_truth": sample["solution"],
            "model_output": output,
            "image_size": info["image_size"],
            "image_grid_thw": info["image_grid_thw"],
            "coord_frame": frame.value,
            "model_type": model_type,
        }
        if command == "detection":
            result.update(image_id=sample["image_id"], category=sample["category"])
        elif command == "grounding":
            result["normalized_solution"] = sample["record"].get("normalized_solution")
        return result

    return EvalTask(score_task=task, messages=lambda s: sample_messages(s, "eval"), record=record)


def add_summary(command: str, data: dict) -> dict:
    """The command's extra numbers: COCO stats (detection) or PR1's average_scores (grounding)."""
    results = data["results"]
    if not results:
        return data
    if command == "detection":
        stats = detection_stats(results)
        # pycocotools -1 ("no ground truth of that size") stays -1
        data["coco_stats"] = {
            k: round(v * 100, 2) if v >= 0 else -1 for k, v in stats.items() if k != "repaired"
        }
        data["num_repaired"] = stats["repaired"]
    elif command == "grounding":
        data["average_scores"] = grounding_summary([result_scores(r) for r in results])
    return data


def run_localization(command: str, cfg: EvalConfig, splits: dict[str, str], mode: str = "all") -> dict:
    """Evaluate every split; returns split -> the results file's contents."""
    task, prefix, _, _ = COMMANDS[command]
    model, processor = load_model_and_processor(cfg)
    model_type = model.config.model_type
    frame = coord_frame(cfg.coord_frame) if cfg.coord_frame else frame_for_model(model_type)
    out = {}
    for ds, path in splits.items():
        print(f"Processing {ds}...")
        dataset = load_split(command, path, cfg.image_root, mode)
        samples = list(dataset)[: cfg.sample_num]
        header = run_header(cfg, model, processor, path, task=task, coord_frame=frame.value, mode=mode)
        out_path = results_path(cfg.output_dir, prefix, ds, cfg)
        data = evaluate(
            samples,
            eval_task(command, frame, model_type),
            model,
            processor,
            cfg,
            out_path,
            header,
            dataset.skipped,
            ds,
        )
        out[ds] = add_summary(command, data)
        write_results(out_path, out[ds])
        report(ds, out[ds], out_path)
        for key in ("coco_stats", "average_scores"):
            if key in out[ds]:
                print(f"{key}: {out[ds][key]}")
        if "num_repaired" in out[ds]:
            print(f"truncated outputs repaired: {out[ds]['num_repaired']}")
    return out
