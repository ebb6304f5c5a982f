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
| `ocr_edit_distance`  | ocr.py          | 1 - normalised character edit distance (our design; PR1 unreleased)    |
| `ocr_f1`             | ocr.py          | F1 of token sets (our design; PR1 unreleased)                          |
| `aff_format`         | affordance.py   | Affordance-R1: think / rethink / answer and per-item fields (0..4)     |
| `aff_accuracy`       | affordance.py   | Affordance-R1: Hungarian box / point matching (0..3)                   |
| `aff_non_repeat`     | affordance.py   | Affordance-R1: no repeated sentences (0/1)                             |
| `aff_box_num`        | affordance.py   | Affordance-R1: as many items as ground-truth objects (0/1)             |
| `aff_recognition`    | affordance.py   | Affordance-R1: affordance word matches, per item (0..1)                |
| `overlong_penalty`   | length.py       | DAPO: 0 up to L_max − overlong_buffer tokens, then linearly to −1      |

Detection and grounding (each file's docstring has the formulas and the seed each one follows):
`vision_r1_dual_format`, `vision_r1_precision`, `vision_r1_recall` (detection.py, Vision-R1); `od_ap`,
`od_ap50`, `od_length`, `det_weighted_sum`, `ovd_accuracy` (ovd.py, VLM-R1); `iou_squared`,
`pr1_grounding_format`, `box_count` (grounding.py, Perception-R1). VLM-R1's general jsonl (vlm_r1.py):
`vlm_r1_accuracy` (the record's method), `vlm_r1_mcq`, `vlm_r1_yes_no`, `vlm_r1_math`, `vlm_r1_all_match`,
`vlm_r1_default`, `vlm_r1_llm`, `vlm_r1_length` (cosine), `vlm_r1_repetition`.

`accuracy` and `format` read each sample's `task` field (rec -> `rec_iou` / `rec_format`, counting and
geometry -> `math_accuracy` / `think_format`); a task-specific reward returns None ("does not apply") for a
sample of a task that does not use it. `build_rewards(["accuracy", "format"], [1.0, 1.0])` gives what
`compute_rewards` runs. Register your own with `@register_reward("name")` or `register_reward("name", fn)`.
"""

# The reward modules are imported for their registrations.
from paddlemix.rewards import (  # noqa: F401
    affordance,
    detection,
    dispatch,
    grounding,
    length,
    math_answer,
    ocr,
    ovd,
    rec,
    shaping,
    think_format,
    vlm_r1,
)
from paddlemix.rewards.registry import build_rewards, get_reward, per_sample, register_reward, reward_names
from paddlemix.rewards.runner import compute_rewards

__all__ = ["build_rewards", "compute_rewards", "get_reward", "per_sample", "register_reward", "reward_names"]
