r"""Format rewards: did the completion follow the think/answer protocol the prompt asked for.

- `think_format`: R1-V's rule, `re.fullmatch(r"<think>.*?</think>\s*<answer>.*?</answer>", s, re.DOTALL)`.
- `rec_format`: the seed's REC rule (PaddleMIX train/grpo_rec.py, from VLM-R1), the same protocol with a
  JSON object holding an integer box inside the answer: `<answer>...{...[x1, y1, x2, y2]...}...</answer>`.
  Floats and a bare `[x1, y1, x2, y2]` list do not match it. VLM-R1 later relaxed fullmatch to search;
  we keep the seed's fullmatch, so text after `</answer>` fails.
- `format`: the name the seed's configs use. Its meaning depended on the training script (REC or R1-V), so
  here it follows the sample: `rec_format` when the solution is a box, `think_format` otherwise.
"""

from __future__ import annotations

import re

from paddlemix.metrics.boxes import solution_box
from paddlemix.rewards.registry import per_sample, register_reward

THINK_ANSWER = re.compile(r"<think>.*?</think>\s*<answer>.*?</answer>", re.DOTALL)
REC_THINK_ANSWER = re.compile(
    r"<think>.*?</think>\s*<answer>.*?\{.*\[\d+,\s*\d+,\s*\d+,\s*\d+\].*\}.*?</answer>", re.DOTALL
)


@register_reward("think_format")
@per_sample
def think_format(completion: str, **_) -> float:
    """1.0 if the completion is exactly `<think>...</think>` then `<answer>...</answer>`, else 0.0."""
    return 1.0 if THINK_ANSWER.fullmatch(completion) else 0.0


@register_reward("rec_format")
@per_sample
def rec_format(completion: str, **_) -> float:
    """1.0 if the completion is think/answer with a JSON object holding an integer box in the answer."""
    return 1.0 if REC_THINK_ANSWER.fullmatch(completion) else 0.0


@register_reward("format")
@per_sample
def format_reward(completion: str, solution=None, **_) -> float:
    """The seed's `format`: the REC rule for a sample whose solution is a box, R1-V's rule otherwise."""
    pattern = (
        REC_THINK_ANSWER if solution is not None and solution_box(solution) is not None else THINK_ANSWER
    )
    return 1.0 if pattern.fullmatch(completion) else 0.0
