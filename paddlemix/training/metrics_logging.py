"""What a run shows: a progress bar, VisualDL scalars and a log line, from each step's metrics dict.

- Progress bar (rank 0): the trainer's chosen metrics of the last step (`bar`), e.g. GRPO's reward, KL,
  completion length and step time.
- VisualDL (rank 0, `--report_to visualdl`): every metric the trainer's step returns, averaged over
  `logging_steps` steps, under `train/<name>`.
- Log line (rank 0), every `logging_steps` steps: the averages of the trainer's `shown` metrics.
"""

from __future__ import annotations

import logging
import os
from collections import defaultdict

import numpy as np
from tqdm import tqdm

from paddlemix.training.config import TrainerConfig

logger = logging.getLogger(__name__)


class MetricsLogger:
    """Collects per-step metrics and writes them to the progress bar, VisualDL and the log."""

    def __init__(
        self,
        total_steps: int,
        initial_step: int,
        rank: int,
        logging_steps: int,
        logdir: str | None,
        run_name: str,
        show_progress: bool,
        bar: dict[str, tuple[str, str, float]] | None = None,
        shown: tuple[str, ...] = ("loss", "time/step"),
    ):
        """`logdir` None: no VisualDL; only rank 0 shows and writes anything.

        `bar`: progress-bar label -> (metric, format spec, value when missing); `shown`: metrics of the log line.
        """
        self.rank, self.logging_steps = rank, logging_steps
        self.bar = bar if bar is not None else {"loss": ("loss", ".4g", float("nan"))}
        self.shown = shown
        self._window: dict[str, list[float]] = defaultdict(list)
        self.history: list[dict] = []  # every step's metrics, for tests and callers
        self._writer = None
        if rank == 0 and logdir is not None:
            from visualdl import LogWriter

            self._writer = LogWriter(logdir=os.path.join(logdir, run_name))
        self._bar = (
            tqdm(total=total_steps, initial=initial_step, desc=run_name, unit="step", dynamic_ncols=True)
            if rank == 0 and show_progress
            else None
        )

    def log_step(self, step: int, metrics: dict[str, float]) -> None:
        """Record step `step`'s metrics (1-based count of optimizer steps done)."""
        self.history.append({"step": step, **metrics})
        for k, v in metrics.items():
            if v is not None and np.isfinite(v):
                self._window[k].append(float(v))
        if self._bar is not None:
            self._bar.update(1)
            self._bar.set_postfix(
                {
                    label: format(metrics.get(key, missing), spec)
                    for label, (key, spec, missing) in self.bar.items()
                }
            )
        if step % self.logging_steps == 0:
            self._flush(step)

    def _flush(self, step: int) -> None:
        averaged = {k: float(np.mean(v)) for k, v in self._window.items() if v}
        self._window.clear()
        if self.rank != 0:
            return
        if self._writer is not None:
            for k, v in averaged.items():
                self._writer.add_scalar(tag=f"train/{k}", value=v, step=step)
            self._writer.flush()
        logger.info(
            "step %d: %s", step, ", ".join(f"{k} {averaged[k]:.4g}" for k in self.shown if k in averaged)
        )

    def close(self) -> None:
        """Close the bar and the VisualDL writer."""
        if self._bar is not None:
            self._bar.close()
        if self._writer is not None:
            self._writer.close()


def run_name(cfg: TrainerConfig) -> str:
    """The run's name: --run_name, else output_dir's folder name."""
    return cfg.run_name or os.path.basename(os.path.normpath(cfg.output_dir))


def metrics_logger(
    cfg: TrainerConfig, total_steps: int, initial_step: int, rank: int, **shown
) -> MetricsLogger:
    """The MetricsLogger a TrainerConfig asks for (VisualDL under logging_dir or output_dir/runs); `shown`: bar, shown."""
    logdir = None if cfg.report_to == "none" else (cfg.logging_dir or os.path.join(cfg.output_dir, "runs"))
    return MetricsLogger(
        total_steps,
        initial_step,
        rank,
        cfg.logging_steps,
        logdir,
        run_name(cfg),
        not cfg.disable_tqdm,
        **shown,
    )
