"""Counting by boxes (Perception-R1): list a box per object; the count is how many boxes the answer gives.

- data: PR1's counting jsonl (`image_path`, `question`, `ground_truth`), read by the counting eval loader;
- prompt: PR1's "Output all the bounding boxes of the {question}" (constants.py `pr1_counting`);
- reward: `box_count` (not upstream: PR1 did not release its counting reward);
- scoring: "fixed" = the distinct valid boxes equal the ground truth; "pr1" = PR1's evaluate_counting.py,
  every `<|box_start|>` span that is a point pair, and no box is `None` (never equal, even to 0).
"""

from __future__ import annotations

from paddlemix.metrics.detection import count_boxes, pr1_count
from paddlemix.tasks.registry import register_task
from paddlemix.tasks.task import PromptTemplate, Task

COUNTING_BOXES_TEMPLATE = "Output all the bounding boxes of the {Question}"


def fixed_correct(result: dict, **_) -> bool:
    """Ours: the number of distinct valid boxes equals the ground truth."""
    return count_boxes(result["model_output"]) == int(result["ground_truth"])


def pr1_correct(result: dict, **_) -> bool:
    """PR1's count of box spans equals the ground truth (no box never matches)."""
    return pr1_count(result["model_output"]) == int(result["ground_truth"])


COUNTING_BOXES = register_task(
    Task(
        name="counting_boxes",
        prompts={
            "train": PromptTemplate(COUNTING_BOXES_TEMPLATE, field="problem", thinking=False),
            "eval": PromptTemplate(COUNTING_BOXES_TEMPLATE, field="problem", thinking=False),
        },
        rewards={"accuracy": "box_count"},
        default_rewards=("accuracy",),
        scorers={"fixed": fixed_correct, "pr1": pr1_correct},
    )
)
