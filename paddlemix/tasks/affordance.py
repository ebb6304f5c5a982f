r"""Affordance grounding (Affordance-R1, ReasonAff): think, rethink, then the boxes, points and affordances.

- data: Affordance-R1's rows (`problem, image, solution, aff_name, part_name`) in a Hugging Face folder or a
  jsonl (`datasets/affordance.py`); a folder whose name holds "aff", "reasonaff", "umd" or "agd" resolves to
  this task, otherwise pass `--task affordance`;
- prompt: Affordance-R1's training prompt (`verl/utils/rl_dataset.py` at the commit the spec cites), word for
  word, one template for training and eval. The seed's eval copy drops the "<image>\n" and the commas after
  `</think>` and `</rethink>`; that mismatch is not copied. The "<image>" of the seed's text is where verl put
  the image; here the image item sits there, so the template starts with the "\n" that followed it. It is
  filled with `question` = `problem.lower().strip(".")`, as the seed does. Mode "question" is that prompt's
  first sentence alone, for a sample whose `prompt_mode` names it (the CPU quickstart: the full prompt is ~460
  tokens, which a tiny model pays on every sequence);
- rewards: `format` -> `aff_format`, `accuracy` -> `aff_accuracy`, plus `aff_non_repeat`, `aff_box_num`
  and `aff_recognition`; the five at weight 1 are the seed's sum (`rewards/affordance.py`);
- scoring (`evaluate_affordance.py`, `--rescore`): masks from a segmenter, per sample intersection and union
  stored in each result; "fixed" is gIoU x 100, with cIoU, P@50 and P@50:95 beside it (x 100), and a
  result is `correct` when its IoU > 0.5 (what P@50 counts). A sample that fails scores 0, not skipped.
"""

from __future__ import annotations

from paddlemix.datasets.affordance import load_affordance
from paddlemix.metrics.affordance import mask_metrics
from paddlemix.tasks.r1v import is_hf_folder
from paddlemix.tasks.registry import register_task
from paddlemix.tasks.task import DataFormat, PromptTemplate, Task

# Affordance-R1 `verl/utils/rl_dataset.py` (RLHFDataset.user_prompt, as quoted in the reference spec §4),
# after its leading "<image>"; the sentences are joined without spaces, "tpye" and all.
AFF_QUESTION = '\nPlease answer "{Question}" with bboxs and points.'  # its first sentence (mode "question")
AFF_TEMPLATE = (
    AFF_QUESTION
    + "Analyze the functional properties of specific parts of each object in the image and carefully find all "
    "the part(s) that matches the problem."
    "Output the thinking process in <think> </think>, rethinking process in <rethink> </rethink> and final "
    "answer in <answer> </answer> tags."
    "Output the bbox(es) and point(s) and affordance tpye(s) inside the interested object(s) in JSON format."
    "i.e., <think> thinking process here </think>,<rethink> rethinking process here </rethink>,"
    "<answer>{Answer}</answer>"
)
# The example answer the seed's prompt shows (its {Answer}).
AFF_EXAMPLE_ANSWER = (
    '[{"bbox_2d": [10,100,200,210], "point_2d": [30,110], "affordance": "hold"}, '
    '{"bbox_2d": [225,296,706,786], "point_2d": [302,410], "affordance": "grasp"}]'
)
# The template the registry fills with {Question}: the example's braces escaped for str.format.
AFF_PROMPT = AFF_TEMPLATE.replace("{Answer}", AFF_EXAMPLE_ANSWER.replace("{", "{{").replace("}", "}}"))
AFF_REWARDS = ("aff_format", "aff_accuracy", "aff_non_repeat", "aff_box_num", "aff_recognition")
MASK_METRICS = {"fixed": "gIoU", "gIoU": "gIoU", "cIoU": "cIoU", "P@50": "P@50", "P@50:95": "P@50:95"}


def result_iou(result: dict) -> float:
    """A result's mask IoU: intersection / union, 0 when the union is empty (the seed's)."""
    union = result["union"]
    return result["intersection"] / union if union > 0 else 0.0


def mask_metric(key: str):
    """The dataset metric `key` of `metrics.affordance.mask_metrics`, x 100."""

    def metric(results: list[dict], **_) -> float:
        """The metric over the results' stored intersections and unions, x 100."""
        values = mask_metrics([r["intersection"] for r in results], [r["union"] for r in results])
        return values[key] * 100

    return metric


def p50_correct(result: dict, **_) -> bool:
    """A result is right when its mask IoU exceeds 0.5."""
    return result_iou(result) > 0.5


def _load(path: str, task: str = "affordance", split: str = "train", image_root=None, **_):
    """Affordance training samples of a folder or a jsonl."""
    return load_affordance(path, task, split, image_root)


AFFORDANCE = register_task(
    Task(
        name="affordance",
        prompts={
            "train": PromptTemplate(AFF_PROMPT, field="question"),
            "eval": PromptTemplate(AFF_PROMPT, field="question"),
            "question": PromptTemplate(AFF_QUESTION, field="question", thinking=False),
        },
        rewards={"accuracy": "aff_accuracy", "format": "aff_format"},
        other_rewards=("aff_non_repeat", "aff_box_num", "aff_recognition", "aff_syntax_share"),
        scorers={"fixed": p50_correct},
        dataset_metrics={name: mask_metric(key) for name, key in MASK_METRICS.items()},
        formats=(
            DataFormat("affordance jsonl", lambda p: p.endswith(".jsonl"), _load, ("aff", "umd", "agd")),
            DataFormat("affordance Hugging Face folder", is_hf_folder, _load, ("aff", "umd", "agd")),
        ),
        default_rewards=AFF_REWARDS,
        aliases=("reasonaff",),
    )
)
