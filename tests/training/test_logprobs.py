"""Log-probs of chosen tokens from logits: chunked log-softmax, its gradient, half precision, generation's values."""

from __future__ import annotations

import numpy as np
import paddle
import paddle.nn.functional as F
import pytest

from paddlemix.generation.sampling import next_tokens
from paddlemix.training import logprobs as logprobs_module
from paddlemix.training.logprobs import sequence_token_logprobs


def tensor(values, stop_gradient=True, dtype="float32"):
    t = paddle.to_tensor(values, dtype=dtype)
    t.stop_gradient = stop_gradient
    return t


@pytest.mark.parametrize("temperature", [1.0, 0.7])
def test_sequence_token_logprobs_matches_log_softmax_in_chunks(monkeypatch, temperature):
    logits = paddle.randn([3, 5, 11]) * 4
    tokens = paddle.randint(0, 11, [3, 5])
    expected = paddle.take_along_axis(
        F.log_softmax(logits / temperature, axis=-1), tokens.unsqueeze(-1), axis=-1
    )
    whole = sequence_token_logprobs(logits, tokens, temperature)
    # 4 rows of 11 per chunk: 15 tokens in chunks of 4, 4, 4, 3.
    monkeypatch.setattr(logprobs_module, "_LOGSOFTMAX_CHUNK_ELEMENTS", 44)
    chunked = sequence_token_logprobs(logits, tokens, temperature)
    assert whole.dtype == paddle.float32 and list(whole.shape) == [3, 5]
    np.testing.assert_allclose(whole.numpy(), expected.squeeze(-1).numpy(), atol=1e-5)
    np.testing.assert_allclose(chunked.numpy(), whole.numpy(), atol=1e-6)


def test_sequence_token_logprobs_gradient_and_half_precision(monkeypatch):
    monkeypatch.setattr(logprobs_module, "_LOGSOFTMAX_CHUNK_ELEMENTS", 16)
    logits = tensor(np.random.randn(2, 3, 8), stop_gradient=False)
    tokens = paddle.randint(0, 8, [2, 3])
    (grad,) = paddle.grad(sequence_token_logprobs(logits, tokens).sum(), logits)
    # d/dlogits of log softmax at token k, summed over positions: one_hot(k) − softmax.
    expected = F.one_hot(tokens, 8) - F.softmax(logits, axis=-1)
    np.testing.assert_allclose(grad.numpy(), expected.numpy(), atol=1e-6)
    # bf16 logits are promoted before the softmax: the same as float32 math on the bf16 values.
    low = logits.detach().astype("bfloat16")
    np.testing.assert_allclose(
        sequence_token_logprobs(low, tokens, 0.9).numpy(),
        sequence_token_logprobs(low.astype("float32"), tokens, 0.9).numpy(),
        atol=1e-6,
    )


def test_sequence_token_logprobs_equal_generation_logprobs():
    # The sampler returns log softmax(logits / T) of the sampled token before top-k/top-p: the same number.
    logits = paddle.randn([4, 50]) * 3
    tokens, sampled = next_tokens(logits, do_sample=True, temperature=0.8, top_k=5, top_p=0.9)
    ours = sequence_token_logprobs(logits.unsqueeze(1), tokens.reshape([4, 1]), temperature=0.8)
    np.testing.assert_allclose(ours.reshape([-1]).numpy(), sampled.numpy(), atol=1e-5)


def test_sequence_token_logprobs_errors():
    with pytest.raises(ValueError, match="temperature must be > 0"):
        sequence_token_logprobs(paddle.zeros([1, 2, 3]), paddle.zeros([1, 2], dtype="int64"), 0.0)
    with pytest.raises(ValueError, match="do not match tokens"):
        sequence_token_logprobs(paddle.zeros([1, 2, 3]), paddle.zeros([1, 3], dtype="int64"))
