"""Which tasks a run's rewards apply to: a reward that applies to none of the training set's tasks is an error.

Such a reward (say `rec_iou` on counting data) returns None ("does not apply") for every completion, adds
nothing to any reward and so trains nothing, with no error at all. `check_rewards_apply` runs at start-up,
before the model loads: it asks each reward about one real sample of each of the dataset's tasks (with an
empty completion) and stops the run when every answer is None.
"""

from __future__ import annotations

from collections.abc import Mapping

from paddlemix.errors import UserError
from paddlemix.rewards.registry import RewardFn
from paddlemix.tasks.registry import get_task, list_tasks


def task_samples(dataset) -> dict[str, dict]:
    """One sample of each task of `dataset` (a `SampleDataset`), keyed by task name."""
    whole = getattr(dataset, "task", None)  # datasets of one task (Hugging Face folders) say so
    if isinstance(whole, str):
        return {whole: dataset[0]} if len(dataset) else {}
    first: dict[str, int] = {}
    for i, stored in enumerate(dataset.samples):
        task = stored.get("task") if isinstance(stored, dict) else None
        if task not in first:
            first[task] = i
    return {task: dataset[i] for task, i in first.items() if task is not None}


def tasks_using(reward: str) -> list[str]:
    """The registered tasks that declare `reward` (in `Task.rewards` or `Task.other_rewards`)."""
    return [t for t in list_tasks() if get_task(t).uses_reward(reward) or reward in get_task(t).rewards]


def applies_to_sample(fn: RewardFn, sample: dict) -> bool:
    """Whether `fn` scores `sample` (returns anything but None for an empty completion; raising counts as yes)."""
    try:
        out = list(fn([""], **{k: [v] for k, v in sample.items()}))
    except Exception:  # the probe lacks per-rollout fields (image_size, ...): the reward did look at it
        return True
    return not out or out[0] is not None


def check_rewards_apply(funcs: Mapping[str, RewardFn], dataset) -> None:
    """A UserError naming each reward of `funcs` that applies to none of `dataset`'s tasks."""
    samples = task_samples(dataset)
    if not samples:
        return
    for name, fn in funcs.items():
        if not any(applies_to_sample(fn, sample) for sample in samples.values()):
            known = ", ".join(tasks_using(name)) or "none registered"
            raise UserError(
                f"--reward_funcs: reward {name!r} applies to no sample of the training set: it scores the "
                f"tasks {known}; the dataset's tasks are {', '.join(sorted(samples))}",
                fix="drop it from --reward_funcs or train on data of its task",
            )
