"""The training forward with the prompt run once equals the one over G full rows, values and gradients."""

from __future__ import annotations

import numpy as np
import paddle
import pytest

from paddlemix.models import AutoModelForConditionalGeneration
from paddlemix.training.logprobs import (
    SharedPromptCache,
    completion_logprobs,
    completion_positions,
    full_sequence_logprobs,
)
from tests.helpers import golden, tiny_dir


def group_inputs(name: str, g: int, t: int, lengths: list[int]):
    """A two-image prompt (1, S) from the fixtures and G random completions with the given mask lengths."""
    case = golden(name, "two_images")
    prompt_ids = paddle.to_tensor(case["input_ids"])
    vocab = 400  # ordinary text ids of the tiny tokenizer: below the special and image ids
    completion_ids = paddle.randint(0, vocab, [g, t])
    mask = paddle.to_tensor((np.arange(t)[None, :] < np.array(lengths)[:, None]).astype("int64"))
    return (
        prompt_ids,
        paddle.to_tensor(case["pixel_values"]),
        paddle.to_tensor(case["image_grid_thw"]),
        completion_ids,
        mask,
    )


def grads(model, logp: paddle.Tensor, weights: paddle.Tensor) -> dict[str, np.ndarray]:
    """Gradients of sum(weights * logp) for every parameter, cleared afterwards."""
    (logp * weights).sum().backward()
    out = {n: p.grad.numpy().copy() for n, p in model.named_parameters() if p.grad is not None}
    model.clear_gradients()
    return out


@pytest.mark.parametrize("name", ["qwen2_vl_tied", "qwen2_vl_untied", "qwen2_5_vl_tied", "qwen3_vl_tied"])
@pytest.mark.parametrize("temperature", [1.0, 0.7])
def test_completion_logprobs_equal_the_full_sequence_forward(name, temperature):
    model = AutoModelForConditionalGeneration.from_pretrained(tiny_dir(name), dtype="float32")
    model.train()
    # Completions that stop early (eos at 1, 3, 7 tokens) and ones that run to the end.
    inputs = group_inputs(name, g=5, t=9, lengths=[1, 3, 9, 7, 9])
    weights = paddle.rand([5, 9])
    fast = completion_logprobs(model, *inputs, temperature)
    fast_grads = grads(model, fast, weights)
    full = full_sequence_logprobs(model, *inputs, temperature)
    full_grads = grads(model, full, weights)
    assert list(fast.shape) == [5, 9] and fast.dtype == paddle.float32
    # Every position, padding after the mask included, to float32 rounding.
    np.testing.assert_allclose(fast.numpy(), full.numpy(), rtol=0, atol=2e-5)
    assert set(fast_grads) == set(full_grads)
    assert "visual.patch_embed.proj.weight" in fast_grads  # the gradient reaches the vision tower
    for key, expected in full_grads.items():
        scale = max(1.0, float(np.abs(expected).max()))
        np.testing.assert_allclose(fast_grads[key], expected, rtol=0, atol=2e-5 * scale, err_msg=key)


def test_completion_logprobs_one_token_and_no_grad():
    model = AutoModelForConditionalGeneration.from_pretrained(tiny_dir("qwen2_vl_tied"), dtype="float32")
    model.eval()
    inputs = group_inputs("qwen2_vl_tied", g=3, t=1, lengths=[1, 1, 1])
    with paddle.no_grad():
        fast = completion_logprobs(model, *inputs)
        full = full_sequence_logprobs(model, *inputs)
    assert fast.stop_gradient
    np.testing.assert_allclose(fast.numpy(), full.numpy(), rtol=0, atol=2e-5)


def test_recompute_runs_the_full_sequence_forward(monkeypatch):
    model = AutoModelForConditionalGeneration.from_pretrained(
        tiny_dir("qwen2_vl_tied"), dtype="float32", recompute=True
    )
    model.train()

    def no_cache(*_):
        raise AssertionError("recompute wraps whole-sequence layers; the shared-prompt cache must not run")

    monkeypatch.setattr(SharedPromptCache, "update", no_cache)
    inputs = group_inputs("qwen2_vl_tied", g=2, t=4, lengths=[2, 4])
    assert list(completion_logprobs(model, *inputs).shape) == [2, 4]


def test_completion_positions_continue_the_prompt_as_get_rope_index_does():
    model = AutoModelForConditionalGeneration.from_pretrained(tiny_dir("qwen2_vl_tied"), dtype="float32")
    prompt_ids, _, grid, completion_ids, mask = group_inputs("qwen2_vl_tied", g=3, t=5, lengths=[2, 5, 0])
    prompt_positions, _ = model.get_rope_index(prompt_ids, grid)
    g, s = 3, prompt_ids.shape[1]
    ids = paddle.concat([prompt_ids.expand([g, s]), completion_ids], axis=1)
    full_mask = paddle.concat([paddle.ones([g, s], dtype="int64"), mask], axis=1)
    expected, _ = model.get_rope_index(ids, paddle.tile(grid, [g, 1]), full_mask)
    ours = completion_positions(prompt_positions, mask)
    np.testing.assert_array_equal(ours.numpy(), expected[:, :, s:].numpy())


def test_entropies_are_those_of_the_distributions_the_logprobs_come_from():
    model = AutoModelForConditionalGeneration.from_pretrained(tiny_dir("qwen2_vl_tied"), dtype="float32")
    model.eval()
    inputs = group_inputs("qwen2_vl_tied", g=3, t=5, lengths=[2, 5, 4])
    with paddle.no_grad():
        logp, entropy = completion_logprobs(model, *inputs, 0.7, with_entropy=True)
        full_logp, full_entropy = full_sequence_logprobs(model, *inputs, 0.7, with_entropy=True)
        # By hand from the full forward's logits at the completion positions.
        prompt_ids, pixel_values, grid, completion_ids, mask = inputs
        ids = paddle.concat([prompt_ids.expand([3, prompt_ids.shape[1]]), completion_ids], axis=1)
        attn = paddle.concat([paddle.ones([3, prompt_ids.shape[1]], dtype="int64"), mask], axis=1)
        logits = model(
            input_ids=ids,
            attention_mask=attn,
            pixel_values=paddle.concat([pixel_values] * 3),
            image_grid_thw=paddle.tile(grid, [3, 1]),
        ).logits[:, prompt_ids.shape[1] - 1 : -1]
    z = logits.numpy().astype("float64") / 0.7
    p = np.exp(z - z.max(-1, keepdims=True))
    p /= p.sum(-1, keepdims=True)
    expected = -(p * np.log(p)).sum(-1)
    np.testing.assert_allclose(logp.numpy(), full_logp.numpy(), atol=2e-5)
    np.testing.assert_allclose(entropy.numpy(), full_entropy.numpy(), atol=2e-5)
    np.testing.assert_allclose(entropy.numpy(), expected, atol=1e-4)
    assert (entropy.numpy() > 0).all()
