"""Reward red team: degenerate completions that must not score above a plain wrong answer.

For each task of the training set (one real sample of it) and each configured reward, the reward scores a
well-formed wrong answer (the sample's answer with every number moved by 97, or a tiny box in the corner)
and then each case below. A case that scores more than the wrong answer is reward hacking waiting to happen
(Visual-RFT #176: an empty `<answer></answer>` scored 1); the preflight warns, naming the reward, the case
and the score, and `--strict` makes it an error. A reward that raises on a case is reported the same way.

Cases: empty answer, empty tags, "A or B" (the right answer hedged with a wrong one), the whole-image box,
20 duplicate whole-image boxes, boxes outside the image, repeated think/answer blocks (wrong, then right),
format-only text, `<think>` already in the prompt (the completion starts inside it), and 20k characters of
thinking before a wrong answer. Boxes are written in the model's frame (Qwen2-VL 0-1000, Qwen2.5-VL pixels
of the resized input), as the rewards read them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass

from paddlemix.metrics.answers import extract_answer
from paddlemix.processors.image_processor import smart_resize

THINK = "<think>I look at the image and reason about it.</think>"
# Above the wrong answer by more than this is a finding; dense shaping rewards (digit_share) move by less.
MARGIN = 0.01
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


@dataclass(frozen=True)
class Finding:
    """A case that scored above the wrong answer (or raised)."""

    task: str
    reward: str
    case: str
    score: float | None  # None: the reward raised
    wrong: float
    error: str = ""

    def line(self) -> str:
        """One line naming the reward, the case and the score."""
        got = (
            f"raised {self.error}"
            if self.score is None
            else f"scored {self.score:g} > wrong answer {self.wrong:g}"
        )
        return f"reward {self.reward!r} ({self.task}), case {self.case!r}: {got}"


def _frame_box(box, size, model_type: str, min_pixels: int, max_pixels: int) -> list[int]:
    """An original-pixel box written in the model's frame."""
    w, h = size
    if model_type == "qwen2_5_vl":
        rh, rw = smart_resize(h, w, factor=28, min_pixels=min_pixels, max_pixels=max_pixels)
        sx, sy = rw / w, rh / h
    else:
        sx, sy = 1000 / w, 1000 / h
    return [round(box[0] * sx), round(box[1] * sy), round(box[2] * sx), round(box[3] * sy)]


def _box_answer(boxes: list[list[int]]) -> str:
    return json.dumps([{"bbox_2d": b, "label": "object"} for b in boxes])


def answers(sample: dict, size, model_type: str, min_pixels: int, max_pixels: int) -> tuple[str, str]:
    """(right, wrong) answer texts (the `<answer>` contents) for a sample."""
    solution = sample.get("solution")
    w, h = size
    if isinstance(solution, (list, tuple)) and len(solution) == 4:
        right = _box_answer([_frame_box(solution, size, model_type, min_pixels, max_pixels)])
        corner = [0, 0, max(1, w // 20), max(1, h // 20)]
        if solution[0] < w / 2 and solution[1] < h / 2:
            corner = [w - max(1, w // 20), h - max(1, h // 20), w, h]
        return right, _box_answer([_frame_box(corner, size, model_type, min_pixels, max_pixels)])
    text = str(solution)
    right = extract_answer(text)
    right = text if right is None else right.strip()
    wrong = _NUMBER.sub(lambda m: str(int(float(m.group()) + 97)), right)
    return right, (wrong if wrong != right else "zzq")


def cases(right: str, wrong: str, size, model_type: str, min_pixels: int, max_pixels: int) -> dict[str, str]:
    """The degenerate completions, by case name (see the module docstring)."""
    w, h = size
    whole = _frame_box([0, 0, w, h], size, model_type, min_pixels, max_pixels)
    outside = _frame_box([2 * w, 2 * h, 3 * w, 3 * h], size, model_type, min_pixels, max_pixels)
    return {
        "empty answer": f"{THINK}<answer></answer>",
        "empty tags": "<think></think><answer></answer>",
        "A or B": f"{THINK}<answer>{right} or {wrong}</answer>",
        "whole-image box": f"{THINK}<answer>{_box_answer([whole])}</answer>",
        "20 duplicate boxes": f"{THINK}<answer>{_box_answer([whole] * 20)}</answer>",
        "boxes outside the image": f"{THINK}<answer>{_box_answer([outside, [-50, -50, -1, -1]])}</answer>",
        "repeated think/answer": f"{THINK}<answer>{wrong}</answer>{THINK}<answer>{right}</answer>",
        "format only": "<think>...</think><answer>...</answer>",
        "<think> in the prompt": f"I look at the image.</think><answer>{wrong}</answer>",
        "20k characters": "<think>" + "a " * 10_000 + f"</think><answer>{wrong}</answer>",
    }


def _score(fn, completion: str, columns: dict) -> float | None:
    out = fn([completion], **{k: [v] for k, v in columns.items()})
    return out[0]


def red_team(
    funcs: Mapping,
    samples: Mapping[str, dict],
    model_type: str,
    min_pixels: int,
    max_pixels: int,
    image_sizes: Mapping[str, tuple],
) -> list[Finding]:
    """Findings of every configured reward on every case, one sample per task (`samples`: task -> sample)."""
    findings = []
    for task, sample in samples.items():
        size = image_sizes[task]
        rh, rw = smart_resize(size[1], size[0], factor=28, min_pixels=min_pixels, max_pixels=max_pixels)
        columns = {
            **sample,
            "image_size": list(size),
            "image_grid_thw": [1, rh // 14, rw // 14],
            "model_type": model_type,
        }
        right, wrong = answers(sample, size, model_type, min_pixels, max_pixels)
        for name, fn in funcs.items():
            try:
                base = _score(fn, f"{THINK}<answer>{wrong}</answer>", columns)
            except Exception as e:  # the reward's own bug: reported, not fatal to the preflight
                findings.append(Finding(task, name, "wrong answer", None, 0.0, f"{type(e).__name__}: {e}"))
                continue
            if base is None:
                continue  # the reward does not score this task
            for case, completion in cases(right, wrong, size, model_type, min_pixels, max_pixels).items():
                try:
                    score = _score(fn, completion, columns)
                except Exception as e:
                    findings.append(Finding(task, name, case, None, base, f"{type(e).__name__}: {e}"))
                    continue
                if score is not None and score > base + MARGIN:
                    findings.append(Finding(task, name, case, float(score), float(base)))
    return findings
