"""The SFT loop: samples → prompt + target tokens → token cross-entropy → one update per step; checkpoints.

One optimizer step (`train_step`):

1. This rank's samples of batch `global_step` (`paddlemix.training.data`: the same prompt stream, slots and
   encoding as GRPO), each followed by its target (`targets.py`) and `<|im_end|>`.
2. The step's loss is the mean of -log p over all its target tokens, on all ranks and micro-steps: each
   sample's summed token loss is weighted by world / (the step's global token count), and data parallelism
   averages gradients over ranks, so a 2-process run equals a 1-process run.
3. Gradients are clipped and applied (`paddlemix.training.update`); a non-finite step is skipped.

Samples of equal length share a forward (no padding is ever needed), each with the M-RoPE positions
`get_rope_index` gives its sequence. With `--packing`, the step's sequences are instead packed into rows of
at most `max_seq_length` tokens, each sample keeping its own attention and positions (`packing.py`).
With LoRA (`--lora_rank`), only the adapters (and any vision part named by `--lora_train_*`) train, and the
final model is exported merged, in the plain hub layout.
"""

from __future__ import annotations

import logging
import math
import time
from collections import Counter

import numpy as np
import paddle
import paddle.nn as nn

from paddlemix.distributed import DistEnv, all_reduce_array, seed_everything
from paddlemix.metrics.boxes import frame_for_model, input_size_from_grid
from paddlemix.models.runtime import resolve_attn
from paddlemix.preflight import sft_preflight_at_start
from paddlemix.processors import Qwen2VLProcessor
from paddlemix.sft.config import SFTConfig
from paddlemix.sft.conversations import ConversationEncoder, load_conversations
from paddlemix.sft.packing import pack, pack_groups
from paddlemix.sft.targets import MODEL_FRAME_TARGETS, render_target
from paddlemix.training.data import (
    PromptEncoder,
    load_train_dataset,
    total_batches,
)
from paddlemix.training.logprobs import sequence_token_logprobs
from paddlemix.training.loop import TrainingLoop, load_policy
from paddlemix.training.precision import resolve_precision
from paddlemix.training.run_header import log_run_header
from paddlemix.training.update import apply_gradients, backward_nothing, grads_finite

logger = logging.getLogger(__name__)

DROP_REASONS = ("too_long", "bad_image")
BAR = {"loss": ("loss", ".4f", float("nan")), "sec": ("time/step", ".2f", float("nan"))}
SHOWN = ("loss", "tokens", "lr", "time/step")


def build_sequence(prompt_ids: np.ndarray, target_ids: list[int], image_token_id: int, loss_on_prompt: bool):
    """(ids (1, L), loss mask (1, L - 1)) of prompt + target; mask[j] = 1 where token j + 1 is trained on.

    The target tokens always count; with `loss_on_prompt` so do the prompt's text tokens after the first
    (image placeholders never do: their embeddings are replaced by vision features).
    """
    ids = np.concatenate([prompt_ids.reshape(-1), np.asarray(target_ids, dtype=prompt_ids.dtype)])
    mask = np.zeros(len(ids) - 1, dtype="float32")
    mask[len(ids) - 1 - len(target_ids) :] = 1.0
    if loss_on_prompt:
        mask[ids[1:] != image_token_id] = 1.0
    return ids[None], mask[None]


def sequence_logprobs(
    model, input_ids, pixel_values, image_grid_thw, position_ids=None, attention_mask=None
) -> paddle.Tensor:
    """Float32 (b, L - 1) log-probs of tokens 1..L-1 of `input_ids` (b, L) given the tokens before them.

    A packed row passes its per-sample `position_ids` (3, b, L) and block-diagonal `attention_mask`.
    """
    logits = model(
        input_ids=input_ids,
        pixel_values=pixel_values,
        image_grid_thw=image_grid_thw,
        position_ids=position_ids,
        attention_mask=attention_mask,
    ).logits
    return sequence_token_logprobs(logits[:, :-1], input_ids[:, 1:])


def stack_equal_lengths(seqs: list[dict]) -> list[dict]:
    """Sequences of equal length stacked into one batch each (no padding needed), in first-seen order.

    The loss is a sum over tokens, so one forward over a stack gives the same value and gradient as one per
    sequence, with a fraction of the per-op overhead that dominates small models.
    """
    groups: dict[int, list[dict]] = {}
    for x in seqs:
        groups.setdefault(int(x["input_ids"].shape[1]), []).append(x)
    return [
        {key: paddle.concat([x[key] for x in group]) for key in group[0]} if len(group) > 1 else group[0]
        for group in groups.values()
    ]


class SequenceLogprobs(nn.Layer):
    """The model as one layer whose forward is `sequence_logprobs` (parallel wrappers hook this forward)."""

    def __init__(self, model):
        """Wrap `model` (its parameters keep their names under the `model.` prefix)."""
        super().__init__()
        self.model = model

    def forward(self, input_ids, pixel_values, image_grid_thw, position_ids=None, attention_mask=None):
        """(b, L - 1) float32 log-probs; see `sequence_logprobs`."""
        return sequence_logprobs(
            self.model, input_ids, pixel_values, image_grid_thw, position_ids, attention_mask
        )


class SFTTrainer(TrainingLoop):
    """Builds everything a run needs from an `SFTConfig` and trains: `SFTTrainer(cfg, env).train()`."""

    BAR, SHOWN = BAR, SHOWN

    def __init__(self, cfg: SFTConfig, env: DistEnv | None = None):
        """Load model (with LoRA if asked), processor and data; set up optimizer, schedule and resume."""
        self.cfg, self.env = cfg, env or DistEnv()
        m, d, t = cfg.model, cfg.data, cfg.trainer
        seed_everything(t.seed)
        # Data first: a bad annotation file or an empty set stops the run before minutes of model loading.
        if cfg.sft.conversations:
            self.dataset = load_conversations(d.dataset_name, d.image_root)
        else:
            self.dataset = load_train_dataset(d, t.seed)
        sft_preflight_at_start(cfg, self.dataset)
        self.precision = resolve_precision(m)
        attn = resolve_attn(m.attn_implementation, self.precision.weights_dtype)
        self.model = load_policy(m, cfg.lora, self.precision.weights_dtype, attn)
        self.processor = Qwen2VLProcessor.from_pretrained(
            m.model_name_or_path, min_pixels=d.min_pixels, max_pixels=d.max_pixels
        )
        self.end_ids = [self.processor.tokenizer.convert_tokens_to_ids("<|im_end|>")]
        if cfg.sft.target_format == "vision_r1_json" and self.model.config.model_type == "qwen2_vl":
            logger.warning(
                "--target_format vision_r1_json writes boxes in resized-input pixels, as Vision-R1 does for both "
                "models; our detection rewards and eval read Qwen2-VL boxes as 0-1000 unless coord_frame says "
                "otherwise"
            )

        # The box targets (`--target_format box | ref_box | aff_r1`) answer in the frame the rewards and evals read.
        self.frame = (
            frame_for_model(self.model.config.model_type)
            if cfg.sft.target_format in MODEL_FRAME_TARGETS
            else None
        )
        world = self.env.world_size
        self.samples_per_batch = t.per_device_train_batch_size * world * t.gradient_accumulation_steps
        if t.max_steps > 0:
            self.total_steps = t.max_steps
        else:
            self.total_steps = total_batches(len(self.dataset), self.samples_per_batch, t.num_train_epochs)

        self.setup_optimization(SequenceLogprobs)
        log_run_header(
            self, f"{self.samples_per_batch} samples per step of <= {self.cfg.sft.max_seq_length} tokens"
        )
        encoder = ConversationEncoder if cfg.sft.conversations else PromptEncoder
        self.resume_and_stream("samples_consumed", self.samples_per_batch, encoder_cls=encoder)

    def sequences(self, index: int) -> tuple[list[dict], Counter]:
        """This rank's training sequences of batch `index` (ids, loss mask, images as tensors) and the drops."""
        s = self.cfg.sft
        batch = self.loader.get(index)
        drops, out = Counter(batch.drops), []
        for row in batch.rows:
            for _, prompt in row:
                if prompt is None:
                    continue
                # The boxes of a multi-image sample are those of its last image (`Prompt.image_size`).
                input_size = input_size_from_grid(
                    prompt.inputs["image_grid_thw"][-1], self.processor.image_processor.patch_size
                )
                text = render_target(
                    prompt.sample, s.target_format, input_size, prompt.image_size, self.frame
                )
                target = self.processor.tokenizer(text)["input_ids"]
                ids, mask = build_sequence(
                    prompt.inputs["input_ids"],
                    target + self.end_ids,
                    self.processor.image_token_id,
                    s.loss_on_prompt,
                )
                if ids.shape[1] > s.max_seq_length:
                    drops["too_long"] += 1
                    continue
                out.append(
                    {
                        "input_ids": paddle.to_tensor(ids),
                        "mask": paddle.to_tensor(mask),
                        "pixel_values": paddle.to_tensor(prompt.inputs["pixel_values"]),
                        "image_grid_thw": paddle.to_tensor(prompt.inputs["image_grid_thw"]),
                    }
                )
        return out, drops

    def packed(self, seqs: list[dict]) -> list[dict]:
        """The sequences packed into rows of at most `max_seq_length` tokens, each sample with its own M-RoPE
        positions and attention (`packing.py`)."""
        lengths = [int(x["input_ids"].shape[1]) for x in seqs]
        rows = []
        for group in pack_groups(lengths, self.cfg.sft.max_seq_length):
            members = [seqs[i] for i in group]
            positions = [self.model.get_rope_index(x["input_ids"], x["image_grid_thw"])[0] for x in members]
            rows.append(pack(members, positions))
        return rows

    def train_step(self) -> dict:
        """One optimizer step; returns its metrics."""
        start = time.perf_counter()
        seqs, drops = self.sequences(self.global_step)
        local_tokens = sum(float(x["mask"].sum()) for x in seqs)
        totals = all_reduce_array([local_tokens, *(drops[r] for r in DROP_REASONS)])
        tokens, world = totals[0], self.env.world_size
        local_loss = 0.0
        for x in self.packed(seqs) if self.cfg.sft.packing else stack_equal_lengths(seqs):
            with self.precision.autocast():
                logp = self._wrapped(
                    x["input_ids"],
                    x["pixel_values"],
                    x["image_grid_thw"],
                    x.get("position_ids"),
                    x.get("attention_mask"),
                )
            loss = -(logp * x["mask"]).sum() * (world / max(tokens, 1.0))
            (self.scaler.scale(loss) if self.scaler else loss).backward()
            local_loss += float(loss)
        if not seqs:
            backward_nothing(self.trainable)
        finite = math.isfinite(local_loss) and grads_finite(self.trainable)
        reduced = all_reduce_array([local_loss, 0.0 if finite else 1.0])
        loss, bad = reduced[0] / world, reduced[1] > 0
        lr = self.optimizer.get_lr()
        apply_gradients(self.env, self.optimizer, self.scaler, self.trainable, skip=bad or tokens == 0)
        self.scheduler.step()
        self.global_step += 1
        self.nonfinite.record(not bad, self.global_step, loss, self.cfg.trainer.output_dir)
        metrics = {"loss": loss, "tokens": tokens, "lr": lr, "time/step": time.perf_counter() - start}
        metrics.update({f"drops/{r}": totals[1 + i] for i, r in enumerate(DROP_REASONS)})
        metrics["skipped_nonfinite"] = float(bad)
        return metrics
