"""The run's output directory: set up before training (resume, overwrite, clean-up) and the final model after.

output_dir/
    checkpoint-{step}/       `checkpointing.py`
    config.json, model.safetensors, tokenizer/processor files    the final policy, in the hub layout
    runs/                    VisualDL scalars (`metrics_logging.py`)
"""

from __future__ import annotations

import logging
import os
import shutil

from paddlemix.distributed import broadcast_object
from paddlemix.training import checkpointing
from paddlemix.training.config import TrainerConfig

logger = logging.getLogger(__name__)


def prepare_output_dir(cfg: TrainerConfig, rank: int) -> str | None:
    """Create output_dir, clean interrupted saves, apply overwrite; return the checkpoint to resume from.

    Rank 0 decides and every rank gets its answer. Checkpoints already there without --resume_from_checkpoint
    or --overwrite_output_dir are an error, so a run never silently continues or destroys another.
    """
    resume = None
    if rank == 0:
        os.makedirs(cfg.output_dir, exist_ok=True)
        checkpointing.remove_stale_temporaries(cfg.output_dir)
        existing = checkpointing.list_checkpoints(cfg.output_dir)
        if cfg.resume_from_checkpoint:
            resume = checkpointing.resolve_resume(cfg.output_dir, cfg.resume_from_checkpoint)
            if resume is None:
                logger.warning(
                    "--resume_from_checkpoint auto: no checkpoint in %s, starting fresh", cfg.output_dir
                )
        elif existing and cfg.overwrite_output_dir:
            for path in existing:
                shutil.rmtree(path)
        elif existing:
            raise FileExistsError(
                f"{cfg.output_dir} holds checkpoints ({os.path.basename(existing[-1])}, ...); pass "
                "--resume_from_checkpoint auto to continue or --overwrite_output_dir to start over"
            )
    return broadcast_object(resume)


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
