"""The chat messages a model is shown for a sample: its task's prompt template, word for word, with its image.

The template strings live in each task's file, copied from the seed scripts named beside them;
`tests/tasks/test_prompts.py` pins them against independent copies. Do not "fix" their spacing or grammar:
the published numbers were produced with exactly these bytes (R1-V's training template really has two spaces
before "Output").

A message list has the shape the processors' chat template renders:
`[{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": ...}]}]`.
"""

from __future__ import annotations

from paddlemix.tasks.registry import get_task, task_of


def build_messages(text: str, n_images: int = 1) -> list[dict]:
    """One user turn holding `n_images` images then `text` (VLM-R1's multi-image layout): what every task sends."""
    return [
        {
            "role": "user",
            "content": [*({"type": "image"} for _ in range(n_images)), {"type": "text", "text": text}],
        }
    ]


def prompt_template(task: str, mode: str = "train") -> str:
    """The template of a task in a mode ("train" | "eval" | "baseline" where the task has one)."""
    return get_task(task).prompt(mode).template


def prompt_text(sample: dict, mode: str = "train") -> str:
    """The prompt text for a sample (its `task`, and the field its template reads: `problem`, ...)."""
    task = task_of(sample)
    # A sample may name its own prompt (VLM-R1's --task_type); it wins over the train and eval defaults.
    if mode in ("train", "eval") and sample.get("prompt_mode"):
        mode = sample["prompt_mode"]
    prompt = task.prompt(mode)
    question = sample.get(prompt.field)
    if question is None:
        raise KeyError(
            f"a {task.name!r} sample needs {prompt.field!r} for mode {mode!r}; it has {sorted(sample)}"
            + (
                " (the REC baseline prompt is filled with the record's normal_caption)"
                if prompt.field != "problem"
                else ""
            )
        )
    return prompt.template.format(Question=question)


def sample_messages(sample: dict, mode: str = "train") -> list[dict]:
    """The chat messages for a sample: its prompt text after its images (`images` if several, else `image`)."""
    return build_messages(prompt_text(sample, mode), len(sample.get("images") or [None]))
