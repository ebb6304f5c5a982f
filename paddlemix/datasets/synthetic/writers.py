"""Write synthetic data in the seed's exact formats and folder layout (see `paddlemix.datasets.layout`).

Each writer fills `out/<task folder>/` the way the matching archive unpacks under `data/`:

    REC/rec_jsons_processed/{refcoco,refcocop,refcocog}_{train,val}.json, refgta_subsample.json
    REC/train2014/*.jpg, REC/refgta/*.png                 (+ out/rec.yaml, the seed's data yaml)
    Counting/clevr_cogen_a_train/                          (Hugging Face dataset directory)
    Counting/superclevr_200/images/*.png, Counting/superclevr_test200_counting_problems.jsonl
    GEO/GEOQA_R1V_Train_8K/                                (Hugging Face dataset directory)
    GEO/Geo170K/images/test/*.png, GEO/geoqa_test_prompts.jsonl
    OCR/ocr_train.json(l), OCR/eval/{en,cn}_page_ocr.json, OCR/images/*.png      (synthetic/ocr.py)
    Affordance/reasonaff_train/, Affordance/reasonaff_test/ (HF dataset dirs)  (synthetic/affordance.py)

Every sample is drawn from its own `random.Random(f"{seed}/{task}/{split}/{index}")`, so the output is
the same on every machine for the same arguments, and sample i does not depend on how many were asked for.
"""

from __future__ import annotations

import io
import json
import os
import random
import tarfile

from paddlemix.datasets.hf_dir import write_hf_dir
from paddlemix.datasets.layout import COUNTING, GEOMETRY, REC, REC_ANNOTATIONS, rec_image_root
from paddlemix.datasets.synthetic.affordance import write_affordance_layout
from paddlemix.datasets.synthetic.counting import (
    EVAL_QUESTION,
    TRAIN_QUESTION,
    counting_solution,
    draw_counting_scene,
    draw_grid_counting_scene,
)
from paddlemix.datasets.synthetic.geometry import draw_geometry_problem, geometry_solution
from paddlemix.datasets.synthetic.ocr import write_ocr_layout
from paddlemix.datasets.synthetic.rec import draw_rec_scene, rec_problem

TRAIN_FEATURES = {
    "image": {"_type": "Image"},
    "problem": {"dtype": "string", "_type": "Value"},
    "solution": {"dtype": "string", "_type": "Value"},
}


def sample_rng(seed: int, task: str, split: str, index: int) -> random.Random:
    """The generator for one sample (string seeds hash with SHA-512, the same on every platform)."""
    return random.Random(f"{seed}/{task}/{split}/{index}")


def write_rec_layout(out: str, n: int = 64, n_eval: int = 16, seed: int = 0) -> str:
    """REC/ with n training records split over refcoco/+/g, n_eval per eval file, and out/rec.yaml; returns REC/."""
    root = os.path.join(out, REC.dir)
    os.makedirs(os.path.join(root, REC_ANNOTATIONS), exist_ok=True)
    files = [(name, n // len(REC.train) + (i < n % len(REC.train))) for i, name in enumerate(REC.train)]
    files += [(name, n_eval) for name in REC.evals]
    for name, count in files:
        stem = name.rsplit(".", 1)[0]
        image_dir = rec_image_root(name)
        records = []
        for i in range(count):
            img, caption, box = draw_rec_scene(sample_rng(seed, "rec", stem, i))
            if image_dir == "refgta":
                relative = f"synthetic_{stem}_{i:06d}.png"
            else:
                relative = f"train2014/synthetic_{stem}_{i:012d}.jpg"
            path = os.path.join(root, image_dir, relative)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            img.save(path, **({"quality": 90} if path.endswith(".jpg") else {}))
            width, height = img.size
            normalized = [round(box[0] / width * 1000), round(box[1] / height * 1000)]
            normalized += [round(box[2] / width * 1000), round(box[3] / height * 1000)]
            records.append(
                {
                    "image": relative,
                    "problem": rec_problem(caption),
                    "normal_caption": caption,
                    "solution": box,
                    "normalized_solution": normalized,
                }
            )
        with open(os.path.join(root, REC_ANNOTATIONS, name), "w", encoding="utf-8") as f:
            json.dump(records, f, indent=1)
    with open(os.path.join(out, "rec.yaml"), "w", encoding="utf-8") as f:
        f.write("datasets:\n")
        for name in REC.train:
            f.write(f"  - json_path: {REC.dir}/{REC_ANNOTATIONS}/{name}\n")
    return root


def write_counting_layout(
    out: str,
    n: int = 64,
    n_eval: int = 16,
    seed: int = 0,
    layout: str = "hub",
    min_items: int = 3,
    max_items: int = 10,
    grid: int = 0,
) -> str:
    """Counting/ with a CLEVR-like training set (HF directory) and a SuperCLEVR-like eval set; returns Counting/.

    Scenes hold min_items..max_items objects (fewer if they do not fit). `grid` = N > 0 draws the quickstart's
    scenes instead: one object per occupied square of an N × N grid of 28-px squares
    (`draw_grid_counting_scene`), with an eval set balanced over the counts.
    """

    def draw(rng, count=None):
        if grid:
            return draw_grid_counting_scene(rng, grid, min_items, max_items, count=count)
        return draw_counting_scene(rng, min_items=min_items, max_items=max_items)

    root = os.path.join(out, COUNTING.dir)
    rows = []
    for i in range(n):
        img, count = draw(sample_rng(seed, "counting", "train", i))
        cell = {"bytes": _png(img), "path": f"synthetic_clevr_train_{i:06d}.png"}
        rows.append({"image": cell, "problem": TRAIN_QUESTION, "solution": counting_solution(count)})
    write_hf_dir(os.path.join(root, COUNTING.train[0]), {"train": rows}, TRAIN_FEATURES, layout)
    records = []
    for i in range(n_eval):
        # Grid eval sets are balanced (counts cycle), so the best constant answer scores 1 / #counts.
        balanced = min_items + i % (max_items - min_items + 1) if grid else None
        img, count = draw(sample_rng(seed, "counting", "eval", i), balanced)
        relative = f"./images/synthetic_superCLEVR_{i:06d}.png"
        _save(img, os.path.join(root, COUNTING.eval_image_root, relative))
        records.append({"image_path": relative, "question": EVAL_QUESTION, "ground_truth": count})
    _write_jsonl(os.path.join(root, COUNTING.evals[0]), records)
    return root


def write_geometry_layout(out: str, n: int = 64, n_eval: int = 16, seed: int = 0, layout: str = "hub") -> str:
    """GEO/ with a GeoQA-like training set (HF directory) and a GeoQA-like eval set; returns GEO/."""
    root = os.path.join(out, GEOMETRY.dir)
    rows = []
    for i in range(n):
        img, question, answer = draw_geometry_problem(sample_rng(seed, "geometry", "train", i))
        cell = {"bytes": _png(img), "path": f"synthetic_geoqa_train_{i:06d}.png"}
        rows.append({"image": cell, "problem": question, "solution": geometry_solution(answer)})
    write_hf_dir(os.path.join(root, GEOMETRY.train[0]), {"train": rows}, TRAIN_FEATURES, layout)
    records = []
    for i in range(n_eval):
        img, question, answer = draw_geometry_problem(sample_rng(seed, "geometry", "eval", i))
        relative = f"./Geo170K/images/test/{i}.png"
        _save(img, os.path.join(root, GEOMETRY.eval_image_root, relative))
        records.append({"image_path": relative, "question": question, "ground_truth": answer})
    _write_jsonl(os.path.join(root, GEOMETRY.evals[0]), records)
    return root


WRITERS = {
    "rec": write_rec_layout,
    "counting": write_counting_layout,
    "geometry": write_geometry_layout,
    "ocr": write_ocr_layout,  # synthetic/ocr.py
    "affordance": write_affordance_layout,  # synthetic/affordance.py
}


def write_layouts(
    out: str, n: int = 64, n_eval: int = 16, seed: int = 0, hf_layout: str = "hub"
) -> dict[str, str]:
    """All task folders under `out` (like a prepared data/); returns task -> folder."""
    return {
        task: writer(out, n=n, n_eval=n_eval, seed=seed, **({} if task == "rec" else {"layout": hf_layout}))
        for task, writer in WRITERS.items()
    }


def write_tarball(task_root: str, tar_path: str) -> str:
    """Pack a task folder (e.g. out/REC) as the seed's archive: members start with the folder's name."""
    os.makedirs(os.path.dirname(os.path.abspath(tar_path)), exist_ok=True)
    with tarfile.open(tar_path, "w") as tar:
        # Sorted members and fixed metadata make the archive byte-identical across runs.
        for dirpath, dirnames, filenames in os.walk(task_root):
            dirnames.sort()
            for name in sorted(filenames):
                full = os.path.join(dirpath, name)
                arcname = os.path.relpath(full, os.path.dirname(os.path.normpath(task_root)))
                info = tar.gettarinfo(full, arcname)
                info.mtime, info.uid, info.gid, info.uname, info.gname = 0, 0, 0, "", ""
                with open(full, "rb") as f:
                    tar.addfile(info, f)
    return tar_path


def _png(img) -> bytes:
    """PNG bytes of an image."""
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def _save(img, path: str) -> None:
    """Save an image, creating its folder; `./` in the path is fine."""
    path = os.path.normpath(path)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    img.save(path)


def _write_jsonl(path: str, records: list[dict]) -> None:
    """One JSON object a line, non-ASCII escaped ("140\\u00b0"), as in R1-V's prompt files."""
    with open(path, "w", encoding="utf-8") as f:
        for record in records:
            f.write(json.dumps(record) + "\n")
