"""Fixtures for the processor tests: the tiny tokenizer directory, the golden outputs of transformers,
and (only when transformers is installed) transformers' processor itself for live comparisons.

Regenerate the golden files with `python tools/make_processor_fixtures.py`.
"""

import json
import os

import numpy as np
import pytest

from paddlemix.processors import Qwen2VLProcessor

FIXTURES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "fixtures")


@pytest.fixture(scope="session")
def tokenizer_dir() -> str:
    """The tiny tokenizer + preprocessor config in the hub layout (max_pixels 9408)."""
    return os.path.join(FIXTURES, "tiny_tokenizer")


@pytest.fixture(scope="session")
def processor_golden() -> dict:
    """transformers' chat renderings, token ids, smart_resize sizes and the case definitions."""
    with open(os.path.join(FIXTURES, "processor_golden.json"), encoding="utf-8") as f:
        return json.load(f)


@pytest.fixture(scope="session")
def processor_arrays() -> dict[str, np.ndarray]:
    """transformers' processor outputs and the synthetic input images."""
    with np.load(os.path.join(FIXTURES, "processor_golden.npz")) as data:
        return {key: data[key] for key in data.files}


@pytest.fixture(scope="session")
def processor(tokenizer_dir) -> Qwen2VLProcessor:
    """Our processor on the tiny directory."""
    return Qwen2VLProcessor.from_pretrained(tokenizer_dir)


@pytest.fixture(scope="session")
def hf_processor(tokenizer_dir):
    """transformers' processor on the tiny directory; skips the test when transformers is absent."""
    pytest.importorskip("transformers")
    from paddlemix.testing.hf_reference import load_reference_processor

    return load_reference_processor(tokenizer_dir)


@pytest.fixture(scope="session")
def assert_same():
    """Assert two arrays have equal shape, dtype kind and values, reporting max / mean difference otherwise."""

    def check(actual, expected, name: str) -> None:
        actual, expected = np.asarray(actual), np.asarray(expected)
        assert actual.shape == expected.shape, f"{name}: shape {actual.shape} != {expected.shape}"
        assert actual.dtype == expected.dtype, f"{name}: dtype {actual.dtype} != {expected.dtype}"
        if not np.array_equal(actual, expected):
            diff = np.abs(actual.astype(np.float64) - expected.astype(np.float64))
            raise AssertionError(
                f"{name}: not bit-exact, max diff {diff.max():.3g}, mean diff {diff.mean():.3g}, "
                f"{np.count_nonzero(diff)} of {diff.size} values differ"
            )

    return check
