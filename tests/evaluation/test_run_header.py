"""The run header of an eval's partial and results files (evaluation/partial.py)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from paddlemix.evaluation.config import EvalConfig
from paddlemix.evaluation.partial import run_header

MODEL = SimpleNamespace(config=SimpleNamespace(model_type="qwen2_vl"), parameters=lambda: iter([np.zeros(1)]))
PROCESSOR = SimpleNamespace(image_processor=SimpleNamespace(min_pixels=3136, max_pixels=12845056))


def header_model(model_path: str) -> str:
    cfg = EvalConfig(
        model_name="m", model_path=model_path, data_root="d", image_root="i", test_datasets=["x"]
    )
    return run_header(cfg, MODEL, PROCESSOR, "d/x.jsonl")["model_path"]


def test_a_hub_id_is_kept_as_the_id():
    assert header_model("Qwen/Qwen2-VL-2B-Instruct") == "Qwen/Qwen2-VL-2B-Instruct"


def test_a_local_folder_is_made_absolute_even_when_it_looks_like_an_id(tmp_path, monkeypatch):
    (tmp_path / "checkpoints" / "run1").mkdir(parents=True)
    monkeypatch.chdir(tmp_path)
    assert header_model("checkpoints/run1") == str(tmp_path / "checkpoints" / "run1")
