"""Training samples of a task: `--dataset_name` (and `--task`) to a dataset whose samples carry `task`.

dataset = load_task_samples("data/GEO/GEOQA_R1V_Train_8K")                    # geometry, from the name
dataset = load_task_samples("configs/data/rec.yaml", image_root="data/REC")   # rec
dataset = load_task_samples("data/my_counts", task="counting")                # a name that says nothing
"""

from __future__ import annotations

from paddlemix.tasks.registry import get_task, resolve_task


def load_task_samples(
    dataset_name: str,
    task: str | None = None,
    image_root: str | None = None,
    split: str = "train",
    seed: int = 42,
):
    """The training samples of `dataset_name` through the format its task declares (see `resolve_task`)."""
    name = resolve_task(dataset_name, task)
    formats = [f for f in get_task(name).formats if f.matches(dataset_name)]
    if not formats:
        raise ValueError(f"task {name!r} reads none of {dataset_name}'s format")
    return formats[0].load(dataset_name, task=name, image_root=image_root, split=split, seed=seed)
