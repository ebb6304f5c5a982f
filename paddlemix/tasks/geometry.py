"""Geometry (R1-V's GeoQA-8K training set, GeoQA test eval): a number or expression such as "2√{3}".

Called "geoqa" by R1-V's file names and by the seed's `--rescore` task; that name is an alias.

- data: a Hugging Face folder whose name says geo (`GEOQA_R1V_Train_8K`);
- prompts: R1-V's training template, and its GeoQA eval template (one space, no "First");
- rewards: `accuracy` -> `math_accuracy`, `format` -> `think_format`;
- scoring: "fixed" is `math_correct`; "r1v" is math-verify over the whole output (`r1v_geoqa_correct`), which
  reproduces R1-V's 30.6366 (Qwen2-VL-7B-Instruct) and 38.7268 (GRPO, 2 epochs); "seed" is PaddleMIX's
  counting regex, never right on a string ground truth.
"""

from __future__ import annotations

from paddlemix.metrics.published import r1v_geoqa_correct, seed_geoqa_correct
from paddlemix.tasks.r1v import R1V_TEMPLATE, hf_folder, math_fixed_correct
from paddlemix.tasks.registry import register_task
from paddlemix.tasks.task import PromptTemplate, Task

# R1-V `src/eval/test_qwen2vl_geoqa.py`: GeoQA evaluation. One space, no "First".
GEOQA_EVAL_TEMPLATE = "{Question} Output the thinking process in <think> </think> and final answer (number) in <answer> </answer> tags."


def r1v_correct(result: dict, **_) -> bool:
    """R1-V's GeoQA rule."""
    return r1v_geoqa_correct(result["model_output"], result["ground_truth"])


def seed_correct(result: dict, **_) -> bool:
    """The seed's GeoQA rule (the counting regex)."""
    return seed_geoqa_correct(result["model_output"], result["ground_truth"])


def is_expression(ground_truth) -> bool:
    """A geometry ground truth in a results file: a string."""
    return isinstance(ground_truth, str)


GEOMETRY = register_task(
    Task(
        name="geometry",
        prompts={"train": PromptTemplate(R1V_TEMPLATE), "eval": PromptTemplate(GEOQA_EVAL_TEMPLATE)},
        rewards={"accuracy": "math_accuracy", "format": "think_format"},
        scorers={"fixed": math_fixed_correct, "r1v": r1v_correct, "seed": seed_correct},
        formats=(hf_folder("geometry", ("geo",)),),
        is_ground_truth=is_expression,
        aliases=("geoqa",),
    )
)
