"""Every command in the README's and docs/'s bash blocks exists, and so does every flag it passes.

Each `python -m MODULE ...` / `python path.py ...` is checked against its program's `--help` (one run per
program): a `--flag` the help does not list fails. `bash scripts/run_*.sh ...` and `bash scripts/run_sft.sh
...` run with `DRY_RUN=1`, which resolves the whole config (`--print_config`) and launches nothing.
`bash scripts/quickstart.sh` and `scripts/check_gpu.sh` are checked through the programs they run. Commands
that need data, a GPU or the network are listed in `UNCHECKED` with the reason.
"""

from __future__ import annotations

import glob
import os
import re
import shlex
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PAGES = [os.path.join(REPO, "README.md"), *sorted(glob.glob(os.path.join(REPO, "docs", "*.md")))]
# The programs shell scripts hand their flags to.
SCRIPT_PROGRAMS = {
    "scripts/quickstart.sh": ("-m", "paddlemix.quickstart"),
    "scripts/check_gpu.sh": ("-m", "paddlemix.diagnostics.gpu_check"),
}
UNCHECKED = {
    "pip": "installs packages",
    "wget": "downloads data",
    "visualdl": "a log viewer",
    ".ci/run": "the whole suite",
    "scripts/prepare_data.sh": "unpacks downloaded archives",
    "eval/eval_aff_r1.sh": "needs SAM2 and data (its flags are evaluate_affordance.py's)",
    "eval/eval_localization.sh": "needs Vision-R1's data",
    "paddle.distributed.launch": "Paddle's launcher",
}


def commands(path: str) -> list[list[str]]:
    """The commands of every ```bash block of a page, continuation lines joined, comments dropped."""
    text = open(path, encoding="utf-8").read()
    out = []
    for block in re.findall(r"```bash\n(.*?)```", text, re.DOTALL):
        for line in block.replace("\\\n", " ").splitlines():
            words = shlex.split(line, comments=True)
            if words:
                out.append(words)
    return out


def split_env(words: list[str]) -> tuple[dict, list[str]]:
    """(VAR=value prefixes, the command)."""
    env = {}
    while words and re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", words[0]):
        key, _, value = words[0].partition("=")
        env[key] = value
        words = words[1:]
    return env, words


def program(words: list[str]) -> tuple[str, tuple[str, ...] | None, list[str]]:
    """(kind, the python program's argv prefix, the flags' words) of a command; kind "dry-run" / "help" / skip."""
    if words[0] == "python" and len(words) > 1:
        if words[1] == "-m":
            if words[2] in UNCHECKED:
                return "skip", None, []
            return "help", ("-m", words[2]), words[3:]
        if words[1] == "-c":
            return "skip", None, []
        return "help", (os.path.join(REPO, words[1]),), words[2:]
    if words[0] == "bash":
        script = words[1]
        if script in SCRIPT_PROGRAMS:
            return "help", SCRIPT_PROGRAMS[script], words[2:]
        if re.match(r"scripts/run_\w+\.sh$", script):
            return "dry-run", (script,), words[2:]
    return "skip", None, []


def documented() -> list[tuple[str, dict, list[str]]]:
    """(page, env, words) of every command of every page."""
    return [(os.path.relpath(page, REPO), *split_env(words)) for page in PAGES for words in commands(page)]


def _help(prefix: tuple[str, ...]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *prefix, "--help"], cwd=REPO, capture_output=True, text=True, timeout=300
    )


def _dry_run(env: dict, words: list[str]) -> subprocess.CompletedProcess:
    full = {**os.environ, **env, "DRY_RUN": "1"}
    args = [w for w in words[1:] if w != "--dry-run"]  # words[0] is "bash"
    return subprocess.run(["bash", *args], cwd=REPO, env=full, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def checked():
    """(failures, counts): each documented command checked, the programs' --help run once each."""
    entries = documented()
    helps, dry_runs = {}, {}
    for _, env, words in entries:
        kind, prefix, _ = program(words)
        if kind == "help":
            helps[prefix] = None
        elif kind == "dry-run":
            dry_runs[(tuple(sorted(env.items())), tuple(words))] = None
    with ThreadPoolExecutor(4) as pool:
        help_runs = dict(zip(helps, pool.map(_help, helps)))
        dry = dict(zip(dry_runs, pool.map(lambda k: _dry_run(dict(k[0]), list(k[1])), dry_runs)))
    failures = []
    for page, env, words in entries:
        kind, prefix, flags = program(words)
        shown = " ".join(words)
        if kind == "help":
            proc = help_runs[prefix]
            text = proc.stdout + proc.stderr
            if proc.returncode != 0:
                failures.append(f"{page}: `{shown}`: --help exited {proc.returncode}: {text[-500:]}")
                continue
            for flag in (w.lstrip("[").split("=", 1)[0] for w in flags if w.lstrip("[").startswith("--")):
                if not re.search(re.escape(flag) + r"(?![\w-])", text):
                    failures.append(f"{page}: `{shown}`: {flag} is not a flag of {' '.join(prefix)}")
        elif kind == "dry-run":
            proc = dry[(tuple(sorted(env.items())), tuple(words))]
            if proc.returncode != 0:
                failures.append(f"{page}: `{shown}`: dry run exited {proc.returncode}: {proc.stderr[-500:]}")
    counts = {"help": len(helps), "dry-run": len(dry_runs), "commands": len(entries)}
    return failures, counts


@pytest.mark.slow  # about 20 --help runs and 12 dry runs: ~60 s on 2 loaded cores
def test_every_documented_command_and_flag_exists(checked):
    failures, counts = checked
    assert counts["help"] >= 10 and counts["dry-run"] >= 3, counts  # the pages were read
    assert failures == [], "\n".join(failures)


def test_a_nonexistent_flag_is_caught(tmp_path):
    page = tmp_path / "page.md"
    page.write_text("```bash\npython -m paddlemix.preflight --config x.yaml --no_such_flag 1\n```\n")
    ((words),) = commands(str(page))
    kind, prefix, flags = program(words)
    text = _help(prefix).stdout
    assert kind == "help" and "--no_such_flag" in flags and "--no_such_flag" not in text
    assert "--gpu_memory_gb" in text
