"""Answer extraction and math correctness (metrics/answers.py) against hand-worked cases."""

from __future__ import annotations

import re
import threading

import pytest

from paddlemix.metrics import (
    answer_candidates,
    extract_answer,
    extract_answers,
    extract_count,
    final_answer,
    gold_answer,
    is_value,
    math_correct,
    parse_math,
    to_latex,
)

EXTRACT_CASES = [
    # the usual think/answer completion; contents are stripped
    ("<think>two and two</think><answer> 4 </answer>", "4"),
    # an answer spanning lines: needs DOTALL
    ("<think>t</think><answer>\n4\n</answer>", "4"),
    # no tags at all
    ("4", None),
    # unclosed answer tag (a completion cut at max_new_tokens)
    ("<think>t</think><answer>4", None),
    # two blocks: the first
    ("<answer>4</answer><answer>5</answer>", "4"),
    # an empty answer is an answer, the empty string
    ("<answer></answer>", ""),
]


@pytest.mark.parametrize("text, expected", EXTRACT_CASES)
def test_extract_answer(text, expected):
    assert extract_answer(text) == expected


def test_r1v_regex_misses_multiline_answers():
    # Why DOTALL: R1-V's pattern finds nothing in an answer that spans lines; ours does.
    text = "<answer>\n4\n</answer>"
    assert re.search(r"<answer>(.*?)</answer>", text) is None
    assert extract_answer(text) == "4"


def test_extract_answers_lists_every_block():
    assert extract_answers("<answer>4</answer> and <answer> 5 </answer>") == ["4", "5"]


FINAL_CASES = [
    # tagged: the answer block
    ("<think>t</think><answer>7</answer>", "7"),
    # untagged (a prompt that asked for no tags): the whole text, stripped
    ("  There are 7 objects. ", "There are 7 objects."),
    # an unclosed answer: the protocol was started and not finished, no answer
    ("<think>t</think><answer>7", None),
    # an unclosed think (truncated reasoning full of numbers): no answer
    ("<think>1, 2, 3, 4, 5, 6, 7", None),
    # two different answer blocks: a hedge, no answer
    ("<answer>7</answer><answer>8</answer>", None),
    # the same answer twice is still one answer
    ("<answer>7</answer><answer> 7 </answer>", "7"),
    # empty completion: the empty answer
    ("", ""),
]


@pytest.mark.parametrize("text, expected", FINAL_CASES)
def test_final_answer(text, expected):
    assert final_answer(text) == expected


@pytest.mark.parametrize(
    "solution, expected",
    [
        ("<answer> 3 </answer>", "3"),  # clevr_cogen solutions carry tags
        ("140°", "140°"),  # GeoQA eval ground truths do not
        (4, "4"),  # SuperCLEVR eval ground truths are ints
    ],
)
def test_gold_answer(solution, expected):
    assert gold_answer(solution) == expected


LATEX_CASES = [
    # GeoQA's root notation, with and without braces, and the plain-text form models write
    ("2√{3}", "$2\\sqrt{3}$"),
    ("2√3", "$2\\sqrt{3}$"),
    ("2sqrt(3)", "$2\\sqrt{3}$"),
    # pi, as symbol and as word
    ("3π", "$3\\pi $"),
    ("9pi", "$9\\pi $"),
    # trailing units are dropped, with their exponents
    ("12cm", "12"),
    ("240πcm^{2}", "$240\\pi $"),
    ("\\frac{1}{2}cm²", "$\\frac{1}{2}$"),
    ("5米", "5"),
    ("(√{3}+1)小时", "$(\\sqrt{3}+1)$"),
    # LaTeX already delimited is left alone
    ("\\( 3\\sqrt{3} \\)", "\\( 3\\sqrt{3} \\)"),
    # plain numbers and words are left alone ("spin" is not pi)
    ("40.0", "40.0"),
    ("spin 4", "spin 4"),
]


@pytest.mark.parametrize("text, expected", LATEX_CASES)
def test_to_latex(text, expected):
    assert to_latex(text) == expected


def test_parse_math_reads_geoqa_roots_as_their_value():
    # Without the rewrite math-verify reads "2√{3}" as 2, which made "2" a right answer for R1-V.
    assert str(parse_math("2√{3}")[0]) == "2*sqrt(3)"


MATH_CASES = [
    # --- right ---
    # counting: tagged answer vs tagged solution
    ("<think>I count.</think><answer>4</answer>", "<answer> 4 </answer>", True),
    # a float equal to an integer
    ("<answer>4.0</answer>", "4", True),
    # an int ground truth, as SuperCLEVR's eval file stores it
    ("<answer>4</answer>", 4, True),
    # the answer on its own lines (DOTALL)
    ("<think>t</think><answer>\n7\n</answer>", "7", True),
    # degrees: with or without the sign
    ("<answer>140°</answer>", "140°", True),
    ("<answer>140</answer>", "140°", True),
    # roots written three ways against GeoQA's "2√{3}"
    ("<answer>2√3</answer>", "2√{3}", True),
    ("<answer>2\\sqrt{3}</answer>", "2√{3}", True),
    ("<answer>2sqrt(3)</answer>", "2√{3}", True),
    # a fraction against its decimal
    ("<answer>\\frac{3}{5}</answer>", "0.6", True),
    # units in the ground truth
    ("<answer>12</answer>", "12cm", True),
    ("<answer>5</answer>", "5米", True),
    ("<answer>$\\frac{1}{2}$</answer>", "\\frac{1}{2}cm²", True),
    # pi
    ("<answer>3π</answer>", "3π", True),
    # negative numbers
    ("<answer>-3</answer>", "-3", True),
    # a thousands separator is not a list
    ("<answer>1,000</answer>", "1000", True),
    # the same value said twice is one candidate
    ("<answer>140°, i.e. 140</answer>", "140", True),
    # an equation naming the value
    ("<answer>x = 4</answer>", "4", True),
    # a multiple-choice label in front of the value (R1-V's int regex rejects it)
    ("<answer>C. 8</answer>", 8, True),
    # untagged completion (a prompt without tags): math-verify reads the whole text
    ("The answer is 4", "4", True),
    # no math at all: exact string match of the extracted answers
    ("<answer>AB</answer>", "<answer>AB</answer>", True),
    # the gold's own words are not a hedge, even with "and" in them
    ("<answer>AB and CD</answer>", "AB and CD", True),
    # --- wrong ---
    # a different number
    ("<answer>3</answer>", 4, False),
    ("<answer>-3</answer>", "3", False),
    # the coefficient alone is not the root (R1-V counted this right)
    ("<answer>2</answer>", "2√{3}", False),
    # a rounded decimal is not 2√3 (math-verify compares to 6 digits)
    ("<answer>3.46</answer>", "2√{3}", False),
    ("<answer>9.42</answer>", "3π", False),
    # a number in the reasoning does not stand in for the answer
    ("<think>the answer is 140</think><answer>40</answer>", "140", False),
    # the answer is only read inside its tag: unclosed answer
    ("<think>it is 4</think><answer>4", "4", False),
    # truncated reasoning that happens to end on the right number
    ("<think>A. 6\nB. 5\nC. 4", "4", False),
    # several candidates, whatever their order or separator: wrong
    ("<answer>40 or 140</answer>", "140", False),
    ("<answer>140 or 40</answer>", "140", False),
    ("<answer>3, 4</answer>", "4", False),
    ("<answer>4; 5</answer>", "4", False),
    ("<answer>4 and 5</answer>", "5", False),
    ("<answer>40 或 140</answer>", "140", False),
    ("<answer>4</answer><answer>5</answer>", "4", False),
    # words, NaN, empty
    ("<answer>four</answer>", "4", False),
    ("<answer>NaN</answer>", "4", False),
    ("<answer></answer>", "4", False),
    ("", "4", False),
]


@pytest.mark.parametrize("completion, solution, expected", MATH_CASES)
def test_math_correct(completion, solution, expected):
    assert math_correct(completion, solution) is expected


VALUE_CASES = [
    # --- values ---
    ("3", True),  # a number
    ("-2.5", True),  # signed decimal
    ("1,000", True),  # a thousands separator, not a list
    ("2√{3}", True),  # GeoQA's root
    ("\\frac{\\sqrt{3}}{2}", True),  # LaTeX
    ("2*sqrt(5)/5", True),  # plain-text math
    ("3π", True),  # a multiple of pi
    ("140°", True),  # degrees
    ("30^{\\circ}", True),  # LaTeX degrees
    ("12 cm", True),  # a trailing unit
    ("$3$", True),  # math delimiters
    ("\\boxed{3}", True),  # a box around it
    ("x = 3", True),  # names the unknown
    ("∠ABC = 40°", True),  # names the angle
    ("AB = 1.8 * BC / 1.5 = 10.8", True),  # a chain from a name to a value
    ("C. 8", True),  # a multiple-choice label
    # --- not values ---
    ("x > 3", False),  # inequality
    ("3 < x", False),  # inequality, value first
    ("x \\geq 3", False),  # LaTeX inequality
    ("3 ≤ x", False),  # unicode inequality
    ("x \\neq 3", False),  # negated equality
    ("x \\approx 3", False),  # approximation
    ("(3, 5)", False),  # interval or tuple
    ("[3, 5)", False),  # half-open interval
    ("\\{3\\}", False),  # set
    ("x \\in (2, 4)", False),  # membership
    ("3x", False),  # an unknown
    ("y = 2x + 3", False),  # an unknown on the last side
    ("2x + 1 = 3", False),  # the first side names nothing
    ("at least 3", False),  # words
    ("The answer is 3", True),  # a connective, not a qualifier
    ("140°, i.e. 140", True),  # the same value restated
    ("3 or more", False),  # a qualifier after a separator
    ("four", False),  # no number at all
    ("", False),  # empty
]


@pytest.mark.parametrize("answer, expected", VALUE_CASES)
def test_is_value(answer, expected):
    assert is_value(answer) is expected


def test_answer_candidates_counts_distinct_values():
    assert len(answer_candidates("40 or 140")) == 2
    assert len(answer_candidates("x = 4, y = 4")) == 1
    assert answer_candidates("four") == []


def test_math_correct_outside_the_main_thread():
    # math-verify's signal-based timeout cannot run off the main thread; we disable it there.
    out = []
    worker = threading.Thread(target=lambda: out.append(math_correct("<answer>2√3</answer>", "2√{3}")))
    worker.start()
    worker.join()
    assert out == [True]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("<answer> 4 </answer>", 4),  # spaces allowed
        ("<answer>\n4\n</answer>", 4),  # \s covers newlines
        ("<answer>4 objects</answer>", None),  # digits only
        ("<answer>-4</answer>", None),  # no sign
        ("<answer>4.0</answer>", None),  # no decimals
        ("4", None),  # tags required
    ],
)
def test_extract_count(text, expected):
    assert extract_count(text) == expected
