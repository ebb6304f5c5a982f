"""Math accuracy for counting (SuperCLEVR) and geometry (GeoQA): is the final answer equal to the solution.

`math_accuracy` is `metrics.answers.math_correct`, the eval metric itself: the `<answer>` contents
(DOTALL) equal the solution's as strings, or are math-verify equivalent once GeoQA notation ("2√{3}", "3π",
"12cm") is made LaTeX. R1-V's reward parsed the whole completion instead, where math-verify skips a number
flush against the tags ("<answer>25</answer>"), so the last number of the reasoning stood in for the answer.
An answer naming several different values ("40 or 140"), a relation, interval or set around the value
("x > 3", "(3, 5)") scores 0, and so does a completion that opened a tag but never closed its answer.
A sample whose task does not use this reward (a REC sample in a mixture) gets None.
"""

from __future__ import annotations

from paddlemix.metrics.answers import math_correct
from paddlemix.rewards.dispatch import applies
from paddlemix.rewards.registry import per_sample, register_reward


@register_reward("math_accuracy")
@per_sample
def math_accuracy(completion: str, solution, task=None, **_) -> float | None:
    """1.0 if the completion's final answer equals the solution, else 0.0; None for another task's sample."""
    if not applies("math_accuracy", task):
        return None
    return 1.0 if math_correct(completion, solution) else 0.0
