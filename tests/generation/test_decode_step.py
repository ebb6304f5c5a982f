"""The fused decoding step (one q/k/v GEMM, one rotary for q and k, a ready mask) changes no bit of generation."""

from __future__ import annotations

import functools

import numpy as np
import paddle
import pytest

from paddlemix.models import AutoModelForConditionalGeneration
from paddlemix.models.attention import causal_padding_mask, decode_mask
from paddlemix.peft.lora import LoraConfig, apply_lora
from tests.helpers import golden, tiny_dir

NAMES = ["qwen2_vl_untied", "qwen2_5_vl_tied", "qwen3_vl_tied"]


@functools.cache
def load(name):
    return AutoModelForConditionalGeneration.from_pretrained(tiny_dir(name), dtype="float32")


def inputs(name):
    g = golden(name, "padded_batch")
    keys = ("input_ids", "attention_mask", "pixel_values", "image_grid_thw")
    return {k: paddle.to_tensor(g[k]) for k in keys if k in g}


def run(model, inp, fused: bool, **kw):
    """generate, with the fused projections of the decoding steps or (fused=False) the separate ones."""
    original = model.model.fused_projections
    if not fused:
        model.model.fused_projections = lambda: None
    try:
        paddle.seed(3)
        return model.generate(**inp, return_logprobs=True, **kw)
    finally:
        model.model.fused_projections = original


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("do_sample", [False, True])
def test_fused_decoding_is_bitwise_the_separate_projections(name, do_sample):
    model, inp = load(name), inputs(name)
    kw = dict(max_new_tokens=12, do_sample=do_sample, num_return_sequences=3)
    fused, separate = run(model, inp, True, **kw), run(model, inp, False, **kw)
    np.testing.assert_array_equal(fused.sequences.numpy(), separate.sequences.numpy())
    np.testing.assert_array_equal(fused.completion_mask.numpy(), separate.completion_mask.numpy())
    # Bitwise, not close: rollouts must not depend on which path decoded them.
    assert fused.logprobs.numpy().tobytes() == separate.logprobs.numpy().tobytes()


@pytest.mark.parametrize("name", NAMES)
def test_fused_projection_columns_equal_each_projection(name):
    attn = load(name).model.layers[0].self_attn
    x = paddle.randn([5, 1, attn.q_proj.weight.shape[0]])
    weight, bias = attn.fused_qkv()
    flat = x.reshape([5, -1])
    out = paddle.matmul(flat, weight) if bias is None else paddle.addmm(bias, flat, weight)
    separate = paddle.concat([p(x).reshape([5, -1]) for p in (attn.q_proj, attn.k_proj, attn.v_proj)], axis=1)
    assert out.numpy().tobytes() == separate.numpy().tobytes()


def test_lora_projections_are_not_fused():
    model = AutoModelForConditionalGeneration.from_pretrained(tiny_dir("qwen2_vl_untied"), dtype="float32")
    apply_lora(model, LoraConfig(rank=2, alpha=4.0, target_modules=("q_proj", "v_proj")))
    assert model.model.layers[0].self_attn.fused_qkv() is None
    assert model.model.fused_projections() is None


def test_decode_mask_is_the_one_query_causal_mask_in_the_grouped_shape():
    keys = paddle.to_tensor([[0, 0, 1, 1, 1], [1, 1, 1, 1, 1]], dtype="int64")
    got = decode_mask(keys, num_heads=4, num_kv_heads=2, dtype=paddle.float32).numpy()
    assert got.shape == (2, 2, 2, 1, 5)
    want = causal_padding_mask(keys, 1, paddle.float32).numpy()  # (b, 1, 1, t)
    for kv_head, rep in np.ndindex(2, 2):
        np.testing.assert_array_equal(got[:, kv_head, rep], want[:, 0])
    assert (got[0, ..., :2] < -1e38).all() and (got[0, ..., 2:] == 0).all()


def test_projections_past_the_size_limit_are_not_fused(monkeypatch):
    from paddlemix.models.qwen2_vl import text

    model = load("qwen2_5_vl_tied")
    layers = model.model.layers
    qkv_bytes = sum(4 * int(np.prod(p.weight.shape)) for layer in layers for p in layer.self_attn.qkv_layers())
    assert model.model.fused_projections() is not None  # the tiny model is far under the limit
    monkeypatch.setattr(text, "FUSED_QKV_MAX_BYTES", qkv_bytes)
    assert model.model.fused_projections() is not None  # at the limit: fused
    monkeypatch.setattr(text, "FUSED_QKV_MAX_BYTES", qkv_bytes - 1)
    assert model.model.fused_projections() is None
