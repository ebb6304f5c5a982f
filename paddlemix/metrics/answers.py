"""Answer extraction and math correctness, shared by the counting/geometry rewards and their eval metric.

What a completion answers (`final_answer`):
- the contents of its `<answer>...</answer>` block (DOTALL: R1-V's regex lacks it, so an answer spanning lines
  was invisible to it), stripped;
- the whole text when the completion uses no `<think>`/`<answer>` tag at all (prompts that ask for no tags);
- nothing when the tag protocol was started but not finished (an unclosed tag, usually a completion cut at
  max_new_tokens), or when several `<answer>` blocks disagree.

Correctness (`math_correct`): the answer is the gold answer's string, or is math-verify equivalent to it after
both are rewritten into LaTeX math-verify can read (GeoQA writes `2√{3}`, `3π`, `12cm`). An answer that lists
several different candidates ("40 or 140", "3, 4") is wrong: see `answer_candidates`; so is an answer that is
not a value but holds one (a relation, interval, set or text around the number: see `is_value`). Without tags,
math-verify itself commits to one expression (the last one, or a `\\boxed{}`), so listing candidates there
earns exactly what naming that one would.
"""

from __future__ import annotations

import re
import threading

from math_verify import parse, verify

_ANSWER = re.compile(r"<answer>(.*?)</answer>", re.DOTALL)
_ANY_TAG = re.compile(r"</?(?:think|answer)>")

# Separators between candidate answers. A comma followed by exactly three digits is a thousands separator
# ("1,000"), not a list.
_CANDIDATE_SEPARATOR = re.compile(r"\s*(?:[;；\n，]|,(?!\d{3}(?!\d))|\bor\b|\band\b|或者?)\s*", re.IGNORECASE)

# A trailing unit, as GeoQA writes them ("12cm", "3πcm^{2}", "5米", "2海里"); math-verify reads "140°" itself.
_TRAILING_UNIT = re.compile(
    r"(?<=[\d}).π\s])\s*(?:\\text\{\s*)?"
    r"(?:cm|mm|dm|km|m|degrees?|度|米|厘米|毫米|分米|千米|平方米|平方厘米|海里|秒|分钟|小时)"
    r"\s*\}?\s*(?:\^\s*\{?\s*[23]\s*\}?|²|³)?\s*\^?\s*$"
)
_COUNT = re.compile(r"<answer>\s*(\d+)\s*</answer>")

# What an answer that *is* a value may hold besides digits (see `is_value`): LaTeX and plain-text math of a
# number, never a word, a relation (<, >, \leq, \neq, \in ...), a set (\{ \}) or an interval or tuple.
_VALUE_COMMANDS = re.compile(
    r"\\(?:d?frac|tfrac|sqrt|pi|circ|cdot|times|left|right|boxed|displaystyle|,|!|;|:)(?![a-zA-Z])|"
    r"(?<![a-zA-Z])(?:sqrt|pi)(?![a-zA-Z])"
)
_VALUE_CHARS = re.compile(r"[0-9\s.+\-−*/^(){}°√π%×·]*")
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")
_MATH_DELIMITERS = re.compile(r"\$|\\[()\[\]]")
# Words that introduce a value without qualifying it.
_CONNECTIVE = re.compile(
    r"^(?:i\.?\s?e\.?|that is|so|thus|therefore|hence|which is|the answer is|answer\s*:)\s*,?\s*",
    re.IGNORECASE,
)
# "A. 8": a multiple-choice label before the value (SuperCLEVR answers come this way).
_CHOICE_LABEL = re.compile(r"^\s*[A-E]\s*[.:)．、]\s*")
# What an equation's first side may name: "x", "AB", "∠A", "\angle ABC", "angle 1", "S_{1}".
_NAME = re.compile(r"\s*(?:\\angle\s*|∠\s*|angle\s+)?(?:[A-Za-z]{1,4}|\d)(?:_\{?\w{1,3}\}?)?\s*")


def extract_answers(text: str) -> list[str]:
    """Contents of every complete `<answer>...</answer>` block, in order, stripped."""
    return [m.strip() for m in _ANSWER.findall(text)]


def extract_answer(text: str) -> str | None:
    """Contents of the first complete `<answer>...</answer>` block, stripped; None if there is none."""
    m = _ANSWER.search(text)
    return m.group(1).strip() if m else None


def final_answer(text: str) -> str | None:
    """What a completion answers: its `<answer>` contents, the whole text if untagged, else None."""
    blocks = extract_answers(text)
    if blocks:
        return blocks[0] if len(set(blocks)) == 1 else None
    if _ANY_TAG.search(text):
        return None
    return text.strip()


def gold_answer(solution) -> str:
    """The gold answer of a solution: its `<answer>` contents when it has them, else the whole value."""
    text = str(solution)
    inner = extract_answer(text)
    return inner if inner is not None else text.strip()


def to_latex(text: str) -> str:
    """Rewrite GeoQA-style math ("2√{3}", "3π", "12cm", "2sqrt(3)") into `$...$` LaTeX for math-verify."""
    s = _TRAILING_UNIT.sub("", text.strip())
    s = s.replace("√{", "\\sqrt{")
    s = re.sub(r"√\s*\(([^()]*)\)", r"\\sqrt{\1}", s)
    s = re.sub(r"√\s*(\d+(?:\.\d+)?)", r"\\sqrt{\1}", s)
    s = re.sub(r"(?<![\\a-zA-Z])sqrt\s*\(([^()]*)\)", r"\\sqrt{\1}", s)
    s = re.sub(r"(?<![\\a-zA-Z])sqrt\s*\{", r"\\sqrt{", s)
    s = re.sub(r"π|(?<![\\a-zA-Z])pi(?![a-zA-Z])", r"\\pi ", s)
    # math-verify reads bare numbers anywhere but LaTeX only between delimiters: "2\sqrt{3}" alone parses as 2.
    if "\\" in s and "$" not in s and "\\(" not in s and "\\[" not in s:
        s = f"${s}$"
    return s


def math_verify_timeout() -> int | None:
    """Seconds math-verify may take here: 5 on the main thread, None elsewhere (its alarm signal needs the main one)."""
    return 5 if threading.current_thread() is threading.main_thread() else None


def candidate_parts(answer: str) -> list[str]:
    """The non-empty parts of an answer split where it lists alternatives (`,` `;` newlines "or" "and" 或)."""
    return [p.strip() for p in _CANDIDATE_SEPARATOR.split(answer) if p.strip()]


def parse_math(text: str) -> list:
    """math-verify's parse of `to_latex(text)`: [] when nothing parses."""
    return parse(to_latex(text), parsing_timeout=math_verify_timeout())


def equivalent(gold: list, pred: list) -> bool:
    """math-verify equivalence of two parsed answers; False if either is empty."""
    return bool(gold) and bool(pred) and verify(gold, pred, timeout_seconds=math_verify_timeout())


def answer_candidates(answer: str) -> list[list]:
    """The distinct values an answer names, split at `,` `;` newlines "or" "and" (parts that parse only)."""
    values: list[list] = []
    for part in _CANDIDATE_SEPARATOR.split(answer):
        value = parse_math(part) if part.strip() else []
        if value and not any(equivalent(v, value) or equivalent(value, v) for v in values):
            values.append(value)
    return values


def is_value(answer: str) -> bool:
    """Whether an answer is a value ("3", "2√{3}", "\\frac{3}{5}", "140°", "x = 3"), not text around one.

    Not a value: a relation or inequality ("x > 3", "x \\neq 3"), an interval, tuple or set ("(3, 5)",
    "\\{3\\}"), an expression with unknowns ("y = 2x + 3", "4 + PE"), or words around the number ("at least 3",
    "3 apples"). math-verify reads the number out of each of these, which made them equal to "3". Allowed around
    the value: a trailing unit, math delimiters, a multiple-choice label ("A. 8"), a connective ("i.e.",
    "the answer is"), an equation whose first side only names what the last side gives ("AB = 1.8 * 9 / 1.5 =
    10.8"), and the same value restated after a separator ("140°, i.e. 140"; several *different* values are
    `answer_candidates`' concern).
    """
    parts = candidate_parts(answer)
    return bool(parts) and all(_is_one_value(p) for p in parts)


def _is_one_value(text: str) -> bool:
    """`is_value` of one candidate (no separators in it)."""
    text = _CONNECTIVE.sub("", text.strip())
    text = _MATH_DELIMITERS.sub("", _CHOICE_LABEL.sub("", _TRAILING_UNIT.sub("", text)))
    sides = text.strip().rstrip(".;。").split("=")
    if len(sides) > 1 and not _NAME.fullmatch(sides[0]):
        return False
    value = _THOUSANDS.sub("", _VALUE_COMMANDS.sub(" ", sides[-1]))
    has_number = re.search(r"[0-9π]|\\pi|pi", sides[-1]) is not None
    return has_number and _VALUE_CHARS.fullmatch(value) is not None and _balanced(value)


def _balanced(text: str) -> bool:
    """Whether every bracket closes in order: a part such as "(3" is half of an interval or tuple."""
    stack = []
    for c in text:
        if c in "({[":
            stack.append(c)
        elif c in ")}]":
            if not stack or "({[".index(stack.pop()) != ")}]".index(c):
                return False
    return not stack


def math_correct(completion: str, solution) -> bool:
    """Whether the completion's final answer equals the solution: same string, or math-verify equivalent.

    A tagged answer that is not a value (`is_value`: a relation, interval, set, or text around a number) is
    wrong when the gold answer is one, whatever number math-verify finds in it.
    """
    pred = final_answer(completion)
    if pred is None:
        return False
    gold = gold_answer(solution)
    if pred == gold:
        return True
    if extract_answer(completion) is not None:
        if len(answer_candidates(pred)) > 1 or (is_value(gold) and not is_value(pred)):
            return False
    return equivalent(parse_math(gold), parse_math(pred))


def extract_count(text: str) -> int | None:
    """The integer in `<answer> N </answer>`, as R1-V's and the seed's counting eval read it; else None."""
    m = _COUNT.search(text)
    return int(m.group(1)) if m else None
