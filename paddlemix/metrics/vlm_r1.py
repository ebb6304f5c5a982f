r"""VLM-R1's accuracy methods for its general jsonl (`grpo_jsonl.py` at om-ai-lab/VLM-R1 90052f4), one function each.

Every function takes the completion and the sample's solution (`"<answer> {gpt value} </answer>"`) and
returns VLM-R1's score. Where VLM-R1's rule has a bug, `quirks=True` keeps it (the number VLM-R1 gives)
and the default `quirks=False` fixes it; the table says what changes. The answers they read:

| helper          | VLM-R1                           | reads                                                            |
|-----------------|----------------------------------|------------------------------------------------------------------|
| `last_answer`   | `default_accuracy_reward`, `llm_reward` | last `<answer>(.*?)</answer>` (DOTALL) stripped, else the text |
| `first_answer`  | `mcq_reward`, `yes_no_reward`    | first `<answer>(.*?)</answer>` (DOTALL) stripped, else the text  |
| `gold_of`       | every method's `sol_match`       | first `<answer>(.*?)</answer>` of the solution (no DOTALL)       |
| `clean_text`    | `clean_text`                     | last answer; newlines out; `.strip().rstrip('.').lower()`        |
| `extract_choice`| `extract_choice`                 | the choice letter, by its keyword / position heuristic           |

| method      | VLM-R1 function            | rule                                                      | fixed when quirks=False |
|-------------|----------------------------|-----------------------------------------------------------|-------------------------|
| `mcq`       | `mcq_reward`               | extract_choice(first answer) == extract_choice(gold)      | several letters -> 0    |
| `yes_no`    | `yes_no_reward`            | first `(yes|no)` substring of each side equal             | whole words; neither word, or both, in the answer -> 0 |
| `math`      | `math_reward`              | `compute_score(clean_text(c), clean_text(sol))`           | hedged / oversized -> 0 |
| `all_match` | `all_match_reward`         | `clean_text(c) == clean_text(sol)`                        | (no bug)                |
| `default`   | `default_accuracy_reward`  | math-verify; numbers equal; choice; `Levenshtein.ratio`   | hedged / oversized -> 0 |

"Hedged": the answer lists alternatives (`metrics.answers.candidate_parts`: "A or B", "cat, dog", "3 或 4")
while the gold answer is one, or, for `mcq`, names two different choice letters. "Oversized": an answer of
more than `MAX_ANSWER_CHARS` characters (a 20k-character dump, whose Levenshtein ratio and math-verify parse
pay something for containing the gold). Both are degenerate answers that VLM-R1 pays more than a wrong one.
Inputs are cut at `MAX_CHARS` in both modes so that one runaway completion cannot stall a batch.
"""

from __future__ import annotations

import re

from math_verify import parse, verify
from rapidfuzz.distance import Indel

from paddlemix.metrics.answers import candidate_parts, math_verify_timeout
from paddlemix.metrics.math_equiv import compute_score

MAX_CHARS = 100_000
MAX_ANSWER_CHARS = 1_000

_ANSWER = re.compile(r"<answer>(.*?)</answer>", re.DOTALL)
_GOLD = re.compile(r"<answer>(.*?)</answer>")
_CHOICE = re.compile(r"(?<![A-Z])([A-Z])(?=[\.\,\?\!\:\;]|$)")
# extract_choice's keywords, upper-cased as it compares them.
_KEYWORDS = tuple(
    k.upper()
    for k in (
        "答案",
        "选择",
        "正确",
        "是",
        "对",
        "answer",
        "correct",
        "choose",
        "select",
        "right",
        "认为",
        "应该",
        "觉得",
        "think",
        "believe",
        "should",
    )
)
# A standalone capital letter (not the pronoun "I"): how a hedged multiple-choice answer lists its options.
_LETTER = re.compile(r"(?<![A-Za-z])([A-HJ-Z])(?![A-Za-z])")
_YES_NO_SUBSTRING = re.compile(r"(yes|no)")
_YES_NO_WORD = re.compile(r"\b(yes|no)\b")


def last_answer(completion: str) -> str:
    """The last `<answer>` of a completion (DOTALL), stripped; the whole completion stripped without one."""
    matches = _ANSWER.findall(completion[:MAX_CHARS])
    return matches[-1].strip() if matches else completion[:MAX_CHARS].strip()


def first_answer(completion: str) -> str:
    """The first `<answer>` of a completion (DOTALL), stripped; the whole completion stripped without one."""
    match = _ANSWER.search(completion[:MAX_CHARS])
    return match.group(1).strip() if match else completion[:MAX_CHARS].strip()


def gold_of(solution) -> str:
    """The gold answer: the solution's first `<answer>` (no DOTALL, as VLM-R1's `sol_match`), else the solution."""
    text = str(solution)
    match = _GOLD.search(text)
    return match.group(1).strip() if match else text.strip()


def clean_text(text: str) -> str:
    """VLM-R1 `clean_text`: last `<answer>` if any; newline after whitespace dropped, else a space; lower-cased."""
    matches = _ANSWER.findall(text[:MAX_CHARS])
    text = matches[-1] if matches else text[:MAX_CHARS]
    for char in ("\n", "\r"):
        text = re.sub(r"(?<=\s)" + re.escape(char), "", text)
        text = re.sub(r"(?<!\s)" + re.escape(char), " ", text)
    return text.strip().rstrip(".").lower()


def extract_choice(text: str) -> str | None:
    """VLM-R1 `extract_choice`: the choice letter of a text, or None (heuristics in the module docstring)."""
    text = re.sub(r"\s+", " ", text[:MAX_CHARS].upper())
    choices = _CHOICE.findall(text)
    if not choices:
        return None
    if len(choices) == 1:
        return choices[0]
    scores = dict.fromkeys(choices, 0)
    for choice in choices:
        pos = text.find(choice)
        context = text[max(0, pos - 20) : min(len(text), pos + 20)]
        scores[choice] += sum(keyword in context for keyword in _KEYWORDS)
        if pos > len(text) * 0.7:
            scores[choice] += 2
        if pos < len(text) - 1 and text[pos + 1] in "。.!！,，":
            scores[choice] += 1
    # max() keeps the first of equal scores, in dict (= first findall) order, as VLM-R1's does.
    return max(scores.items(), key=lambda item: item[1])[0]


def ratio(a: str, b: str) -> float:
    """`Levenshtein.ratio(a, b)`: the normalised Indel similarity, 1 - (insertions + deletions) / (|a| + |b|)."""
    return float(Indel.normalized_similarity(a[:MAX_CHARS], b[:MAX_CHARS]))


def is_hedged(answer: str, gold: str) -> bool:
    """Whether the answer lists several different alternatives while the gold answer is one."""
    parts = {p.lower() for p in candidate_parts(answer)}
    return len(parts) > 1 and len(candidate_parts(gold)) <= 1


def degenerate(answer: str, gold: str) -> bool:
    """A hedged or oversized answer (module docstring): 0 unless quirks are kept."""
    return len(answer) > MAX_ANSWER_CHARS or is_hedged(answer, gold)


def mcq_score(completion: str, solution, quirks: bool = False) -> float:
    """VLM-R1 `mcq_reward`: 1.0 iff the first answer's choice letter is the gold's.

    Quirk kept: a gold without a choice letter compares with the whole wrapped solution (never equal).
    Fixed: an answer naming two different letters ("A or B", "A, C") scores 0; VLM-R1's heuristic picks one.
    """
    gold = gold_of(solution)
    choice = extract_choice(gold)
    correct = choice.upper() if choice else str(solution).strip()
    answer = first_answer(completion)
    if not quirks and (len(answer) > MAX_ANSWER_CHARS or len(set(_LETTER.findall(answer))) > 1):
        return 0.0
    student = extract_choice(answer)
    return 1.0 if student and student == correct else 0.0


def yes_no_score(completion: str, solution, quirks: bool = False) -> float:
    """VLM-R1 `yes_no_reward`: 1.0 iff the first yes/no of the answer is the gold's.

    VLM-R1 matches substrings ("know" and "nothing" read as "no") and calls two sides with neither word
    equal (1.0), and "yes and no" reads as "yes". Fixed: whole words only, and an answer with neither word
    or with both scores 0.
    """
    gold = gold_of(str(solution).lower())
    answer = first_answer(completion.lower())
    if quirks:
        found = [_YES_NO_SUBSTRING.search(text) for text in (gold, answer)]
        gold_word, answer_word = (m.group(1) if m else "" for m in found)
        return 1.0 if gold_word == answer_word else 0.0
    gold_words, answer_words = set(_YES_NO_WORD.findall(gold)), set(_YES_NO_WORD.findall(answer))
    if len(gold_words) != 1 or len(answer_words) != 1 or len(answer) > MAX_ANSWER_CHARS:
        return 0.0
    return 1.0 if gold_words == answer_words else 0.0


def all_match_score(completion: str, solution, quirks: bool = False) -> float:
    """VLM-R1 `all_match_reward` (the GUI recipe's method): 1.0 iff `clean_text` of both sides is equal."""
    return 1.0 if clean_text(completion) == clean_text(str(solution)) else 0.0


def math_score(completion: str, solution, quirks: bool = False) -> float:
    """VLM-R1 `math_reward`: `compute_score(clean_text(completion), clean_text(solution))` (`math_equiv.py`)."""
    answer, gold = clean_text(completion), clean_text(str(solution))
    if not quirks and answer != gold and degenerate(answer, gold):
        return 0.0
    return compute_score(answer, gold)


def _math_verified(answer: str, gold: str) -> bool:
    """VLM-R1's first test in `default_accuracy_reward`: verify(parse(answer), parse(gold)) > 0, errors false."""
    timeout = math_verify_timeout()
    try:
        parsed = parse(answer, parsing_timeout=timeout)
        return float(verify(parsed, parse(gold, parsing_timeout=timeout), timeout_seconds=timeout)) > 0
    except Exception:  # VLM-R1's `except Exception: pass`: a parse error falls through to the next test
        return False


def default_score(completion: str, solution, quirks: bool = False) -> float:
    """VLM-R1 `default_accuracy_reward`: math-verify, then numbers, then choice letters, then Levenshtein.ratio.

    With a digit in the gold, `float(clean_text(a)) == float(clean_text(g))` decides, or, when either is not a
    float, the ratio; without one, a gold choice letter is compared with the answer's, else the ratio. So a
    near miss earns partial credit, by design. Fixed: a hedged or oversized answer scores 0.
    """
    answer, gold = last_answer(completion), gold_of(solution)
    if not quirks and answer != gold and degenerate(answer, gold):
        return 0.0
    if _math_verified(answer, gold):
        return 1.0
    if re.search(r"\d", gold):
        try:
            return 1.0 if float(clean_text(answer)) == float(clean_text(gold)) else 0.0
        except ValueError:
            return ratio(clean_text(answer), clean_text(gold))
    choice = extract_choice(gold)
    if choice:
        student = extract_choice(answer)
        return 1.0 if student and student == choice.upper() else 0.0
    return ratio(clean_text(answer), clean_text(gold))


# VLM-R1's `evaluate_answer_similarity` prompt, word for word: the instruction, then the pair.
JUDGE_INSTRUCTION = (
    "You are a evaluation expert. First, analyze the student's response to identify and extract their final "
    "answer. Then, compare the extracted answer with the correct solution. Output ONLY '1.0' if the extracted "
    "answer matches the correct solution in meaning, or '0.0' if the student's response does not contain a "
    "clear or correct answer. No other output is allowed."
)
JUDGE_QUESTION = "Student's response: {student}\nCorrect solution: {gold}\nOutput only 1.0 or 0.0:"


def judge_messages(completion: str, solution) -> list[dict]:
    """VLM-R1 `llm_reward`'s chat request: two user turns, the instruction then the last answer and the gold."""
    question = JUDGE_QUESTION.format(student=last_answer(completion), gold=gold_of(solution))
    return [{"role": "user", "content": JUDGE_INSTRUCTION}, {"role": "user", "content": question}]


def judge_verdict(reply: str) -> float:
    """The judge's reply as VLM-R1 reads it, `float(reply.strip())`; ValueError unless it is in [0, 1].

    VLM-R1 took any float (a reply of "5" paid 5) and fell back to exact string equality on a bad reply.
    """
    value = float(reply.strip())
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"the judge answered {reply.strip()[:50]!r}, not a score in [0, 1]")
    return value


# Every `accu_reward_method` VLM-R1's `accuracy_reward` knows (map ... odLength: the OVD detection methods).
ACCURACY_METHODS = (
    "mcq",
    "yes_no",
    "llm",
    "math",
    "all_match",
    "default",
    "map",
    "weighted_sum",
    "od_ap",
    "od_ap50",
    "odLength",
)

METHODS = {
    "mcq": mcq_score,
    "yes_no": yes_no_score,
    "math": math_score,
    "all_match": all_match_score,
    "default": default_score,
}
