"""The block a training run prints before its first step: what it trains, on what, how, and where it writes.

    run: grpo_tiny_cpu
      task(s)      counting (64)
      data         data/synthetic/Counting/clevr_cogen_a_train: 64 samples (0 dropped)
      model        qwen2_vl from tests/fixtures/models/qwen2_vl_tied: 1.23M parameters, float32, eager attention
      training     full: 1.23M trainable parameters (vision tower frozen: no)
      world        1 process(es), 2 prompts per step x G=4 completions, completion length <= 16, 10 steps
      precision    float32 (bf16 off)
      output       work_dirs/grpo_tiny_cpu

A trainer calls `log_run_header(trainer, per_step)` once, on rank 0, with its own line about a step's shape.
"""

from __future__ import annotations

import logging
import os
import re
from collections import Counter

logger = logging.getLogger(__name__)


def _count(n: int) -> str:
    """1234567 -> '1.23M'."""
    for unit, size in (("B", 1e9), ("M", 1e6), ("K", 1e3)):
        if n >= size:
            return f"{n / size:.3g}{unit}"
    return str(n)


def _source_file(source) -> str:
    """`a.jsonl:17`, `a.json[3]`, `dir [train] row 5` -> the file or folder."""
    return re.sub(r"(:\d+|\[\d+\])$", "", str(source).split(" [")[0])


def _sources(dataset, default: str) -> Counter:
    """Samples per source file (a data YAML mixes several); lazily stored rows count under `default`."""
    counts = Counter(
        _source_file(sample.get("source", default) if isinstance(sample, dict) else default)
        for sample in getattr(dataset, "samples", [])
    )
    return counts or Counter({default: len(dataset)})


def _tasks(dataset, default: str) -> Counter:
    """Samples per task name (the declared `task` field; the configured task for the rest)."""
    return Counter(
        (sample.get("task") if isinstance(sample, dict) else None) or default for sample in dataset.samples
    )


def header_lines(trainer, per_step: str) -> list[str]:
    """The header's lines for `trainer` (a `TrainingLoop` after `setup_optimization`)."""
    cfg, model = trainer.cfg, trainer.model
    m, d, t = cfg.model, cfg.data, cfg.trainer
    try:
        task = d.resolved_task
    except Exception:  # a mixture (data YAML): each sample names its task
        task = d.task or "from each sample"
    tasks = _tasks(trainer.dataset, task)
    skipped = trainer.dataset.skipped
    dropped = f"{skipped.count} dropped: {skipped.breakdown()}" if skipped.count else "0 dropped"
    data = [f"{src}: {n} samples" for src, n in _sources(trainer.dataset, d.dataset_name).items()]
    total = sum(int(p.numel()) for p in model.parameters())
    trainable = sum(int(p.numel()) for p in trainer.trainable)
    dtype = str(next(iter(model.parameters())).dtype).replace("paddle.", "")
    attn = getattr(model.config, "attn_implementation", None) or "eager"
    if cfg.lora.enabled:
        training = (
            f"LoRA rank {cfg.lora.lora_rank} (alpha {cfg.lora.lora_alpha:g}): {_count(trainable)} trainable"
        )
    else:
        frozen = "vision tower frozen" if m.freeze_vision else "vision tower trained"
        training = f"full: {_count(trainable)} trainable parameters ({frozen})"
    precision = "bf16" if m.bf16 else "fp16" if m.fp16 else "float32"
    if m.bf16 or m.fp16:
        precision += f" {m.fp16_opt_level}"
    return [
        f"run: {os.path.basename(os.path.normpath(t.output_dir))}",
        f"  task(s)    {', '.join(f'{name} ({n})' for name, n in tasks.items())}",
        f"  data       {'; '.join(data)} ({dropped})",
        f"  model      {model.config.model_type} from {m.model_name_or_path}: {_count(total)} parameters, "
        f"{dtype}, {attn} attention",
        f"  training   {training}",
        f"  world      {trainer.env.world_size} process(es), {per_step}, {trainer.total_steps} steps",
        f"  precision  {precision}{', recompute' if m.recompute else ''}",
        f"  output     {t.output_dir}",
    ]


def log_run_header(trainer, per_step: str) -> None:
    """Log the header block once, on rank 0 (`per_step`: the trainer's words for one step's batch)."""
    if trainer.env.rank == 0:
        logger.info("\n".join(header_lines(trainer, per_step)))
