"""OCR text metrics: normalised character edit distance, token-set precision / recall / F1, BLEU, METEOR.

Perception-R1's `eval/evaluate_ocr.py` (the Fox benchmark's `cal_per_metrics`) scores each sample as
- `edit_dist = nltk.edit_distance(pred, gt) / max(len(pred), len(gt))`: character Levenshtein (insert, delete,
  substitute, each cost 1), divided by the longer string;
- tokens: `jieba.lcut(text)` when either string holds a character in [\\u4e00-\\u9fa5], else `text.split()`;
- `bleu = nltk.translate.bleu([ref_tokens], hyp_tokens)`: sentence BLEU, weights (0.25,) * 4, no smoothing;
- `meteor = meteor_score([ref_tokens], hyp_tokens)`, which needs nltk's WordNet data;
- precision / recall / F on the token *sets* (`nltk.metrics.precision(ref_set, hyp_set)`, ...),
and averages each over the samples. Here:
- edit distance is rapidfuzz's Levenshtein (the same number as nltk's, in C, bit-parallel), so a
  2,000-character page takes microseconds, not nltk's pure-Python O(n*m) loop;
- BLEU is nltk's when nltk is installed and otherwise `bleu_reference`, a transcription of nltk's
  `sentence_bleu` (checked against nltk in tests/metrics/test_text.py);
- METEOR is None ("unavailable") when nltk or its WordNet data is missing, never an error;
- without jieba, CJK text is split into single CJK characters and non-CJK words (`tokenizer_name` says
  so): the numbers are then not comparable with Perception-R1's zh figures. `pip install jieba` (extra "ocr").

Empty strings, where the seed divides by zero or nltk returns None:
- edit distance: both empty -> 0.0 (identical); one empty -> 1.0;
- precision / recall / F1: both token sets empty -> 1.0; only one empty -> 0.0;
- BLEU: 0.0 whenever either side has no tokens (nltk's own answer).
Inputs are cut to `MAX_CHARS` characters so that one runaway completion cannot stall a batch.
"""

from __future__ import annotations

import functools
import logging
import math
import re
import sys
import warnings
from collections import Counter
from collections.abc import Sequence

from rapidfuzz.distance import Levenshtein

MAX_CHARS = 100_000  # per string; a page of OCR is a few thousand characters
CJK = re.compile(r"[\u4e00-\u9fa5]")  # the seed's test for "Chinese text"
_CJK_OR_WORD = re.compile(r"[\u4e00-\u9fa5]|[^\s\u4e00-\u9fa5]+")
_END_TOKENS = re.compile(r"(?:<\|im_end\|>|<\|endoftext\|>)+\s*$")
BLEU_WEIGHTS = (0.25, 0.25, 0.25, 0.25)


@functools.cache
def _optional(name: str):
    """The module `name`, or None when it is not installed (looked up once)."""
    try:
        return __import__(name)
    except ImportError:
        return None


_jieba = _optional("jieba")
if _jieba is not None:
    _jieba.setLogLevel(logging.WARNING)  # it prints its dictionary loading at INFO on first use


def ocr_text(completion: str) -> str:
    """The text a completion reads out: trailing Qwen end tokens and surrounding whitespace removed."""
    return _END_TOKENS.sub("", completion[:MAX_CHARS]).strip()


def edit_distance(pred: str, gt: str) -> int:
    """Character Levenshtein distance (unit costs), as `nltk.edit_distance(pred, gt)`."""
    return Levenshtein.distance(pred[:MAX_CHARS], gt[:MAX_CHARS])


def normalized_edit_distance(pred: str, gt: str) -> float:
    """edit_distance / max(len(pred), len(gt)) in [0, 1]; 0.0 when both are empty."""
    pred, gt = pred[:MAX_CHARS], gt[:MAX_CHARS]
    longest = max(len(pred), len(gt))
    return Levenshtein.distance(pred, gt) / longest if longest else 0.0


def has_cjk(text: str) -> bool:
    """Whether `text` holds a CJK ideograph in the seed's range [\\u4e00-\\u9fa5]."""
    return CJK.search(text) is not None


def tokenizer_name(cjk: bool) -> str:
    """Which tokenizer `tokenize` uses for CJK (or non-CJK) text here."""
    if not cjk:
        return "whitespace"
    return "jieba" if _jieba is not None else "cjk-chars (jieba not installed: not comparable)"


def tokenize(text: str, cjk: bool | None = None) -> list[str]:
    """The seed's tokens: `jieba.lcut` for CJK text (`cjk`, default: detected), else `str.split()`."""
    text = text[:MAX_CHARS]
    if cjk is None:
        cjk = has_cjk(text)
    if not cjk:
        return text.split()
    if _jieba is not None:
        return _jieba.lcut(text)
    return _CJK_OR_WORD.findall(text)


def token_set_scores(pred_tokens: Sequence[str], gt_tokens: Sequence[str]) -> dict[str, float]:
    """precision, recall and f_measure of the predicted token set against the ground-truth set."""
    pred_set, gt_set = set(pred_tokens), set(gt_tokens)
    if not pred_set and not gt_set:
        return {"precision": 1.0, "recall": 1.0, "f_measure": 1.0}
    if not pred_set or not gt_set:
        return {"precision": 0.0, "recall": 0.0, "f_measure": 0.0}
    hits = len(pred_set & gt_set)
    precision, recall = hits / len(pred_set), hits / len(gt_set)
    # nltk's f_measure with alpha 0.5: 1 / (0.5 / p + 0.5 / r), and 0 when either is 0.
    f = 0.0 if hits == 0 else 1.0 / (0.5 / precision + 0.5 / recall)
    return {"precision": precision, "recall": recall, "f_measure": f}


def bleu(pred_tokens: Sequence[str], gt_tokens: Sequence[str]) -> float:
    """Sentence BLEU of the prediction against the one reference, as `nltk.translate.bleu([gt], pred)`."""
    nltk_bleu = _nltk_bleu()
    if nltk_bleu is None:
        return bleu_reference(pred_tokens, gt_tokens)
    with warnings.catch_warnings():
        # nltk warns for every sentence lacking some n-gram order; the score already says it.
        warnings.simplefilter("ignore")
        return float(nltk_bleu([list(gt_tokens)], list(pred_tokens)))


def bleu_reference(pred_tokens: Sequence[str], gt_tokens: Sequence[str]) -> float:
    """nltk's `sentence_bleu` without nltk: clipped n-gram precisions 1-4, brevity penalty, no smoothing.

    As in nltk, no unigram match gives 0.0, and an n-gram order with no match counts as
    precision sys.float_info.min (about 1e-77 overall for a short exact answer) instead of zeroing the score.
    """
    hyp, ref = list(pred_tokens), list(gt_tokens)
    precisions = []
    for n in range(1, len(BLEU_WEIGHTS) + 1):
        hyp_ngrams = Counter(tuple(hyp[i : i + n]) for i in range(len(hyp) - n + 1))
        ref_ngrams = Counter(tuple(ref[i : i + n]) for i in range(len(ref) - n + 1))
        matched = sum(min(count, ref_ngrams[gram]) for gram, count in hyp_ngrams.items())
        precisions.append((matched, max(1, sum(hyp_ngrams.values()))))
    if precisions[0][0] == 0:
        return 0.0
    if len(hyp) > len(ref):
        penalty = 1.0
    elif not hyp:
        penalty = 0.0
    else:
        penalty = math.exp(1 - len(ref) / len(hyp))
    logs = (
        w * math.log(num / den if num else sys.float_info.min)
        for w, (num, den) in zip(BLEU_WEIGHTS, precisions)
    )
    return penalty * math.exp(math.fsum(logs))


def meteor(pred_tokens: Sequence[str], gt_tokens: Sequence[str]) -> float | None:
    """nltk's METEOR of the prediction against the one reference; None when nltk or WordNet is missing."""
    if not meteor_available():
        return None
    from nltk.translate.meteor_score import meteor_score

    return float(meteor_score([list(gt_tokens)], list(pred_tokens)))


_METEOR_STATE: dict[str, bool] = {}


def meteor_available() -> bool:
    """Whether METEOR can be computed here: nltk with its WordNet corpus (`nltk.download('wordnet')`)."""
    if "ok" not in _METEOR_STATE:
        ok = False
        if _optional("nltk") is not None:
            from nltk.corpus import wordnet

            try:
                wordnet.ensure_loaded()
                ok = True
            except LookupError:
                ok = False
        _METEOR_STATE["ok"] = ok
    return _METEOR_STATE["ok"]


def _nltk_bleu():
    """nltk's sentence BLEU function, or None without nltk."""
    if _optional("nltk") is None:
        return None
    from nltk.translate.bleu_score import sentence_bleu

    return sentence_bleu


def ocr_metrics(pred: str, gt: str) -> dict:
    """Perception-R1's per-sample OCR metrics of one prediction (see the module docstring for each)."""
    cjk = has_cjk(gt[:MAX_CHARS]) or has_cjk(pred[:MAX_CHARS])
    pred_tokens, gt_tokens = tokenize(pred, cjk), tokenize(gt, cjk)
    return {
        "edit_dist": normalized_edit_distance(pred, gt),
        **token_set_scores(pred_tokens, gt_tokens),
        "bleu": bleu(pred_tokens, gt_tokens),
        "meteor": meteor(pred_tokens, gt_tokens),
        "tokenizer": tokenizer_name(cjk),
    }


def mean_ocr_metrics(rows: Sequence[dict]) -> dict:
    """The mean of each per-sample metric over `rows`; METEOR is "unavailable" when any row lacks it."""
    keys = ("edit_dist", "precision", "recall", "f_measure", "bleu")
    if not rows:
        return {"n": 0, **dict.fromkeys(keys), "meteor": None}
    summary: dict = {"n": len(rows)}
    for key in keys:
        summary[key] = math.fsum(float(r[key]) for r in rows) / len(rows)
    meteors = [r.get("meteor") for r in rows]
    summary["meteor"] = (
        "unavailable" if any(m is None for m in meteors) else math.fsum(meteors) / len(meteors)
    )
    summary["tokenizers"] = sorted({r.get("tokenizer", "whitespace") for r in rows})
    return summary
