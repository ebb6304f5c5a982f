"""`.ci/run` runs exactly the test command of docs/development.md (the README links it)."""

import os
import re

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_ci_runs_the_readme_test_command():
    readme = open(os.path.join(REPO, "docs", "development.md"), encoding="utf-8").read()
    section = readme.split("## Test", 1)[1]
    command = re.search(r"```bash\n(.+?)\n```", section, re.DOTALL).group(1).strip()
    ci = [line.strip() for line in open(os.path.join(REPO, ".ci", "run"), encoding="utf-8")]
    assert command in ci, f"README test command {command!r} is not a line of .ci/run"
