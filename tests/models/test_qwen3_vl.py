"""Qwen3-VL: config forms, the published checkpoint layout, DeepStack, interleaved M-RoPE, exports, errors.

Logit and greedy parity on the two-image, padded-batch and text-only cases run in `test_parity.py` (golden
and live); here are the properties particular to Qwen3-VL.
"""

from __future__ import annotations

import json
import os
import shutil

import numpy as np
import paddle
import pytest

from paddlemix.errors import UserError
from paddlemix.models import AutoModelForConditionalGeneration, CheckpointError, Qwen3VLConfig
from paddlemix.models.qwen3_vl.text import interleaved_axes
from paddlemix.models.qwen3_vl.vision import position_embedding_taps
from tests.helpers import MODEL_FIXTURES, golden, requires_reference, tiny_dir

KEYS = ("input_ids", "attention_mask", "pixel_values", "image_grid_thw")


def load(name="qwen3_vl_tied", path=None):
    return AutoModelForConditionalGeneration.from_pretrained(path or tiny_dir(name), dtype="float32")


def logits(model, name="qwen3_vl_tied", case="two_images"):
    g = golden(name, case)
    with paddle.no_grad():
        return model(**{k: paddle.to_tensor(g[k]) for k in KEYS if k in g}).logits.numpy()


def relative(got, want):
    return np.abs(got - want).max() / np.abs(want).max()


def test_published_v5_and_flat_configs_are_read_the_same(tmp_path):
    published = Qwen3VLConfig.from_pretrained(tiny_dir("qwen3_vl_tied"))
    v5 = Qwen3VLConfig.from_pretrained(os.path.join(MODEL_FIXTURES, "qwen3_vl_tied_nested_config.json"))
    raw = json.load(open(os.path.join(tiny_dir("qwen3_vl_tied"), "config.json")))
    flat = {
        **{k: v for k, v in raw.items() if k != "text_config"},
        **raw["text_config"],
        "model_type": "qwen3_vl",
    }
    flat_cfg = Qwen3VLConfig.from_dict(flat)
    for cfg in (v5, flat_cfg):
        for key in (
            "hidden_size",
            "head_dim",
            "num_key_value_heads",
            "mrope_section",
            "rope_theta",
            "vocab_size",
        ):
            assert getattr(cfg, key) == getattr(published, key), key
        assert cfg.tie_word_embeddings and cfg.mrope_interleaved
        assert cfg.vision_config.deepstack_visual_indexes == [0, 2]
        assert cfg.vision_config.num_position_embeddings == 16
    assert published.head_dim == 16 != published.hidden_size // published.num_attention_heads
    assert published.rope_theta == 5e6 and published.mrope_section == [4, 2, 2]


def test_config_round_trip_writes_the_published_nested_form(tmp_path):
    cfg = Qwen3VLConfig.from_pretrained(tiny_dir("qwen3_vl_untied"))
    cfg.save_pretrained(str(tmp_path))
    raw = json.load(open(tmp_path / "config.json"))
    assert raw["model_type"] == "qwen3_vl" and raw["tie_word_embeddings"] is False
    assert raw["text_config"]["head_dim"] == 16 and "hidden_size" not in raw
    assert raw["text_config"]["rope_scaling"]["mrope_interleaved"] is True
    assert raw["vision_config"]["in_channels"] == 3 and "in_chans" not in raw["vision_config"]
    assert Qwen3VLConfig.from_pretrained(str(tmp_path)) == cfg


def test_published_2b_widths_validate():
    cfg = Qwen3VLConfig(
        vision_config={
            "depth": 24,
            "hidden_size": 1024,
            "intermediate_size": 4096,
            "out_hidden_size": 2048,
            "deepstack_visual_indexes": [5, 11, 17],
        }
    )
    assert (cfg.hidden_size, cfg.head_dim, cfg.num_key_value_heads, cfg.mrope_section) == (
        2048,
        128,
        8,
        [24, 20, 20],
    )
    # 4B-style: head_dim 128 with hidden 2560 and 32 heads is not hidden / heads, and is allowed.
    assert Qwen3VLConfig(hidden_size=2560, num_attention_heads=32).head_dim == 128
    with pytest.raises(ValueError, match="mrope_interleaved"):
        Qwen3VLConfig(mrope_interleaved=False)


def test_interleaved_axes_follow_the_docstring_table():
    # head_dim 16, mrope_section [4, 2, 2]: t h w t h w t t.
    assert interleaved_axes(16, [4, 2, 2]).tolist() == [0, 1, 2, 0, 1, 2, 0, 0]
    published = interleaved_axes(128, [24, 20, 20])
    assert [(published == a).sum() for a in range(3)] == [24, 20, 20]
    assert published[:6].tolist() == [0, 1, 2, 0, 1, 2] and published[60:].tolist() == [0, 0, 0, 0]


def test_position_table_resampling_hits_the_corners():
    # A 2x3 patch grid (one image, merge 1) on a 4x4 table: the corner patches read the table corners exactly.
    index, weight = position_embedding_taps(np.array([[1, 2, 3]]), side=4, merge=1)
    assert np.allclose(weight.sum(axis=1), 1.0)
    corner = [int(index[p][np.argmax(weight[p])]) for p in (0, 2, 3, 5)]
    assert corner == [0, 3, 12, 15]
    assert weight[0].max() == 1.0


def test_published_keys_on_disk_and_untied_head(tmp_path):
    from safetensors import safe_open

    model = load("qwen3_vl_untied")
    out = str(tmp_path / "export")
    model.save_pretrained(out)
    with safe_open(os.path.join(out, "model.safetensors"), "np") as f:
        keys = set(f.keys())
    assert "model.language_model.layers.0.self_attn.q_norm.weight" in keys
    assert "model.visual.deepstack_merger_list.0.linear_fc2.weight" in keys
    assert "model.visual.pos_embed.weight" in keys and "lm_head.weight" in keys
    assert not any(k.startswith(("visual.", "model.layers.")) for k in keys)
    np.testing.assert_array_equal(logits(load(path=out), "qwen3_vl_untied"), logits(model, "qwen3_vl_untied"))


def test_sharded_bf16_round_trip(tmp_path):
    model = load()
    out = str(tmp_path / "bf16")
    model.save_pretrained(out, dtype="bfloat16", max_shard_size="200KB")
    index = json.load(open(os.path.join(out, "model.safetensors.index.json")))
    assert len(set(index["weight_map"].values())) > 1
    assert json.load(open(os.path.join(out, "config.json")))["torch_dtype"] == "bfloat16"
    assert all(
        p.dtype == paddle.bfloat16
        for p in AutoModelForConditionalGeneration.from_pretrained(out).parameters()
    )
    diff = np.abs(logits(load(path=out)) - logits(model)).max()
    assert 0 < diff < 0.05  # bf16 rounding of the weights, not a wrong mapping (which gives O(1))


def test_deepstack_features_reach_the_decoder():
    """Silencing one DeepStack merger changes the logits after the images, and only it is silenced."""
    model = load()
    base = logits(model)
    merger = model.visual.deepstack_merger_list[1]
    with paddle.no_grad():
        merger.linear_fc2.weight.set_value(paddle.zeros_like(merger.linear_fc2.weight))
        merger.linear_fc2.bias.set_value(paddle.zeros_like(merger.linear_fc2.bias))
    changed = np.abs(logits(model) - base).max()
    assert changed > 1e-3
    g = golden("qwen3_vl_tied", "two_images")
    with paddle.no_grad():
        embeds = model.embed(
            paddle.to_tensor(g["input_ids"]),
            paddle.to_tensor(g["pixel_values"]),
            paddle.to_tensor(g["image_grid_thw"]),
        ).numpy()
    h = model.config.hidden_size
    assert embeds.shape[-1] == 3 * h
    image = g["input_ids"][0] == model.config.image_token_id
    assert np.abs(embeds[0, ~image, h:]).max() == 0 and np.abs(embeds[0, image, h : 2 * h]).max() > 0
    assert np.abs(embeds[0, :, 2 * h :]).max() == 0  # the silenced level


@requires_reference
@pytest.mark.parametrize("name", ["qwen3_vl_tied", "qwen3_vl_untied"])
def test_export_loads_in_transformers_with_equal_logits(name, tmp_path):
    import torch

    from paddlemix.testing.reference import load_reference_model

    model = load(name)
    out = str(tmp_path / "export")
    model.save_pretrained(out, max_shard_size="300KB")
    ref = load_reference_model(out)
    for case in ("two_images", "padded_batch"):
        g = golden(name, case)
        t_in = {k: torch.from_numpy(g[k]) for k in KEYS}
        t_in["mm_token_type_ids"] = (t_in["input_ids"] == ref.config.image_token_id).long()
        with torch.no_grad():
            want = ref(**t_in).logits.numpy()
        got = logits(model, name, case)
        valid = g["attention_mask"].astype(bool)
        print(f"{name}/{case}: export logits rel diff {relative(got[valid], want[valid]):.2e}")
        assert relative(got[valid], want[valid]) <= 1e-4


@requires_reference
@pytest.mark.parametrize("name", ["qwen3_vl_tied", "qwen3_vl_untied"])
def test_live_logits_are_relatively_close(name):
    from paddlemix.testing.reference import reference_inputs, reference_outputs

    inputs = reference_inputs(tiny_dir(name), "padded_batch")
    ref = reference_outputs(tiny_dir(name), inputs, max_new_tokens=4)
    with paddle.no_grad():
        got = load(name)(**{k: paddle.to_tensor(inputs[k]) for k in KEYS}).logits.numpy()
    valid = inputs["attention_mask"].astype(bool)
    rel = relative(got[valid], ref["logits"][valid])
    print(f"{name}: live logits rel diff {rel:.2e}")
    assert rel <= 1e-4


def test_moe_checkpoint_is_a_one_line_error(tmp_path):
    moe = tmp_path / "moe"
    shutil.copytree(tiny_dir("qwen3_vl_tied"), moe)
    raw = json.load(open(moe / "config.json"))
    json.dump({**raw, "model_type": "qwen3_vl_moe"}, open(moe / "config.json", "w"))
    with pytest.raises(CheckpointError, match="MoE models .* not supported") as err:
        AutoModelForConditionalGeneration.from_pretrained(str(moe))
    assert isinstance(err.value, UserError) and "\n" not in str(err.value)
