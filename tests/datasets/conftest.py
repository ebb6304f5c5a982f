"""Synthetic data folders in the real layouts, shared by the dataset tests."""

from __future__ import annotations

import pytest

from paddlemix.datasets.synthetic import write_layouts


@pytest.fixture(scope="module")
def synthetic_root(tmp_path_factory) -> str:
    """A data/ folder with REC/, Counting/ and GEO/: 12 training and 3 eval samples each. Read-only."""
    root = str(tmp_path_factory.mktemp("data"))
    write_layouts(root, n=12, n_eval=3, seed=0)
    return root


@pytest.fixture
def fresh_root(tmp_path) -> str:
    """A data/ folder of the test's own (6 training and 2 eval samples per task), free to damage."""
    root = str(tmp_path / "data")
    write_layouts(root, n=6, n_eval=2, seed=1)
    return root
