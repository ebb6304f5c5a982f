"""A truncated, corrupt or mismatched weight file is a CheckpointError naming the file and, where known, the tensor."""

from __future__ import annotations

import json
import os
import shutil

import pytest

from paddlemix.errors import UserError
from paddlemix.models.auto import AutoModelForConditionalGeneration
from paddlemix.models.checkpoint import CheckpointError
from tests.helpers import tiny_dir


def _copy(tmp_path, name="model"):
    dest = tmp_path / name
    shutil.copytree(tiny_dir("qwen2_vl_tied"), dest)
    return dest


@pytest.mark.parametrize(
    "damage, named",
    [
        # cut in half, as an interrupted download leaves it
        (lambda b: b[: len(b) // 2], "not a readable safetensors file"),
        # the 8-byte header length alone
        (lambda b: b[:8], "not a readable safetensors file"),
        # an empty file
        (lambda b: b"", "not a readable safetensors file"),
        # not safetensors at all
        (lambda b: b"<html>404</html>" * 10, "not a readable safetensors file"),
    ],
)
def test_damaged_weights_name_the_file(tmp_path, damage, named):
    model_dir = _copy(tmp_path)
    weights = model_dir / "model.safetensors"
    weights.write_bytes(damage(weights.read_bytes()))
    with pytest.raises(CheckpointError, match=named) as info:
        AutoModelForConditionalGeneration.from_pretrained(str(model_dir))
    assert info.value.where == str(weights)
    assert isinstance(info.value, UserError) and isinstance(info.value, ValueError)


def test_mismatched_shape_names_file_and_tensor(tmp_path):
    model_dir = _copy(tmp_path)
    config = json.loads((model_dir / "config.json").read_text())
    config["intermediate_size"] *= 2
    (model_dir / "config.json").write_text(json.dumps(config))
    with pytest.raises(CheckpointError, match=r"tensor model\.layers\.0\.mlp\.\w+\.weight has shape") as info:
        AutoModelForConditionalGeneration.from_pretrained(str(model_dir))
    assert info.value.where == os.path.join(str(model_dir), "model.safetensors")
