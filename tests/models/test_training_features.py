"""Training-side features of the models: recompute gives the same gradients, image features get gradients."""

from __future__ import annotations

import numpy as np
import paddle
import pytest

from paddlemix.models import AutoModelForConditionalGeneration, Qwen2VLConfig
from tests.helpers import golden, tiny_dir


def grads(name, recompute):
    model = AutoModelForConditionalGeneration.from_pretrained(
        tiny_dir(name), dtype="float32", recompute=recompute
    )
    model.train()
    g = golden(name, "padded_batch")
    inputs = {
        k: paddle.to_tensor(g[k]) for k in ("input_ids", "attention_mask", "pixel_values", "image_grid_thw")
    }
    loss = model(**inputs).logits.astype("float32").pow(2).mean()
    loss.backward()
    return {n: p.grad.numpy() for n, p in model.named_parameters() if p.grad is not None}, model


@pytest.mark.parametrize("name", ["qwen2_vl_untied", "qwen2_5_vl_tied"])
def test_recompute_gives_the_same_gradients(name):
    plain, model = grads(name, recompute=False)
    again, _ = grads(name, recompute=True)
    assert set(plain) == set(again) == {n for n, p in model.named_parameters()}
    for n in plain:
        np.testing.assert_allclose(again[n], plain[n], rtol=1e-4, atol=1e-7, err_msg=n)
    # The vision tower is trained through the placeholder scatter.
    assert np.abs(plain["visual.patch_embed.proj.weight"]).sum() > 0


def test_flash_backend_needs_a_gpu_build():
    if paddle.is_compiled_with_cuda():
        pytest.skip("GPU build: flash attention is available")
    with pytest.raises(ValueError, match="flash"):
        Qwen2VLConfig(attn_implementation="flash")
