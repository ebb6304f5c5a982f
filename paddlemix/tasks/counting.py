"""Counting (R1-V's CLEVR-CoGenT training set, SuperCLEVR-200 eval): how many objects, an integer answer.

- data: a Hugging Face folder whose name says clevr or count (`clevr_cogen_a_train`);
- prompts: R1-V's training template, and its SuperCLEVR eval template;
- rewards: `accuracy` -> `math_accuracy`, `format` -> `think_format`;
- scoring: "fixed" is `math_correct`; "r1v" and "seed" read the integer in `<answer> N </answer>`
  (`r1v_counting_correct`), which reproduces R1-V's 48.0 (Qwen2-VL-2B-Instruct) and 82.5 (GRPO, 100 steps).
"""

from __future__ import annotations

import numbers

from paddlemix.metrics.published import r1v_counting_correct
from paddlemix.tasks.r1v import R1V_TEMPLATE, hf_folder, math_fixed_correct
from paddlemix.tasks.registry import register_task
from paddlemix.tasks.task import PromptTemplate, Task

# R1-V `src/eval/test_qwen2vl_counting_superclevr.py` (and PaddleMIX `eval/test_r1-v.py`, which uses it for
# both tasks): SuperCLEVR counting evaluation.
COUNTING_EVAL_TEMPLATE = (
    "{Question} First output the thinking process in <think> </think> and final answer (number) in "
    "<answer> </answer> tags."
)


def r1v_correct(result: dict, **_) -> bool:
    """R1-V's (and the seed's) counting rule."""
    return r1v_counting_correct(result["model_output"], result["ground_truth"])


def is_count(ground_truth) -> bool:
    """A counting ground truth in a results file: an integer."""
    return isinstance(ground_truth, numbers.Integral) and not isinstance(ground_truth, bool)


COUNTING = register_task(
    Task(
        name="counting",
        prompts={"train": PromptTemplate(R1V_TEMPLATE), "eval": PromptTemplate(COUNTING_EVAL_TEMPLATE)},
        rewards={"accuracy": "math_accuracy", "format": "think_format"},
        scorers={"fixed": math_fixed_correct, "r1v": r1v_correct, "seed": r1v_correct},
        formats=(hf_folder("counting", ("clevr", "count")),),
        is_ground_truth=is_count,
    )
)
