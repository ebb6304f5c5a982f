"""Test-wide fixtures: every test starts from the same seeds."""

from __future__ import annotations

import numpy as np
import paddle
import pytest


@pytest.fixture(autouse=True)
def _seed():
    paddle.seed(0)
    np.random.seed(0)
