"""Write synthetic datasets in the seed's layout, and optionally the prepacked tarballs.

python -m paddlemix.datasets.synthetic --task counting --out DIR --n 64 --seed 0
python -m paddlemix.datasets.synthetic --task detection|ovd|grounding --out DIR   # see localization.py
python -m paddlemix.datasets.synthetic --task gui --out DIR      # VLM-R1 two-screenshot jsonl, see gui.py
python -m paddlemix.datasets.synthetic --task all --out DIR --tar    # also DIR/REC.tar, Counting.tar, GEO.tar
"""

from __future__ import annotations

import argparse
import os

from paddlemix.datasets.hf_dir import LAYOUTS as HF_LAYOUTS
from paddlemix.datasets.layout import LAYOUTS
from paddlemix.datasets.synthetic.gui import write_gui_layout
from paddlemix.datasets.synthetic.localization import LOCALIZATION_WRITERS
from paddlemix.datasets.synthetic.writers import WRITERS, write_tarball
from paddlemix.errors import UserError, run_main

ALL_WRITERS = {**WRITERS, **LOCALIZATION_WRITERS, "gui": write_gui_layout}
# task -> the eval commands that read what its writer wrote: (eval script, flags with paths under the task's
# folder); printed after writing, so the user sees which folders each eval takes.
EVALS = {
    "counting": [
        ("eval/test_r1-v.py", "--data_root {root} --image_root {root}/superclevr_200"),
    ],
    "geometry": [
        ("eval/test_r1-v.py", "--data_root {root} --image_root {root} --test_datasets geoqa_test_prompts"),
    ],
    "rec": [
        (
            "eval/test_rec.py",
            "--data_root {root}/rec_jsons_processed --image_root {root} --test_datasets refcoco_val",
        ),
    ],
    "detection": [
        (
            "eval/evaluate_detection.py",
            "--anno_dir {root}/coco/annotations/instances_val2017.json --image_dir {root}/coco/val2017",
        ),
        (
            "eval/evaluate_detection.py",
            "--anno_dir {root}/odinw/ShapesDemo/valid/annotations_without_background.json "
            "--image_dir {root}/odinw/ShapesDemo/valid --mode single_pos",
        ),
    ],
    "ovd": [
        (
            "eval/evaluate_detection.py",
            "--anno_dir {root}/annotations/instances_ovd_val.json --image_dir {root}",
        ),
    ],
    "grounding": [
        ("eval/evaluate_grounding.py", "--anno_dir {root}/annotations --image_dir {root}/images"),
        ("eval/evaluate_counting.py", "--anno_dir {root}/counting --image_dir {root}/counting"),
    ],
    "ocr": [("eval/evaluate_ocr.py", "--anno_dir {root}/eval --image_dir {root}")],
    "affordance": [("eval/evaluate_affordance.py", "--test_data_path {root}/reasonaff_test --segmenter box")],
}


def main(argv: list[str] | None = None) -> None:
    """Parse the command line and write the requested tasks."""
    parser = argparse.ArgumentParser(
        prog="python -m paddlemix.datasets.synthetic", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--task", choices=[*ALL_WRITERS, "all"], required=True)
    parser.add_argument(
        "--out",
        required=True,
        help="folder that receives REC/, Counting/, GEO/, OCR/, Affordance/ (like data/)",
    )
    parser.add_argument("--n", type=int, default=64, help="training samples per task")
    parser.add_argument(
        "--n-eval", type=int, default=None, help="eval samples per eval file (default: n // 4, >= 1)"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--hf-layout", choices=HF_LAYOUTS, default="hub", help="counting/geometry training dir format"
    )
    parser.add_argument("--tar", action="store_true", help="also pack OUT/<task folder> as OUT/<archive>.tar")
    args = parser.parse_args(argv)
    if args.n < 1 or (args.n_eval is not None and args.n_eval < 1):
        parser.error("--n and --n-eval must be >= 1")
    try:
        write_tasks(args)
    except OSError as e:
        # The folder cannot be written: a file in the way, no permission, a full disk.
        raise UserError(e.strerror or str(e), where=e.filename or args.out, fix="pick another --out") from e


def write_tasks(args: argparse.Namespace) -> None:
    """Write each requested task under args.out (and its tarball with --tar)."""
    n_eval = args.n_eval if args.n_eval is not None else max(1, args.n // 4)
    for task in ALL_WRITERS if args.task == "all" else [args.task]:
        kwargs = {} if task == "rec" else {"layout": args.hf_layout}
        root = ALL_WRITERS[task](args.out, n=args.n, n_eval=n_eval, seed=args.seed, **kwargs)
        print(f"wrote {task}: {root}")
        for script, flags in EVALS.get(task, []):
            print(f"  eval: python {script} --model_path MODEL {flags.format(root=root)}")
        if args.tar:
            archive = LAYOUTS[task].archive if task in LAYOUTS else f"{os.path.basename(root)}.tar"
            tar_path = write_tarball(root, os.path.join(args.out, archive))
            print(f"packed {tar_path}")


if __name__ == "__main__":
    run_main(main)
