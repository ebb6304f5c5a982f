r"""The think/answer format reward: did the completion follow the protocol the prompt asked for.

`think_format` is R1-V's rule, `re.fullmatch(r"<think>.*?</think>\s*<answer>.*?</answer>", s, re.DOTALL)`.
REC's variant, with a box inside the answer, is `rec_format` in `rec.py`.
"""

from __future__ import annotations

import re

from paddlemix.rewards.registry import per_sample, register_reward

THINK_ANSWER = re.compile(r"<think>.*?</think>\s*<answer>.*?</answer>", re.DOTALL)


@register_reward("think_format")
@per_sample
def think_format(completion: str, **_) -> float:
    """1.0 if the completion is exactly `<think>...</think>` then `<answer>...</answer>`, else 0.0."""
    return 1.0 if THINK_ANSWER.fullmatch(completion) else 0.0
