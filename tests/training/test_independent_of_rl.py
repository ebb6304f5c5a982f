"""A second trainer needs nothing from rl/: importing paddlemix.training loads no paddlemix.rl module."""

from __future__ import annotations

import subprocess
import sys

PROBE = """
import sys
import paddlemix.training
from paddlemix.training import *  # noqa: F403
print(sorted(m for m in sys.modules if m == "paddlemix.rl" or m.startswith("paddlemix.rl.")))
"""


def test_importing_the_training_layer_imports_no_rl_module():
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().splitlines()[-1] == "[]"
