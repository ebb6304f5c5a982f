"""Training prompts: the dataset, which prompts each rank takes at each step, and their encoding.

Order. The prompt stream is an endless concatenation of epochs, each a permutation of the dataset seeded by
(seed, epoch). Batch b (for GRPO, one rollout batch per `num_iterations` optimizer steps) takes the next
P prompts of the stream, P = per_device_train_batch_size × world size × gradient_accumulation_steps. Its
slot j goes to micro-step j // (world·per_device) and, within it, to rank (j // per_device) % world. The
stream position is the checkpointed data position, so a resumed run (even with another world size)
continues with the very next prompt.

Encoding. A prompt is the seed's chat template around the sample, with its image, processed alone (no
padding). One longer than `max_prompt_length` tokens, image tokens included, is dropped with a counted
warning, never cut: cutting would split the image placeholders from their features. A missing, corrupt or
unusable image drops its sample the same way. Encoding runs on `dataloader_num_workers` threads, one batch
ahead.
"""

from __future__ import annotations

import logging
import math
import os
from collections import Counter
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import paddle

from paddlemix.datasets import load_sample_image
from paddlemix.datasets.dataset import SampleDataset
from paddlemix.datasets.images import SkippedImages, upscale_small
from paddlemix.distributed import derived_seed
from paddlemix.errors import DataError, MissingFileError
from paddlemix.tasks import load_task_samples, sample_messages, vlm_r1
from paddlemix.training.config import DataConfig

logger = logging.getLogger(__name__)

# Individual drop warnings before only the count grows.
_MAX_NAMED_DROPS = 20
# A run whose first this-many samples (or the whole set, if smaller) were all dropped stops: training would
# go on for its whole schedule doing nothing.
_ALL_DROPPED_LIMIT = 32
_DROP_FIXES = {
    "too_long": "raise --max_prompt_length or lower --max_pixels",
    "bad_image": "check --image_root and the image files",
}


def load_train_dataset(cfg: DataConfig, seed: int, reward_fields: dict | None = None) -> SampleDataset:
    """The training samples named by `--dataset_name`, read through the format of their task.

    VLM-R1 data (`--data_file_paths`, or `--task vlm_r1`) is read with `--task_type` and carries
    `reward_fields` (the run's VLM-R1 reward options). A set with no sample left stops the run with why: the
    bad images per annotation file, or no records.
    """
    if cfg.data_file_paths or cfg.task == "vlm_r1":
        sources = vlm_r1.sources_of(
            cfg.dataset_name, cfg.data_file_paths, cfg.image_folders, cfg.reward_method, cfg.image_root
        )
        return _not_empty(vlm_r1.load_samples(sources, cfg.task_type, reward_fields), cfg.dataset_name)
    if not os.path.exists(cfg.dataset_name):
        raise MissingFileError(
            "no such dataset file or directory",
            where=cfg.dataset_name,
            fix="check --dataset_name; scripts/prepare_data.sh unpacks the seed's data into data/",
        )
    dataset = load_task_samples(
        cfg.dataset_name, cfg.resolved_task, cfg.image_root, cfg.dataset_train_split, seed=seed
    )
    return _not_empty(dataset, cfg.dataset_name)


def _not_empty(dataset: SampleDataset, where: str) -> SampleDataset:
    """`dataset`, or a DataError saying why it holds no sample."""
    where = where or dataset.name
    if len(dataset) == 0:
        if dataset.skipped.count:
            raise DataError(
                f"the training set is empty: all {dataset.skipped.count} sample(s) were skipped for bad images "
                f"({dataset.skipped.breakdown()})",
                where=where,
                fix="check --image_root and that the images are unpacked (scripts/prepare_data.sh)",
            )
        raise DataError("the training set is empty: the files hold no records", where=where)
    return dataset


@dataclass
class Prompt:
    """One encoded prompt: its sample, the processor's tensors for it alone, and what rewards need of it."""

    sample: dict
    inputs: dict  # numpy: input_ids (1, S), attention_mask (1, S), pixel_values (patches, dim), image_grid_thw (k, 3)
    image_size: tuple[int, int]  # (w, h) of the original image (the last one of a multi-image sample)

    def tensors(self) -> dict:
        """The inputs as paddle tensors (made on the main thread, not the loader's)."""
        return {k: paddle.to_tensor(v) for k, v in self.inputs.items()}

    @property
    def length(self) -> int:
        """Prompt tokens, image tokens included."""
        return int(self.inputs["input_ids"].shape[1])


@dataclass
class PromptBatch:
    """This rank's prompts of one batch: per micro-step, (global slot, Prompt or None if dropped); and the drops."""

    rows: list[list[tuple[int, Prompt | None]]]
    drops: Counter  # reason -> samples of this batch dropped on this rank


@dataclass
class Drop:
    """A sample that cannot be used, and why ("bad_image" | "too_long")."""

    reason: str
    sample: dict
    detail: str


class PromptSchedule:
    """Which dataset index fills each slot of each batch; see the module docstring."""

    def __init__(
        self, n_samples: int, prompts_per_batch: int, seed: int, start_position: int = 0, start_batch: int = 0
    ):
        """`start_position` prompts of the stream were consumed before batch `start_batch`."""
        if n_samples < 1:
            raise ValueError("the training set is empty")
        self.n, self.per_batch, self.seed = n_samples, prompts_per_batch, seed
        self.start_position, self.start_batch = start_position, start_batch
        self._perms: dict[int, np.ndarray] = {}

    def position(self, batch: int) -> int:
        """Stream position of the first prompt of batch `batch`."""
        return self.start_position + (batch - self.start_batch) * self.per_batch

    def _index(self, position: int) -> int:
        epoch, offset = divmod(position, self.n)
        if epoch not in self._perms:
            self._perms = {
                epoch: np.random.RandomState(derived_seed(self.seed, "epoch", epoch)).permutation(self.n)
            }
        return int(self._perms[epoch][offset])

    def batch_indices(self, batch: int) -> list[int]:
        """Dataset indices of the P slots of batch `batch`."""
        start = self.position(batch)
        return [self._index(start + j) for j in range(self.per_batch)]

    def epoch(self, batch: int) -> float:
        """Epochs completed when batch `batch` starts."""
        return self.position(batch) / self.n


def local_slots(per_device: int, world: int, rank: int, accumulation: int) -> list[list[int]]:
    """This rank's global slots, per micro-step: slot = m·world·per_device + rank·per_device + i."""
    return [
        [m * world * per_device + rank * per_device + i for i in range(per_device)]
        for m in range(accumulation)
    ]


def total_batches(n_samples: int, prompts_per_batch: int, epochs: float) -> int:
    """Batches in `epochs` passes over the data (at least one)."""
    return max(1, math.ceil(epochs * n_samples / prompts_per_batch))


class PromptEncoder:
    """Turns samples into `Prompt`s, dropping (and counting) unusable and too-long ones."""

    def __init__(self, processor, max_prompt_length: int, skipped: SkippedImages | None = None):
        """`processor` is a Qwen2VLProcessor; `skipped` collects bad images (the dataset's record)."""
        self.processor, self.max_prompt_length = processor, max_prompt_length
        self.skipped = skipped if skipped is not None else SkippedImages()
        self.drops: Counter = Counter()  # reason -> count
        self.drop_sources: Counter = Counter()  # file the dropped sample came from -> count

    def record_drop(self, drop: Drop) -> None:
        """Count a dropped sample and warn about it (the first few by name)."""
        reason, sample, detail = drop.reason, drop.sample, drop.detail
        self.drops[reason] += 1
        self.drop_sources[str(sample.get("source"))] += 1
        total = sum(self.drops.values())
        if total <= _MAX_NAMED_DROPS:
            logger.warning("dropping sample %s: %s", sample.get("source") or sample.get("image"), detail)
        elif total == _MAX_NAMED_DROPS + 1:
            logger.warning("more samples dropped; only counting them from now on (see the drops/* metrics)")

    def messages(self, sample: dict) -> list[dict]:
        """The chat messages of `sample`'s prompt: its task's training template (`sample_messages`)."""
        return sample_messages(sample, "train")

    def encode(self, sample: dict) -> Prompt | Drop:
        """The encoded prompt of `sample`, or why it cannot be used (counted when the loader hands it out)."""
        # A multi-image sample lists `images`; its boxes, and so `image_size`, are those of the last one.
        paths = sample.get("images") or [sample.get("image")]
        images = [load_sample_image({**sample, "image": path}, self.skipped) for path in paths]
        if any(image is None for image in images):
            return Drop("bad_image", sample, f"image {sample.get('image')} is missing or corrupt")
        image = images[-1]
        if sample.get("upscale_small_images"):  # VLM-R1 data: its 28 px floor; image_size stays the original
            images = [upscale_small(im) for im in images]
        text = self.processor.apply_chat_template(self.messages(sample), add_generation_prompt=True)
        try:
            inputs = self.processor(text=[text], images=images, return_tensors="np")
        except ValueError as e:
            return Drop("bad_image", sample, f"image {sample.get('image')} is unusable ({e})")
        length = inputs["input_ids"].shape[1]
        if length > self.max_prompt_length:
            return Drop(
                "too_long",
                sample,
                f"prompt is {length} tokens (image included), over --max_prompt_length {self.max_prompt_length}; "
                "it is dropped, not cut, so no image token is lost",
            )
        return Prompt(sample=sample, inputs=inputs, image_size=tuple(image.size))


class PromptLoader:
    """This rank's prompts of each batch, encoded on worker threads one batch ahead."""

    def __init__(
        self, dataset, schedule: PromptSchedule, encoder: PromptEncoder, slots: list[list[int]], workers: int
    ):
        """`slots` are this rank's global slots per micro-step (`local_slots`)."""
        self.dataset, self.schedule, self.encoder, self.slots = dataset, schedule, encoder, slots
        self._pool = ThreadPoolExecutor(workers) if workers > 0 else None
        self._pending: dict[int, list[list[tuple[int, Future | Prompt | None]]]] = {}
        self.accepted = 0  # samples encoded into prompts so far

    def _start(self, batch: int):
        indices = self.schedule.batch_indices(batch)
        out = []
        for micro in self.slots:
            row = []
            for slot in micro:
                sample = self.dataset[indices[slot]]
                job = self._pool.submit(self.encoder.encode, sample) if self._pool else None
                row.append((slot, job if job is not None else sample))
            out.append(row)
        return out

    def get(self, batch: int) -> PromptBatch:
        """This rank's prompts of batch `batch` and what was dropped from it; prefetches batch+1."""
        started = self._pending.pop(batch, None) or self._start(batch)
        if self._pool is not None:
            self._pending = {batch + 1: self._start(batch + 1)}
        rows, drops = [], Counter()
        for row in started:
            encoded = []
            for slot, job in row:
                result = job.result() if isinstance(job, Future) else self.encoder.encode(job)
                if isinstance(result, Drop):
                    self.encoder.record_drop(result)
                    drops[result.reason] += 1
                    result = None
                else:
                    self.accepted += 1
                encoded.append((slot, result))
            rows.append(encoded)
        self._stop_if_nothing_is_usable()
        return PromptBatch(rows, drops)

    def _stop_if_nothing_is_usable(self) -> None:
        dropped = self.encoder.drops
        if self.accepted or sum(dropped.values()) < min(len(self.dataset), _ALL_DROPPED_LIMIT):
            return
        counts = ", ".join(f"{reason}: {n}" for reason, n in dropped.most_common())
        fixes = "; ".join(_DROP_FIXES.get(reason, reason) for reason in dropped)
        raise DataError(
            f"every sample so far was dropped ({counts}); there is nothing to train on",
            where=", ".join(self.encoder.drop_sources),
            fix=fixes,
        )

    def close(self) -> None:
        """Stop the worker threads."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
