"""paddlemix/metrics is a leaf: none of its modules imports another paddlemix package."""

from __future__ import annotations

import ast
import pathlib

import paddlemix.metrics

METRICS_DIR = pathlib.Path(paddlemix.metrics.__file__).parent


def imported_modules(path: pathlib.Path) -> set[str]:
    """Every absolute module name a file imports (relative imports resolved against paddlemix.metrics)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            names.add(f"paddlemix.metrics.{base}".rstrip(".") if node.level else base)
    return names


def test_metrics_imports_nothing_else_of_paddlemix():
    files = sorted(METRICS_DIR.rglob("*.py"))
    assert files, "no metrics modules found"
    upward = {
        f"{path.name}: {name}"
        for path in files
        for name in imported_modules(path)
        if name.split(".")[0] == "paddlemix" and not name.startswith("paddlemix.metrics")
    }
    assert not upward, f"paddlemix/metrics must import only itself, found {sorted(upward)}"


def test_the_scan_sees_an_upward_import(tmp_path):
    # The check can fail: a file importing a sibling package is caught.
    bad = tmp_path / "bad.py"
    bad.write_text("from paddlemix.tasks import get_task\nimport paddlemix.rewards.registry\n")
    assert {"paddlemix.tasks", "paddlemix.rewards.registry"} <= imported_modules(bad)
