"""REC (referring expression comprehension): one box per referring expression, RefCOCO/+/g and RefGTA.

- data: VLM-R1's data yaml (`.yaml`/`.yml`) or one annotation file (`.json`/`.jsonl`), see `datasets/rec.py`;
- prompts: VLM-R1's think/answer template (train and "r1" eval) and PaddleMIX's baseline, filled with the
  bare referring expression (`normal_caption`);
- rewards: `accuracy` -> `rec_iou` (IoU > 0.5 in original pixels), `format` -> `rec_format`;
- scoring: "fixed" is `answer_iou` > 0.5 after mapping the box to original pixels (which needs per result
  `coord_frame` or `model_type`, `image_size` and, for Qwen2.5-VL, `input_size` or `image_grid_thw`);
  "seed" is PaddleMIX's `test_rec.py`, boxes compared raw; "vlm_r1" is VLM-R1's published scorer (r1 or
  baseline), which reproduces its published REC files. R1-V published no REC number.
"""

from __future__ import annotations

from paddlemix.datasets.data_yaml import load_data_yaml
from paddlemix.datasets.rec import load_rec
from paddlemix.errors import DataError
from paddlemix.metrics.boxes import CoordFrame, answer_iou, resolve_frame, resolve_input_size, solution_box
from paddlemix.metrics.published import seed_rec_correct, vlm_r1_rec_correct
from paddlemix.tasks.registry import register_task
from paddlemix.tasks.task import DataFormat, PromptTemplate, Task

# VLM-R1 `src/open-r1-multimodal/src/open_r1/grpo_rec.py` (QUESTION_TEMPLATE), PaddleMIX
# `paddlemix/examples/r1_mllm/r1_mllm/dataset/qwen2_vl_dataset.py` and the "r1" method of PaddleMIX
# `paddlemix/examples/r1_mllm/eval/test_rec.py`: REC training and R1 evaluation.
REC_TEMPLATE = (
    "{Question} First output the thinking process in <think> </think> tags and then output the final answer "
    "in <answer> </answer> tags. Output the final answer in JSON format."
)

# PaddleMIX `paddlemix/examples/r1_mllm/eval/test_rec.py`, `get_test_template("baseline")`, filled with the
# record's `normal_caption` (the bare referring expression), not its `problem`.
REC_BASELINE_TEMPLATE = "Locate {Question}, output its bbox coordinates using JSON format."

YAML_SUFFIXES = (".yaml", ".yml")
ANNOTATION_SUFFIXES = (".json", ".jsonl")


def _load_yaml(path: str, image_root: str | None = None, seed: int = 42, **_):
    """The REC samples a data yaml selects."""
    return load_data_yaml(path, _image_root(path, image_root), seed=seed)


def _load_annotations(path: str, image_root: str | None = None, **_):
    """The REC samples of one annotation file."""
    return load_rec(path, _image_root(path, image_root))


def _image_root(path: str, image_root: str | None) -> str:
    """REC records name images relative to a root the user must give."""
    if image_root is None:
        raise ValueError(f"--image_root is required for the REC file {path}")
    return image_root


def fixed_correct(result: dict, coord_frame=None, model_type=None, **_) -> bool:
    """Ours: IoU > 0.5 of the answer's box, mapped to original pixels, with the ground truth.

    `coord_frame` / `model_type` given here override the result's own (files written by other evals have none).
    """
    frame_name, model_type = coord_frame or result.get("coord_frame"), model_type or result.get("model_type")
    if frame_name is None and model_type is None:
        raise DataError(
            "the result names no coord_frame or model_type, so the frame of its boxes is unknown",
            fix="pass --coord_frame original (boxes in original pixels) or --model_type; "
            "--metric vlm_r1 for VLM-R1's own files",
        )
    frame = resolve_frame(frame_name, model_type)
    input_size = resolve_input_size(result.get("input_size"), result.get("image_grid_thw"))
    if frame is not CoordFrame.ORIGINAL and result.get("image_size") is None:
        raise DataError(
            f"coord_frame {frame.value!r} rescales boxes by the image size, which the result does not store",
            fix="pass --coord_frame original if its boxes are in original pixels",
        )
    iou = answer_iou(
        result["model_output"], result["ground_truth"], frame, result.get("image_size"), input_size
    )
    return iou > 0.5


def seed_correct(result: dict, rec_method: str = "r1", **_) -> bool:
    """The seed's: the raw box read as its `rec_method` (r1 | baseline) read it, IoU > 0.5."""
    return seed_rec_correct(result["model_output"], result["ground_truth"], rec_method)


def vlm_r1_correct(result: dict, rec_method: str = "r1", **_) -> bool:
    """VLM-R1's published scorer (r1 | baseline, as `rec_method`): the raw box, IoU > 0.5."""
    return vlm_r1_rec_correct(result["model_output"], result["ground_truth"], rec_method)


def is_box(ground_truth) -> bool:
    """A REC ground truth in a results file: a list of four numbers."""
    return isinstance(ground_truth, (list, tuple)) and solution_box(ground_truth) is not None


REC = register_task(
    Task(
        name="rec",
        prompts={
            "train": PromptTemplate(REC_TEMPLATE),
            "eval": PromptTemplate(REC_TEMPLATE),
            "baseline": PromptTemplate(REC_BASELINE_TEMPLATE, field="normal_caption", thinking=False),
        },
        rewards={"accuracy": "rec_iou", "format": "rec_format"},
        other_rewards=("rec_iou_continuous",),
        scorers={"fixed": fixed_correct, "seed": seed_correct, "vlm_r1": vlm_r1_correct},
        formats=(
            DataFormat("rec data yaml", lambda p: p.endswith(YAML_SUFFIXES), _load_yaml),
            DataFormat("rec annotations", lambda p: p.endswith(ANNOTATION_SUFFIXES), _load_annotations),
        ),
        is_ground_truth=is_box,
    )
)
