"""VLM-R1's accuracy methods, one table per method: (completion, solution, VLM-R1's score, ours fixed).

The VLM-R1 column is worked out by hand from `grpo_jsonl.py`'s rule (see /work/shared/reference/
vlm-r1-general-jsonl.md and each case's comment), never by running the code under test; `quirks=True` must
give it, `quirks=False` the fixed column.
"""

from __future__ import annotations

import pytest

from paddlemix.metrics.vlm_r1 import (
    all_match_score,
    clean_text,
    default_score,
    extract_choice,
    first_answer,
    gold_of,
    last_answer,
    math_score,
    mcq_score,
    ratio,
    yes_no_score,
)

LONG = 20_000

MCQ = [
    # plain right and wrong letters
    ("<think>look</think><answer>B</answer>", "<answer> B </answer>", 1.0, 1.0),
    ("<answer>A</answer>", "<answer> B </answer>", 0.0, 0.0),
    # "THE ANSWER IS B.": only B is a lone capital before punctuation
    ("<answer>The answer is B.</answer>", "<answer> B </answer>", 1.0, 1.0),
    # hedge: "A OR B" -> only B qualifies (A is followed by a space), so VLM-R1 pays it; two letters -> 0
    ("<answer>A or B</answer>", "<answer> B </answer>", 1.0, 0.0),
    # both qualify; B, in the last 30% (+2), beats A's following comma (+1)
    ("<answer>A, B</answer>", "<answer> B </answer>", 1.0, 0.0),
    # empty tags: no choice -> 0
    ("<answer></answer>", "<answer> B </answer>", 0.0, 0.0),
    # the first <answer> counts, not the last
    ("<answer>A</answer> no wait <answer>B</answer>", "<answer> B </answer>", 0.0, 0.0),
    # untagged: the whole text; "I" is followed by a space, C by "."
    ("I choose C.", "<answer> C </answer>", 1.0, 1.0),
    # a gold without a letter compares with the whole wrapped solution: never equal
    ("<answer>cat</answer>", "<answer> cat </answer>", 0.0, 0.0),
    # 20k characters of every option: all tie, the first (A) wins; ours: oversized -> 0
    ("A. B. C. D. " * (LONG // 12), "<answer> A </answer>", 1.0, 0.0),
    # 20k of one letter: no lone capital at all
    ("B" * LONG, "<answer> B </answer>", 0.0, 0.0),
]

YES_NO = [
    ("<answer>Yes</answer>", "<answer> Yes </answer>", 1.0, 1.0),
    ("<answer>no</answer>", "<answer> Yes </answer>", 0.0, 0.0),
    # substring: "know" holds "no"; whole words: yes
    ("<answer>I know it is yes</answer>", "<answer> Yes </answer>", 0.0, 1.0),
    ("<answer>Nothing suggests yes</answer>", "<answer> yes </answer>", 0.0, 1.0),
    # hedge: the first match is "yes"; ours: both words -> 0
    ("<answer>yes and no</answer>", "<answer> Yes </answer>", 1.0, 0.0),
    # empty tags: "" != "yes"
    ("<answer></answer>", "<answer> Yes </answer>", 0.0, 0.0),
    # neither side has the word: "" == "" pays 1
    ("<answer>perhaps</answer>", "<answer> maybe </answer>", 1.0, 0.0),
    # 20k characters of yes, untagged: the first match is yes; ours: oversized
    ("yes " * (LONG // 4), "<answer> yes </answer>", 1.0, 0.0),
]

ALL_MATCH = [
    ("<think>t</think><answer>No Defect</answer>", "<answer> No Defect </answer>", 1.0, 1.0),
    ("<answer>no defect.</answer>", "<answer> No Defect </answer>", 1.0, 1.0),  # case and final dots
    ("<answer>No\nDefect</answer>", "<answer> No Defect </answer>", 1.0, 1.0),  # bare newline -> space
    (
        "<answer>No \nDefect</answer>",
        "<answer> No Defect </answer>",
        1.0,
        1.0,
    ),  # newline after a space dropped
    ("<answer>Overlap</answer> <answer>No Defect</answer>", "<answer> No Defect </answer>", 1.0, 1.0),  # last
    ("No Defect", "<answer> No Defect </answer>", 1.0, 1.0),  # untagged: the whole text
    ("<answer>Blank Screen</answer>", "<answer> No Defect </answer>", 0.0, 0.0),
    ("<answer>No Defect or Blank Screen</answer>", "<answer> No Defect </answer>", 0.0, 0.0),
    ("<answer></answer>", "<answer> No Defect </answer>", 0.0, 0.0),
    ("No Defect " * (LONG // 10), "<answer> No Defect </answer>", 0.0, 0.0),
]

DEFAULT = [
    ("<answer>3</answer>", "<answer> 3 </answer>", 1.0, 1.0),  # math-verify
    ("<answer>3.0</answer>", "<answer> 3 </answer>", 1.0, 1.0),  # math-verify: 3.0 == 3
    ("<answer>4</answer>", "<answer> 3 </answer>", 0.0, 0.0),  # float(4) != float(3)
    ("<answer>three</answer>", "<answer> 3 </answer>", 0.0, 0.0),  # not a float: ratio("three", "3") = 0
    # math-verify reads the last number of "4 or 3": 3 -> 1; ours: hedged
    ("<answer>4 or 3</answer>", "<answer> 3 </answer>", 1.0, 0.0),
    # "3 or 4" reads as 4; not a float -> ratio = 2 * 1 / (6 + 1)
    ("<answer>3 or 4</answer>", "<answer> 3 </answer>", 2 / 7, 0.0),
    ("<answer>cat</answer>", "<answer> cat </answer>", 1.0, 1.0),  # no digit, no choice: ratio 1
    ("<answer>car</answer>", "<answer> cat </answer>", 2 / 3, 2 / 3),  # Indel: 2 * 2 / (3 + 3)
    ("<answer>cat or dog</answer>", "<answer> cat </answer>", 6 / 13, 0.0),  # 2 * 3 / (10 + 3); hedged
    ("<answer></answer>", "<answer> cat </answer>", 0.0, 0.0),
    ("<answer>dog</answer>", "<answer> cat </answer>", 0.0, 0.0),
    # 20k characters holding the gold: a small ratio 2 * 3 / (20000 + 3) > 0; ours: oversized
    ("<answer>" + "cat" + "x" * (LONG - 3) + "</answer>", "<answer> cat </answer>", 6 / (LONG + 3), 0.0),
    # gold "B" (no digit): math-verify parses neither letter, extract_choice compares B with B
    ("<answer>B</answer>", "<answer> B </answer>", 1.0, 1.0),
    ("<answer>C</answer>", "<answer> B </answer>", 0.0, 0.0),
]

MATH = [
    ("<answer>\\frac{1}{2}</answer>", "<answer> 0.5 </answer>", 1.0, 1.0),  # math-verify
    ("<answer>\\boxed{0.5}</answer>", "<answer> 0.5 </answer>", 1.0, 1.0),
    ("<answer>1/2</answer>", "<answer> 0.5 </answer>", 1.0, 1.0),
    ("<answer>0.5.</answer>", "<answer> 0.5 </answer>", 1.0, 1.0),  # clean_text drops the final dot
    ("<answer>0.6</answer>", "<answer> 0.5 </answer>", 0.0, 0.0),
    ("<answer>0.6 or 0.5</answer>", "<answer> 0.5 </answer>", 1.0, 0.0),  # math-verify reads the last; hedged
    ("<answer></answer>", "<answer> 0.5 </answer>", 0.0, 0.0),
    # MATH is_equiv after math-verify fails: "k = 7" loses its short left side
    ("<answer>k = 7\\text{ cm}</answer>", "<answer> 7 </answer>", 1.0, 1.0),
]

TABLES = {
    "mcq": (mcq_score, MCQ),
    "yes_no": (yes_no_score, YES_NO),
    "all_match": (all_match_score, ALL_MATCH),
    "default": (default_score, DEFAULT),
    "math": (math_score, MATH),
}
CASES = [
    pytest.param(fn, completion, solution, vlm_r1, fixed, id=f"{name}-{i}")
    for name, (fn, rows) in TABLES.items()
    for i, (completion, solution, vlm_r1, fixed) in enumerate(rows)
]


@pytest.mark.parametrize("fn, completion, solution, vlm_r1, fixed", CASES)
def test_vlm_r1_rule_with_quirks(fn, completion, solution, vlm_r1, fixed):
    assert fn(completion, solution, quirks=True) == pytest.approx(vlm_r1)


@pytest.mark.parametrize("fn, completion, solution, vlm_r1, fixed", CASES)
def test_fixed_rule(fn, completion, solution, vlm_r1, fixed):
    assert fn(completion, solution, quirks=False) == pytest.approx(fixed)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("B", "B"),
        ("(b) the dog", None),  # ")" is not one of the punctuation marks that end a choice
        # C: ANSWER, THINK (+2), last 30% (+2), "." (+1); A is looked up at its first "A", inside "ANSWER" (+2)
        ("I think the answer is C. Not A", "C"),
        ("答案是 D。", None),  # "。" is not in the lookahead set
        ("A. red; B. blue; the correct answer is B.", "B"),
        ("", None),
    ],
)
def test_extract_choice(text, expected):
    assert extract_choice(text) == expected


def test_answer_readers():
    text = "<answer> x </answer> then <answer>\ny\n</answer>"
    assert first_answer(text) == "x" and last_answer(text) == "y"
    assert first_answer("  plain  ") == "plain" == last_answer("  plain  ")
    # the gold reader has no DOTALL: a solution whose answer spans lines is taken whole
    assert gold_of("<answer> a\nb </answer>") == "<answer> a\nb </answer>"
    assert gold_of("<answer> a </answer>") == "a"
    assert clean_text("<answer> Two\nLines... </answer>") == "two lines"
    assert ratio("", "") == 1.0 and ratio("ab", "") == 0.0
