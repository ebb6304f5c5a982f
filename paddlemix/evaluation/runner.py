"""The loop shared by the eval commands: batched greedy generation over samples, resumable, with a progress bar.

`evaluate` takes a task's samples and an `EvalTask` (the chat messages of a sample; the result record of a
sample and its completion; the registered task that scores them) and produces the seed's results file,
`{"accuracy": float, "results": [...]}`. The concerns live beside it:

- `config.py`: the settings; `model_loading.py`: the checkpoint; `generation.py`: one batch through the model
  (left-padded, greedy, `do_sample=False`, as the seed does);
- `partial.py`: resuming from `<results>.partial.jsonl`; `results.py`: the results file, written atomically;
- `scoring.py`: the dataset's number, through the task (`paddlemix.tasks`).

A missing image (found when loading) or a corrupt or unusable one (found when its batch is built) skips its
sample: it is named in a warning, listed under `skipped` in the results file (`num_skipped` counts distinct
image files), and it is not part of the accuracy. The seed instead crashed, or looped forever looking for a
replacement.

The names below stay importable from here for the callers written before the split.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np
from PIL import Image
from tqdm import tqdm

from paddlemix.datasets.images import BadImageError, SkippedImages, open_image, upscale_small
from paddlemix.distributed import all_gather_objects, barrier, data_parallel_env
from paddlemix.errors import DataError, set_interrupt_note
from paddlemix.evaluation.config import DTYPES, METHODS, EvalConfig
from paddlemix.evaluation.generation import encode_batch, generate_texts
from paddlemix.evaluation.model_loading import load_model_and_processor
from paddlemix.evaluation.partial import PartialResults, partial_path, run_header, sample_key
from paddlemix.evaluation.results import (
    finished_results,
    report,
    results_path,
    write_json_atomic,
    write_results,
)
from paddlemix.evaluation.scoring import EvalTask, score_into
from paddlemix.models.runtime import ATTN_NAMES, on_gpu, resolve_attn, resolve_dtype, stop_token_ids
from paddlemix.visualize.gallery import Entry, results_gallery

__all__ = [
    "ATTN_NAMES",
    "DTYPES",
    "METHODS",
    "EvalConfig",
    "EvalTask",
    "PartialResults",
    "encode_batch",
    "evaluate",
    "generate_texts",
    "load_model_and_processor",
    "on_gpu",
    "partial_path",
    "report",
    "resolve_attn",
    "resolve_dtype",
    "results_path",
    "run_header",
    "sample_key",
    "write_json_atomic",
]


def evaluate(
    samples: Sequence[dict],
    task: EvalTask,
    model,
    processor,
    cfg: EvalConfig,
    out_path: str,
    header: dict,
    skipped: SkippedImages | None = None,
    name: str = "",
) -> dict:
    """Evaluate `samples` into the results file `out_path` (resuming its partial file); returns its contents.

    `header` identifies the run for resuming; `skipped` holds the samples already dropped while loading.
    The image info given to `task.record` is `image_size` (w, h) and `image_grid_thw` (t, h, w).
    Under `paddle.distributed.launch` the batches are dealt out to the ranks (`shard_batches`), each rank
    resumes from its own partial file, and rank 0 writes the results file of all of them.
    """
    reused = finished_results(out_path, header, cfg.overwrite)
    if reused is not None:
        return reused
    skipped = skipped if skipped is not None else SkippedImages()
    if not samples:
        check_evaluable([], skipped.items, name)
    env = data_parallel_env()
    prompts = [processor.apply_chat_template(task.messages(s), add_generation_prompt=True) for s in samples]
    keys = [sample_key(s, p) for s, p in zip(samples, prompts)]
    partial = PartialResults(*rank_partial(out_path, header, env))
    batches = shard_batches(len(samples), cfg.batch_size, env, lambda i: partial.done(i, keys[i]) is not None)
    eos = stop_token_ids(model, processor, cfg.model_path)
    mine = sum(len(b) for b in batches)
    done_before = sum(partial.done(i, keys[i]) is not None for i in range(len(samples)))
    if done_before:
        print(f"Resuming from {partial.path}: {done_before} of {len(samples)} samples done")
    set_interrupt_note(
        lambda: (
            f"{len(partial.records)} of {len(samples)} samples of {name or out_path} are saved in "
            f"{partial.path}; run the same command again to resume from there"
        )
    )
    try:
        with tqdm(total=mine + done_before, initial=done_before, desc=name, unit="sample") as bar:
            for batch in batches:
                partial.append(
                    _run_batch(batch, samples, prompts, keys, task, model, processor, cfg, eos, skipped)
                )
                bar.update(len(batch))
    finally:
        partial.close()

    records: dict[int, dict] = {}
    for part in all_gather_objects(
        {i: r for i in range(len(samples)) if (r := partial.done(i, keys[i])) is not None}
    ):
        records.update(part)
    loaded = list(skipped.items)
    results, shown = [], []
    for i in range(len(samples)):
        record = records[i]
        if "skipped" in record:
            skipped.add(samples[i]["image"], record["skipped"], name)
        else:
            results.append(record["result"])
            shown.append(Entry(samples[i].get("original_image") or samples[i]["image"], record["result"]))
    # Loading's skips first, then the batches' in sample order: the same list whatever the ranks did.
    seen = {path for path, _ in loaded}
    items = loaded + [
        (samples[i]["image"], records[i]["skipped"])
        for i in range(len(samples))
        if "skipped" in records[i] and not (samples[i]["image"] in seen or seen.add(samples[i]["image"]))
    ]
    check_evaluable(results, items, name)
    data = {
        **score_into(results, task.score_task, name, task.metric, **task.score_options),
        "num_skipped": len(items),
        "skipped": [{"image": path, "reason": reason} for path, reason in items],
        "run": header,
        "results": results,
    }
    write_results(out_path, data)
    if cfg.visualize and env.rank == 0:
        results_gallery(out_path, shown, task.score_task, cfg.visualize, cfg.visualize_select, cfg.seed)
    barrier()  # the results file is written before any rank drops its partial file
    partial.remove()
    return data


def check_evaluable(results: list, skipped_items: list[tuple[str, str]], name: str) -> None:
    """A DataError naming the count and the first bad image when every sample of a dataset was skipped."""
    if results or not skipped_items:
        return
    _, reason = skipped_items[0]
    raise DataError(
        f"nothing was evaluated: every sample was skipped ({len(skipped_items)} bad image(s)); the first is {reason}",
        where=name or None,
        fix="check --image_root / --image_dir",
    )


def rank_partial(out_path: str, header: dict, env) -> tuple[str, dict]:
    """This rank's partial file and its header: the plain ones in one process, else per rank and world."""
    if env.world_size == 1:
        return partial_path(out_path), header
    stem = os.path.splitext(partial_path(out_path))[0]
    path = f"{stem}.rank{env.rank}of{env.world_size}.jsonl"
    return path, {**header, "rank": env.rank, "world_size": env.world_size}


def shard_batches(n: int, batch_size: int, env, done) -> list[list[int]]:
    """The batches (sample indices) this rank generates, without the samples `done(i)` already holds.

    One process batches what is left in order. Several deal out the batches of the whole dataset in turn
    (batch k to rank k mod world), so each batch holds the samples it holds in one process, padded alike.
    """
    if env.world_size == 1:
        todo = [i for i in range(n) if not done(i)]
        return [todo[s : s + batch_size] for s in range(0, len(todo), batch_size)]
    batches = [list(range(s, min(s + batch_size, n))) for s in range(0, n, batch_size)]
    mine = [[i for i in b if not done(i)] for b in batches[env.rank :: env.world_size]]
    return [b for b in mine if b]


def _run_batch(batch, samples, prompts, keys, task, model, processor, cfg, eos, skipped) -> list[dict]:
    """Generate one batch; the partial records of its samples, evaluated or skipped."""
    records, ready, images = [], [], []
    for i in batch:
        # Every image of a multi-image sample (`images`, in order); VLM-R1 samples upscaled to 28 px as in training.
        upscale = upscale_small if samples[i].get("upscale_small_images") else lambda im: im
        try:
            shown = [upscale(open_image(p)) for p in samples[i].get("images") or [samples[i]["image"]]]
        except BadImageError as e:
            skipped.add(samples[i]["image"], str(e), samples[i].get("source", ""))
            records.append({"index": i, "key": keys[i], "skipped": str(e)})
            continue
        ready.append(i)
        images.append(shown)
    if not ready:
        return records
    inputs, kept, rejected = encode_batch(processor, [prompts[i] for i in ready], images)
    for pos, error in rejected:
        i = ready[pos]
        reason = f"unusable: {samples[i]['image']} ({error})"
        skipped.add(samples[i]["image"], reason, samples[i].get("source", ""))
        records.append({"index": i, "key": keys[i], "skipped": reason})
    if inputs is None:
        return records
    texts = generate_texts(model, processor, inputs, cfg.max_new_tokens, eos)
    # One grid row per image; a sample's boxes are in its last image.
    grids = inputs["image_grid_thw"].numpy().tolist()
    patch = processor.image_processor.patch_size  # 14 for Qwen2-VL / 2.5-VL, 16 for Qwen3-VL
    ends = np.cumsum([len(images[pos]) for pos in kept]) - 1
    for pos, text, end in zip(kept, texts, ends):
        i = ready[pos]
        size = Image.open(samples[i]["image"]).size
        grid = [int(v) for v in grids[end]]
        info = {
            "image_size": list(size),
            "image_grid_thw": grid,
            "input_size": [grid[1] * patch, grid[2] * patch],
        }
        records.append({"index": i, "key": keys[i], "result": task.record(samples[i], text, info)})
    return records
