"""Grounding (Perception-R1): one box for a referring expression, Qwen2-VL's `<|box_start|>` form, no thinking.

- data: PR1's training folder (`refcoco_320k`: expression, box in 0-1000) or its eval jsons;
- prompt: PR1's "Output the bounding box of the {problem} in the image." (constants.py `pr1_grounding`);
- rewards: `iou_squared` (accuracy) and `pr1_grounding_format` (format, the rule PR1's regex meant);
- scoring: per sample, IoU >= 0.5 in original pixels ("fixed"); "pr1" is PR1's evaluate_grounding.py: its
  first-pattern box compared raw with `normalized_solution` (0-1000). The eval command also reports mean
  IoU, ACC@{0.1, 0.3, 0.5, 0.75, 0.95} and Center_ACC (`metrics.detection.grounding`).
"""

from __future__ import annotations

from paddlemix.datasets.localization import load_pr1_grounding
from paddlemix.metrics.boxes import box_iou, resolve_frame, resolve_input_size
from paddlemix.metrics.detection import box_to_original, grounding_scores, pr1_box
from paddlemix.tasks.r1v import is_hf_folder
from paddlemix.tasks.registry import register_task
from paddlemix.tasks.task import DataFormat, PromptTemplate, Task

GROUNDING_TEMPLATE = "Output the bounding box of the {Question} in the image."


def result_box(result: dict, coord_frame=None):
    """A grounding result's answer box in original pixels, or None."""
    from paddlemix.rewards.grounding import answer_box

    frame = resolve_frame(coord_frame or result.get("coord_frame"), result.get("model_type"))
    input_size = resolve_input_size(result.get("input_size"), result.get("image_grid_thw"))
    return box_to_original(answer_box(result["model_output"]), frame, result.get("image_size"), input_size)


def result_scores(result: dict, metric: str = "fixed", coord_frame=None) -> dict[str, float]:
    """One result's grounding metrics (IoU, ACC@t, Center_ACC) under "fixed" or "pr1"."""
    if metric == "pr1":
        pred, gt = pr1_box(result["model_output"]), result["normalized_solution"]
        scores = grounding_scores(pred, gt)
        scores["IoU"] = box_iou(pred, gt)
        return scores
    return grounding_scores(result_box(result, coord_frame), result["ground_truth"])


def fixed_correct(result: dict, coord_frame=None, **_) -> bool:
    """Ours: IoU >= 0.5 in original pixels (PR1's ACC@0.5)."""
    return result_scores(result, "fixed", coord_frame)["ACC@0.5"] == 1.0


def pr1_correct(result: dict, **_) -> bool:
    """PR1's ACC@0.5: its first box, raw, against normalized_solution."""
    return result_scores(result, "pr1")["ACC@0.5"] == 1.0


def _load(path: str, split: str = "train", **_):
    """PR1's grounding folder as training samples."""
    return load_pr1_grounding(path, split)


GROUNDING = register_task(
    Task(
        name="grounding",
        prompts={
            "train": PromptTemplate(GROUNDING_TEMPLATE, thinking=False),
            "eval": PromptTemplate(GROUNDING_TEMPLATE, thinking=False),
        },
        rewards={"accuracy": "iou_squared", "format": "pr1_grounding_format"},
        scorers={"fixed": fixed_correct, "pr1": pr1_correct},
        formats=(DataFormat("PR1 grounding folder", is_hf_folder, _load, ("refcoco", "grounding")),),
    )
)
