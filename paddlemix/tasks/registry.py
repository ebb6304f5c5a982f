"""The task registry: tasks by name, and which task a training dataset or a results file belongs to.

    register_task(Task(name="counting", ...))   # once, in the task's own file
    get_task("counting"); get_task("geoqa")     # by name or alias; unknown names list the registered ones
    resolve_task("data/GEO/GEOQA_R1V_Train_8K") # -> "geometry", from the formats the tasks declare

`resolve_task` asks every task which of its `formats` matches the path (a suffix, a folder) and, where
several tasks read the same format, whose `name_hints` the path's name carries. One candidate is the answer;
none or several is an error that lists the candidates and asks for `--task`.
"""

from __future__ import annotations

from paddlemix.tasks.task import DataFormat, Task

_TASKS: dict[str, Task] = {}
_ALIASES: dict[str, str] = {}


def register_task(task: Task) -> Task:
    """Register `task` under its name and aliases; a name already taken is an error listing the tasks."""
    if not isinstance(task.name, str) or not task.name:
        raise ValueError(f"a task name is a non-empty string, got {task.name!r}")
    for name in (task.name, *task.aliases):
        if name in _TASKS or name in _ALIASES:
            raise ValueError(
                f"task name {name!r} is already registered; registered: {', '.join(list_tasks())}"
            )
    _TASKS[task.name] = task
    _ALIASES.update({alias: task.name for alias in task.aliases})
    return task


def list_tasks() -> list[str]:
    """The registered task names, sorted (aliases not included)."""
    return sorted(_TASKS)


def canonical_name(name: str) -> str:
    """The registered name of a task name or alias ("geoqa" -> "geometry")."""
    return get_task(name).name


def get_task(name: str) -> Task:
    """The task registered under `name` (or an alias of it); an error listing the registered tasks."""
    name = _ALIASES.get(name, name)
    if name not in _TASKS:
        raise ValueError(f"unknown task {name!r}; registered: {', '.join(list_tasks())}")
    return _TASKS[name]


def task_of(sample: dict) -> Task:
    """The task of a sample, from its `task` field; a clear error when the field is missing."""
    name = sample.get("task")
    if name is None:
        raise ValueError(
            "the sample has no 'task' field, so it is not known how to score it; every loader sets it "
            f"(pass task=[...] beside solution=[...] when calling a reward directly), one of: {', '.join(list_tasks())}"
        )
    return get_task(name)


def data_formats(path: str) -> list[tuple[Task, DataFormat]]:
    """Every (task, format) whose format matches `path`, hinted or not."""
    return [(t, f) for t in _TASKS.values() for f in t.formats if f.matches(path)]


def resolve_task(dataset_name: str, task: str | None = None) -> str:
    """The task of a training dataset: `task` if given (checked against the path), else from the formats."""
    matching = data_formats(dataset_name)
    if task is not None:
        name = canonical_name(task)
        if matching and name not in {t.name for t, _ in matching}:
            readers = ", ".join(sorted({t.name for t, _ in matching}))
            raise ValueError(f"--task {task} does not read {dataset_name}; the tasks that do: {readers}")
        return name
    if not matching:
        raise ValueError(f"no task reads {dataset_name}; pass --task, one of: {', '.join(list_tasks())}")
    hinted = sorted({t.name for t, f in matching if f.hinted(dataset_name)})
    if len(hinted) == 1:
        return hinted[0]
    candidates = hinted or sorted({t.name for t, _ in matching})
    hints = "; ".join(f"{t.name}: {', '.join(f.name_hints)}" for t, f in matching if f.name_hints)
    raise ValueError(
        f"cannot tell the task of {dataset_name}: it could be {', '.join(candidates)} "
        f"(names that decide: {hints}); pass --task"
    )


def resolve_results_task(ground_truths: list, task: str | None = None) -> str:
    """The task of a results file without one: the single task that recognises every ground truth."""
    if task is not None:
        return canonical_name(task)
    candidates = [
        t.name
        for t in _TASKS.values()
        if t.is_ground_truth is not None
        and ground_truths
        and all(t.is_ground_truth(g) for g in ground_truths)
    ]
    if len(candidates) != 1:
        found = ", ".join(candidates) or "none"
        raise ValueError(
            f"cannot tell the task from the ground truths (tasks that fit: {found}); "
            f"pass task= one of {', '.join(list_tasks())}"
        )
    return candidates[0]
