"""OCR rewards: how close the text a completion reads out is to the ground-truth text.

Perception-R1 trains OCR but never released its OCR reward (its README TODO; issues #6 and #19), so these
are our own design, built on the metrics of its OCR eval (`metrics.text`):
- `ocr_edit_distance`: 1 - normalised character edit distance, in [0, 1]; 1.0 for an exact read-out.
- `ocr_f1`: F1 of the predicted token set against the ground-truth token set (whitespace words, or jieba
  words when either text holds CJK).
The read-out is the completion's `<answer>` contents when it uses tags, else the whole completion, with
trailing end tokens and surrounding whitespace removed; an unfinished tag protocol reads as empty text.
Fields: `solution`, the ground-truth text (the loaders put Perception-R1's `conversations[1].value` there).
A sample whose `task` does not use these rewards gets None. Empty texts are defined cases (`metrics.text`): both empty scores 1.0, one empty scores 0.0.
"""

from __future__ import annotations

from paddlemix.metrics.answers import final_answer
from paddlemix.metrics.text import has_cjk, normalized_edit_distance, ocr_text, token_set_scores, tokenize
from paddlemix.rewards.dispatch import applies
from paddlemix.rewards.registry import per_sample, register_reward


def read_out(completion: str) -> str:
    """The text a completion answers with (see the module docstring)."""
    return ocr_text(final_answer(ocr_text(completion)) or "")


@register_reward("ocr_edit_distance")
@per_sample
def ocr_edit_distance(completion: str, solution, task=None, **_) -> float | None:
    """1 - edit_distance / max(len(prediction), len(ground truth)); our own design, not Perception-R1's."""
    if not applies("ocr_edit_distance", task):
        return None
    return 1.0 - normalized_edit_distance(read_out(completion), ocr_text(str(solution)))


@register_reward("ocr_f1")
@per_sample
def ocr_f1(completion: str, solution, task=None, **_) -> float | None:
    """F1 of the predicted token set against the ground truth's; our own design, not Perception-R1's."""
    if not applies("ocr_f1", task):
        return None
    pred, gt = read_out(completion), ocr_text(str(solution))
    cjk = has_cjk(pred) or has_cjk(gt)
    return token_set_scores(tokenize(pred, cjk), tokenize(gt, cjk))["f_measure"]
