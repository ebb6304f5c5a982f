r"""VLM-R1's cosine length reward and n-gram repetition penalty (`grpo_jsonl.py` `cosine_reward`, `repetition_reward`).

Cosine (after "Demystifying Long CoT Reasoning", arXiv 2502.03373), `cosine_length`:

    r = max_v - (max_v - min_v) * (1 - cos(L * pi / 1024)) / 2
    correct: (min_v, max_v) = (0.5, 1.0)   1.0 at L = 0, falling to 0.5 at L = 1024
    wrong:   (min_v, max_v) = (0.0, -0.5)  -0.5 at L = 0, rising to 0.0 at L = 1024

L is the completion's length in tokens. VLM-R1's `cosine_reward` overwrites its argument with
`acc_reward = 1.0`, so every completion is scored as correct, and never clips L, so past 1024 tokens the
cosine turns and the reward rises again (VLM-R1 issues #247, #296): `seed_bug=True` keeps both, the default
`seed_bug=False` takes correctness from the caller and clips L at 1024.

Repetition, `repetition_penalty`: `-(1 - unique n-grams / n-grams)`, 0 for an empty completion. A completion
holding a ```json block (else a ``` block, else a bare `[{..."bbox_2d"..."label"...}]`) that parses to a list
(with `json_repair` when plain JSON fails) is scored over its items, each the token `f"{bbox_2d}_{label}"`, as
1-grams; anything else over its lower-cased whitespace words as 6-grams (fewer than 6 words: 0). List items
that are not objects are skipped (VLM-R1 raised a TypeError on them). Without the `json_repair` package
(`pip install json_repair`, extra "vlm_r1"), JSON that only a repair would parse is read as text.
"""

from __future__ import annotations

import json
import math
import re

try:
    from json_repair import repair_json
except ImportError:
    repair_json = None

MAX_CHARS = 100_000
COSINE_MAX_LEN = 1024
CORRECT_VALUES = (0.5, 1.0)  # (value at max length, value at length 0)
WRONG_VALUES = (0.0, -0.5)

_FENCED_JSON = re.compile(r"```json(.*?)```", re.DOTALL)
_FENCED = re.compile(r"```(.*?)```", re.DOTALL)
_BARE_BOXES = re.compile(r'\[\s*{.*?"bbox_2d".*?"label".*?}\s*\]', re.DOTALL)


def cosine_length(length: int, correct: bool, seed_bug: bool = False) -> float:
    """VLM-R1's cosine length reward of a completion of `length` tokens (module docstring)."""
    if seed_bug:
        correct = True
    else:
        length = min(length, COSINE_MAX_LEN)
    min_value, max_value = CORRECT_VALUES if correct else WRONG_VALUES
    return max_value - (max_value - min_value) * (1 - math.cos(length * math.pi / COSINE_MAX_LEN)) / 2


def _json_block(content: str) -> str | None:
    """The JSON text VLM-R1 looks for: a ```json block, else a ``` block, else a bare box list."""
    match = _FENCED_JSON.search(content)
    if match:
        return match.group(1).strip()
    match = _FENCED.search(content)
    block = match.group(1).strip() if match else None
    if not block:
        match = _BARE_BOXES.search(content)
        block = match.group(0) if match else None
    return block


def _parse_list(block: str):
    """The parsed block (`json`, then `json_repair`), or None when neither reads it."""
    try:
        return json.loads(block)
    except json.JSONDecodeError:
        if repair_json is None:
            return None
        try:
            return json.loads(repair_json(block))
        except (json.JSONDecodeError, ValueError, TypeError, RecursionError):
            return None


def _penalty(ngrams: list[tuple]) -> float:
    """-(1 - unique / total), 0 when there are none."""
    if not ngrams:
        return 0.0
    return -1.0 * (1 - len(set(ngrams)) / len(ngrams))


def repetition_penalty(content: str) -> float:
    """VLM-R1's `repetition_reward` of one completion, in [-1, 0] (module docstring)."""
    content = content[:MAX_CHARS]
    if content == "":
        return 0.0
    block = _json_block(content)
    data = _parse_list(block) if block else None
    if data and isinstance(data, list):
        items = [
            f"{item['bbox_2d']}_{item['label']}"
            for item in data
            if isinstance(item, dict) and "bbox_2d" in item and "label" in item
        ]
        return _penalty([(item,) for item in items])
    words = content.lower().split()
    if len(words) < 6:
        return 0.0
    return _penalty(list(zip(*[words[i:] for i in range(6)])))
