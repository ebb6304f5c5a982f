"""Open-vocabulary detection (VLM-R1): find the named objects, or answer "None" when none is there.

- data: VLM-R1's jsonl (`id`, `image`, `conversations`, per-sample `accu_reward_method`); pass `task: ovd`,
  since REC reads .jsonl too. A record with several images shows them all, in order (boxes in the last);
- prompt: VLM-R1's odLength template (think, then answer), around the problem written in the data;
- rewards: `od_length` (accuracy, VLM-R1's OVD recipe), `think_format` (format, VLM-R1's `format`);
  `od_ap`, `od_ap50`, `det_weighted_sum` and `ovd_accuracy` (the sample's own `accu_reward_method`) also apply;
- scoring: VLM-R1 published no OVD eval; a results file is scored as detection is, COCO AP over the
  dataset, reading VLM-R1's answer (last `<answer>`, fenced list). OVDEval's NMS-AP is not reproduced.
"""

from __future__ import annotations

from paddlemix.datasets.localization import load_vlm_r1_jsonl
from paddlemix.tasks.registry import register_task
from paddlemix.tasks.task import DataFormat, PromptTemplate, Task

# VLM-R1 qwen_module.get_question_template("odLength").
OVD_TEMPLATE = (
    "First thinks about the reasoning process in the mind and then provides the user with the answer. The "
    "reasoning process and answer are enclosed within <think> </think> and <answer> </answer> tags, "
    "respectively, i.e., <think> reasoning process here </think><answer> answer here </answer>\n{Question}"
)


def _load(path: str, image_root: str | None = None, **_):
    """A VLM-R1 jsonl as ovd samples."""
    return load_vlm_r1_jsonl(path, image_root)


OVD = register_task(
    Task(
        name="ovd",
        prompts={"train": PromptTemplate(OVD_TEMPLATE), "eval": PromptTemplate(OVD_TEMPLATE)},
        rewards={"accuracy": "od_length", "format": "think_format"},
        other_rewards=("od_ap", "od_ap50", "det_weighted_sum", "ovd_accuracy"),
        default_rewards=("od_length", "think_format"),
        scorers={},
        formats=(DataFormat("VLM-R1 jsonl", lambda p: p.endswith(".jsonl"), _load, ("ovd",)),),
    )
)
