"""Scoring an eval through its task: how a task prompts and records samples, and its dataset's number.

The number is `Task.score(results, "fixed")` of the sample's registered task (`paddlemix.tasks`), the metric
the rewards share, so `rescore(results_file)` gives back exactly the stored number. A per-sample task marks
each result `correct` and reports the percentage; a dataset-level one (COCO mAP) reports its own number.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from paddlemix.tasks import get_task

logger = logging.getLogger("paddlemix.evaluation")


@dataclass
class EvalTask:
    """How one task turns a sample into a prompt and a completion into a result record."""

    score_task: (
        str  # the registered task (`paddlemix.tasks`) that scores the results: "rec" | "counting" | ...
    )
    messages: Callable[[dict], list[dict]]  # sample -> chat messages
    record: Callable[[dict, str, dict], dict]  # (sample, completion, image info) -> the result record
    metric: str = "fixed"  # the task's metric that marks the results
    score_options: dict = field(default_factory=dict)  # passed to the scorers (REC: rec_method)


def score_into(results: list[dict], task: str, name: str = "", metric: str = "fixed", **options) -> dict:
    """Mark each result `correct` (where the task scores per sample); the summary fields of the results file."""
    if not results:
        logger.warning("%s: no sample could be evaluated; accuracy is null", name)
        return {"accuracy": None, "metric": metric, "num_correct": 0, "num_scored": 0}
    scores = get_task(task).score(results, metric, **options)
    for result, ok in zip(results, scores.verdicts or []):
        result["correct"] = int(ok)
    num_correct = sum(scores.verdicts) if scores.verdicts is not None else None
    return {
        "accuracy": scores.value,
        "metric": metric,
        "num_correct": num_correct,
        "num_scored": len(results),
    }
