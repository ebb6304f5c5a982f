"""The preflight: data, memory budget and reward red team of a GRPO or SFT run, printed as one table.

`run_preflight` (GRPO) and `run_sft_preflight` are what `python -m paddlemix.preflight` prints;
`preflight_at_start` / `sft_preflight_at_start` are the cheap versions every training run logs before its
model loads (the first `START_SAMPLES` samples, warnings only).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from paddlemix.errors import UserError
from paddlemix.image_files import image_size
from paddlemix.preflight.data_check import check_data, data_rows
from paddlemix.preflight.memory import (
    GIB,
    MIB,
    RunShape,
    budget,
    cpu_training_bytes,
    parameter_counts,
    read_model_config,
    recommendations,
    runtime_bytes,
    trainable_parameters,
)
from paddlemix.preflight.red_team import red_team
from paddlemix.preflight.sft_check import check_sft_data, sft_budget_rows, sft_data_rows
from paddlemix.rewards.coverage import task_samples

logger = logging.getLogger(__name__)

START_SAMPLES = 64  # samples the start-of-training preflight reads


class PreflightError(UserError):
    """`--strict`: the preflight found a problem."""


@dataclass
class Preflight:
    """The table's rows, the CPU estimate and the red team's findings."""

    rows: list[tuple[str, str, str]] = field(default_factory=list)  # (check, status, detail)
    cpu_bytes: int = 0
    findings: list = field(default_factory=list)

    def table(self) -> str:
        """The rows as an aligned text table, then the CPU estimate line."""
        width = max(len(r[0]) for r in self.rows)
        lines = [f"{'preflight'.ljust(width)}  status  detail"]
        lines += [f"{check.ljust(width)}  {status.ljust(6)}  {detail}" for check, status, detail in self.rows]
        lines.append(f"CPU training memory (estimate): {self.cpu_bytes / MIB:.0f} MiB")
        return "\n".join(lines)

    @property
    def problems(self) -> list[str]:
        """The rows that are not ok."""
        return [f"{c}: {d}" for c, s, d in self.rows if s not in ("ok", "n/a")]


def run_shape(cfg, counts, prompt_tokens: int, patches: int, on_gpu: bool, world: int) -> RunShape:
    """The memory-relevant shape of a GRPO run (`cfg` a TrainConfig)."""
    m, g, lora, d = cfg.model, cfg.grpo, cfg.lora, cfg.distributed
    half = on_gpu and (m.bf16 or m.fp16)
    o2 = half and m.fp16_opt_level == "O2"
    stage = int(d.sharding[-1]) if d.sharding else 0
    targets = len(lora.lora_target_modules) if lora.enabled else 0
    return RunShape(
        counts=counts,
        num_generations=g.num_generations,
        prompt_tokens=prompt_tokens,
        completion_tokens=g.max_completion_length,
        image_patches=patches,
        weight_bytes=2 if half else 4,
        master_weights=o2,
        master_grads=o2 and m.amp_master_grad,
        recompute=m.recompute,
        flash=on_gpu and (m.attn_implementation or "flash") != "eager" and half,
        reference=g.beta > 0 and not lora.enabled,
        trainable=trainable_parameters(counts, lora.lora_rank, targets, m.freeze_vision),
        sharding_stage=stage if on_gpu else 0,
        world=world if on_gpu else 1,
        prompts=cfg.trainer.per_device_train_batch_size,
    )


def budget_rows(cfg, counts, prompt_tokens: int, patches: int, gpu_memory_gb: float, world: int):
    """Rows of the GPU budget per rank, and the CPU training estimate in bytes."""
    gpu = run_shape(cfg, counts, prompt_tokens, patches, on_gpu=True, world=world)
    parts = budget(gpu)
    total = sum(parts.values())
    fits = total <= gpu_memory_gb * GIB
    detail = ", ".join(f"{k} {v / GIB:.2f}" for k, v in parts.items())
    rows = [
        (f"budget: model ({counts.total / 1e9:.3g}B params)", "ok", f"trainable {gpu.trainable / 1e9:.3g}B"),
        (
            f"budget: GPU GiB per rank (of {gpu_memory_gb:g}, {world} ranks)",
            "ok" if fits else "WARN",
            f"{total / GIB:.2f} = {detail}",
        ),
    ]
    if not fits:
        rows.append(("budget: recommendation", "WARN", "; ".join(recommendations(gpu, gpu_memory_gb * GIB))))
    cpu = run_shape(cfg, counts, prompt_tokens, patches, on_gpu=False, world=1)
    return rows, cpu_training_bytes(cpu, runtime_bytes())


def run_preflight(
    cfg, dataset, funcs, processor, gpu_memory_gb: float = 80.0, world: int = 8, limit=None
) -> Preflight:
    """Data, budget and red team of a GRPO run (`cfg` a TrainConfig) on `dataset` with rewards `funcs`."""
    out = Preflight()
    d = cfg.data
    data = check_data(dataset, processor, d.max_prompt_length, limit)
    out.rows += data_rows(data, d.max_prompt_length, processor.image_processor.max_pixels)
    config = read_model_config(cfg.model.model_name_or_path)
    counts = parameter_counts(config)
    prompt = min(data.longest[0], d.max_prompt_length) or d.max_prompt_length
    rows, out.cpu_bytes = budget_rows(cfg, counts, prompt, data.largest_patches, gpu_memory_gb, world)
    out.rows += rows
    samples = {t: s for t, s in task_samples(dataset).items() if _readable(s)}
    sizes = {t: image_size((s.get("images") or [s.get("image")])[-1]) for t, s in samples.items()}
    ip = processor.image_processor
    out.findings = red_team(
        funcs, samples, config.get("model_type", "qwen2_vl"), ip.min_pixels, ip.max_pixels, sizes
    )
    cases = 10 * len(funcs) * len(samples)
    if out.findings:
        out.rows += [("red team", "WARN", f.line()) for f in out.findings]
    else:
        out.rows.append(
            ("red team", "ok", f"{cases} degenerate completions scored no more than a wrong answer")
        )
    return out


def _readable(sample: dict) -> bool:
    try:
        image_size((sample.get("images") or [sample.get("image")])[-1])
    except Exception:  # an unreadable image is reported by the data rows
        return False
    return True


def preflight_at_start(cfg, dataset, funcs) -> Preflight | None:
    """The cheap preflight a training run logs before its model loads; never fatal."""
    from paddlemix.processors import Qwen2VLProcessor

    d = cfg.data
    try:
        processor = Qwen2VLProcessor.from_pretrained(
            cfg.model.model_name_or_path, min_pixels=d.min_pixels, max_pixels=d.max_pixels
        )
        result = run_preflight(cfg, dataset, funcs, processor, limit=START_SAMPLES, world=1)
    except (OSError, ValueError, KeyError) as e:  # the run itself reports a bad checkpoint or dataset
        logger.warning("preflight skipped: %s", e)
        return None
    logger.info(
        "preflight (first %d samples; python -m paddlemix.preflight checks all):\n%s",
        START_SAMPLES,
        result.table(),
    )
    return result


def _sft_frame(cfg, model_type: str):
    """The coordinate frame box targets are written in (None for the other target formats)."""
    from paddlemix.metrics.boxes import frame_for_model
    from paddlemix.sft.targets import MODEL_FRAME_TARGETS

    return frame_for_model(model_type) if cfg.sft.target_format in MODEL_FRAME_TARGETS else None


def run_sft_preflight(cfg, dataset, processor, gpu_memory_gb: float = 80.0, world: int = 8, limit=None) -> Preflight:
    """Data and budget of an SFT run (`cfg` an SFTConfig) on `dataset`; the red team does not apply."""
    out = Preflight()
    config = read_model_config(cfg.model.model_name_or_path)
    frame = _sft_frame(cfg, config.get("model_type", "qwen2_vl"))
    data = check_sft_data(dataset, processor, cfg, frame, limit)
    out.rows += sft_data_rows(data, cfg, processor.image_processor.max_pixels)
    counts = parameter_counts(config)
    longest = cfg.sft.max_seq_length if cfg.sft.packing else min(data.longest[0], cfg.sft.max_seq_length)
    rows, out.cpu_bytes = sft_budget_rows(
        cfg, counts, longest or cfg.sft.max_seq_length, data.largest_patches, gpu_memory_gb, world, runtime_bytes()
    )
    out.rows += rows
    out.rows.append(("red team", "n/a", "SFT has no rewards to hack"))
    return out


def sft_preflight_at_start(cfg, dataset) -> Preflight | None:
    """The cheap preflight an SFT run logs before its model loads; never fatal."""
    from paddlemix.processors import Qwen2VLProcessor

    d = cfg.data
    try:
        processor = Qwen2VLProcessor.from_pretrained(
            cfg.model.model_name_or_path, min_pixels=d.min_pixels, max_pixels=d.max_pixels
        )
        result = run_sft_preflight(cfg, dataset, processor, limit=START_SAMPLES, world=1)
    except (OSError, ValueError, KeyError) as e:  # the run itself reports a bad checkpoint or dataset
        logger.warning("preflight skipped: %s", e)
        return None
    logger.info(
        "preflight (first %d samples; python -m paddlemix.preflight checks all):\n%s",
        START_SAMPLES,
        result.table(),
    )
    return result
