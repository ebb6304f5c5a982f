"""The seed's prompt templates, word for word, and the chat `messages` built from them.

Every prompt the toolkit shows a model comes from this file. The strings are copied from the seed scripts
named beside each one; `tests/datasets/test_templates.py` pins them against independent copies. Do not
"fix" their spacing or grammar: the published numbers were produced with exactly these bytes (R1-V's
training template really has two spaces before "Output").

A message list has the shape the processors' chat template renders:
`[{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": ...}]}]`.
"""

from __future__ import annotations

# VLM-R1 `src/open-r1-multimodal/src/open_r1/grpo_rec.py` (QUESTION_TEMPLATE), PaddleMIX
# `paddlemix/examples/r1_mllm/r1_mllm/dataset/qwen2_vl_dataset.py` and the "r1" method of PaddleMIX
# `paddlemix/examples/r1_mllm/eval/test_rec.py`: REC training and R1 evaluation.
REC_TEMPLATE = (
    "{Question} First output the thinking process in <think> </think> tags and then output the final answer "
    "in <answer> </answer> tags. Output the final answer in JSON format."
)

# PaddleMIX `paddlemix/examples/r1_mllm/eval/test_rec.py`, `get_test_template("baseline")`, filled with the
# record's `normal_caption` (the bare referring expression), not its `problem`.
REC_BASELINE_TEMPLATE = "Locate {Question}, output its bbox coordinates using JSON format."

# R1-V `src/r1-v/src/open_r1/grpo.py` and PaddleMIX `paddlemix/examples/r1_mllm/train/grpo_r1-v.py`:
# counting and geometry training. Two spaces before "Output", as in the seed.
R1V_TEMPLATE = "{Question}  Output the thinking process in <think> </think> and final answer (number) in <answer> </answer> tags."

# R1-V `src/eval/test_qwen2vl_counting_superclevr.py` (and PaddleMIX `eval/test_r1-v.py`, which uses it for
# both tasks): SuperCLEVR counting evaluation.
R1V_COUNTING_EVAL_TEMPLATE = (
    "{Question} First output the thinking process in <think> </think> and final answer (number) in "
    "<answer> </answer> tags."
)

# R1-V `src/eval/test_qwen2vl_geoqa.py`: GeoQA evaluation. One space, no "First".
R1V_GEOQA_EVAL_TEMPLATE = "{Question} Output the thinking process in <think> </think> and final answer (number) in <answer> </answer> tags."

# R1-V `src/r1-v/src/open_r1/grpo.py` SYSTEM_PROMPT. R1-V sends it only with text-only samples (no image
# column); every task here has an image, so no message builder below uses it.
R1V_SYSTEM_PROMPT = (
    "A conversation between User and Assistant. The user asks a question, and the Assistant solves it. The assistant "
    "first thinks about the reasoning process in the mind and then provides the user with the answer. The reasoning "
    "process and answer are enclosed within <think> </think> and <answer> </answer> tags, respectively, i.e., "
    "<think> reasoning process here </think><answer> answer here </answer>"
)

TASKS = ("rec", "counting", "geometry")

# (task, mode) -> (template, sample field that fills {Question}).
_PROMPTS = {
    ("rec", "train"): (REC_TEMPLATE, "problem"),
    ("rec", "eval"): (REC_TEMPLATE, "problem"),
    ("rec", "baseline"): (REC_BASELINE_TEMPLATE, "normal_caption"),
    ("counting", "train"): (R1V_TEMPLATE, "problem"),
    ("counting", "eval"): (R1V_COUNTING_EVAL_TEMPLATE, "problem"),
    ("geometry", "train"): (R1V_TEMPLATE, "problem"),
    ("geometry", "eval"): (R1V_GEOQA_EVAL_TEMPLATE, "problem"),
}
MODES = ("train", "eval", "baseline")


def build_messages(text: str) -> list[dict]:
    """One user turn holding one image and `text`: the message list every task sends."""
    return [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": text}]}]


def prompt_template(task: str, mode: str = "train") -> str:
    """The seed's template for a task ("rec" | "counting" | "geometry") and mode ("train" | "eval" | "baseline")."""
    return _lookup(task, mode)[0]


def prompt_text(sample: dict, mode: str = "train") -> str:
    """The prompt text for a sample dict (keys `task`, `problem`, and `normal_caption` for the REC baseline)."""
    template, field = _lookup(sample["task"], mode)
    question = sample.get(field)
    if question is None:
        raise KeyError(
            f"a {sample['task']!r} sample needs {field!r} for mode {mode!r}; it has {sorted(sample)}"
            + (
                " (the REC baseline prompt is filled with the record's normal_caption)"
                if field != "problem"
                else ""
            )
        )
    return template.format(Question=question)


def sample_messages(sample: dict, mode: str = "train") -> list[dict]:
    """The chat messages for a sample dict: `build_messages(prompt_text(sample, mode))`."""
    return build_messages(prompt_text(sample, mode))


def rec_messages(problem: str) -> list[dict]:
    """Messages for a REC sample (training and R1 evaluation): VLM-R1's template around `problem`."""
    return build_messages(REC_TEMPLATE.format(Question=problem))


def rec_baseline_messages(normal_caption: str) -> list[dict]:
    """Messages for the REC baseline evaluation, filled with the bare referring expression."""
    return build_messages(REC_BASELINE_TEMPLATE.format(Question=normal_caption))


def r1v_messages(problem: str) -> list[dict]:
    """Messages for counting / geometry training: R1-V's template (two spaces before "Output")."""
    return build_messages(R1V_TEMPLATE.format(Question=problem))


def counting_eval_messages(question: str) -> list[dict]:
    """Messages for SuperCLEVR counting evaluation, as R1-V's counting eval script builds them."""
    return build_messages(R1V_COUNTING_EVAL_TEMPLATE.format(Question=question))


def geoqa_eval_messages(question: str) -> list[dict]:
    """Messages for GeoQA evaluation, as R1-V's GeoQA eval script builds them."""
    return build_messages(R1V_GEOQA_EVAL_TEMPLATE.format(Question=question))


def _lookup(task: str, mode: str) -> tuple[str, str]:
    """The (template, field) pair for a task and mode; unknown pairs list the known ones."""
    if (task, mode) not in _PROMPTS:
        known = ", ".join(f"{t}/{m}" for t, m in _PROMPTS)
        raise ValueError(f"no prompt for task {task!r} in mode {mode!r}; known task/mode pairs: {known}")
    return _PROMPTS[(task, mode)]
