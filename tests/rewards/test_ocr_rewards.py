"""OCR rewards (rewards/ocr.py): our own design on Perception-R1's eval metrics, as tables of cases."""

from __future__ import annotations

import pytest

from paddlemix.rewards import build_rewards, compute_rewards, get_reward

GT = "Hello world 2024"

OCR_CASES = [
    # (completion, solution, ocr_edit_distance, ocr_f1)
    # exact read-out
    ("Hello world 2024", GT, 1.0, 1.0),
    # surrounding whitespace and Qwen's end token do not count
    ("  Hello world 2024\n<|im_end|>", GT, 1.0, 1.0),
    # the same text inside answer tags
    ("<think>reading</think><answer>Hello world 2024</answer>", GT, 1.0, 1.0),
    # one character wrong: 1 - 1/16; the token "2025" misses: p = r = 2/3
    ("Hello world 2025", GT, 1 - 1 / 16, 2 / 3),
    # words out of order: the set is the same, the characters are not
    ("2024 world Hello", GT, 1 - 10 / 16, 1.0),
    # nothing read
    ("", GT, 0.0, 0.0),
    # an unfinished tag protocol reads as empty text
    ("<answer>Hello world 2024", GT, 0.0, 0.0),
    # both empty: a correct read-out of a blank image
    ("", "", 1.0, 1.0),
    # text where there is none
    ("noise", "", 0.0, 0.0),
    # CJK: characters for the edit distance, jieba (or single characters) for the tokens
    ("你好世界", "你好世界", 1.0, 1.0),
    # a runaway completion much longer than the page
    ("Hello world 2024" + " x" * 5000, GT, pytest.approx(16 / 10016), None),
]


@pytest.mark.parametrize("completion, solution, edit, f1", OCR_CASES)
def test_ocr_rewards(completion, solution, edit, f1):
    assert get_reward("ocr_edit_distance")([completion], solution=[solution]) == [pytest.approx(edit)]
    if f1 is not None:
        assert get_reward("ocr_f1")([completion], solution=[solution]) == [pytest.approx(f1)]


def test_page_length_throughput():
    # 2,000-character pages: hundreds a second even on a loaded CPU (rapidfuzz does ~5,000/s here).
    import random
    import string
    import time

    rng = random.Random(0)
    pages = ["".join(rng.choice(string.ascii_letters + " ") for _ in range(2000)) for _ in range(50)]
    preds = [p[:1000] + p[1010:] for p in pages]
    start = time.perf_counter()
    values = get_reward("ocr_edit_distance")(preds, solution=pages)
    assert len(values) == 50 and all(0.99 <= v < 1.0 for v in values)
    assert time.perf_counter() - start < 5.0


def test_runs_through_compute_rewards():
    funcs, weights = build_rewards(["ocr_edit_distance", "ocr_f1"])
    total, per_func, n_errors = compute_rewards(
        funcs, weights, ["Hello world 2024", "bye"], {"solution": [GT, GT]}
    )
    # "bye" vs GT: keeping its "e" costs as much as replacing it, so 16 edits over 16; no shared token.
    assert total.tolist() == [pytest.approx(2.0), 0.0]
    assert n_errors == {"ocr_edit_distance": 0, "ocr_f1": 0}
