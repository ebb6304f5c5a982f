r"""VLM-R1's `math` method (`utils/math.py` `compute_score`): string, math-verify, then the MATH `is_equiv`.

    compute_score(answer, gold)
      1 if answer == gold                                       (compute_score, first `if`)
      1 if math_verify.verify(parse(answer), parse(gold))        (the answer is verify's *gold* argument)
      1 if is_equiv(remove_boxed(last_boxed_only_string(answer)) or answer, gold)
      0 otherwise

`is_equiv` compares `strip_string` of both sides, the MATH dataset's normalisation as lm-evaluation-harness
`hendrycks_math.py` writes it (spaces, `\left`/`\right`, `\dfrac`, `^\circ`, units after `\text{ `, "0.5"
as `\frac{1}{2}`, "a/b" as `\frac{a}{b}`, a short "k = " prefix). Each helper keeps the original's name.
Both sides are cut at `MAX_CHARS`, so one runaway completion cannot stall a batch.
"""

from __future__ import annotations

from math_verify import parse, verify

from paddlemix.metrics.answers import math_verify_timeout

MAX_CHARS = 100_000


def compute_score(answer: str, gold: str) -> float:
    """VLM-R1's `compute_score(solution_str, ground_truth)`: 1.0 or 0.0 (see the module docstring)."""
    answer, gold = answer[:MAX_CHARS], gold[:MAX_CHARS]
    if answer == gold:
        return 1.0
    timeout = math_verify_timeout()
    if verify(
        parse(answer, parsing_timeout=timeout), parse(gold, parsing_timeout=timeout), timeout_seconds=timeout
    ):
        return 1.0
    boxed = last_boxed_only_string(answer)
    try:
        inner = remove_boxed(boxed) if boxed is not None else answer
    except ValueError:
        # VLM-R1's `assert` in remove_boxed fails and its `except Exception` scores 0.
        return 0.0
    return 1.0 if is_equiv(inner, gold) else 0.0


def remove_boxed(s: str) -> str:
    r"""The inside of `\boxed{...}` (or what follows `\boxed `); ValueError where VLM-R1 asserts."""
    if "\\boxed " in s:
        left = "\\boxed "
        if not s.startswith(left):
            raise ValueError(s)
        return s[len(left) :]
    left = "\\boxed{"
    if not s.startswith(left) or not s.endswith("}"):
        raise ValueError(s)
    return s[len(left) : -1]


def last_boxed_only_string(string: str) -> str | None:
    r"""The last `\boxed{...}` / `\fbox{...}` with balanced braces, or `\boxed ` up to the next `$`; else None."""
    idx = string.rfind("\\boxed")
    if "\\boxed " in string:
        return "\\boxed " + string.split("\\boxed ")[-1].split("$")[0]
    if idx < 0:
        idx = string.rfind("\\fbox")
        if idx < 0:
            return None
    depth = 0
    for i in range(idx, len(string)):
        if string[i] == "{":
            depth += 1
        elif string[i] == "}":
            depth -= 1
            if depth == 0:
                return string[idx : i + 1]
    return None


def is_equiv(str1: str | None, str2: str | None) -> bool:
    """The MATH dataset's equivalence: equal after `strip_string` (equal strings if that fails)."""
    if str1 is None or str2 is None:
        return str1 is None and str2 is None
    try:
        return strip_string(str1) == strip_string(str2)
    except (IndexError, ValueError):
        return str1 == str2


def fix_fracs(string: str) -> str:
    r"""`\frac12` -> `\frac{1}{2}`, `\frac1b` -> `\frac{1}{b}`; IndexError on a bare trailing `\frac`."""
    substrs = string.split("\\frac")
    new_str = substrs[0]
    for substr in substrs[1:]:
        new_str += "\\frac"
        if substr[0] == "{":
            new_str += substr
            continue
        if len(substr) < 2:
            return string
        a, b, rest = substr[0], substr[1], substr[2:]
        new_str += "{" + a + "}{" + b + "}" + rest if b != "{" else "{" + a + "}" + b + rest
    return new_str


def fix_a_slash_b(string: str) -> str:
    r"""`3/4` (two integers, written plainly) -> `\frac{3}{4}`."""
    parts = string.split("/")
    if len(parts) != 2:
        return string
    # A non-integer side raises ValueError, as in VLM-R1, and `is_equiv` then compares the raw strings.
    a, b = int(parts[0]), int(parts[1])
    return "\\frac{" + str(a) + "}{" + str(b) + "}" if string == f"{a}/{b}" else string


def remove_right_units(string: str) -> str:
    r"""What precedes `\text{ ` (a unit, in the MATH set); ValueError when it occurs twice (VLM-R1 asserts)."""
    if "\\text{ " not in string:
        return string
    splits = string.split("\\text{ ")
    if len(splits) != 2:
        raise ValueError(string)
    return splits[0]


def fix_sqrt(string: str) -> str:
    r"""`\sqrt3` -> `\sqrt{3}`."""
    if "\\sqrt" not in string:
        return string
    splits = string.split("\\sqrt")
    new_string = splits[0]
    for split in splits[1:]:
        new_string += "\\sqrt{" + split[0] + "}" + split[1:] if split[0] != "{" else "\\sqrt" + split
    return new_string


def strip_string(string: str) -> str:
    """The MATH normalisation of an answer string (IndexError where the original indexes an empty piece)."""
    for old, new in (
        ("\n", ""),
        ("\\!", ""),
        ("\\\\", "\\"),
        ("tfrac", "frac"),
        ("dfrac", "frac"),
        ("\\left", ""),
        ("\\right", ""),
        ("^{\\circ}", ""),
        ("^\\circ", ""),
        ("\\$", ""),
    ):
        string = string.replace(old, new)
    string = remove_right_units(string)
    string = string.replace("\\%", "")
    string = string.replace(" .", " 0.").replace("{.", "{0.")
    if not string:
        return string
    if string[0] == ".":
        string = "0" + string
    sides = string.split("=")
    if len(sides) == 2 and len(sides[0]) <= 2:
        string = sides[1]
    string = fix_sqrt(string)
    string = string.replace(" ", "")
    string = fix_fracs(string)
    if string == "0.5":
        string = "\\frac{1}{2}"
    return fix_a_slash_b(string)
