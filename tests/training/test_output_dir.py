"""The final model (training/output_dir.py): complete in the hub layout, or not there at all."""

from __future__ import annotations

import os

import pytest

from paddlemix.models import AutoModelForConditionalGeneration
from paddlemix.training import output_dir
from tests.helpers import tiny_dir


@pytest.fixture(scope="module")
def model():
    return AutoModelForConditionalGeneration.from_pretrained(tiny_dir("qwen2_vl_tied"), dtype="float32")


def test_the_final_model_is_the_hub_layout_with_the_processor_files(model, tmp_path):
    output_dir.save_final_model(model, str(tmp_path), tiny_dir("qwen2_vl_tied"))
    names = set(os.listdir(tmp_path))
    assert {"config.json", "model.safetensors", "tokenizer.json", "preprocessor_config.json"} <= names
    assert not any(n.startswith(".tmp") for n in names)
    reloaded = AutoModelForConditionalGeneration.from_pretrained(str(tmp_path), dtype="float32")
    assert reloaded.state_dict().keys() == model.state_dict().keys()


def test_a_save_killed_before_the_weights_land_leaves_no_model(model, tmp_path, monkeypatch):
    moved = []

    def replace(src, dst):
        if os.path.basename(dst) == "model.safetensors":
            raise KeyboardInterrupt("killed while saving")
        moved.append(os.path.basename(dst))
        os.rename(src, dst)

    monkeypatch.setattr(output_dir.os, "replace", replace)
    with pytest.raises(KeyboardInterrupt):
        output_dir.save_final_model(model, str(tmp_path), tiny_dir("qwen2_vl_tied"))
    assert "config.json" in moved  # everything else went first
    assert not (tmp_path / "model.safetensors").exists()
