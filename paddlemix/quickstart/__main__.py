"""`python -m paddlemix.quickstart [--task TASK] ...`: run one task's CPU quickstart (default: counting)."""

from __future__ import annotations

import argparse

from paddlemix.quickstart import TASKS, quickstart_task
from paddlemix.quickstart import main as counting_main


def main(argv: list[str] | None = None) -> dict:
    """Pick the task (`--task`, default counting) and run its quickstart with the other flags."""
    p = argparse.ArgumentParser(add_help=False)
    p.add_argument("--task", default="counting", choices=TASKS)
    known, rest = p.parse_known_args(argv)
    if known.task == "counting":
        return counting_main(rest)
    from paddlemix.quickstart.runner import run_task

    return run_task(quickstart_task(known.task), rest)


if __name__ == "__main__":
    from paddlemix.errors import run_main

    run_main(main)
