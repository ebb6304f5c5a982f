"""The self-check's report: one line per check (PASS, FAIL or SKIP, with its figures and tolerance).

A check that cannot run here (no GPU, one GPU) is a SKIP with the reason, never a silent PASS. The exit status
is 0 when every check that ran passed and 1 when one failed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

PASS, FAIL, SKIP = "PASS", "FAIL", "SKIP"


@dataclass
class CheckResult:
    """One check's outcome: `detail` holds the measured figures, `tolerance` what they were held to."""

    name: str
    status: str
    detail: str = ""
    tolerance: str = ""
    figures: dict[str, float] = field(default_factory=dict)

    def line(self, width: int) -> str:
        """The report line: `STATUS  name  detail [tolerance]`."""
        tol = f" [{self.tolerance}]" if self.tolerance else ""
        return f"{self.status:<4}  {self.name:<{width}}  {self.detail}{tol}".rstrip()


def skipped(name: str, why: str) -> CheckResult:
    """A check that did not run here, and why."""
    return CheckResult(name, SKIP, f"skipped: {why}")


def within(name: str, figures: dict[str, float], limits: dict[str, float], note: str = "") -> CheckResult:
    """PASS when every figure named in `limits` is finite and at most its limit; the detail shows all figures."""
    bad = [k for k, limit in limits.items() if not figures[k] <= limit]  # NaN fails too
    detail = ", ".join(f"{k} {_fmt(v)}" for k, v in figures.items())
    tolerance = ", ".join(f"{k} <= {_fmt(v)}" for k, v in limits.items())
    return CheckResult(name, FAIL if bad else PASS, f"{detail}{note}", tolerance, dict(figures))


def _fmt(value: float) -> str:
    return f"{value:.3g}" if isinstance(value, float) else str(value)


def render(environment: list[tuple[str, str]], results: list[CheckResult]) -> str:
    """The whole report: the environment, then the checks, then a one-line summary."""
    key_width = max((len(k) for k, _ in environment), default=0)
    lines = ["== environment"]
    lines += [f"{k:<{key_width}}  {v}" for k, v in environment]
    lines.append("== checks")
    width = max((len(r.name) for r in results), default=0)
    lines += [r.line(width) for r in results]
    counts = {s: sum(r.status == s for r in results) for s in (PASS, FAIL, SKIP)}
    verdict = "FAILED" if counts[FAIL] else "OK"
    lines.append(f"== {verdict}: {counts[PASS]} passed, {counts[FAIL]} failed, {counts[SKIP]} skipped")
    return "\n".join(lines)


def exit_status(results: list[CheckResult]) -> int:
    """0 when every check that ran passed, 1 when one failed."""
    return int(any(r.status == FAIL for r in results))
