"""Generation: log-probs of sampled tokens, one prompt encoding for G rollouts, eos handling, filters."""

from __future__ import annotations

import functools

import numpy as np
import paddle
import paddle.nn.functional as F
import pytest

from paddlemix.generation.sampling import filter_top_k, filter_top_p, next_tokens, suppression_bias
from paddlemix.models import AutoModelForConditionalGeneration
from tests.helpers import golden, tiny_dir


@functools.cache
def load(name):
    return AutoModelForConditionalGeneration.from_pretrained(tiny_dir(name), dtype="float32")


def inputs(name, case="padded_batch"):
    g = golden(name, case)
    keys = ("input_ids", "attention_mask", "pixel_values", "image_grid_thw")
    return {k: paddle.to_tensor(g[k]) for k in keys if k in g}


@pytest.mark.parametrize("name", ["qwen2_vl_untied", "qwen2_5_vl_tied"])
def test_sampled_logprobs_equal_fresh_forward(name):
    model, inp = load(name), inputs(name)
    temperature = 0.7
    paddle.seed(1)
    out = model.generate(
        **inp,
        max_new_tokens=24,
        do_sample=True,
        temperature=temperature,
        top_k=50,
        top_p=0.95,
        num_return_sequences=3,
        return_logprobs=True,
        suppress_token_ids=[model.config.image_token_id, model.config.video_token_id],
    )
    g, prompt_len = 3, inp["input_ids"].shape[1]
    mask = paddle.concat(
        [paddle.repeat_interleave(inp["attention_mask"], g, axis=0), out.completion_mask], axis=1
    )
    grid = inp["image_grid_thw"]
    # Each prompt has one image; the forward needs it once per rollout, in row order.
    order = [i for i in range(2) for _ in range(g)]
    grid_g = paddle.to_tensor(grid.numpy()[order])
    patches = np.cumsum([0] + [int(np.prod(t)) for t in grid.numpy()])
    pv = np.concatenate([inp["pixel_values"].numpy()[patches[i] : patches[i + 1]] for i in order])
    with paddle.no_grad():
        logits = model(out.sequences, mask, pixel_values=paddle.to_tensor(pv), image_grid_thw=grid_g).logits
    logp = F.log_softmax(logits[:, prompt_len - 1 : -1].astype("float32") / temperature, axis=-1)
    fresh = paddle.take_along_axis(logp, out.sequences[:, prompt_len:].unsqueeze(-1), axis=-1).squeeze(-1)
    keep = out.completion_mask.numpy().astype(bool)
    diff = np.abs(fresh.numpy() - out.logprobs.numpy())[keep]
    print(f"{name}: sampled log-prob max diff {diff.max():.2e} over {keep.sum()} tokens")
    assert keep.sum() > 10
    assert diff.max() <= 1e-4
    assert (out.logprobs.numpy()[~keep] == 0).all()


@pytest.mark.parametrize("name", ["qwen2_vl_tied", "qwen3_vl_tied"])
def test_decoding_rotary_rows_are_those_of_get_rope_index_positions(name):
    # Decoding looks its cos/sin up in `rotary_table`; they must be the rotary of the positions that
    # get_rope_index gives the completion tokens of the whole sequence, bit for bit.
    model, inp = load(name), inputs(name)
    out = model.generate(**inp, max_new_tokens=6, eos_token_id=-5)
    prompt_len = inp["input_ids"].shape[1]
    mask = paddle.concat([inp["attention_mask"], paddle.ones([2, 6], dtype="int64")], axis=1)
    pos, _ = model.get_rope_index(out, inp["image_grid_thw"], mask)
    completion = pos[:, :, prompt_len:]
    np.testing.assert_array_equal(completion[0].numpy(), completion[1].numpy())
    np.testing.assert_array_equal(completion[0].numpy(), completion[2].numpy())
    cos, sin = model.model.rotary_emb(completion, paddle.float32)
    table_cos, table_sin = model.rotary_table(int(completion.max()) + 1)
    ids = completion[0].numpy()
    np.testing.assert_array_equal(table_cos.numpy()[ids], cos.numpy())
    np.testing.assert_array_equal(table_sin.numpy()[ids], sin.numpy())


def test_prompt_and_images_are_encoded_once_for_g_rollouts():
    model, inp = load("qwen2_vl_tied"), inputs("qwen2_vl_tied")
    calls = []
    original = model.visual.forward

    def counting(*args, **kwargs):
        calls.append(args[0].shape[0])
        return original(*args, **kwargs)

    model.visual.forward = counting
    try:
        out = model.generate(**inp, max_new_tokens=4, do_sample=True, num_return_sequences=8)
    finally:
        del model.visual.forward
    assert out.shape[0] == 2 * 8
    assert calls == [inp["pixel_values"].shape[0]]


def test_greedy_rollouts_of_one_prompt_are_identical_and_equal_single():
    model, inp = load("qwen2_5_vl_untied"), inputs("qwen2_5_vl_untied")
    single = model.generate(**inp, max_new_tokens=8).numpy()
    grouped = model.generate(**inp, max_new_tokens=8, num_return_sequences=3).numpy()
    np.testing.assert_array_equal(grouped[0::3], single)
    np.testing.assert_array_equal(grouped[2::3], single)


def test_each_sequence_stops_at_its_eos():
    model, inp = load("qwen2_vl_tied"), inputs("qwen2_vl_tied")
    free = model.generate(**inp, max_new_tokens=6, eos_token_id=-5).numpy()
    prompt_len = inp["input_ids"].shape[1]
    stop = int(free[0, prompt_len + 2])  # pretend row 0's third token is eos
    out = model.generate(**inp, max_new_tokens=6, eos_token_id=[stop], pad_token_id=7, return_logprobs=True)
    seq = out.sequences.numpy()[:, prompt_len:]
    for row in range(seq.shape[0]):
        hits = np.nonzero(seq[row] == stop)[0]
        if hits.size:
            first = hits[0]
            assert (seq[row, first + 1 :] == 7).all()
            assert out.completion_mask.numpy()[row, : first + 1].all()
            assert not out.completion_mask.numpy()[row, first + 1 :].any()
    assert stop in seq[0, :3]


def test_finished_sequences_leave_the_batch_and_the_rest_decode_unchanged():
    model, inp = load("qwen2_5_vl_untied"), inputs("qwen2_5_vl_untied")
    prompt_len = inp["input_ids"].shape[1]
    free = model.generate(**inp, max_new_tokens=6, eos_token_id=-5).numpy()[:, prompt_len:]
    # Row 0's second token as eos; row 1 (whose first tokens avoid it) keeps decoding after row 0 has left.
    stop = int(free[0, 1])
    assert stop not in free[1, :3]
    widths, original = [], model.forward

    def counting(*args, **kwargs):
        widths.append((args[0] if args else kwargs["inputs_embeds"]).shape[0])  # prefill ids, step embeddings
        return original(*args, **kwargs)

    model.forward = counting
    try:
        out = model.generate(
            **inp, max_new_tokens=6, eos_token_id=[stop], pad_token_id=7, return_logprobs=True
        )
    finally:
        del model.forward
    seq = out.sequences.numpy()[:, prompt_len:]
    first0 = int(np.nonzero(seq[0] == stop)[0][0])
    assert (seq[0, first0 + 1 :] == 7).all() and (out.logprobs.numpy()[0, first0 + 1 :] == 0).all()
    hits1 = np.nonzero(free[1] == stop)[0]
    end1 = int(hits1[0]) + 1 if hits1.size else 6
    np.testing.assert_array_equal(seq[1, :end1], free[1, :end1])
    assert widths[0] == 2 and widths[first0 + 1] == 1  # prefill, then row 0 is gone after its eos step


def test_sampling_is_reproducible_with_seed():
    model, inp = load("qwen2_vl_tied"), inputs("qwen2_vl_tied")
    paddle.seed(3)
    a = model.generate(**inp, max_new_tokens=6, do_sample=True, temperature=1.5).numpy()
    paddle.seed(3)
    b = model.generate(**inp, max_new_tokens=6, do_sample=True, temperature=1.5).numpy()
    np.testing.assert_array_equal(a, b)


def test_top_k_filter_keeps_k_largest():
    logits = paddle.to_tensor([[0.1, 3.0, -1.0, 2.0, 0.5]])
    kept = np.isfinite(filter_top_k(logits, 2).numpy())
    np.testing.assert_array_equal(kept, [[False, True, False, True, False]])


def test_top_p_filter_matches_naive_nucleus():
    rng = np.random.RandomState(0)
    logits = rng.randn(4, 30).astype("float32")
    top_p = 0.6
    kept = np.isfinite(filter_top_p(paddle.to_tensor(logits), top_p).numpy())
    for row, keep in zip(logits, kept):
        probs = np.exp(row - row.max())
        probs /= probs.sum()
        order = np.argsort(-probs)
        cum = np.cumsum(probs[order])
        # The nucleus: the most likely tokens until their mass reaches top_p, inclusive.
        n = int(np.searchsorted(cum, top_p) + 1)
        want = np.zeros_like(keep)
        want[order[:n]] = True
        np.testing.assert_array_equal(keep, want)


def test_greedy_next_tokens_returns_argmax_and_its_logprob():
    logits = paddle.to_tensor([[1.0, 2.0, 0.5], [0.0, -1.0, 4.0]])
    tok, lp = next_tokens(logits, do_sample=False)
    np.testing.assert_array_equal(tok.numpy(), [1, 2])
    want = F.log_softmax(logits, axis=-1).numpy()[[0, 1], [1, 2]]
    np.testing.assert_allclose(lp.numpy(), want, rtol=1e-5, atol=1e-6)


def test_sampling_rejects_non_positive_temperature():
    with pytest.raises(ValueError, match="temperature"):
        next_tokens(paddle.zeros([1, 4]), do_sample=True, temperature=0.0)


@pytest.mark.parametrize(
    "top_k, top_p, suppress",
    [
        (3, None, None),  # top-k alone
        (4, 0.7, None),  # nucleus inside the top k
        (3, None, [1]),  # a suppressed id among the k largest: the next one takes its place
        (None, 0.7, None),  # nucleus over the whole vocabulary
        (None, None, [1, 4]),  # plain sampling, suppressed ids never drawn
    ],
)
def test_sampling_draws_from_the_filtered_distribution(top_k, top_p, suppress):
    # 20,000 rows of the same logits: the draw frequencies must match filter_top_p(filter_top_k(.)) exactly
    # in distribution, whichever shortcut the sampler takes.
    logits = paddle.to_tensor([[1.0, 2.5, 0.3, 2.0, 1.7, -0.5]])
    masked = logits
    if suppress:
        masked = paddle.put_along_axis(logits, paddle.to_tensor([suppress]), float("-inf"), axis=-1)
    want = F.softmax(filter_top_p(filter_top_k(masked, top_k), top_p), axis=-1).numpy()[0]
    paddle.seed(0)
    sup = suppression_bias(suppress, 6) if suppress else None
    rows = logits.expand([20000, 6])
    tokens, lp = next_tokens(rows, True, 1.0, top_k, top_p, sup)
    freq = np.bincount(tokens.numpy(), minlength=6) / 20000
    np.testing.assert_allclose(freq, want, atol=0.015)
    # The log-probs are those of the unfiltered distribution, whatever was drawn.
    full = F.log_softmax(logits, axis=-1).numpy()[0]
    np.testing.assert_allclose(lp.numpy(), full[tokens.numpy()], rtol=1e-5, atol=1e-6)


def test_suppression_bias_rules_out_exactly_the_ids():
    # Adding the bias must leave every other logit bit for bit (as the put_along_axis it replaces did).
    logits = np.random.default_rng(0).standard_normal([3, 9]).astype(np.float32)
    logits[0, 2] = -0.0
    biased = (paddle.to_tensor(logits) + suppression_bias([1, 7], 9)).numpy()
    want = logits.copy()
    want[:, [1, 7]] = -np.inf
    np.testing.assert_array_equal(biased, want)
