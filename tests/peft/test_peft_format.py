"""Adapters in PEFT's layout: names and shapes, a Paddle round trip, and torch PEFT loading them."""

from __future__ import annotations

import importlib.util
import json
import os

import numpy as np
import pytest
from safetensors import safe_open

from paddlemix.peft import LoraConfig, load_peft_adapters, lora_layers, save_peft_adapters
from paddlemix.peft.peft_format import package_module_path, torch_module_path
from tests.helpers import HAS_REFERENCE, golden, tiny_dir
from tests.peft.test_lora import KEYS, adapted, load, logits

HAS_PEFT = HAS_REFERENCE and importlib.util.find_spec("peft") is not None
CONFIG = LoraConfig(rank=4, alpha=8.0)


def test_module_paths_map_both_ways():
    cases = [
        ("model.layers.3.self_attn.q_proj", "model.language_model.layers.3.self_attn.q_proj"),  # decoder
        ("visual.merger.mlp.0", "model.visual.merger.mlp.0"),  # vision tower
        ("lm_head", "lm_head"),  # top level: unchanged
    ]
    for ours, theirs in cases:
        assert torch_module_path(ours) == theirs
        assert package_module_path(theirs) == ours


def test_layout_has_peft_names_and_shapes(tmp_path):
    model = adapted("qwen2_vl_tied")
    save_peft_adapters(model, str(tmp_path), CONFIG, base_model_name_or_path="tiny")
    with open(tmp_path / "adapter_config.json") as f:
        cfg = json.load(f)
    assert (cfg["peft_type"], cfg["r"], cfg["lora_alpha"]) == ("LORA", 4, 8.0)
    with safe_open(str(tmp_path / "adapter_model.safetensors"), framework="np") as f:
        tensors = {k: f.get_tensor(k) for k in f.keys()}
    layers = lora_layers(model)
    assert len(tensors) == 2 * len(layers)  # A and B of each adapted module, nothing else
    q = "base_model.model.model.language_model.layers.0.self_attn.q_proj"
    layer = layers["model.layers.0.self_attn.q_proj"]
    in_f, out_f = layer.weight.shape
    assert tensors[f"{q}.lora_A.weight"].shape == (4, in_f)
    assert tensors[f"{q}.lora_B.weight"].shape == (out_f, 4)
    assert np.array_equal(tensors[f"{q}.lora_B.weight"], layer.lora_B.numpy().T)


def test_paddle_round_trip(tmp_path):
    name = "qwen2_vl_tied"
    model = adapted(name)
    save_peft_adapters(model, str(tmp_path), CONFIG)
    fresh = load(name)
    got = load_peft_adapters(fresh, str(tmp_path))
    assert (got.rank, got.alpha) == (4, 8.0)
    assert np.array_equal(logits(fresh, name), logits(model, name))


def test_unfrozen_vision_is_refused(tmp_path):
    model = adapted("qwen2_vl_tied", freeze_merger=False)
    with pytest.raises(ValueError, match="merged"):
        save_peft_adapters(model, str(tmp_path), LoraConfig(rank=4, freeze_merger=False))


@pytest.mark.skipif(not HAS_PEFT, reason="torch, transformers and peft not installed")
@pytest.mark.parametrize("name", ["qwen2_vl_tied", "qwen2_5_vl_untied", "qwen3_vl_untied"])
def test_torch_peft_loads_the_adapters_with_equal_logits(name, tmp_path):
    import torch
    from peft import PeftModel

    from paddlemix.testing.reference import load_reference_model

    model = adapted(name)
    save_peft_adapters(model, str(tmp_path), CONFIG, base_model_name_or_path=tiny_dir(name))
    ref = PeftModel.from_pretrained(load_reference_model(tiny_dir(name)), str(tmp_path)).eval()
    g = golden(name, "two_images")
    t_in = {k: torch.from_numpy(g[k]) for k in KEYS}
    t_in["mm_token_type_ids"] = (t_in["input_ids"] == ref.config.image_token_id).long()
    with torch.no_grad():
        want = ref(**t_in).logits.numpy()
        with ref.disable_adapter():
            base = ref(**t_in).logits.numpy()
    got = logits(model, name)
    assert np.abs(base - got).max() > 1e-3  # the adapters were applied, not ignored
    diff = np.abs(want - got)
    assert diff.max() <= 1e-4, (diff.max(), diff.mean())
    assert os.path.isfile(tmp_path / "adapter_model.safetensors")
