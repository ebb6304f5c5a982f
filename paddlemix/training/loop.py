"""What every trainer does around its own step: the policy, optimizer and resume, the sample stream, the loop
of steps with its checkpoints, and the final export.

A trainer (GRPO, SFT) subclasses `TrainingLoop` and calls, in `__init__`, `load_policy`, then
`setup_optimization` with the layer its training forward goes through, then `resume_and_stream`. It defines
`train_step()` (one optimizer step, returning its metrics) and `stream_state()` (where in the sample stream
a checkpoint taken now resumes); `save()` and `train()` come from here.
"""

from __future__ import annotations

import contextlib
import logging
import os

import paddle.nn as nn

from paddlemix.config import config_to_dict
from paddlemix.distributed import DistEnv
from paddlemix.models import AutoModelForConditionalGeneration
from paddlemix.peft import apply_lora, merged_and_unloaded
from paddlemix.training import checkpointing
from paddlemix.training.config import ModelConfig
from paddlemix.training.data import PromptEncoder, PromptLoader, PromptSchedule, local_slots
from paddlemix.training.metrics_logging import metrics_logger
from paddlemix.training.optimizer import build_optimizer
from paddlemix.training.output_dir import prepare_output_dir, save_final_model
from paddlemix.training.update import NonFiniteGuard

logger = logging.getLogger(__name__)


def load_policy(m: ModelConfig, lora, weights_dtype: str, attn: str):
    """The model to train, in train mode: with LoRA adapters if `lora.enabled`, else the vision tower frozen
    when `m.freeze_vision`."""
    model = AutoModelForConditionalGeneration.from_pretrained(
        m.model_name_or_path, dtype=weights_dtype, recompute=m.recompute, attn_implementation=attn
    )
    if lora.enabled:
        apply_lora(model, lora.lora_config())
    elif m.freeze_vision:
        for p in model.visual.parameters():
            p.stop_gradient = True
    model.train()
    return model


class TrainingLoop:
    """The loop, checkpoints and export shared by the trainers; see the module docstring for the contract."""

    cfg: object  # a config with model, data, trainer and lora sections
    env: DistEnv
    model: nn.Layer
    total_steps: int
    global_step: int

    def setup_optimization(self, forward_layer: nn.Layer) -> None:
        """Trainable parameters, optimizer and schedule, precision decoration, the parallel wrapper around
        `forward_layer` (the training forward) and the loss scaler."""
        t = self.cfg.trainer
        self.trainable = [p for p in self.model.parameters() if not p.stop_gradient]
        optimizer, self.scheduler = build_optimizer(
            self.model, self.trainable, t, self.total_steps, self.precision.multi_precision
        )
        self.model, optimizer = self.precision.decorate(self.model, optimizer)
        # The training forward goes through the wrapper; generation and saving use the model itself.
        self._wrapped, self.optimizer = self.env.wrap(forward_layer(self.model), optimizer)
        self.scaler = self.precision.grad_scaler()

    def resume_and_stream(
        self, position_key: str, items_per_batch: int, steps_per_batch: int = 1, encoder_cls=PromptEncoder
    ) -> None:
        """Resume from the output directory's newest checkpoint (if asked), then set up the sample stream,
        its encoder and loader, the non-finite guard and the metrics logger.

        `position_key` names the stream position in the checkpoint state; a batch serves `steps_per_batch`
        optimizer steps (GRPO's μ); `encoder_cls` turns samples into prompts (a `PromptEncoder`).
        """
        d, t = self.cfg.data, self.cfg.trainer
        self.global_step, position = 0, 0
        resume = prepare_output_dir(t, self.env.rank)
        if resume is not None:
            state = checkpointing.load_training_state(
                resume, self.model, self.optimizer, self.env.rank, self.env.optimizer_state_is_sharded
            )
            self.global_step, position = state["global_step"], state[position_key]
            logger.info(
                "resumed from %s at step %d (item %d of the stream)", resume, self.global_step, position
            )
        self.position_key, self.steps_per_batch = position_key, steps_per_batch
        self.schedule = PromptSchedule(
            len(self.dataset), items_per_batch, t.seed, position, self.global_step // steps_per_batch
        )
        self.encoder = encoder_cls(self.processor, d.max_prompt_length, self.dataset.skipped)
        self.slots = local_slots(
            t.per_device_train_batch_size, self.env.world_size, self.env.rank, t.gradient_accumulation_steps
        )
        self.loader = PromptLoader(
            self.dataset, self.schedule, self.encoder, self.slots, d.dataloader_num_workers
        )
        self.nonfinite = NonFiniteGuard(t.max_consecutive_nonfinite)
        self.metrics = metrics_logger(
            t, self.total_steps, self.global_step, self.env.rank, bar=self.BAR, shown=self.SHOWN
        )

    def train_step(self) -> dict:
        """One optimizer step; returns its metrics (defined by each trainer)."""
        raise NotImplementedError

    def save(self) -> str:
        """Write checkpoint-{global_step} (every rank calls this)."""
        t = self.cfg.trainer
        batch = self.global_step // self.steps_per_batch
        state = {
            "global_step": self.global_step,
            self.position_key: self.schedule.position(batch),
            "epoch": self.schedule.epoch(batch),
            "world_size": self.env.world_size,
            "source_model": self.cfg.model.model_name_or_path,
            # the local folder (absolute), so that a trainable-only checkpoint loads from anywhere
            "source_model_dir": os.path.abspath(self.model.name_or_path),
            "config": config_to_dict(self.cfg),
        }
        self.env.gather_parameters(self._wrapped)
        return checkpointing.save_checkpoint(
            t.output_dir,
            self.global_step,
            self.model,
            self.optimizer,
            state,
            self.model.name_or_path,  # the local folder, also when the config names a hub ID
            self.env.rank,
            self.env.optimizer_state_is_sharded,
            t.save_total_limit,
            trainable_only=self.cfg.lora.enabled,
        )

    def train(self, stop_after: int | None = None) -> list[dict]:
        """Run to `total_steps` (or to `stop_after` steps, for tests); returns the metrics history."""
        t = self.cfg.trainer
        end = self.total_steps if stop_after is None else min(self.total_steps, stop_after)
        try:
            while self.global_step < end:
                metrics = self.train_step()
                self.metrics.log_step(self.global_step, metrics)
                if (
                    t.save_strategy == "steps"
                    and self.global_step % t.save_steps == 0
                    and self.nonfinite.streak == 0
                ):
                    self.save()
            if self.global_step >= self.total_steps:
                self.env.gather_parameters(self._wrapped)
                if self.env.rank == 0:
                    # LoRA exports merged: a plain hub-layout model that any loader reads.
                    merged = (
                        merged_and_unloaded(self.model) if self.cfg.lora.enabled else contextlib.nullcontext()
                    )
                    with merged:
                        save_final_model(self.model, t.output_dir, self.model.name_or_path)
        finally:
            self.metrics.close()
            self.loader.close()
        return self.metrics.history
