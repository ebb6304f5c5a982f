"""Counting answered with the bare number: the CPU quickstart's task.

- data: counting's Hugging Face folders (R1-V's layout); pass `--task counting_direct`, the folder's name
  says counting;
- prompts: the question alone, no thinking instructions: a one-token answer ("2") is the whole completion,
  and a tiny model trained from scratch sees the image better in a short prompt (README: quickstart);
- rewards: `accuracy` -> `math_accuracy` (the bare number is the final answer);
- scoring: "fixed" is `math_correct`, as for counting.
"""

from __future__ import annotations

from paddlemix.tasks.r1v import hf_folder, math_fixed_correct
from paddlemix.tasks.registry import register_task
from paddlemix.tasks.task import PromptTemplate, Task

DIRECT_TEMPLATE = PromptTemplate("{Question}", thinking=False)

COUNTING_DIRECT = register_task(
    Task(
        name="counting_direct",
        prompts={"train": DIRECT_TEMPLATE, "eval": DIRECT_TEMPLATE},
        rewards={"accuracy": "math_accuracy"},
        scorers={"fixed": math_fixed_correct},
        formats=(hf_folder("counting_direct", ("direct",)),),
        is_ground_truth=None,
        default_rewards=("accuracy",),
    )
)
