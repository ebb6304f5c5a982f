"""A second trainer needs nothing from rl/: importing every module of paddlemix.training loads no paddlemix.rl module."""

from __future__ import annotations

import subprocess
import sys

PROBE = """
import importlib, pkgutil, sys
import paddlemix.training
names = [m.name for m in pkgutil.iter_modules(paddlemix.training.__path__, "paddlemix.training.")]
for name in names:
    importlib.import_module(name)
print(len(names), sorted(m for m in sys.modules if m == "paddlemix.rl" or m.startswith("paddlemix.rl.")))
"""


def test_importing_the_training_layer_imports_no_rl_module():
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    count, rl_modules = done.stdout.strip().splitlines()[-1].split(" ", 1)
    assert int(count) >= 10  # every module of the layer was imported
    assert rl_modules == "[]"
