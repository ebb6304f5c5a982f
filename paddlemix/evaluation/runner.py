"""The loop shared by the eval commands: batched greedy generation over samples, resumable, with a progress bar.

`evaluate` takes a task's samples and two functions (the chat messages of a sample; the result record of a
sample and its completion) and produces the seed's results file, `{"accuracy": float, "results": [...]}`:

- Batches of `batch_size` prompts are left-padded and decoded greedily (`do_sample=False`), as the seed does.
- Each finished batch is appended to `<results>.partial.jsonl` (flushed and synced) before the next starts,
  so an interrupted eval, run again with the same command, resumes where it stopped. The partial file's
  first line records what the results depend on (model, dtype, prompt method, generation length, pixel
  budget); if that differs, the old partial file is discarded with a warning rather than mixed in. Each
  record carries its sample's index and a hash of its image and prompt, so a changed data file is caught too.
- A missing image (found when loading) or a corrupt or unusable one (found when its batch is built) skips
  its sample: it is named in a warning, listed under `skipped` in the results file (`num_skipped` counts
  distinct image files), and it is not part of the accuracy. The seed instead crashed, or looped forever looking for a replacement.
- The accuracy is `score_results(results, "fixed")` of `rescore.py`, the metric the rewards share, so
  `rescore(results_file)` gives back exactly the stored number. The final file is written atomically.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import paddle
from tqdm import tqdm

from paddlemix.datasets.images import BadImageError, SkippedImages, open_image
from paddlemix.evaluation.rescore import accuracy, score_results
from paddlemix.models import AutoModelForConditionalGeneration
from paddlemix.models.runtime import ATTN_NAMES, on_gpu, resolve_attn, resolve_dtype, stop_token_ids  # noqa: F401
from paddlemix.processors import Qwen2VLProcessor

logger = logging.getLogger("paddlemix.evaluation")

METHODS = ("r1", "baseline")
DTYPES = ("bfloat16", "float16", "float32")


@dataclass
class EvalConfig:
    """What an eval run needs; the fields are the seed's command-line flags plus a few of ours."""

    model_name: str  # names the output files (lower-cased), as in the seed; the class comes from config.json
    model_path: str  # a hub-layout checkpoint directory
    data_root: str  # holds {ds}.json (REC) or {ds}.jsonl (counting / geometry)
    image_root: str  # image paths in the data files are relative to it
    test_datasets: list[str] = field(default_factory=list)
    method: str = "r1"  # REC: "r1" (think/answer prompt) or "baseline" (bare caption); R1-V: names files only
    batch_size: int = 32
    sample_num: int | None = 500  # REC: shuffled with `seed`, first N kept; R1-V: first N (None: all)
    steps: int = 100  # checkpoint step, only used in output file names
    seed: int = 42
    dtype: str = "bfloat16"  # bf16/fp16 fall back to float32 with a warning where no GPU is used
    attn_implementation: str | None = None  # None: flash on GPU in bf16/fp16, else eager
    max_new_tokens: int = 256  # the seed's value
    min_pixels: int | None = None  # None: the checkpoint's preprocessor_config.json
    max_pixels: int | None = None
    output_dir: str = "logs"  # the seed writes to ./logs
    coord_frame: str | None = None  # REC: frame of the model's boxes; None: from the model type

    def __post_init__(self):
        """Reject values that cannot run, naming the flag."""
        if self.method not in METHODS:
            raise ValueError(f"--method must be one of {METHODS}, got {self.method!r}")
        if self.dtype not in DTYPES:
            raise ValueError(f"--dtype must be one of {DTYPES}, got {self.dtype!r}")
        if self.attn_implementation is not None and self.attn_implementation not in ATTN_NAMES:
            raise ValueError(
                f"--attn_implementation must be one of {sorted(ATTN_NAMES)}, got {self.attn_implementation!r}"
            )
        for name in ("batch_size", "max_new_tokens"):
            if getattr(self, name) < 1:
                raise ValueError(f"--{name} must be >= 1, got {getattr(self, name)}")
        if self.sample_num is not None and self.sample_num < 1:
            raise ValueError(f"--sample_num must be >= 1, got {self.sample_num}")
        if not self.test_datasets:
            raise ValueError("--test_datasets names no dataset")


def load_model_and_processor(cfg: EvalConfig):
    """The model (eval mode, in the resolved dtype) and its processor, from `cfg.model_path`."""
    paddle.seed(cfg.seed)
    dtype = resolve_dtype(cfg.dtype)
    model = AutoModelForConditionalGeneration.from_pretrained(
        cfg.model_path, dtype=dtype, attn_implementation=resolve_attn(cfg.attn_implementation, dtype)
    )
    processor = Qwen2VLProcessor.from_pretrained(
        cfg.model_path, min_pixels=cfg.min_pixels, max_pixels=cfg.max_pixels
    )
    return model, processor


def results_path(output_dir: str, prefix: str, ds: str, cfg: EvalConfig) -> str:
    """The seed's results file name: `{output_dir}/{prefix}_results_{ds}_{model}_{method}_{steps}.json`."""
    name = f"{prefix}_results_{ds}_{cfg.model_name.lower()}_{cfg.method}_{cfg.steps}.json"
    return os.path.join(output_dir, name)


def partial_path(path: str) -> str:
    """Where the results of `path` accumulate while the eval runs."""
    return os.path.splitext(path)[0] + ".partial.jsonl"


def write_json_atomic(path: str, data) -> None:
    """Write `data` as indented JSON to `path` so that readers see the old file or the whole new one."""
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".json")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=2, ensure_ascii=False)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def sample_key(sample: dict, prompt: str) -> str:
    """A short hash of what a sample asks (image path and prompt), to match partial records to samples."""
    return hashlib.sha1(f"{sample['image']}\n{prompt}".encode()).hexdigest()[:16]


class PartialResults:
    """The append-only `.partial.jsonl` of one results file: a header line, then one line per sample."""

    def __init__(self, path: str, header: dict):
        """Open `path` for `header`'s run; records from another run's header are discarded with a warning."""
        self.path, self.header = path, header
        self.records = self._read()
        lines = [json.dumps({"header": header}, ensure_ascii=False)]
        lines += [json.dumps(r, ensure_ascii=False) for r in self.records.values()]
        # Rewritten whole first, so a line cut short by a crash is dropped rather than appended to.
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n")
        self._file = open(path, "a", encoding="utf-8")

    def _read(self) -> dict[int, dict]:
        """The usable records already in the file, by sample index."""
        if not os.path.isfile(self.path):
            return {}
        with open(self.path, encoding="utf-8") as f:
            lines = f.read().splitlines()
        try:
            old_header = json.loads(lines[0])["header"] if lines else {}
        except (json.JSONDecodeError, KeyError, TypeError):
            old_header = {}
        if old_header != self.header:
            changed = sorted(
                k for k in {*old_header, *self.header} if old_header.get(k) != self.header.get(k)
            )
            logger.warning("%s is from a different run (differs in %s); starting over", self.path, changed)
            return {}
        records = {}
        for line in lines[1:]:
            try:
                record = json.loads(line)
                records[int(record["index"])] = record
            except (json.JSONDecodeError, KeyError, TypeError, ValueError):
                continue  # a line cut short by the interruption
        return records

    def done(self, index: int, key: str) -> dict | None:
        """The stored record of sample `index` if it was recorded for the same image and prompt."""
        record = self.records.get(index)
        return record if record is not None and record.get("key") == key else None

    def append(self, records: Sequence[dict]) -> None:
        """Add the records of one batch and push them to disk before going on."""
        for record in records:
            self.records[record["index"]] = record
            self._file.write(json.dumps(record, ensure_ascii=False) + "\n")
        self._file.flush()
        os.fsync(self._file.fileno())

    def close(self) -> None:
        """Close the file (it stays on disk until `remove`)."""
        self._file.close()

    def remove(self) -> None:
        """Delete the file once the final results are written."""
        self.close()
        os.remove(self.path)


def encode_batch(
    processor, texts: list[str], images: list
) -> tuple[dict | None, list[int], list[tuple[int, str]]]:
    """Model inputs for the prompts whose image the processor accepts; (inputs, kept positions, rejected).

    The processor refuses a whole batch for one image it cannot take (smaller than 28 px, aspect ratio
    over 200); then each sample is tried alone to find it, and the others go on.
    """
    try:
        return (
            processor(text=texts, images=images, padding=True, return_tensors="pd"),
            list(range(len(texts))),
            [],
        )
    except ValueError:
        pass
    kept, rejected = [], []
    for i, (text, image) in enumerate(zip(texts, images)):
        try:
            processor(text=[text], images=[image], return_tensors="np")
            kept.append(i)
        except ValueError as e:
            rejected.append((i, str(e)))
    if not kept:
        return None, [], rejected
    inputs = processor(
        text=[texts[i] for i in kept], images=[images[i] for i in kept], padding=True, return_tensors="pd"
    )
    return inputs, kept, rejected


def generate_texts(model, processor, inputs: dict, max_new_tokens: int, eos: list[int]) -> list[str]:
    """Greedy completions of a left-padded batch, decoded without special tokens.

    Image and video placeholders are never generated, as in GRPO rollouts (rl/grpo/rollout.py): a trained
    checkpoint puts no mass there, but a small one can, and its eval would then decode to empty strings.
    """
    sequences = model.generate(
        **inputs,
        max_new_tokens=max_new_tokens,
        do_sample=False,
        eos_token_id=eos,
        suppress_token_ids=[model.config.image_token_id, model.config.video_token_id],
        pad_token_id=processor.tokenizer.pad_token_id,
    )
    prompt_len = inputs["input_ids"].shape[1]
    return processor.batch_decode(sequences[:, prompt_len:], skip_special_tokens=True)


@dataclass
class EvalTask:
    """How one task turns a sample into a prompt and a completion into a result record."""

    score_task: str  # the task name `score_results` knows: "rec" | "counting" | "geoqa"
    messages: Callable[[dict], list[dict]]  # sample -> chat messages
    record: Callable[[dict, str, dict], dict]  # (sample, completion, image info) -> the result record


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
    """
    skipped = skipped if skipped is not None else SkippedImages()
    prompts = [processor.apply_chat_template(task.messages(s), add_generation_prompt=True) for s in samples]
    keys = [sample_key(s, p) for s, p in zip(samples, prompts)]
    partial = PartialResults(partial_path(out_path), header)
    todo = [i for i in range(len(samples)) if partial.done(i, keys[i]) is None]
    eos = stop_token_ids(model, processor, cfg.model_path)
    if len(todo) < len(samples):
        print(f"Resuming from {partial.path}: {len(samples) - len(todo)} of {len(samples)} samples done")
    try:
        with tqdm(total=len(samples), initial=len(samples) - len(todo), desc=name, unit="sample") as bar:
            for start in range(0, len(todo), cfg.batch_size):
                batch = todo[start : start + cfg.batch_size]
                partial.append(
                    _run_batch(batch, samples, prompts, keys, task, model, processor, cfg, eos, skipped)
                )
                bar.update(len(batch))
    finally:
        partial.close()

    results = []
    for i in range(len(samples)):
        record = partial.done(i, keys[i])
        if "skipped" in record:
            skipped.add(samples[i]["image"], record["skipped"], name)
        else:
            results.append(record["result"])
    verdicts = score_results(results, metric="fixed", task=task.score_task) if results else []
    for result, ok in zip(results, verdicts):
        result["correct"] = int(ok)
    if results:
        acc = accuracy(verdicts)
    else:
        acc = None
        logger.warning("%s: no sample could be evaluated; accuracy is null", name)
    data = {
        "accuracy": acc,
        "metric": "fixed",
        "num_correct": sum(verdicts),
        "num_scored": len(results),
        "num_skipped": skipped.count,
        "skipped": [{"image": path, "reason": reason} for path, reason in skipped.items],
        "run": header,
        "results": results,
    }
    write_json_atomic(out_path, data)
    partial.remove()
    return data


def _run_batch(batch, samples, prompts, keys, task, model, processor, cfg, eos, skipped) -> list[dict]:
    """Generate one batch; the partial records of its samples, evaluated or skipped."""
    records, ready, images = [], [], []
    for i in batch:
        try:
            image = open_image(samples[i]["image"])
        except BadImageError as e:
            skipped.add(samples[i]["image"], str(e), samples[i].get("source", ""))
            records.append({"index": i, "key": keys[i], "skipped": str(e)})
            continue
        ready.append(i)
        images.append(image)
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
    grids = inputs["image_grid_thw"].numpy().tolist()
    for pos, text, grid in zip(kept, texts, grids):
        i = ready[pos]
        info = {"image_size": list(images[pos].size), "image_grid_thw": [int(v) for v in grid]}
        records.append({"index": i, "key": keys[i], "result": task.record(samples[i], text, info)})
    return records


def run_header(cfg: EvalConfig, model, processor, ds_path: str, **extra) -> dict:
    """What a dataset's results depend on; a partial file written under another header is not resumed."""
    image_processor = processor.image_processor
    header = {
        "model_path": os.path.abspath(cfg.model_path),
        "model_type": model.config.model_type,
        "dtype": str(next(iter(model.parameters())).dtype).replace("paddle.", ""),
        "data_file": os.path.abspath(ds_path),
        "image_root": os.path.abspath(cfg.image_root),
        "method": cfg.method,
        "seed": cfg.seed,
        "sample_num": cfg.sample_num,
        "max_new_tokens": cfg.max_new_tokens,
        "min_pixels": image_processor.min_pixels,
        "max_pixels": image_processor.max_pixels,
    }
    header.update(extra)
    return header


def report(ds: str, data: dict, path: str) -> None:
    """Print a dataset's accuracy and skipped count and where its results are, as the seed does."""
    acc = data["accuracy"]
    shown = "n/a" if acc is None else f"{acc:.2f}%"
    print(
        f"\nAccuracy of {ds}: {shown} ({data['num_correct']}/{data['num_scored']}, {data['num_skipped']} skipped)"
    )
    print(f"Results saved to {path}")
    print("-" * 100)
