"""The command lines of `eval/test_rec.py` and `eval/test_r1-v.py`: the seed's flags, word for word, plus ours.

The seed's flags (PaddleMIX `paddlemix/examples/r1_mllm/eval/test_rec.py` and `test_r1-v.py`):
`--model_name --model_path --data_root --image_root --test_datasets --batch_size --sample_num --steps
--method --seed --dtype`, and for test_rec `--attn_implementation`. Ours: `--max_new_tokens` (the seed's
fixed 256), `--min_pixels/--max_pixels` (default: the checkpoint's preprocessor config), `--output_dir`
(the seed's ./logs), test_rec's `--coord_frame`, and `--rescore RESULTS.json [--metric]`, which recomputes
the accuracy of saved results files with no model and needs none of the other flags (REC: with
`--method`, `--coord_frame` and `--model_type` for files that store no frame), and `--visualize N
[--visualize_select first|worst|best|random]`, a gallery of N samples (also with --rescore).
"""

from __future__ import annotations

import argparse
import dataclasses
import logging

from paddlemix.errors import missing_files_are_user_errors
from paddlemix.evaluation.config import DTYPES, METHODS, EvalConfig
from paddlemix.evaluation.rescore import METRICS
from paddlemix.evaluation.rescore import main as rescore_main
from paddlemix.metrics.boxes import MODEL_TYPES, CoordFrame
from paddlemix.models.runtime import ATTN_NAMES
from paddlemix.visualize.gallery import SELECTIONS

# Needed for an eval, not for --rescore; the seed marks the first two required.
_EVAL_REQUIRED = ("model_name", "model_path", "data_root", "image_root")


def add_gallery_flags(p: argparse.ArgumentParser) -> None:
    """`--visualize N` and `--visualize_select`, on every eval command and on --rescore."""
    p.add_argument(
        "--visualize",
        type=int,
        default=0,
        metavar="N",
        help="Draw N samples into gallery/<results file>/index.html beside the results (0: none).",
    )
    p.add_argument(
        "--visualize_select",
        default="first",
        choices=SELECTIONS,
        help="Which samples the gallery shows: the first N, the worst or best by their score, or random.",
    )


def rescore_argv(args: argparse.Namespace) -> list[str]:
    """The rescore command line of an eval command's `--rescore ... [--metric] [--visualize]`."""
    flags = {name: getattr(args, name, None) for name in ("metric", "method", "coord_frame", "model_type")}
    argv = [*args.rescore] + [
        a for name, value in flags.items() if value is not None for a in (f"--{name}", value)
    ]
    if getattr(args, "visualize", 0):
        argv += ["--visualize", str(args.visualize), "--visualize_select", args.visualize_select]
    return argv


def eval_parser(
    description: str, default_datasets: list[str], default_sample_num: int | None
) -> argparse.ArgumentParser:
    """The flags both eval commands share, with the seed's defaults."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument(
        "--model_name",
        type=str,
        default=None,
        help="Name of the model (names the output files), e.g. Qwen2.5-VL-3B-Instruct.",
    )
    p.add_argument("--model_path", type=str, default=None, help="Path to the model checkpoint (hub layout).")
    p.add_argument("--data_root", type=str, default=None, help="Root directory of the dataset files.")
    p.add_argument("--image_root", type=str, default=None, help="Root directory of the images.")
    p.add_argument(
        "--test_datasets", type=str, nargs="+", default=default_datasets, help="List of datasets to evaluate."
    )
    p.add_argument("--batch_size", type=int, default=32, help="Batch size for inference.")
    p.add_argument(
        "--sample_num", type=int, default=default_sample_num, help="Number of samples to evaluate."
    )
    p.add_argument("--steps", type=int, default=100, help="Checkpoint steps for logging (output file names).")
    p.add_argument(
        "--method",
        type=str,
        default=None,
        choices=METHODS,
        help="Choose test r1 or baseline (default r1; with --rescore, from the file name).",
    )
    p.add_argument("--seed", type=int, default=42, help="Seed for inference (REC: the sample shuffle).")
    p.add_argument(
        "--dtype",
        type=str,
        default="bfloat16",
        choices=DTYPES,
        help="Data type for inference; float32 on CPU.",
    )
    p.add_argument(
        "--attn_implementation",
        type=str,
        default=None,
        choices=sorted(ATTN_NAMES),
        help="Attention for inference; default flash on GPU in bf16/fp16 (the seed's flash_attention_2), else eager.",
    )
    p.add_argument("--max_new_tokens", type=int, default=256, help="Longest completion (the seed's 256).")
    p.add_argument(
        "--min_pixels", type=int, default=None, help="Image pixel budget floor; default the checkpoint's."
    )
    p.add_argument(
        "--max_pixels", type=int, default=None, help="Image pixel budget ceiling; default the checkpoint's."
    )
    p.add_argument(
        "--output_dir", type=str, default="logs", help="Where the results files go (the seed's ./logs)."
    )
    add_overwrite_flag(p)
    p.add_argument(
        "--rescore",
        type=str,
        nargs="+",
        default=None,
        metavar="RESULTS.json",
        help="Recompute the accuracy of saved results files, with no model, and exit.",
    )
    p.add_argument(
        "--metric",
        type=str,
        default=None,
        choices=METRICS,
        help="fixed (ours, the default), r1v (R1-V's published scorers), seed (PaddleMIX's) or vlm_r1 "
        "(VLM-R1's published REC scorer); an eval scores with fixed or, for REC, vlm_r1.",
    )
    add_gallery_flags(p)
    return p


def add_overwrite_flag(p: argparse.ArgumentParser) -> None:
    """`--overwrite`: recompute a results file that exists, even one written for another --model_path."""
    p.add_argument(
        "--overwrite",
        action="store_true",
        help="Recompute and replace existing results files (by default finished results of the same model "
        "and settings are reused, and another model's are kept).",
    )


def rec_parser() -> argparse.ArgumentParser:
    """test_rec's flags."""
    p = eval_parser("Run REC evaluation (RefCOCO/+/g, RefGTA).", ["refgta_subsample"], 500)
    p.add_argument(
        "--coord_frame",
        type=str,
        default=None,
        choices=[f.value for f in CoordFrame],
        help="Frame the model answers boxes in; default from the model type (Qwen2.5-VL: input pixels, Qwen2-VL: 0-1000).",
    )
    p.add_argument(
        "--model_type",
        type=str,
        default=None,
        choices=MODEL_TYPES,
        help="With --rescore: the model that answered, for the frame of files that store none.",
    )
    return p


def r1v_parser() -> argparse.ArgumentParser:
    """test_r1-v's flags (the seed's default dataset was REC's refgta_subsample, a copy slip; ours is SuperCLEVR)."""
    return eval_parser(
        "Run R1-V evaluation (SuperCLEVR counting, GeoQA).", ["superclevr_test200_counting_problems"], None
    )


def run_cli(
    parser: argparse.ArgumentParser, args: argparse.Namespace, run, eval_metrics: tuple[str, ...] = ("fixed",)
) -> None:
    """Rescore files if `--rescore` was given, else build the EvalConfig and call `run` (run_rec / run_r1v).

    eval_metrics: the `--metric` values the eval itself can score with (REC: fixed and vlm_r1).
    """
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    if args.rescore:
        given = [f"--{name}" for name in _EVAL_REQUIRED if getattr(args, name) is not None]
        if given:
            parser.error(f"--rescore reads saved results and loads no model; drop {' '.join(given)}")
        rescore_main(rescore_argv(args))
        return
    if getattr(args, "model_type", None) is not None:
        parser.error("--model_type applies to --rescore; an eval reads it from the checkpoint")
    args.metric = args.metric or "fixed"
    if args.metric not in eval_metrics:
        parser.error(
            f"an eval scores with {' or '.join(eval_metrics)}; --metric {args.metric} is for --rescore"
        )
    args.method = args.method or "r1"
    missing = [f"--{name}" for name in _EVAL_REQUIRED if getattr(args, name) is None]
    if missing:
        parser.error(f"the following arguments are required: {', '.join(missing)}")
    values = {
        name: getattr(args, name)
        for name in (f.name for f in dataclasses.fields(EvalConfig))
        if hasattr(args, name)
    }
    cfg = EvalConfig(**values)
    with missing_files_are_user_errors():
        run(cfg)
