"""The seed's `accuracy` reward name: IoU > 0.5 for a REC sample, math correctness for the others.

In the seed `accuracy` meant the REC IoU in train/grpo_rec.py and math-verify in train/grpo_r1-v.py. Here
one name serves both, deciding per sample from its solution, so a config written for either script (and
a mixture of the two tasks) works unchanged.
"""

from __future__ import annotations

from paddlemix.metrics.answers import math_correct
from paddlemix.metrics.boxes import solution_box
from paddlemix.rewards.rec import sample_iou
from paddlemix.rewards.registry import per_sample, register_reward


@register_reward("accuracy")
@per_sample
def accuracy(completion: str, solution, **fields) -> float:
    """`rec_iou` when the solution is a box, else `math_accuracy`."""
    if solution_box(solution) is not None:
        return float(sample_iou(completion, solution, **fields) > 0.5)
    return 1.0 if math_correct(completion, solution) else 0.0
