"""The seed's reward names, `accuracy` and `format`, resolved per sample through the sample's task.

In the seed `accuracy` meant the REC IoU in train/grpo_rec.py and math-verify in train/grpo_r1-v.py, and
`format` meant the REC or R1-V format rule likewise. Here each sample's `task` field names a registered task
(`paddlemix.tasks`), whose `rewards` map says which registered reward these names stand for: rec ->
`rec_iou` / `rec_format`, counting and geometry -> `math_accuracy` / `think_format`. A config written for
either seed script, and a mixture of tasks, works unchanged, and nothing is decided by the solution's shape.

A sample without `task` is an error that says so: every loader sets it, and a direct call passes
`task=[...]` beside `solution=[...]`.
"""

from __future__ import annotations

from paddlemix.rewards.registry import get_reward, per_sample, register_reward
from paddlemix.tasks.registry import get_task, task_of


def applies(reward: str, task: str | None) -> bool:
    """Whether a task-specific reward scores a sample of `task`: its task uses it, or it names no task."""
    return task is None or get_task(task).uses_reward(reward)


def _by_task(generic: str, completion: str, fields: dict) -> float | None:
    """The value of the reward the sample's task maps `generic` to, on this one completion."""
    name = task_of(fields).reward(generic)
    return get_reward(name)([completion], **{k: [v] for k, v in fields.items()})[0]


@register_reward("accuracy")
@per_sample
def accuracy(completion: str, **fields) -> float | None:
    """The sample's task's accuracy reward: `rec_iou` for rec, `math_accuracy` for counting and geometry."""
    return _by_task("accuracy", completion, fields)


@register_reward("format")
@per_sample
def format_reward(completion: str, **fields) -> float | None:
    """The sample's task's format reward: `rec_format` for rec, `think_format` for counting and geometry."""
    return _by_task("format", completion, fields)
