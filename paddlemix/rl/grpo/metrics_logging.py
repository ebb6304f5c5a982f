"""What a run shows: a progress bar, VisualDL scalars, a log line, and optionally every sampled completion.

- Progress bar (rank 0): reward, KL, completion length and step time of the last step.
- VisualDL (rank 0, `--report_to visualdl`): every metric of `GRPOTrainer.train_step`, averaged over
  `logging_steps` steps: reward, reward_std, rewards/<func> (+ _std), kl, clip_ratio, completion_length
  mean/min/max, zero_std_fraction, tokens_per_second, time/generation vs time/update, drops, loss, lr.
- `--log_completions`: each rank appends its groups to output_dir/completions.jsonl (rank 0) or
  completions.rank{r}.jsonl, one line per completion with its prompt, rewards and advantage.
"""

from __future__ import annotations

import json
import logging
import os
from collections import defaultdict

import numpy as np
from tqdm import tqdm

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
    ):
        """`logdir` None: no VisualDL; only rank 0 shows and writes anything."""
        self.rank, self.logging_steps = rank, logging_steps
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
                reward=f"{metrics.get('reward', float('nan')):.3f}",
                kl=f"{metrics.get('kl', 0.0):.4f}",
                len=f"{metrics.get('completion_length', float('nan')):.1f}",
                sec=f"{metrics.get('time/step', float('nan')):.2f}",
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
        shown = ("reward", "reward_std", "kl", "clip_ratio", "completion_length", "loss", "time/step")
        logger.info("step %d: %s", step, ", ".join(f"{k} {averaged[k]:.4g}" for k in shown if k in averaged))

    def close(self) -> None:
        """Close the bar and the VisualDL writer."""
        if self._bar is not None:
            self._bar.close()
        if self._writer is not None:
            self._writer.close()


def write_completions(path: str, step: int, groups) -> None:
    """Append one JSON line per completion of `groups` (rollout `Group`s) to `path`."""
    with open(path, "a", encoding="utf-8") as f:
        for group in groups:
            sample = group.prompt.sample
            adv = group.advantages.numpy().tolist() if group.advantages is not None else None
            for i, text in enumerate(group.texts):
                record = {
                    "step": step,
                    "slot": group.slot,
                    "source": sample.get("source"),
                    "problem": sample.get("problem"),
                    "solution": sample.get("solution"),
                    "completion": text,
                    "reward": float(group.rewards[i]),
                    "rewards": {
                        k: (None if np.isnan(v[i]) else float(v[i])) for k, v in group.per_func.items()
                    },
                    "advantage": adv[i] if adv is not None else None,
                    "length": int(group.lengths[i]),
                }
                f.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")


def completions_path(output_dir: str, rank: int) -> str:
    """Where a rank writes its completions."""
    return os.path.join(output_dir, "completions.jsonl" if rank == 0 else f"completions.rank{rank}.jsonl")
