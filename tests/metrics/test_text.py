"""OCR text metrics (metrics/text.py) against naive re-implementations of Perception-R1's per-sample formulas."""

from __future__ import annotations

import random
import string

import pytest

from paddlemix.metrics import text


def naive_levenshtein(a: str, b: str) -> int:
    """The textbook O(n*m) dynamic programme (what nltk.edit_distance computes)."""
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def random_pair(rng: random.Random, n: int) -> tuple[str, str]:
    """A random string and a copy with random edits."""
    a = "".join(rng.choice(string.ascii_lowercase + " ") for _ in range(n))
    b = list(a)
    for _ in range(rng.randint(0, n // 3 + 1)):
        op = rng.random()
        i = rng.randrange(len(b) + 1)
        if op < 0.33 and b:
            del b[min(i, len(b) - 1)]
        elif op < 0.66:
            b.insert(i, rng.choice(string.ascii_lowercase))
        elif b:
            b[min(i, len(b) - 1)] = rng.choice(string.ascii_lowercase)
    return a, "".join(b)


def test_edit_distance_matches_the_dynamic_programme():
    rng = random.Random(0)
    for _ in range(200):
        a, b = random_pair(rng, rng.randint(0, 40))
        assert text.edit_distance(a, b) == naive_levenshtein(a, b)
        if a or b:
            assert text.normalized_edit_distance(a, b) == naive_levenshtein(a, b) / max(len(a), len(b))


@pytest.mark.parametrize(
    "pred, gt, expected",
    [
        ("", "", 0.0),  # both empty: identical (the seed divides by zero)
        ("", "abc", 1.0),  # nothing read
        ("abc", "", 1.0),  # text where there is none
        ("kitten", "sitting", 3 / 7),  # the classic example
        ("你好世界", "你好", 0.5),  # characters, not bytes
    ],
)
def test_normalized_edit_distance_cases(pred, gt, expected):
    assert text.normalized_edit_distance(pred, gt) == pytest.approx(expected)


def test_tokenize_whitespace_and_cjk():
    assert text.tokenize("a  b\nc") == ["a", "b", "c"]
    tokens = text.tokenize("你好世界 ok")
    assert "".join(tokens).replace(" ", "") == "你好世界ok"  # jieba keeps spaces as tokens, as the seed saw
    assert text.tokenizer_name(False) == "whitespace"


def test_cjk_fallback_without_jieba(monkeypatch):
    monkeypatch.setattr(text, "_jieba", None)
    assert text.tokenize("你好 world") == ["你", "好", "world"]
    assert "not comparable" in text.tokenizer_name(True)


@pytest.mark.parametrize(
    "pred, gt, p, r, f",
    [
        ("a b c", "a b c", 1.0, 1.0, 1.0),
        ("a b", "a b c d", 1.0, 0.5, 2 / 3),
        ("a a a x", "a b", 0.5, 0.5, 0.5),  # sets: duplicates count once
        ("x y", "a b", 0.0, 0.0, 0.0),
        ("", "", 1.0, 1.0, 1.0),  # nltk: None; both empty is a perfect read-out of nothing
        ("", "a", 0.0, 0.0, 0.0),  # nltk: precision None
        ("a", "", 0.0, 0.0, 0.0),  # nltk: recall None
    ],
)
def test_token_set_scores(pred, gt, p, r, f):
    scores = text.token_set_scores(pred.split(), gt.split())
    assert scores == {
        "precision": pytest.approx(p),
        "recall": pytest.approx(r),
        "f_measure": pytest.approx(f),
    }


def test_token_set_scores_match_nltk():
    metrics = pytest.importorskip("nltk.metrics")
    rng = random.Random(1)
    for _ in range(50):
        a = [rng.choice("abcdef") for _ in range(rng.randint(1, 8))]
        b = [rng.choice("abcdef") for _ in range(rng.randint(1, 8))]
        ours = text.token_set_scores(a, b)
        assert ours["precision"] == pytest.approx(metrics.precision(set(b), set(a)))
        assert ours["recall"] == pytest.approx(metrics.recall(set(b), set(a)))
        assert ours["f_measure"] == pytest.approx(metrics.f_measure(set(b), set(a)))


BLEU_CASES = [
    ("the cat sat on the mat", "the cat sat on the mat"),
    ("the cat sat on a mat", "the cat sat on the mat"),  # some 4-grams missing
    ("the cat", "the cat sat on the mat"),  # short: brevity penalty and no 3-/4-grams (~1e-77, nltk's)
    ("dog", "the cat"),  # no unigram in common: exactly 0
    ("", "the cat"),  # empty hypothesis
    ("the cat", ""),  # empty reference
    ("a a a a a a", "a a b"),  # clipped counts
]


@pytest.mark.parametrize("pred, gt", BLEU_CASES)
def test_bleu_reference_equals_nltk(pred, gt):
    bleu_score = pytest.importorskip("nltk.translate.bleu_score")
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = bleu_score.sentence_bleu([gt.split()], pred.split())
    assert text.bleu_reference(pred.split(), gt.split()) == pytest.approx(expected, rel=1e-12, abs=0)
    assert text.bleu(pred.split(), gt.split()) == pytest.approx(expected, rel=1e-12, abs=0)


def test_bleu_reference_on_random_sentences_equals_nltk():
    bleu_score = pytest.importorskip("nltk.translate.bleu_score")
    import warnings

    rng = random.Random(2)
    for _ in range(100):
        hyp = [rng.choice("abcde") for _ in range(rng.randint(0, 12))]
        ref = [rng.choice("abcde") for _ in range(rng.randint(0, 12))]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            expected = bleu_score.sentence_bleu([ref], hyp)
        assert text.bleu_reference(hyp, ref) == pytest.approx(expected, rel=1e-12, abs=0)


def test_bleu_without_nltk_uses_the_reference(monkeypatch):
    monkeypatch.setattr(text, "_nltk_bleu", lambda: None)
    assert text.bleu("a b c d".split(), "a b c d".split()) == pytest.approx(1.0)


def test_meteor_unavailable_is_none_not_an_error(monkeypatch):
    monkeypatch.setattr(text, "_METEOR_STATE", {"ok": False})
    row = text.ocr_metrics("the cat", "a dog")
    assert row["meteor"] is None
    assert text.mean_ocr_metrics([row])["meteor"] == "unavailable"


def test_meteor_when_wordnet_is_installed():
    if not text.meteor_available():
        pytest.skip("nltk WordNet data not installed")
    assert text.meteor(["a", "b"], ["a", "b"]) > 0.9


def test_ocr_metrics_and_mean():
    rows = [text.ocr_metrics("hello world", "hello world"), text.ocr_metrics("", "hello")]
    assert rows[0]["edit_dist"] == 0.0 and rows[0]["f_measure"] == 1.0
    assert rows[1]["edit_dist"] == 1.0 and rows[1]["bleu"] == 0.0
    summary = text.mean_ocr_metrics(rows)
    assert summary["n"] == 2 and summary["edit_dist"] == pytest.approx(0.5)
    assert summary["f_measure"] == pytest.approx(0.5)
    assert text.mean_ocr_metrics([])["n"] == 0


def test_ocr_text_strips_end_tokens():
    assert text.ocr_text("  some text<|im_end|>\n") == "some text"
    assert text.ocr_text("a<|endoftext|><|endoftext|>") == "a"


def test_page_length_inputs_are_fast_and_bounded():
    rng = random.Random(3)
    page = "".join(rng.choice(string.ascii_letters + " ") for _ in range(2000))
    noisy = page[:1500] + page[1600:] + "x" * 50
    assert text.edit_distance(noisy, page) <= 150
    huge = "y" * (text.MAX_CHARS * 2)
    assert text.normalized_edit_distance(huge, "") == 1.0  # cut to MAX_CHARS, still defined
