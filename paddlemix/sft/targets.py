"""The text an SFT sample is trained to produce, rendered from the sample's solution.

`solution` keeps the solution as the task wrote it (counting: "<answer> 3 </answer>"; a REC box: its JSON);
`answer` keeps only what the `<answer>` tags hold ("3"), for a model that answers directly.
"""

from __future__ import annotations

import json
import re

TARGET_FORMATS = ("solution", "answer")
_ANSWER = re.compile(r"<answer>(.*?)</answer>", re.DOTALL)


def render_target(sample: dict, target_format: str) -> str:
    """The target text of `sample` (its `solution` field) in `target_format`."""
    solution = sample.get("solution")
    if solution is None:
        raise KeyError(f"an SFT sample needs 'solution'; it has {sorted(sample)}")
    text = solution if isinstance(solution, str) else json.dumps(solution)
    if target_format == "solution":
        return text
    if target_format == "answer":
        found = _ANSWER.search(text)
        return found.group(1).strip() if found else text.strip()
    raise ValueError(f"unknown target format {target_format!r}; known: {TARGET_FORMATS}")
