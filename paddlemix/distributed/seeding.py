"""Seeds and RNG states: one call seeds python, numpy and paddle; derived seeds are stable across runs and ranks."""

from __future__ import annotations

import hashlib
import random

import numpy as np
import paddle


def seed_everything(seed: int) -> None:
    """Seed python's `random`, numpy and paddle's default generator."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    paddle.seed(seed)


def derived_seed(seed: int, *keys) -> int:
    """A 31-bit seed from `seed` and keys (e.g. step and prompt slot), the same on every machine and rank.

    Seeding each prompt's rollouts this way makes them independent of which rank generates them, so runs on
    different world sizes sample the same completions.
    """
    digest = hashlib.sha256("/".join(str(k) for k in (seed, *keys)).encode()).digest()
    return int.from_bytes(digest[:4], "little") & 0x7FFFFFFF


def get_rng_states() -> dict:
    """This process's python, numpy and paddle RNG states (picklable)."""
    return {"python": random.getstate(), "numpy": np.random.get_state(), "paddle": paddle.get_rng_state()}


def set_rng_states(states: dict) -> None:
    """Restore states from `get_rng_states`."""
    random.setstate(states["python"])
    np.random.set_state(states["numpy"])
    paddle.set_rng_state(states["paddle"])
