"""What R1-V's two tasks (counting, geometry) share: its training template and its Hugging Face folders.

Both training sets (`clevr_cogen_a_train`, `GEOQA_R1V_Train_8K`) are Hugging Face dataset folders with
`image`, `problem` and `solution` columns (`datasets/r1v.py`); the folder's name tells the tasks apart.
"""

from __future__ import annotations

from paddlemix.datasets.r1v import load_r1v
from paddlemix.metrics.answers import math_correct
from paddlemix.tasks.rec import ANNOTATION_SUFFIXES, YAML_SUFFIXES
from paddlemix.tasks.task import DataFormat

# R1-V `src/r1-v/src/open_r1/grpo.py` and PaddleMIX `paddlemix/examples/r1_mllm/train/grpo_r1-v.py`:
# counting and geometry training. Two spaces before "Output", as in the seed.
R1V_TEMPLATE = "{Question}  Output the thinking process in <think> </think> and final answer (number) in <answer> </answer> tags."

# R1-V `src/r1-v/src/open_r1/grpo.py` SYSTEM_PROMPT. R1-V sends it only with text-only samples (no image
# column); every task here has an image, so no prompt uses it.
R1V_SYSTEM_PROMPT = (
    "A conversation between User and Assistant. The user asks a question, and the Assistant solves it. The assistant "
    "first thinks about the reasoning process in the mind and then provides the user with the answer. The reasoning "
    "process and answer are enclosed within <think> </think> and <answer> </answer> tags, respectively, i.e., "
    "<think> reasoning process here </think><answer> answer here </answer>"
)


def is_hf_folder(path: str) -> bool:
    """A Hugging Face dataset folder: any `--dataset_name` that is not a REC file."""
    return not path.endswith(YAML_SUFFIXES + ANNOTATION_SUFFIXES)


def hf_folder(task: str, name_hints: tuple[str, ...]) -> DataFormat:
    """R1-V's Hugging Face folder format for `task`, recognised by `name_hints` in the folder's name."""

    def load(path: str, split: str = "train", **_):
        """One split of the folder as `task` samples."""
        return load_r1v(path, task=task, split=split)

    return DataFormat("Hugging Face dataset folder", is_hf_folder, load, name_hints)


def math_fixed_correct(result: dict, **_) -> bool:
    """Ours: the `<answer>` equals the ground truth, as strings or by math-verify (`math_correct`)."""
    return math_correct(result["model_output"], result["ground_truth"])
