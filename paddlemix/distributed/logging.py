"""Rank-aware logging: rank 0 logs INFO, the other ranks only warnings, each line tagged with its rank."""

from __future__ import annotations

import logging
import os


def _rank() -> int:
    """This process's rank from the launcher's environment (0 when not launched)."""
    return int(os.environ.get("PADDLE_TRAINER_ID", os.environ.get("PADDLE_GLOBAL_RANK", "0")))


def setup_logging(level: int = logging.INFO) -> None:
    """Configure the root logger once: INFO on rank 0, WARNING elsewhere, `[rank N]` in every line."""
    rank = _rank()
    logging.basicConfig(
        level=level if rank == 0 else max(level, logging.WARNING),
        format=f"%(asctime)s [rank {rank}] %(levelname)s %(name)s: %(message)s",
        datefmt="%H:%M:%S",
        force=True,
    )
