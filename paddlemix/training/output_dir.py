"""The run's output directory: set up before training (resume, overwrite, clean-up) and the final model after.

output_dir/
    checkpoint-{step}/       `checkpointing.py`
    config.json, model.safetensors, tokenizer/processor files    the final policy, in the hub layout
    runs/                    VisualDL scalars (`metrics_logging.py`)
    completions.jsonl        with --log_completions (`paddlemix.rl.grpo.rollout`)

An earlier run's output there is an error unless the command says what to do with it:
--resume_from_checkpoint auto continues it, --overwrite_output_dir deletes it all first.
"""

from __future__ import annotations

import glob
import logging
import os
import shlex
import shutil

from paddlemix.distributed import broadcast_object
from paddlemix.errors import UserError
from paddlemix.training import checkpointing
from paddlemix.training.config import TrainerConfig
from paddlemix.training.metrics_logging import run_name

logger = logging.getLogger(__name__)


class OutputDirExists(UserError, FileExistsError):
    """output_dir holds an earlier run's output and the command says neither resume nor overwrite."""


# What a run writes into output_dir (besides checkpoint-*/ and the VisualDL folder); the launcher's
# paddle_distributed_logs/ is not among them: it is written before the run starts.
FINAL_MODEL_FILES = (
    "config.json",
    "generation_config.json",
    "model.safetensors",
    "model.safetensors.index.json",
    *checkpointing.PROCESSOR_FILES,
)
FINAL_MODEL_PATTERNS = ("model-*-of-*.safetensors", "completions*.jsonl", ".tmp-final-model")


def run_outputs(cfg: TrainerConfig) -> list[str]:
    """The paths in output_dir that an earlier run wrote: checkpoints, the final model, completions, its
    VisualDL folder (output_dir/runs, or <logging_dir>/<run_name>)."""
    out = cfg.output_dir
    if not os.path.isdir(out):
        return []
    found = checkpointing.list_checkpoints(out)
    found += [os.path.join(out, n) for n in FINAL_MODEL_FILES if os.path.exists(os.path.join(out, n))]
    found += sorted(p for pattern in FINAL_MODEL_PATTERNS for p in glob.glob(os.path.join(out, pattern)))
    logs = _visualdl_dir(cfg)
    if logs is not None and os.path.isdir(logs):
        found.append(logs)
    return found


def _visualdl_dir(cfg: TrainerConfig) -> str | None:
    """The folder this run's VisualDL files go to: all of output_dir/runs, or its own run folder of a
    --logging_dir that other runs may share."""
    if cfg.logging_dir:
        return os.path.join(cfg.logging_dir, run_name(cfg))
    return os.path.join(cfg.output_dir, "runs")


def check_output_dir(cfg: TrainerConfig) -> None:
    """An `OutputDirExists` when output_dir holds an earlier run's output and neither
    --resume_from_checkpoint nor --overwrite_output_dir is given; cheap, so entry points call it first."""
    if cfg.resume_from_checkpoint or cfg.overwrite_output_dir:
        return
    existing = run_outputs(cfg)
    if existing:
        names = [os.path.relpath(p, cfg.output_dir) for p in existing]
        shown = ", ".join(names[:3]) + (", ..." if len(names) > 3 else "")
        raise OutputDirExists(
            f"already holds a run's output ({shown})",
            where=f"--output_dir {cfg.output_dir}",
            fix="pass --resume_from_checkpoint auto to continue it, --overwrite_output_dir to delete it and "
            "start over, or another --output_dir",
        )


def prepare_output_dir(cfg: TrainerConfig, rank: int) -> str | None:
    """Create output_dir, clean interrupted saves, apply overwrite; return the checkpoint to resume from.

    Rank 0 decides and every rank gets its answer. An earlier run's output without --resume_from_checkpoint
    or --overwrite_output_dir is an error, so a run never silently continues, mixes with or destroys another.
    --overwrite_output_dir deletes all of it (`run_outputs`), so the new run starts clean.
    """
    resume = None
    if rank == 0:
        os.makedirs(cfg.output_dir, exist_ok=True)
        checkpointing.remove_stale_temporaries(cfg.output_dir)
        if cfg.resume_from_checkpoint:
            resume = checkpointing.resolve_resume(cfg.output_dir, cfg.resume_from_checkpoint)
            if resume is None:
                logger.warning(
                    "--resume_from_checkpoint auto: no checkpoint in %s, starting fresh", cfg.output_dir
                )
        elif cfg.overwrite_output_dir:
            old = run_outputs(cfg)
            for path in old:
                if os.path.isdir(path):
                    shutil.rmtree(path)
                else:
                    os.remove(path)
            if old:
                logger.info(
                    "--overwrite_output_dir: deleted %d earlier outputs of %s", len(old), cfg.output_dir
                )
        else:
            check_output_dir(cfg)
    return broadcast_object(resume)


def resume_note(cfg: TrainerConfig, prog: str, argv: list[str]) -> str:
    """What an interrupted run saved and the command that continues it (the line Ctrl-C prints)."""
    last = checkpointing.list_checkpoints(cfg.output_dir) if os.path.isdir(cfg.output_dir) else []
    args = [a for a in argv if a != "--overwrite_output_dir"]
    if not any(a.startswith("--resume_from_checkpoint") for a in args):
        args += ["--resume_from_checkpoint", "auto"]
    command = " ".join(shlex.quote(a) for a in [*prog.split(), *args])
    if not last:
        return (
            f"no checkpoint was saved yet in {cfg.output_dir} (--save_steps {cfg.save_steps}); "
            f"start again with: {prog} {' '.join(shlex.quote(a) for a in argv)} --overwrite_output_dir"
        )
    step = checkpointing.checkpoint_step(last[-1])
    return f"the last checkpoint is {last[-1]} (step {step}); resume with: {command}"


def save_final_model(model, output_dir: str, source_dir: str) -> None:
    """The trained model in the hub layout, with the processor files of `source_dir`, in output_dir (as the seed does).

    Written to a hidden folder first and moved in file by file, weights last: a run killed while saving leaves
    no `model.safetensors` that looks complete.
    """
    staging = os.path.join(output_dir, ".tmp-final-model")
    shutil.rmtree(staging, ignore_errors=True)
    model.save_pretrained(staging)
    checkpointing.copy_processor_files(source_dir, staging)
    names = sorted(
        os.listdir(staging),
        key=lambda n: (n.startswith("model") and n.endswith((".safetensors", ".json")), n),
    )
    for name in names:
        os.replace(os.path.join(staging, name), os.path.join(output_dir, name))
    os.rmdir(staging)
    logger.info("saved the final policy to %s", output_dir)
