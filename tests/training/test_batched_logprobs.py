"""One forward over several groups (prompts of different lengths, with and without images) equals one forward
per group: log-probs and the gradient of the summed per-group losses, to float32 rounding."""

from __future__ import annotations

import numpy as np
import paddle
import pytest

from paddlemix.models import AutoModelForConditionalGeneration
from paddlemix.training.logprobs import PolicyLogprobs
from tests.helpers import golden, tiny_dir


def groups(name: str) -> list[tuple]:
    """Three groups: the two-image prompt (S=73), the same cut to 60 tokens (images kept), a text-only prompt."""
    paddle.seed(0)
    two = golden(name, "two_images")
    text = golden(name, "text_only")
    keep = text["attention_mask"][1].astype(bool)
    prompts = [
        (two["input_ids"], two["pixel_values"], two["image_grid_thw"]),
        (two["input_ids"][:, :60], two["pixel_values"], two["image_grid_thw"]),
        (text["input_ids"][1:2, keep], None, None),
    ]
    out = []
    for (ids, pv, grid), g, t in zip(prompts, [3, 2, 4], [6, 9, 4]):
        lengths = np.random.RandomState(g).randint(1, t + 1, size=g)
        mask = (np.arange(t)[None, :] < lengths[:, None]).astype("int64")
        out.append(
            (
                paddle.to_tensor(ids),
                None if pv is None else paddle.to_tensor(pv),
                None if grid is None else paddle.to_tensor(grid),
                paddle.randint(0, 400, [g, t]),  # ordinary text ids of the tiny tokenizer
                paddle.to_tensor(mask),
            )
        )
    return out


def grads(model) -> dict[str, np.ndarray]:
    """Every parameter's gradient, cleared afterwards."""
    out = {n: p.grad.numpy().copy() for n, p in model.named_parameters() if p.grad is not None}
    model.clear_gradients()
    return out


@pytest.mark.parametrize("name", ["qwen2_vl_tied", "qwen2_5_vl_tied", "qwen3_vl_tied"])
def test_batched_logprobs_and_gradients_equal_per_group(name):
    model = AutoModelForConditionalGeneration.from_pretrained(tiny_dir(name), dtype="float32")
    model.train()
    layer = PolicyLogprobs(model)
    gs = groups(name)
    weights = [paddle.rand(g[3].shape) for g in gs]
    # Per-group losses weighted differently, summed, one backward: as the trainer's update does.
    scale = [0.5, 1.0, 2.0]
    per_group = [layer(*g, 0.7) for g in gs]
    sum(
        (lp * w * m.astype("float32")).sum() * c
        for lp, w, m, c in zip(per_group, weights, [g[4] for g in gs], scale)
    ).backward()
    expected = grads(model)
    batched = layer(*(list(x) for x in zip(*gs)), 0.7)
    sum(
        (lp * w * g[4].astype("float32")).sum() * c for lp, w, g, c in zip(batched, weights, gs, scale)
    ).backward()
    got = grads(model)
    assert len(batched) == 3
    for one, many, g in zip(per_group, batched, gs):
        assert list(many.shape) == list(g[3].shape)
        np.testing.assert_allclose(many.numpy(), one.numpy(), rtol=0, atol=1e-5)
    assert set(got) == set(expected) and "visual.patch_embed.proj.weight" in got
    for key, value in expected.items():
        np.testing.assert_allclose(
            got[key], value, rtol=0, atol=1e-5 * max(1.0, float(np.abs(value).max())), err_msg=key
        )


def test_batched_entropies_equal_per_group():
    model = AutoModelForConditionalGeneration.from_pretrained(tiny_dir("qwen2_vl_tied"), dtype="float32")
    model.eval()
    layer, gs = PolicyLogprobs(model), groups("qwen2_vl_tied")
    with paddle.no_grad():
        batched = layer(*(list(x) for x in zip(*gs)), 1.0, True)
        for (lp, ent), g in zip(batched, gs):
            one_lp, one_ent = layer(*g, 1.0, True)
            np.testing.assert_allclose(lp.numpy(), one_lp.numpy(), rtol=0, atol=1e-5)
            np.testing.assert_allclose(ent.numpy(), one_ent.numpy(), rtol=0, atol=1e-5)
