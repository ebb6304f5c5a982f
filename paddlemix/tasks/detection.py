"""Detection (Vision-R1): locate every object of a category set, answered as Qwen2.5-VL's JSON list.

- data: Vision-R1-Data (a Hugging Face folder whose name says vision-r1 or detection), the same fields in a
  .json / .jsonl file, or a COCO instances file (`instances_*.json`, ODinW's
  `annotations_without_background.json`) turned into Vision-R1's COCO prompt, see `datasets/localization.py`;
  pass `task: detection` for a file, since REC reads .json / .jsonl too;
- prompt: the sample's `problem` as is (Vision-R1 sends no template, no thinking);
- rewards: Vision-R1's three, summed: `vision_r1_precision` (accuracy), `vision_r1_dual_format` (format),
  `vision_r1_recall`;
- scoring: a dataset's COCO bbox AP (`localization_scoring.py`) under "fixed", "vision_r1" or "pr1".
"""

from __future__ import annotations

from functools import partial

from paddlemix.datasets.localization import load_coco_detection, load_vision_r1, load_vision_r1_records
from paddlemix.tasks.localization_scoring import DETECTION_METRICS, detection_ap, is_detection_ground_truth
from paddlemix.tasks.r1v import is_hf_folder
from paddlemix.tasks.registry import register_task
from paddlemix.tasks.task import DataFormat, PromptTemplate, Task

COCO_NAMES = ("instances_", "annotations_without_background")


def is_coco_file(path: str) -> bool:
    """A COCO instances file, by the names COCO and ODinW give them."""
    base = path.replace("\\", "/").rsplit("/", 1)[-1]
    return base.endswith(".json") and base.startswith(COCO_NAMES)


def _load_coco(path: str, image_root: str | None = None, **_):
    """A COCO instances file as training samples (one per image, all categories)."""
    if image_root is None:
        raise ValueError(f"--image_root is required for the COCO file {path}")
    return load_coco_detection(path, image_root)


def _load_records(path: str, image_root: str | None = None, **_):
    """A .json / .jsonl of Vision-R1 records as training samples."""
    if image_root is None:
        raise ValueError(f"--image_root is required for the Vision-R1 records file {path}")
    return load_vision_r1_records(path, image_root)


def _load_vision_r1(path: str, split: str = "train", **_):
    """Vision-R1-Data as training samples."""
    return load_vision_r1(path, split)


DETECTION = register_task(
    Task(
        name="detection",
        prompts={
            "train": PromptTemplate("{Question}", thinking=False),
            "eval": PromptTemplate("{Question}", thinking=False),
        },
        rewards={"accuracy": "vision_r1_precision", "format": "vision_r1_dual_format"},
        other_rewards=("vision_r1_recall", "vision_r1_precision_adaptive", "vision_r1_recall_adaptive"),
        default_rewards=("vision_r1_precision", "vision_r1_dual_format", "vision_r1_recall"),
        scorers={},
        dataset_metrics={m: partial(detection_ap, metric=m) for m in DETECTION_METRICS},
        formats=(
            DataFormat(
                "Vision-R1-Data folder",
                is_hf_folder,
                _load_vision_r1,
                ("vision-r1", "vision_r1", "detection"),
            ),
            DataFormat("COCO instances file", is_coco_file, _load_coco),
            DataFormat(
                "Vision-R1 records file",
                lambda p: p.endswith((".json", ".jsonl")) and not is_coco_file(p),
                _load_records,
                ("vision-r1", "vision_r1", "detection"),
            ),
        ),
        is_ground_truth=is_detection_ground_truth,
        aliases=("vision_r1",),
    )
)
