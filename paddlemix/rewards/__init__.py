r"""Rule-based GRPO rewards, registered by name. Each wraps a metric of `paddlemix.metrics`.

| name                 | file            | rule                                                                   |
|----------------------|-----------------|------------------------------------------------------------------------|
| `accuracy`           | dispatch.py     | the seed's name: the sample's task's accuracy reward (`Task.rewards`)  |
| `format`             | dispatch.py     | the seed's name: the sample's task's format reward (`Task.rewards`)    |
| `think_format`       | think_format.py | R1-V: fullmatch `<think>.*?</think>\s*<answer>.*?</answer>`, DOTALL    |
| `rec_format`         | rec.py          | the seed's REC rule: a JSON object with an integer box in the answer   |
| `rec_iou`            | rec.py          | IoU > 0.5 after rescaling to original pixels (the seed's, fixed)       |
| `rec_iou_continuous` | rec.py          | the IoU itself (VLM-R1's current reward)                               |
| `math_accuracy`      | math_answer.py  | the `<answer>` equals the solution, as a string or by math-verify      |
| `digit_share`        | shaping.py      | share of digit characters: a dense signal for tiny smoke-run models    |

`accuracy` and `format` read each sample's `task` field (rec -> `rec_iou` / `rec_format`, counting and
geometry -> `math_accuracy` / `think_format`); a task-specific reward returns None ("does not apply") for a
sample of a task that does not use it. `build_rewards(["accuracy", "format"], [1.0, 1.0])` gives what
`compute_rewards` runs. Register your own with `@register_reward("name")` or `register_reward("name", fn)`.
"""

# The reward modules are imported for their registrations.
from paddlemix.rewards import dispatch, math_answer, rec, shaping, think_format  # noqa: F401
from paddlemix.rewards.registry import build_rewards, get_reward, per_sample, register_reward, reward_names
from paddlemix.rewards.runner import compute_rewards

__all__ = ["build_rewards", "compute_rewards", "get_reward", "per_sample", "register_reward", "reward_names"]
