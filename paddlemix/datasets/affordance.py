"""Affordance samples in Affordance-R1's fields: training rows, and test rows with their masks.

Training (`load_affordance`): a Hugging Face dataset folder, as Affordance-R1 reads with
`load_from_disk(path)['train']` (either layout, see `hf_dir`), or a jsonl, with `problem, image, solution,
aff_name, part_name`; `solution` is the JSON string `[{"bbox_2d": [...], "point_2d": [...]}, ...]` in the
840x840 frame. Samples add `question` = `problem.lower().strip(".")`, what the seed's prompt is filled with.

Test (`load_affordance_eval`): a dataset folder's "test" split with the seed's `id, image, mask,
img_height, img_width, mask_h, mask_w, bboxes, problem` (or a jsonl with `id, image, mask, problem`, paths
relative to the file). Each sample gets three files in the cache: the original image, the mask (PNG,
nonzero = inside), and the image resized to `resize` x `resize` with BILINEAR, which is what the model sees
(the seed's eval resizes to 840); `image` names the resized one.
"""

from __future__ import annotations

import hashlib
import io
import os

import numpy as np
from PIL import Image

from paddlemix.datasets.dataset import SampleDataset
from paddlemix.datasets.hf_columns import HFColumnsDataset
from paddlemix.datasets.hf_dir import read_hf_dir
from paddlemix.datasets.ocr import read_records
from paddlemix.datasets.r1v import default_cache_dir
from paddlemix.errors import UserError

TRAIN_COLUMNS = ("problem", "solution", "aff_name")  # required; part_name is optional
OPTIONAL_COLUMNS = (
    "part_name",
    "prompt_mode",
)  # prompt_mode: a mode of the task's prompts (tasks/prompts.py)
RESIZE = 840


def seed_question(problem: str) -> str:
    """What the seed fills its prompt's {Question} with: the problem lower-cased, "." stripped at both ends."""
    return str(problem).lower().strip(".")


def _derive(sample: dict) -> dict:
    """The fields computed from a training row."""
    return {"question": seed_question(sample["problem"])}


def load_affordance(
    path: str, task: str = "affordance", split: str = "train", image_root=None, cache_dir=None
):
    """The training samples of a dataset folder or a jsonl (see the module docstring)."""
    if path.endswith((".json", ".jsonl")):
        root = image_root if image_root is not None else os.path.dirname(os.path.abspath(path))
        samples = []
        for i, record in enumerate(read_records(path)):
            where = f"{path}:{i + 1}"
            missing = [c for c in ("image", *TRAIN_COLUMNS) if c not in record]
            if missing:
                raise UserError(f"an affordance record lacks {missing}", where=where)
            sample = {k: record[k] for k in (*TRAIN_COLUMNS, *OPTIONAL_COLUMNS) if k in record}
            sample.update(_derive(sample))
            sample.update(image=os.path.abspath(os.path.join(root, record["image"])), task=task, source=where)
            samples.append(sample)
        return SampleDataset(samples, os.path.basename(path))
    table = read_hf_dir(path, split)
    missing = [c for c in ("image", *TRAIN_COLUMNS) if c not in table.column_names]
    if missing:
        raise UserError(f"an affordance dataset folder lacks columns {missing}", where=f"{path} [{split}]")
    fields = {c: c for c in (*TRAIN_COLUMNS, *OPTIONAL_COLUMNS) if c in table.column_names}
    return HFColumnsDataset(table, task, cache_dir or default_cache_dir(), fields, derive=_derive)


def load_affordance_eval(
    path: str,
    split: str = "test",
    resize: int = RESIZE,
    cache_dir: str | None = None,
    task: str = "affordance",
) -> list[dict]:
    """The test samples, with original image, mask and resized image written to the cache."""
    cache = os.path.join(
        cache_dir or default_cache_dir(),
        "aff-" + hashlib.sha1(f"{os.path.abspath(path)}:{split}:{resize}".encode()).hexdigest()[:12],
    )
    os.makedirs(cache, exist_ok=True)
    samples = []
    for i, (record, image_bytes, mask_bytes) in enumerate(_test_rows(path, split)):
        sample_id = str(record.get("id", i))
        stem = os.path.join(cache, f"{i:06d}")
        original, mask_file, resized = f"{stem}-image.png", f"{stem}-mask.png", f"{stem}-{resize}.png"
        if not os.path.isfile(resized):
            image = Image.open(io.BytesIO(image_bytes)).convert("RGB")
            image.save(original)
            mask = np.asarray(Image.open(io.BytesIO(mask_bytes))) if mask_bytes else None
            if mask is None:
                raise UserError("a test row has no mask", where=f"{path} [{split}] row {i}")
            Image.fromarray(
                (mask.reshape(mask.shape[0], mask.shape[1], -1).max(axis=2) > 0).astype(np.uint8) * 255
            ).save(mask_file)
            image.resize((resize, resize), Image.BILINEAR).save(resized)
        with Image.open(original) as img:
            width, height = img.size
        samples.append(
            {
                "image": resized,
                "original_image": original,
                "mask": mask_file,
                "id": sample_id,
                "problem": record["problem"],
                "question": seed_question(record["problem"]),
                "aff_name": record.get("aff_name"),
                "prompt_mode": record.get("prompt_mode"),
                "solution": record.get("solution"),
                "bboxes": record.get("bboxes"),
                "img_width": width,
                "img_height": height,
                "resize": resize,
                "task": task,
                "source": f"{path} [{split}] row {i}",
            }
        )
    return samples


def _test_rows(path: str, split: str):
    """(record, image bytes, mask bytes) of each test row of a dataset folder or a jsonl."""
    if path.endswith((".json", ".jsonl")):
        root = os.path.dirname(os.path.abspath(path))
        for i, record in enumerate(read_records(path)):
            if not all(isinstance(record.get(k), str) for k in ("image", "mask", "problem")):
                raise UserError(
                    "an affordance test record needs `image`, `mask` and `problem`", where=f"{path}:{i + 1}"
                )
            with open(os.path.join(root, record["image"]), "rb") as f:
                image = f.read()
            with open(os.path.join(root, record["mask"]), "rb") as f:
                mask = f.read()
            yield record, image, mask
        return
    table = read_hf_dir(path, split)
    for column in ("image", "mask", "problem"):
        if column not in table.column_names:
            raise UserError(f"an affordance test set lacks column {column!r}", where=f"{path} [{split}]")
    texts = [c for c in table.column_names if c not in ("image", "mask")]
    columns = {c: table.column(c) for c in texts}
    for i in range(len(table)):
        record = {c: columns[c][i] for c in texts}
        yield (
            record,
            (table.image(i, "image") or {}).get("bytes"),
            (table.image(i, "mask") or {}).get("bytes"),
        )


def mask_array(path: str) -> np.ndarray:
    """A mask file as a bool (H, W) array."""
    with Image.open(path) as img:
        return np.asarray(img.convert("L")) > 0
