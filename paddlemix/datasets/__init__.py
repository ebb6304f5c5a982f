"""Datasets: the seed's REC, counting and geometry data as dict samples, and checks of their images.

    from paddlemix.datasets import load_data_yaml, load_r1v, load_r1v_eval, load_rec_eval

    train = load_data_yaml("rec.yaml", image_root="data/REC", seed=42)           # REC, with sampling
    train = load_r1v("data/Counting/clevr_cogen_a_train", task="counting")       # HF dataset directory
    test = load_r1v_eval("data/Counting", "superclevr_test200_counting_problems", "data/Counting/superclevr_200")

Every loader returns a `SampleDataset` of dicts with `image` (absolute path), `problem`, `solution`,
`task` and `source` (see `dataset.py`); missing images are skipped, counted in `.skipped`, and named in
warnings. `load_sample_image` is the per-sample check a collator calls.
"""

from paddlemix.datasets.data_yaml import DataYamlEntry, apply_sampling, load_data_yaml, read_data_yaml
from paddlemix.datasets.dataset import SampleDataset, concat
from paddlemix.datasets.eval_sets import load_eval_jsonl, load_r1v_eval, load_rec_eval
from paddlemix.datasets.hf_dir import list_splits, read_hf_dir, write_hf_dir
from paddlemix.datasets.images import (
    BadImageError,
    SkippedImages,
    ValidationReport,
    check_image,
    load_sample_image,
    open_image,
    validate_images,
)
from paddlemix.datasets.r1v import HFImageDataset, load_r1v
from paddlemix.datasets.rec import load_rec, parse_box

__all__ = [
    "BadImageError",
    "DataYamlEntry",
    "HFImageDataset",
    "SampleDataset",
    "SkippedImages",
    "ValidationReport",
    "apply_sampling",
    "check_image",
    "concat",
    "list_splits",
    "load_data_yaml",
    "load_eval_jsonl",
    "load_r1v",
    "load_r1v_eval",
    "load_rec",
    "load_rec_eval",
    "load_sample_image",
    "open_image",
    "parse_box",
    "read_data_yaml",
    "read_hf_dir",
    "validate_images",
    "write_hf_dir",
]
