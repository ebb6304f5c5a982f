"""Checkpoints in the hub layout: configs in both forms, shards, bf16, round trips and clear errors."""

from __future__ import annotations

import json
import os
import shutil

import numpy as np
import paddle
import pytest

from paddlemix.models import (
    AutoModelForConditionalGeneration,
    CheckpointError,
    Qwen2_5_VLConfig,
    Qwen2VLConfig,
    Qwen2VLForConditionalGeneration,
)
from tests.helpers import MODEL_FIXTURES, golden, requires_reference, tiny_dir


def logits(model, name="qwen2_vl_tied", case="two_images"):
    g = golden(name, case)
    keys = ("input_ids", "attention_mask", "pixel_values", "image_grid_thw")
    with paddle.no_grad():
        return model(**{k: paddle.to_tensor(g[k]) for k in keys}).logits.astype("float32").numpy()


def copy_ckpt(name, tmp_path):
    dst = tmp_path / name
    shutil.copytree(tiny_dir(name), dst)
    return str(dst)


def test_flat_and_nested_configs_are_read_the_same():
    flat = Qwen2VLConfig.from_pretrained(tiny_dir("qwen2_vl_tied"))
    nested = Qwen2VLConfig.from_pretrained(os.path.join(MODEL_FIXTURES, "qwen2_vl_tied_nested_config.json"))
    for key in (
        "hidden_size",
        "num_hidden_layers",
        "num_key_value_heads",
        "mrope_section",
        "rope_theta",
        "tie_word_embeddings",
        "image_token_id",
        "vocab_size",
        "rms_norm_eps",
    ):
        assert getattr(flat, key) == getattr(nested, key), key
    assert flat.vision_config.embed_dim == nested.vision_config.embed_dim == 32
    assert flat.mrope_section == [2, 1, 1]


def test_config_round_trip_keeps_published_flat_form(tmp_path):
    cfg = Qwen2_5_VLConfig.from_pretrained(tiny_dir("qwen2_5_vl_untied"))
    cfg.save_pretrained(str(tmp_path))
    with open(tmp_path / "config.json") as f:
        raw = json.load(f)
    assert raw["rope_scaling"] == {"type": "mrope", "mrope_section": [2, 1, 1]}
    assert raw["model_type"] == "qwen2_5_vl" and "text_config" not in raw
    assert raw["vision_config"]["window_size"] == 84
    assert Qwen2_5_VLConfig.from_pretrained(str(tmp_path)) == cfg


def test_published_sized_configs_validate():
    # The 7B's numbers from the facts sheet: head_dim 128, mrope [16, 24, 24].
    cfg = Qwen2VLConfig(hidden_size=3584, num_attention_heads=28, num_key_value_heads=4, vocab_size=152064)
    assert cfg.head_dim == 128
    with pytest.raises(ValueError, match="mrope_section"):
        Qwen2VLConfig(hidden_size=3584, num_attention_heads=28, mrope_section=[16, 24, 16])
    with pytest.raises(ValueError, match="attn_implementation"):
        Qwen2VLConfig(attn_implementation="sdpa")


def test_auto_loader_picks_class_from_model_type():
    m = AutoModelForConditionalGeneration.from_pretrained(tiny_dir("qwen2_5_vl_tied"), dtype="float32")
    assert type(m).__name__ == "Qwen2_5_VLForConditionalGeneration"
    assert not hasattr(m, "lm_head")  # tied


def test_save_and_reload_sharded_round_trip(tmp_path):
    model = AutoModelForConditionalGeneration.from_pretrained(tiny_dir("qwen2_vl_untied"), dtype="float32")
    out = str(tmp_path / "export")
    model.save_pretrained(out, max_shard_size="200KB")
    index = json.load(open(os.path.join(out, "model.safetensors.index.json")))
    shards = sorted(set(index["weight_map"].values()))
    assert len(shards) > 1 and all(os.path.isfile(os.path.join(out, s)) for s in shards)
    assert "lm_head.weight" in index["weight_map"]
    reloaded = AutoModelForConditionalGeneration.from_pretrained(out, dtype="float32")
    np.testing.assert_array_equal(logits(model, "qwen2_vl_untied"), logits(reloaded, "qwen2_vl_untied"))


def test_bf16_checkpoint_loads_as_bf16(tmp_path):
    model = AutoModelForConditionalGeneration.from_pretrained(tiny_dir("qwen2_vl_tied"), dtype="float32")
    out = str(tmp_path / "bf16")
    model.save_pretrained(out, dtype="bfloat16")
    assert json.load(open(os.path.join(out, "config.json")))["torch_dtype"] == "bfloat16"
    bf = AutoModelForConditionalGeneration.from_pretrained(out)
    assert all(p.dtype == paddle.bfloat16 for p in bf.parameters())
    # Paddle's CPU build has no bf16 matmul, so compute with the bf16 weights upcast on load.
    up = AutoModelForConditionalGeneration.from_pretrained(out, dtype="float32")
    diff = np.abs(logits(up) - logits(model)).max()
    assert 0 < diff < 0.05  # bf16 rounding of the weights, not a wrong mapping (which gives O(1))


@requires_reference
@pytest.mark.parametrize("name", ["qwen2_vl_tied", "qwen2_5_vl_untied"])
def test_export_loads_in_transformers_with_equal_logits(name, tmp_path):
    import torch

    from paddlemix.testing.reference import load_reference_model

    model = AutoModelForConditionalGeneration.from_pretrained(tiny_dir(name), dtype="float32")
    out = str(tmp_path / "export")
    model.save_pretrained(out, max_shard_size="300KB")
    ref = load_reference_model(out)
    g = golden(name, "two_images")
    t_in = {
        k: torch.from_numpy(g[k]) for k in ("input_ids", "attention_mask", "pixel_values", "image_grid_thw")
    }
    t_in["mm_token_type_ids"] = (t_in["input_ids"] == ref.config.image_token_id).long()
    with torch.no_grad():
        want = ref(**t_in).logits.numpy()
    assert np.abs(want - logits(model, name)).max() <= 1e-4


def test_missing_shard_is_named(tmp_path):
    model = AutoModelForConditionalGeneration.from_pretrained(tiny_dir("qwen2_vl_tied"), dtype="float32")
    out = tmp_path / "sharded"
    model.save_pretrained(str(out), max_shard_size="200KB")
    victim = sorted(p for p in os.listdir(out) if p.startswith("model-"))[1]
    os.remove(out / victim)
    with pytest.raises(CheckpointError, match=f"missing shard {victim}"):
        Qwen2VLForConditionalGeneration.from_pretrained(str(out))


def test_missing_index_entry_is_named(tmp_path):
    model = AutoModelForConditionalGeneration.from_pretrained(tiny_dir("qwen2_vl_tied"), dtype="float32")
    out = tmp_path / "sharded"
    model.save_pretrained(str(out), max_shard_size="200KB")
    index_path = out / "model.safetensors.index.json"
    index = json.load(open(index_path))
    del index["weight_map"]["model.norm.weight"]
    json.dump(index, open(index_path, "w"))
    # The shard still holds the tensor, but the index no longer lists it: the shard is the truth, so the
    # load succeeds; a tensor missing from every shard is the error.
    Qwen2VLForConditionalGeneration.from_pretrained(str(out))
    from safetensors.numpy import load_file, save_file

    shard = out / next(
        v for k, v in json.load(open(index_path))["weight_map"].items() if k == "model.embed_tokens.weight"
    )
    tensors = load_file(str(shard))
    del tensors["model.embed_tokens.weight"]
    save_file(tensors, str(shard), metadata={"format": "pt"})
    with pytest.raises(CheckpointError, match="model.embed_tokens.weight"):
        Qwen2VLForConditionalGeneration.from_pretrained(str(out))


def test_wrong_shape_names_key_and_shapes(tmp_path):
    from safetensors.numpy import load_file, save_file

    ckpt = copy_ckpt("qwen2_vl_tied", tmp_path)
    path = os.path.join(ckpt, "model.safetensors")
    tensors = load_file(path)
    tensors["model.layers.1.self_attn.k_proj.weight"] = np.zeros((8, 64), dtype=np.float32)
    save_file(tensors, path, metadata={"format": "pt"})
    with pytest.raises(
        CheckpointError, match=r"model\.layers\.1\.self_attn\.k_proj\.weight has shape \[8, 64\].*\[16, 64\]"
    ):
        AutoModelForConditionalGeneration.from_pretrained(ckpt)


def test_unknown_model_type_lists_known(tmp_path):
    ckpt = copy_ckpt("qwen2_vl_tied", tmp_path)
    cfg_path = os.path.join(ckpt, "config.json")
    cfg = json.load(open(cfg_path))
    cfg["model_type"] = "llava"
    json.dump(cfg, open(cfg_path, "w"))
    with pytest.raises(ValueError, match=r"unknown model_type 'llava'.*qwen2_5_vl.*qwen2_vl"):
        AutoModelForConditionalGeneration.from_pretrained(ckpt)


def test_missing_weights_file_is_named(tmp_path):
    ckpt = copy_ckpt("qwen2_vl_tied", tmp_path)
    os.remove(os.path.join(ckpt, "model.safetensors"))
    with pytest.raises(CheckpointError, match="no model.safetensors or model.safetensors.index.json"):
        AutoModelForConditionalGeneration.from_pretrained(ckpt)


def test_transformers_module_paths_are_accepted(tmp_path):
    """Exports that use transformers' in-memory names (model.language_model.*, model.visual.*) load too."""
    from safetensors.numpy import load_file, save_file

    ckpt = copy_ckpt("qwen2_vl_untied", tmp_path)
    path = os.path.join(ckpt, "model.safetensors")
    tensors = load_file(path)
    renamed = {}
    for k, v in tensors.items():
        if k.startswith("model."):
            k = "model.language_model." + k[len("model.") :]
        elif k.startswith("visual."):
            k = "model." + k
        renamed[k] = v
    save_file(renamed, path, metadata={"format": "pt"})
    a = AutoModelForConditionalGeneration.from_pretrained(ckpt, dtype="float32")
    b = AutoModelForConditionalGeneration.from_pretrained(tiny_dir("qwen2_vl_untied"), dtype="float32")
    np.testing.assert_array_equal(logits(a, "qwen2_vl_untied"), logits(b, "qwen2_vl_untied"))
