"""Paths and loaders of the committed test fixtures, shared by the test modules."""

from __future__ import annotations

import importlib.util
import os

import numpy as np
import pytest

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures")
MODEL_FIXTURES = os.path.join(FIXTURES, "models")
TINY_MODELS = [
    "qwen2_vl_tied",
    "qwen2_vl_untied",
    "qwen2_5_vl_tied",
    "qwen2_5_vl_untied",
    "qwen3_vl_tied",
    "qwen3_vl_untied",
]
HAS_REFERENCE = all(importlib.util.find_spec(m) is not None for m in ("torch", "transformers"))

requires_reference = pytest.mark.skipif(not HAS_REFERENCE, reason="torch + transformers not installed")


def tiny_dir(name: str) -> str:
    """Path of a committed tiny checkpoint."""
    return os.path.join(MODEL_FIXTURES, name)


def golden(name: str, case: str) -> dict:
    """The committed transformers outputs for a tiny checkpoint and input case."""
    with np.load(os.path.join(tiny_dir(name), f"golden_{case}.npz")) as data:
        return {k: data[k] for k in data.files}
