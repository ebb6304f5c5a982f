"""Rank-aware logging: rank 0 logs INFO, the other ranks only warnings, each line tagged with its rank.

Lines go through `tqdm.write`, so a log line printed while a progress bar is drawn lands on its own line
above the bar instead of being glued to it.
"""

from __future__ import annotations

import logging
import os

from tqdm import tqdm


class _TqdmHandler(logging.StreamHandler):
    """A stderr handler that prints around tqdm's progress bars (clears, writes, redraws)."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            tqdm.write(self.format(record), file=self.stream)
            self.flush()
        except Exception:
            self.handleError(record)


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
        handlers=[_TqdmHandler()],
        force=True,
    )
