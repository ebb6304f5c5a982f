"""Affordance evaluation (`eval/evaluate_affordance.py`, `eval/eval_aff_r1.sh`): gIoU, cIoU, P@50, P@50:95.

    bash eval/eval_aff_r1.sh MODEL_PATH DATA [--segmenter sam2|box] [--sam2_python PY] [flags]
    python eval/evaluate_affordance.py --model_path M --test_data_path DATA [--segmenter box]

As Affordance-R1's `evaluation_scripts/evaluation_aff_r1.py` and `calculate_iou.py`: each test image is
resized to 840x840 (BILINEAR) for the model, decoded greedily (`max_new_tokens` 1024); the answer's boxes
and points are scaled back to the original image (`int(v * w / 840 + 0.5)`), each (box, point) is given to
the segmenter, the masks are OR-ed, and the sample's intersection and union with the ground-truth mask are
stored; gIoU, cIoU, P@50 and P@50:95 come from those (`metrics/affordance.py`).

What differs, on purpose:
- a sample that fails anywhere (no parseable answer, an item without a 4-number box or 2-number point,
  a segmenter error, a mask of the wrong shape) scores intersection 0 over the ground-truth area and is
  listed under `failures` in the results file. The seed skipped the samples failing after parsing, which
  inflates its numbers;
- the prompt is the training prompt (`tasks/affordance.py`), not the eval copy that drops a few characters;
- the answer is read in the model's frame (Qwen2.5-VL: pixels of the 840 input, the seed's; Qwen2-VL:
  0-1000), `--coord_frame` to override; `--resize` other than 840 is for smoke tests;
- masks come from a pluggable segmenter (`segmenters.py`): SAM2 out of process (the seed's), or the
  weight-free box stand-in, whose results say `"comparable": false` and must not be set beside the
  published numbers.
Resume, progress bar and `--rescore` work as for the other eval commands.
"""

from __future__ import annotations

import argparse
import os
import re

from paddlemix.datasets import SkippedImages
from paddlemix.datasets.affordance import RESIZE, load_affordance_eval, mask_array
from paddlemix.datasets.images import open_image
from paddlemix.evaluation.cli import eval_parser
from paddlemix.evaluation.config import EvalConfig
from paddlemix.evaluation.model_loading import load_model_and_processor
from paddlemix.evaluation.partial import run_header
from paddlemix.evaluation.results import results_path, write_results
from paddlemix.evaluation.runner import evaluate
from paddlemix.evaluation.scoring import EvalTask
from paddlemix.evaluation.segmenters import SEGMENTERS, Segmenter, build_segmenter
from paddlemix.metrics.affordance import (
    AFF_FRAME,
    mask_intersection_union,
    mask_metrics,
    read_answer,
    to_original,
)
from paddlemix.metrics.boxes import CoordFrame, frame_for_model
from paddlemix.tasks import sample_messages

PREFIX = "affordance"
_THINK = re.compile(r"<think>([^<]+)</think>")
_RETHINK = re.compile(r"<rethink>([^<]+)</rethink>")


def affordance_parser() -> argparse.ArgumentParser:
    """The shared eval flags plus the test set, split, resize and segmenter."""
    p = eval_parser("Run affordance evaluation (ReasonAff-style: gIoU, cIoU, P@50, P@50:95).", None, None)
    p.add_argument(
        "--test_data_path", dest="data_root", default=None, help="Test set: dataset folder or jsonl."
    )
    p.add_argument("--split", default="test", help="Split of the dataset folder (the seed's: test).")
    p.add_argument("--resize", type=int, default=RESIZE, help="Square size the model sees (the seed's 840).")
    p.add_argument(
        "--segmenter", default="sam2", choices=sorted(SEGMENTERS), help="sam2 (the seed's) or box."
    )
    p.add_argument(
        "--sam2_python", default=None, help="Python with torch + sam2 installed (default: this one)."
    )
    p.add_argument("--sam2_model", default="facebook/sam2-hiera-large")
    p.add_argument("--sam2_device", default="cuda")
    p.add_argument(
        "--coord_frame",
        default=None,
        choices=[AFF_FRAME, *(f.value for f in CoordFrame)],
        help="Frame the model answers in; default from the model type.",
    )
    p.set_defaults(max_new_tokens=1024, batch_size=8)
    return p


def fill_defaults(args: argparse.Namespace) -> argparse.Namespace:
    """Model name from the checkpoint, image root and dataset name from the test set path."""
    if args.model_name is None and args.model_path is not None:
        args.model_name = os.path.basename(os.path.normpath(args.model_path))
    if args.data_root is not None:
        args.image_root = args.image_root or args.data_root
        args.test_datasets = args.test_datasets or [os.path.basename(os.path.normpath(args.data_root))]
    return args


class AffordanceRecorder:
    """Turns a sample and its completion into a result: boxes, points, the segmenter's mask, I and U."""

    def __init__(self, segmenter: Segmenter, frame: str):
        """`frame`: the frame the model answers in."""
        self.segmenter, self.frame = segmenter, frame

    def __call__(self, sample: dict, output: str, info: dict) -> dict:
        """The result record; a failure scores 0 over the ground-truth area and names its reason."""
        gt = mask_array(sample["mask"])
        think, rethink = _THINK.search(output), _RETHINK.search(output)
        result = {
            "image_id": sample["id"],
            "question": sample["problem"],
            "ground_truth": sample.get("solution"),
            "model_output": output,
            "think": think.group(1) if think else "",
            "rethink": rethink.group(1) if rethink else "",
            "bboxes": [],
            "points": [],
            "failure": None,
        }
        try:
            boxes, points = read_answer(output)
            original = (sample["img_width"], sample["img_height"])
            input_size = info["input_size"]
            result["bboxes"] = [
                to_original(b, self.frame, info["image_size"], input_size, original) for b in boxes
            ]
            result["points"] = [
                to_original(p, self.frame, info["image_size"], input_size, original) for p in points
            ]
            image = open_image(sample["original_image"])
            mask = self.segmenter.segment(image, result["bboxes"], result["points"])
            inter, union = mask_intersection_union(mask, gt)
        except Exception as err:  # a failing sample scores 0 and is reported, never skipped
            result["failure"] = f"{type(err).__name__}: {err}"
            inter, union = 0, int(gt.sum())
        result.update(intersection=inter, union=union)
        return result


def run_affordance(cfg: EvalConfig, args: argparse.Namespace) -> dict[str, dict]:
    """Evaluate the test set at `cfg.data_root`; returns its name -> the results file's contents."""
    if not os.path.exists(cfg.data_root):
        raise FileNotFoundError(f"no test set at {cfg.data_root}")
    kwargs = {}
    if args.segmenter == "sam2":
        kwargs = {"model": args.sam2_model, "python": args.sam2_python, "device": args.sam2_device}
    segmenter = build_segmenter(args.segmenter, **kwargs)  # checked before the model loads
    try:
        model, processor = load_model_and_processor(cfg)
        frame = cfg.coord_frame or frame_for_model(model.config.model_type).value
        samples = load_affordance_eval(cfg.data_root, args.split, args.resize)[: cfg.sample_num]
        ds = cfg.test_datasets[0]
        header = run_header(
            cfg,
            model,
            processor,
            cfg.data_root,
            task="affordance",
            split=args.split,
            resize=args.resize,
            segmenter=segmenter.name,
            coord_frame=frame,
        )
        path = results_path(cfg.output_dir, PREFIX, ds, cfg)
        task = EvalTask(
            "affordance", lambda s: sample_messages(s, "eval"), AffordanceRecorder(segmenter, frame)
        )
        data = evaluate(samples, task, model, processor, cfg, path, header, SkippedImages(), ds)
    finally:
        segmenter.close()
    results = data["results"]
    values = mask_metrics([r["intersection"] for r in results], [r["union"] for r in results])
    data["metrics"] = {k: (v * 100 if k != "n" else v) for k, v in values.items()}
    data["segmenter"] = segmenter.name
    data["comparable"] = segmenter.comparable
    data["failures"] = [{"image_id": r["image_id"], "reason": r["failure"]} for r in results if r["failure"]]
    data["num_failures"] = len(data["failures"])
    write_results(path, data)
    label = "" if segmenter.comparable else " [box stand-in: NOT comparable to published numbers]"
    print(
        f"\n{ds}: {data['metrics']}{label}; {data['num_failures']} failed (scored 0)\nResults saved to {path}"
    )
    return {ds: data}
