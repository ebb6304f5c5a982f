r"""Rule-based GRPO rewards, registered by name. Each wraps a metric of `paddlemix.metrics`.

| name                 | file        | rule                                                                  |
|----------------------|-------------|-----------------------------------------------------------------------|
| `accuracy`           | accuracy.py | the seed's name: `rec_iou` for a box solution, else `math_accuracy`   |
| `format`             | format.py   | the seed's name: `rec_format` for a box solution, else `think_format` |
| `think_format`       | format.py   | R1-V: fullmatch `<think>.*?</think>\s*<answer>.*?</answer>`, DOTALL   |
| `rec_format`         | format.py   | the seed's REC rule: a JSON object with an integer box in the answer  |
| `rec_iou`            | rec.py      | IoU > 0.5 after rescaling to original pixels (the seed's, fixed)      |
| `rec_iou_continuous` | rec.py      | the IoU itself (VLM-R1's current reward)                              |
| `math_accuracy`      | math.py     | the `<answer>` equals the solution, as a string or by math-verify     |
| `digit_share`        | shaping.py  | share of digit characters: a dense signal for tiny smoke-run models   |

Detection and grounding (each file's docstring has the formulas and the seed each one follows):
`vision_r1_dual_format`, `vision_r1_precision`, `vision_r1_recall` (detection.py, Vision-R1); `od_ap`,
`od_ap50`, `od_length`, `det_weighted_sum`, `ovd_accuracy` (ovd.py, VLM-R1); `iou_squared`,
`pr1_grounding_format`, `box_count` (grounding.py, Perception-R1).

`build_rewards(["accuracy", "format"], [1.0, 1.0])` gives what `compute_rewards` runs. Register your own with
`@register_reward("name")` or `register_reward("name", fn)`.
"""

# The task modules are imported for their registrations.
from paddlemix.rewards import accuracy, detection, format, grounding, math, ovd, rec, shaping  # noqa: F401
from paddlemix.rewards.registry import build_rewards, get_reward, per_sample, register_reward, reward_names
from paddlemix.rewards.runner import compute_rewards

__all__ = ["build_rewards", "compute_rewards", "get_reward", "per_sample", "register_reward", "reward_names"]
