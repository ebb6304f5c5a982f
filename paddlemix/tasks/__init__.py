"""Tasks: what each task is (data formats, prompts, rewards, scoring, aggregation), registered by name.

    from paddlemix.tasks import get_task, list_tasks, load_task_samples, resolve_task, sample_messages

    list_tasks()    # ["affordance", "counting", "counting_boxes", "counting_direct", "detection", "geometry", ...]
    task = get_task("geometry")                    # "geoqa" is an alias
    resolve_task("data/Counting/clevr_cogen_a_train")  # "counting": from the formats the tasks declare
    train = load_task_samples("configs/data/rec.yaml", image_root="data/REC")
    task.score(results, metric="r1v").value        # a dataset's number, as the eval and --rescore compute it

Add a task: one file here that builds a `Task` and calls `register_task`, its rewards in `paddlemix/rewards/`,
and an import line below. See README "Add a reward or a task".
"""

# The task modules are imported for their registrations.
from paddlemix.tasks import (  # noqa: F401
    affordance,
    counting,
    counting_boxes,
    counting_direct,
    detection,
    geometry,
    grounding,
    ocr,
    ovd,
    rec,
    vlm_r1,
)
from paddlemix.tasks.loading import load_task_samples
from paddlemix.tasks.prompts import build_messages, prompt_template, prompt_text, sample_messages
from paddlemix.tasks.registry import (
    canonical_name,
    get_task,
    list_tasks,
    register_task,
    resolve_results_task,
    resolve_task,
    task_of,
)
from paddlemix.tasks.task import DataFormat, PromptTemplate, Scores, Task, mean_percent

__all__ = [
    "DataFormat",
    "PromptTemplate",
    "Scores",
    "Task",
    "build_messages",
    "canonical_name",
    "get_task",
    "list_tasks",
    "load_task_samples",
    "mean_percent",
    "prompt_template",
    "prompt_text",
    "register_task",
    "resolve_results_task",
    "resolve_task",
    "sample_messages",
    "task_of",
]
