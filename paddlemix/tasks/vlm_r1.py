"""VLM-R1's general jsonl (`grpo_jsonl.py`): any single- or multi-image question, scored by its record's method.

- data: VLM-R1's `--data_file_paths a.jsonl:b.jsonl --image_folders A:B --reward_method m1:m2`, or
  `--dataset_name` a YAML listing them (with `--task vlm_r1`: REC reads .yaml and .jsonl too); the records
  and what `problem` / `solution` are: `datasets/vlm_r1.py`. A record's `accu_reward_method` wins;
- prompt: by `--task_type`, VLM-R1's `get_question_template` word for word: `rec`, `ic`, `odLength`, and
  the default (`default`, `gui`, none). One user turn: every image in order, then the text;
- rewards: `accuracy` -> `vlm_r1_accuracy` (the record's method), `format` -> `think_format` (VLM-R1's
  `format_reward`), and `vlm_r1_length`, `vlm_r1_repetition`, each method alone (`rewards/vlm_r1.py`);
- scoring: a results file's `correct` is `vlm_r1_accuracy` >= 0.5 of each answer (`eval/evaluate_vlm_r1.py`
  reports each method's mean accuracy; VLM-R1 published no general-jsonl eval).
"""

from __future__ import annotations

import os

from paddlemix.config import ConfigError
from paddlemix.datasets.vlm_r1 import VlmR1Source, load_vlm_r1, parse_sources, read_sources_yaml
from paddlemix.errors import UserError
from paddlemix.metrics.llm_judge import JudgeError, LlmJudge
from paddlemix.tasks.ovd import OVD_TEMPLATE
from paddlemix.tasks.rec import REC_TEMPLATE
from paddlemix.tasks.registry import register_task
from paddlemix.tasks.task import DataFormat, PromptTemplate, Task

# VLM-R1 vlm_modules/qwen_module.py `get_question_template(task_type)`.
IC_TEMPLATE = (
    "{Question} First thinks about the reasoning process in the mind and then provides the user with the answer. "
    "The reasoning process and answer are enclosed within <think> </think> and <answer> </answer> tags, "
    "respectively, i.e., <think> reasoning process here </think><answer> json format answer here </answer>"
)
DEFAULT_TEMPLATE = (
    "{Question} First output the thinking process in <think> </think> tags and then output the final answer in "
    "<answer> </answer> tags."
)
TASK_TYPES = {
    "rec": REC_TEMPLATE,
    "ic": IC_TEMPLATE,
    "odLength": OVD_TEMPLATE,
    "default": DEFAULT_TEMPLATE,
    "gui": DEFAULT_TEMPLATE,
}
METHOD_REWARDS = tuple(f"vlm_r1_{m}" for m in ("mcq", "yes_no", "math", "all_match", "default", "llm"))
SUFFIXES = (".yaml", ".yml", ".jsonl")


def check_task_type(task_type: str | None) -> str:
    """The prompt mode of `--task_type` (None: default); a ConfigError listing the known ones otherwise."""
    task_type = task_type or "default"
    if task_type not in TASK_TYPES:
        raise ConfigError(f"--task_type {task_type!r} is unknown; known: {', '.join(TASK_TYPES)}")
    return task_type


def sources_of(
    dataset_name: str | None = None,
    data_file_paths: str | None = None,
    image_folders: str | None = None,
    reward_method: str | None = None,
    image_root: str | None = None,
) -> list[VlmR1Source]:
    """The files to read: VLM-R1's three flags, a YAML listing them, or one .jsonl under `image_root`."""
    if data_file_paths:
        if image_folders is None:
            raise ConfigError("--data_file_paths needs --image_folders (one folder per file, ':'-separated)")
        return parse_sources(data_file_paths, image_folders, reward_method)
    if dataset_name and dataset_name.endswith((".yaml", ".yml")):
        return read_sources_yaml(dataset_name)
    if dataset_name and dataset_name.endswith(".jsonl"):
        root = image_root if image_root is not None else os.path.dirname(os.path.abspath(dataset_name))
        return parse_sources(dataset_name, root, reward_method)
    raise ConfigError(f"VLM-R1 data is --data_file_paths, a data YAML or a .jsonl, got {dataset_name!r}")


def load_samples(
    sources: list[VlmR1Source],
    task_type: str | None = None,
    fields: dict | None = None,
    check: str = "exists",
):
    """The samples of `sources` with their prompt mode and `fields` (reward options); the judge checked first."""
    fields = {**(fields or {}), "prompt_mode": check_task_type(task_type)}
    dataset = load_vlm_r1(sources, fields=fields, check=check)
    if any(s["accu_reward_method"] == "llm" for s in dataset.samples):
        judge = fields.get("llm_judge") or {}
        if not judge.get("url"):
            raise ConfigError(
                "the data uses the accuracy method 'llm': pass --llm_judge_url (OpenAI-compatible)"
            )
        try:
            LlmJudge(**judge).check()
        except JudgeError as e:
            raise UserError(str(e), fix=e.fix or None) from None
    return dataset


def _load(path: str, image_root: str | None = None, **_):
    """A VLM-R1 data YAML or jsonl with VLM-R1's defaults (default prompt, no reward options)."""
    return load_samples(sources_of(path, image_root=image_root))


def correct(result: dict, **_) -> bool:
    """A results record's verdict: its `accuracy` (the record's method, as the eval scored it) >= 0.5."""
    return float(result["accuracy"]) >= 0.5


VLM_R1 = register_task(
    Task(
        name="vlm_r1",
        prompts={
            "train": PromptTemplate(DEFAULT_TEMPLATE),
            "eval": PromptTemplate(DEFAULT_TEMPLATE),
            **{name: PromptTemplate(template) for name, template in TASK_TYPES.items()},
        },
        rewards={"accuracy": "vlm_r1_accuracy", "format": "think_format"},
        other_rewards=("vlm_r1_length", "vlm_r1_repetition", *METHOD_REWARDS),
        scorers={"fixed": correct},
        formats=(
            DataFormat("VLM-R1 data yaml or jsonl", lambda p: p.endswith(SUFFIXES), _load, ("vlm_r1", "gui")),
        ),
    )
)
