"""Format rewards (rewards/think_format.py, rewards/rec.py, rewards/dispatch.py): each rule against a table of valid and invalid completions."""

from __future__ import annotations

import pytest

from paddlemix.rewards import get_reward

THINK_CASES = [
    # --- valid ---
    # the protocol exactly
    ("<think>reasoning</think><answer>4</answer>", 1.0),
    # whitespace and newlines between and inside the blocks (DOTALL)
    ("<think>\nline 1\nline 2\n</think>\n\n<answer>\n4\n</answer>", 1.0),
    # empty blocks still follow the format
    ("<think></think><answer></answer>", 1.0),
    # --- invalid ---
    # no tags
    ("4", 0.0),
    # answer only
    ("<answer>4</answer>", 0.0),
    # unclosed answer (cut at max_new_tokens)
    ("<think>t</think><answer>4", 0.0),
    # unclosed think
    ("<think>t<answer>4</answer>", 0.0),
    # text before the think block (fullmatch)
    ("Sure! <think>t</think><answer>4</answer>", 0.0),
    # text after the answer block
    ("<think>t</think><answer>4</answer> done", 0.0),
    # blocks in the wrong order
    ("<answer>4</answer><think>t</think>", 0.0),
    # text between the blocks
    ("<think>t</think> so <answer>4</answer>", 0.0),
    # empty
    ("", 0.0),
]


@pytest.mark.parametrize("completion, expected", THINK_CASES)
def test_think_format(completion, expected):
    assert get_reward("think_format")([completion]) == [expected]


REC_CASES = [
    # --- valid ---
    # VLM-R1's object
    ('<think>t</think><answer>{"bbox_2d": [10, 20, 30, 40], "label": "dog"}</answer>', 1.0),
    # Qwen2.5-VL's fenced list of objects
    ('<think>t</think>\n<answer>```json\n[{"bbox_2d": [1, 2, 3, 4]}]\n```</answer>', 1.0),
    # --- invalid ---
    # a bare list: the seed's rule wants a JSON object around it
    ("<think>t</think><answer>[10, 20, 30, 40]</answer>", 0.0),
    # float coordinates do not match the seed's \d+
    ('<think>t</think><answer>{"bbox_2d": [10.5, 20, 30, 40]}</answer>', 0.0),
    # negative coordinates
    ('<think>t</think><answer>{"bbox_2d": [-1, 20, 30, 40]}</answer>', 0.0),
    # three numbers
    ('<think>t</think><answer>{"bbox_2d": [10, 20, 30]}</answer>', 0.0),
    # non-numeric
    ('<think>t</think><answer>{"bbox_2d": [a, b, c, d]}</answer>', 0.0),
    # no think block
    ('<answer>{"bbox_2d": [10, 20, 30, 40]}</answer>', 0.0),
    # unclosed answer
    ('<think>t</think><answer>{"bbox_2d": [10, 20, 30, 40]}', 0.0),
    # a box only in the reasoning
    ('<think>{"bbox_2d": [10, 20, 30, 40]}</think><answer>the dog</answer>', 0.0),
]


@pytest.mark.parametrize("completion, expected", REC_CASES)
def test_rec_format(completion, expected):
    assert get_reward("rec_format")([completion]) == [expected]


def test_format_follows_the_sample():
    # The seed's `format`: the REC rule for REC samples, R1-V's rule for counting and geometry.
    plain = "<think>t</think><answer>4</answer>"
    rec = '<think>t</think><answer>{"bbox_2d": [1, 2, 3, 4]}</answer>'
    fmt = get_reward("format")
    assert fmt([plain, plain], task=["counting", "rec"]) == [1.0, 0.0]
    assert fmt([rec, rec], task=["geometry", "rec"]) == [1.0, 1.0]
    with pytest.raises(ValueError, match="no 'task' field"):
        fmt([plain])  # no task: nothing says which rule applies
