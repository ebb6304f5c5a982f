r"""Affordance-R1's reward, one registered reward per term of its sum (`metrics.affordance` has the math).

| name              | range | term                                                                         |
|-------------------|-------|------------------------------------------------------------------------------|
| `aff_format`      | 0..4  | think / rethink / answer fullmatch + mean per-item field score              |
| `aff_accuracy`    | 0..3  | Hungarian matching: IoU > 0.65, mean L1 < 10 px, point < 30 px and in its box |
| `aff_non_repeat`  | 0/1   | no two repeated "."-sentences                                                |
| `aff_box_num`     | 0/1   | as many answer items as ground-truth objects                                 |
| `aff_recognition` | 0..1  | mean over answer items of similarity(item affordance, `aff_name`) > 0.8       |
| `aff_syntax_share`| 0..1  | shaping for smoke runs, not the seed's: share of tag / JSON / digit characters |

With all five at weight 1.0 the sum is the seed's reward (0..10), except for `aff_recognition`: the seed
passes the whole list of predicted affordances to word2vec and so only ever paid a one-item answer; here each
item is scored and the scores are averaged. Its similarity backend is the lexical fallback of
`metrics.word_similarity` unless the environment variable `PADDLEMIX_AFF_WORD2VEC` names a word2vec file
(then gensim loads it once); `recognition_reward(backend)` builds the reward around any other backend.

Fields: `solution`, the ground-truth objects (the seed's JSON string `[{"bbox_2d": [...], "point_2d":
[...]}, ...]` or a list, in the 840x840 frame); `aff_name` (recognition); the frame the model answers
in, `coord_frame` ("fixed840" or a `metrics.boxes` frame) or else `model_type` (the trainer passes it), with
`image_size` (w, h) and `image_grid_thw` / `input_size` to map the answer into the 840 frame (`answer_frame`).
A sample whose `task` does not use a reward gets None from it.
"""

from __future__ import annotations

import functools
import os

from paddlemix.metrics.affordance import (
    AFF_FRAME,
    accuracy_score,
    answer_items,
    box_count_score,
    format_score,
    items_to_aff_frame,
    non_repeat_score,
    solution_items,
)
from paddlemix.metrics.boxes import frame_for_model, resolve_input_size
from paddlemix.metrics.word_similarity import WordSimilarity, similarity_backend
from paddlemix.rewards.dispatch import applies
from paddlemix.rewards.registry import RewardFn, per_sample, register_reward

RECOGNITION_THRESHOLD = 0.8
VECTORS_ENV = "PADDLEMIX_AFF_WORD2VEC"


def _gt_items(solution) -> list:
    """The sample's ground-truth objects; a clear error for a solution that is not a list of objects."""
    items = solution_items(solution)
    if items is None:
        raise ValueError(f"an affordance solution is a JSON list of objects, got {str(solution)[:200]!r}")
    return items


def answer_frame(coord_frame=None, model_type=None) -> str:
    """The frame a completion's coordinates are in: `coord_frame`, else the model type's, else the 840 frame.

    With the seed's 840x840 images a Qwen2.5-VL model answers in input pixels that are the 840 frame already,
    so the mapping is the identity there; on any other image size it is what makes the answer comparable.
    """
    if coord_frame is not None:
        return coord_frame
    return frame_for_model(model_type).value if model_type is not None else AFF_FRAME


@register_reward("aff_format")
@per_sample
def aff_format(completion: str, task=None, **_) -> float | None:
    """0..4: the three-stage fullmatch (1) plus the mean per-item score of bbox_2d, point_2d, affordance."""
    return format_score(completion) if applies("aff_format", task) else None


@register_reward("aff_accuracy")
@per_sample
def aff_accuracy(
    completion: str,
    solution,
    task=None,
    coord_frame=None,
    model_type=None,
    image_size=None,
    image_grid_thw=None,
    input_size=None,
    **_,
) -> float | None:
    """0..3: Affordance-R1's Hungarian box/point accuracy, the answer mapped into the 840 frame first."""
    if not applies("aff_accuracy", task):
        return None
    gt = _gt_items(solution)
    pred = answer_items(completion)
    if pred is not None:
        frame = answer_frame(coord_frame, model_type)
        pred = items_to_aff_frame(pred, frame, image_size, resolve_input_size(input_size, image_grid_thw))
    return accuracy_score(pred, gt)


@register_reward("aff_non_repeat")
@per_sample
def aff_non_repeat(completion: str, task=None, **_) -> float | None:
    """1.0 unless the completion repeats two of its "."-separated sentences."""
    return non_repeat_score(completion) if applies("aff_non_repeat", task) else None


@register_reward("aff_box_num")
@per_sample
def aff_box_num(completion: str, solution, task=None, **_) -> float | None:
    """1.0 when the answer has as many items as the ground truth has objects."""
    if not applies("aff_box_num", task):
        return None
    return box_count_score(answer_items(completion), _gt_items(solution))


def recognition_score(completion: str, aff_name: str, backend: WordSimilarity) -> float:
    """Mean over answer items of similarity(item["affordance"], aff_name) > 0.8; 0.0 without items."""
    items = answer_items(completion)
    if not items:
        return 0.0
    hits = 0
    for item in items:
        word = item.get("affordance") if isinstance(item, dict) else None
        if isinstance(word, str) and backend.similarity(word, aff_name) > RECOGNITION_THRESHOLD:
            hits += 1
    return hits / len(items)


def recognition_reward(backend: WordSimilarity) -> RewardFn:
    """The `aff_recognition` reward around a given similarity backend (register it under your own name)."""

    @per_sample
    def aff_recognition(completion: str, aff_name=None, task=None, **_) -> float | None:
        """0..1: the share of answer items whose affordance matches the sample's `aff_name`."""
        if not applies("aff_recognition", task) or aff_name is None:
            return None
        return recognition_score(completion, str(aff_name), backend)

    return aff_recognition


@functools.lru_cache(maxsize=1)
def default_backend() -> WordSimilarity:
    """word2vec from $PADDLEMIX_AFF_WORD2VEC when set (loaded once), else the lexical fallback."""
    return similarity_backend(os.environ.get(VECTORS_ENV) or None)


@register_reward("aff_recognition")
def aff_recognition(completions: list[str], **columns) -> list[float | None]:
    """0..1: the share of answer items whose affordance matches `aff_name` (backend: `default_backend`)."""
    return recognition_reward(default_backend())(completions, **columns)


_SYNTAX_CHARS = frozenset('<>/[]{}":,0123456789')


@register_reward("aff_syntax_share")
@per_sample
def aff_syntax_share(completion: str, task=None, **_) -> float | None:
    """Share of the completion's characters that the answer format is made of (tags, JSON, digits).

    A dense shaping signal for tiny random smoke-run models, like `digit_share` for counting: the five terms
    of the seed's sum are all but constant for a model that never writes a tag. Not part of the seed's reward.
    """
    if not applies("aff_syntax_share", task):
        return None
    text = completion.strip()
    return sum(c in _SYNTAX_CHARS for c in text) / len(text) if text else 0.0
