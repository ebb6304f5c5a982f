"""LoRA: merged equals unmerged, disabled equals the base, only adapters train, exports round-trip."""

from __future__ import annotations

import numpy as np
import paddle
import pytest

from paddlemix.models import AutoModelForConditionalGeneration
from paddlemix.peft import (
    DEFAULT_TARGET_MODULES,
    LoraConfig,
    adapters_disabled,
    apply_lora,
    lora_layers,
    merge_adapters,
    merge_and_unload,
    save_merged,
    trainable_state_dict,
    unmerge_adapters,
)
from tests.helpers import golden, requires_reference, tiny_dir

KEYS = ("input_ids", "attention_mask", "pixel_values", "image_grid_thw")


def inputs(name):
    g = golden(name, "two_images")
    return {k: paddle.to_tensor(g[k]) for k in KEYS}


def logits(model, name):
    with paddle.no_grad():
        return model(**inputs(name)).logits.numpy()


def load(name):
    return AutoModelForConditionalGeneration.from_pretrained(tiny_dir(name), dtype="float32")


def adapted(name, **kwargs):
    """A tiny model with LoRA whose B is random, so that the adapters change the output."""
    model = load(name)
    apply_lora(model, LoraConfig(**{"rank": 4, "alpha": 8.0, **kwargs}))
    paddle.seed(1)
    for layer in lora_layers(model).values():
        layer.lora_B.set_value(paddle.randn(layer.lora_B.shape) * 0.05)
    return model


@pytest.mark.parametrize("name", ["qwen2_vl_tied", "qwen2_5_vl_untied", "qwen3_vl_untied"])
def test_merged_forward_equals_unmerged(name):
    model = adapted(name)
    unmerged = logits(model, name)
    assert np.abs(unmerged - logits(load(name), name)).max() > 1e-3  # the adapters do change the output
    merge_adapters(model)
    assert np.abs(logits(model, name) - unmerged).max() < 1e-5
    unmerge_adapters(model)
    assert np.abs(logits(model, name) - unmerged).max() < 1e-5


def test_fresh_adapters_and_disabled_adapters_compute_the_base():
    name = "qwen2_vl_tied"
    base = logits(load(name), name)
    model = load(name)
    apply_lora(model, LoraConfig(rank=4))
    assert np.array_equal(logits(model, name), base)  # B starts at zero
    model = adapted(name)
    with adapters_disabled(model):
        assert np.array_equal(logits(model, name), base)
    assert np.abs(logits(model, name) - base).max() > 1e-3  # enabled again on exit


def test_default_targets_are_the_decoder_projections_only():
    model = load("qwen2_5_vl_untied")  # its vision blocks also have gate/up/down_proj
    names = apply_lora(model, LoraConfig(rank=2))
    assert len(names) == model.config.num_hidden_layers * len(DEFAULT_TARGET_MODULES)
    assert all(n.startswith("model.layers.") for n in names)


def test_unknown_target_is_an_error_listing_the_known():
    with pytest.raises(ValueError, match="qkv.*known: .*q_proj"):
        apply_lora(load("qwen2_vl_tied"), LoraConfig(rank=2, target_modules="q_proj,qkv"))


@pytest.mark.parametrize(
    "kwargs, trained_prefixes",
    [
        ({}, ()),  # adapters only
        ({"freeze_merger": False}, ("visual.merger.",)),  # VLM-R1's unfrozen projector
        ({"freeze_vision_tower": False}, ("visual.blocks.", "visual.patch_embed.")),  # tower, not merger
    ],
)
def test_only_trainable_parameters_get_gradients(kwargs, trained_prefixes):
    check_trainable_set("qwen2_vl_tied", kwargs, trained_prefixes)


@pytest.mark.parametrize(
    "kwargs, trained_prefixes",
    [
        ({}, ()),
        # Qwen3-VL's DeepStack mergers project into the text width too: they train with the merger.
        ({"freeze_merger": False}, ("visual.merger.", "visual.deepstack_merger_list.")),
        ({"freeze_vision_tower": False}, ("visual.blocks.", "visual.patch_embed.", "visual.pos_embed.")),
    ],
)
def test_qwen3_vl_trainable_sets(kwargs, trained_prefixes):
    check_trainable_set("qwen3_vl_tied", kwargs, trained_prefixes)


def check_trainable_set(name, kwargs, trained_prefixes):
    model = adapted(name, **kwargs)
    model.train()
    out = model(**inputs(name)).logits
    (out.astype("float32") ** 2).mean().backward()
    trainable = trainable_state_dict(model)
    for pname, p in model.named_parameters():
        is_adapter = pname.endswith((".lora_A", ".lora_B"))
        should_train = is_adapter or pname.startswith(trained_prefixes)
        assert (pname in trainable) == should_train, pname
        if should_train:
            assert p.grad is not None and float(p.grad.abs().max()) > 0, pname
        else:
            assert p.grad is None, pname


@pytest.mark.parametrize("name", ["qwen2_vl_tied", "qwen2_5_vl_untied", "qwen3_vl_untied"])
def test_merged_export_round_trip_leaves_the_model_exact(name, tmp_path):
    model = adapted(name)
    before = {k: v.numpy().copy() for k, v in model.state_dict().items()}
    want = logits(model, name)
    save_merged(model, str(tmp_path / "merged"))
    after = model.state_dict()
    assert set(after) == set(before)
    assert all(np.array_equal(after[k].numpy(), before[k]) for k in before)  # restored bit for bit
    assert lora_layers(model)  # still adapted
    reloaded = AutoModelForConditionalGeneration.from_pretrained(str(tmp_path / "merged"), dtype="float32")
    assert not lora_layers(reloaded)
    assert np.abs(logits(reloaded, name) - want).max() < 1e-5


def test_merge_and_unload_gives_a_plain_model():
    name = "qwen2_vl_tied"
    model = adapted(name)
    want = logits(model, name)
    merge_and_unload(model)
    assert not lora_layers(model)
    assert not any(".lora_" in n for n, _ in model.named_parameters())
    assert np.abs(logits(model, name) - want).max() < 1e-5


@requires_reference
@pytest.mark.parametrize("name", ["qwen2_vl_tied", "qwen2_5_vl_untied", "qwen3_vl_untied"])
def test_merged_export_loads_in_transformers_with_equal_logits(name, tmp_path):
    import torch

    from paddlemix.testing.reference import load_reference_model

    model = adapted(name)
    out = str(tmp_path / "merged")
    save_merged(model, out)
    ref = load_reference_model(out)
    g = golden(name, "two_images")
    t_in = {k: torch.from_numpy(g[k]) for k in KEYS}
    t_in["mm_token_type_ids"] = (t_in["input_ids"] == ref.config.image_token_id).long()
    with torch.no_grad():
        want = ref(**t_in).logits.numpy()
    diff = np.abs(want - logits(model, name))
    assert diff.max() <= 1e-4, (diff.max(), diff.mean())
