"""The training forward: log-probs of a group's completion tokens, at the positions generation used.

Generation encodes the prompt (with its image) once and continues it G times; each decoded token sits at
(largest prompt position + 1 + k) on all three M-RoPE axes. Here the prompt is embedded once as well (the
vision tower runs once per group, and its gradient gathers the G rollouts' contributions), broadcast to the
G rows, followed by the completion tokens, and the positions come from the same pure `get_rope_index` over
the whole sequence, which continues text positions exactly that way. So these log-probs equal the ones
`generate` returned for the same tokens (tests/rl/test_logprob_positions.py), unlike the seed, whose
training forward used 1-D positions.
"""

from __future__ import annotations

import numpy as np
import paddle
import paddle.nn as nn
import paddle.nn.functional as F

# Rows of (n·T, vocab) logits turned to float32 at a time: 2^26 floats (256 MiB) is ~440 tokens of a
# 151k vocabulary, instead of a float32 copy of the whole (n, T, vocab) block.
_LOGSOFTMAX_CHUNK_ELEMENTS = 1 << 26


def sequence_token_logprobs(
    logits: paddle.Tensor, tokens: paddle.Tensor, temperature: float = 1.0
) -> paddle.Tensor:
    """log_softmax(logits / temperature) (n, T, vocab) taken at `tokens` (n, T): float32 (n, T).

    The same distribution whose log-probs generation returns (before top-k/top-p), so that policy, old and
    reference log-probs agree with the rollout's. Computed as minus the cross-entropy, a few hundred tokens
    at a time, so the float32 copy of the logits is never whole. (With gradients on, autograd
    keeps each chunk for the backward pass anyway; the saving is for the no-grad reference/old passes.)
    `tokens` must be valid ids everywhere, padding included (pad with the pad token's id, not -100).
    """
    if temperature <= 0:
        raise ValueError(f"temperature must be > 0, got {temperature}")
    if logits.ndim != 3 or list(tokens.shape) != list(logits.shape[:2]):
        raise ValueError(
            f"logits (n, T, vocab) {list(logits.shape)} do not match tokens (n, T) {list(tokens.shape)}"
        )
    ids = tokens.reshape([-1, 1]).astype("int64")

    def logprobs(chunk, start, stop):
        # Paddle's fused softmax-cross-entropy kernel: 4x (151,936 columns) to 10x (448) faster on CPU than
        # take_along_axis - logsumexp, forward and backward, and the same value to float rounding.
        return -F.cross_entropy(chunk, ids[start:stop], reduction="none").squeeze(-1)

    return _per_position(logits, temperature, logprobs)


def _per_position(logits: paddle.Tensor, temperature: float, fn) -> paddle.Tensor:
    """(n, T) float32 of fn(chunk, start, stop) over float32 row chunks of logits (n, T, vocab) / temperature,
    a few hundred rows at a time so the float32 copy of the logits is never whole."""
    n, t, vocab = logits.shape
    if n * t == 0:
        return paddle.zeros([n, t], dtype="float32")
    flat = logits.reshape([n * t, vocab])
    step = max(1, _LOGSOFTMAX_CHUNK_ELEMENTS // vocab)
    pieces = []
    for start in range(0, n * t, step):
        chunk = flat[start : start + step].astype("float32")
        if temperature != 1.0:
            chunk = chunk / temperature
        pieces.append(fn(chunk, start, start + step))
    out = pieces[0] if len(pieces) == 1 else paddle.concat(pieces)
    return out.reshape([n, t])


class SharedPromptCache:
    """The prompts' keys and values, computed once (1 row a prompt) and shared by their completion rows.

    It stands in for the model's KV cache (`update(layer, k, v)`, `length`, `advance(n)`): the first forward
    (the prompts, 1 row each) stores each layer's keys/values as they are, with their autograd history; the
    second (the completions) gets them copied to its rows and followed by its own. Gradients through the
    copy sum the rows' contributions back into the one prompt pass.
    """

    def __init__(self, rows: int, prompt_of_row: paddle.Tensor | None = None):
        """`rows`: the completion rows; `prompt_of_row`: (rows,) int64, the prompt row each one continues (None:
        one prompt shared by all rows)."""
        self.rows, self.prompt_of_row, self.length = rows, prompt_of_row, 0
        self.keys: dict[int, paddle.Tensor] = {}
        self.values: dict[int, paddle.Tensor] = {}

    def update(self, layer: int, k: paddle.Tensor, v: paddle.Tensor):
        """Store the prompts' k/v (P, kv_heads, S, d); for the completions return prompt + own k/v."""
        if layer not in self.keys:
            self.keys[layer], self.values[layer] = k, v
            return k, v
        pk, pv = self.keys[layer], self.values[layer]
        if self.prompt_of_row is None:
            shape = [self.rows, *pk.shape[1:]]
            pk, pv = pk.expand(shape), pv.expand(shape)
        else:
            pk, pv = paddle.index_select(pk, self.prompt_of_row), paddle.index_select(pv, self.prompt_of_row)
        return paddle.concat([pk, k], axis=2), paddle.concat([pv, v], axis=2)

    def advance(self, n: int) -> None:
        """Count the positions stored (the model calls this once per forward)."""
        self.length += n


def completion_positions(
    prompt_positions: paddle.Tensor,
    completion_mask: paddle.Tensor,
    prompt_of_row: paddle.Tensor | None = None,
) -> paddle.Tensor:
    """M-RoPE ids (3, G, T) of the completion tokens after a prompt whose ids are (3, 1, S), or after prompts
    (3, P, S) with `prompt_of_row` (G,) naming each completion row's prompt.

    Text continues from its prompt's largest id: token k sits at max + 1 + k on all three axes, and padding
    (mask 0, after the first eos) at 0, exactly as `get_rope_index` numbers the whole sequence (a left-padded
    prompt's padding holds smaller ids, so the row's max is its own prompt's).
    """
    g, t = completion_mask.shape
    if prompt_of_row is None:
        start = (prompt_positions.max() + 1).reshape([1, 1])
    else:
        start = (paddle.index_select(prompt_positions.max(axis=[0, 2]), prompt_of_row) + 1).unsqueeze(-1)
    ids = (paddle.arange(t, dtype="int64").unsqueeze(0) + start) * completion_mask.astype("int64")
    return ids.unsqueeze(0).expand([3, g, t])


def token_entropy(logits: paddle.Tensor, temperature: float = 1.0) -> paddle.Tensor:
    """Float32 (n, T) entropy of softmax(logits / temperature) at each position, a few hundred rows at a time."""

    def entropy(chunk, start, stop):
        logp = F.log_softmax(chunk, axis=-1)
        return -(logp.exp() * logp).sum(-1)

    return _per_position(logits, temperature, entropy)


def _logprobs_of(logits, completion_ids, temperature, with_entropy):
    logp = sequence_token_logprobs(logits, completion_ids, temperature)
    return (logp, token_entropy(logits, temperature)) if with_entropy else logp


def completion_logprobs(
    model,
    prompt_ids: paddle.Tensor,
    pixel_values: paddle.Tensor,
    image_grid_thw: paddle.Tensor,
    completion_ids: paddle.Tensor,
    completion_mask: paddle.Tensor,
    temperature: float = 1.0,
    with_entropy: bool = False,
):
    """Float32 (G, T) log-probs under softmax(logits / temperature) of `completion_ids` (G, T).

    prompt_ids: (1, S), one unpadded prompt; pixel_values / image_grid_thw: its images; completion_mask: (G, T)
    1 through the first eos. Tokens after the mask get log-probs too (the loss masks them out).

    The decoder runs the prompt's first S - 1 tokens once (1 row) into a `SharedPromptCache`, then the G rows
    of (last prompt token, completion tokens but the last) against it: the T positions whose logits predict
    the completion. The lm_head and log-softmax see only those G·T positions. This is the computation of
    `full_sequence_logprobs`, without its G copies of the prompt; with `recompute` on, that one runs instead
    (activation recomputation wraps whole-sequence layers, without a cache).
    With `with_entropy`, returns (log-probs, (G, T) entropies of the same distributions).
    """
    g, t = completion_ids.shape
    s = prompt_ids.shape[1]
    if s < 2 or t == 0 or (model.config.recompute and model.training):
        return full_sequence_logprobs(
            model,
            prompt_ids,
            pixel_values,
            image_grid_thw,
            completion_ids,
            completion_mask,
            temperature,
            with_entropy,
        )
    prompt_embeds = model.embed(prompt_ids, pixel_values, image_grid_thw)
    prompt_positions, _ = model.get_rope_index(prompt_ids, image_grid_thw)
    cache = SharedPromptCache(g)
    model.model(
        prompt_embeds[:, :-1],
        prompt_positions[:, :, :-1],
        paddle.ones([1, s - 1], dtype="int64"),
        cache,
    )
    embeds = prompt_embeds[:, -1:].expand([g, 1, prompt_embeds.shape[-1]])
    positions = prompt_positions[:, :, -1:].expand([3, g, 1])
    if t > 1:
        embeds = paddle.concat([embeds, model.embed(completion_ids[:, :-1])], axis=1)
        later = completion_positions(prompt_positions, completion_mask)[:, :, :-1]
        positions = paddle.concat([positions, later], axis=2)
    mask = paddle.concat(
        [paddle.ones([g, s], dtype="int64"), completion_mask[:, :-1].astype("int64")], axis=1
    )
    logits = model(
        inputs_embeds=embeds, attention_mask=mask, position_ids=positions, past_key_values=cache
    ).logits
    return _logprobs_of(logits, completion_ids, temperature, with_entropy)


def _pad_to(x: paddle.Tensor, width: int, value: int, left: bool) -> paddle.Tensor:
    """int64 (n, width): x (n, w) padded with `value` on the left or the right."""
    x = x.astype("int64")
    if x.shape[1] == width:
        return x
    fill = paddle.full([x.shape[0], width - x.shape[1]], value, dtype="int64")
    return paddle.concat([fill, x] if left else [x, fill], axis=1)


def batched_completion_logprobs(
    model,
    prompt_ids: list,
    pixel_values: list,
    image_grid_thw: list,
    completion_ids: list,
    completion_mask: list,
    temperature: float = 1.0,
    with_entropy: bool = False,
):
    """`completion_logprobs` of several groups (lists, one entry a group) in one forward; a list of (G_i, T_i).

    The prompts (1, S_i) are left-padded to the longest and run once each (one row a prompt) into a
    `SharedPromptCache`; then every group's G_i rows, their completions right-padded to the longest T, run
    against their own prompt's keys and values. Padding is masked out of attention, and the prompt positions
    come from `get_rope_index` with the padding mask, so each row sees what its group's own forward sees and
    the log-probs agree with it to float rounding (tests/training/test_batched_logprobs.py). With `recompute`
    on, with a one-token prompt or an empty completion, the groups run one at a time instead.
    """
    n = len(prompt_ids)
    widths = [int(c.shape[1]) for c in completion_ids]
    lengths = [int(p.shape[1]) for p in prompt_ids]
    one_by_one = n == 1 or min(lengths) < 2 or min(widths) == 0 or (model.config.recompute and model.training)
    if one_by_one:
        return [
            completion_logprobs(model, *args, temperature, with_entropy)
            for args in zip(prompt_ids, pixel_values, image_grid_thw, completion_ids, completion_mask)
        ]
    s, t = max(lengths), max(widths)
    # Padding ids only need to be valid token ids (id 0: never an image placeholder); the mask hides them.
    ids = paddle.concat([_pad_to(p, s, 0, left=True) for p in prompt_ids])
    prompt_mask = paddle.concat(
        [_pad_to(paddle.ones_like(p, dtype="int64"), s, 0, left=True) for p in prompt_ids]
    )
    images = [i for i, pv in enumerate(pixel_values) if pv is not None]
    pv = paddle.concat([pixel_values[i] for i in images]) if images else None
    grid = paddle.concat([image_grid_thw[i] for i in images]) if images else None
    prompt_embeds = model.embed(ids, pv, grid)
    prompt_positions, _ = model.get_rope_index(ids, grid, prompt_mask)
    rows = [int(c.shape[0]) for c in completion_ids]
    prompt_of_row = paddle.to_tensor(np.repeat(np.arange(n), rows), dtype="int64")
    cache = SharedPromptCache(sum(rows), prompt_of_row)
    model.model(prompt_embeds[:, :-1], prompt_positions[:, :, :-1], prompt_mask[:, :-1], cache)
    completions = paddle.concat([_pad_to(c, t, 0, left=False) for c in completion_ids])
    masks = paddle.concat([_pad_to(m, t, 0, left=False) for m in completion_mask])
    embeds = paddle.index_select(prompt_embeds[:, -1:], prompt_of_row)
    positions = paddle.index_select(prompt_positions[:, :, -1:], prompt_of_row, axis=1)
    if t > 1:
        embeds = paddle.concat([embeds, model.embed(completions[:, :-1])], axis=1)
        later = completion_positions(prompt_positions, masks, prompt_of_row)[:, :, :-1]
        positions = paddle.concat([positions, later], axis=2)
    mask = paddle.concat([paddle.index_select(prompt_mask, prompt_of_row), masks[:, :-1]], axis=1)
    logits = model(
        inputs_embeds=embeds, attention_mask=mask, position_ids=positions, past_key_values=cache
    ).logits
    out = _logprobs_of(logits, completions, temperature, with_entropy)
    bounds = np.cumsum([0, *rows])

    def split(x):
        return [x[bounds[i] : bounds[i + 1], : widths[i]] for i in range(n)]

    return list(zip(*map(split, out))) if with_entropy else split(out)


def full_sequence_logprobs(
    model,
    prompt_ids: paddle.Tensor,
    pixel_values: paddle.Tensor,
    image_grid_thw: paddle.Tensor,
    completion_ids: paddle.Tensor,
    completion_mask: paddle.Tensor,
    temperature: float = 1.0,
    with_entropy: bool = False,
):
    """`completion_logprobs` computed over G full rows (prompt broadcast + completion); see there."""
    g, t = completion_ids.shape
    s = prompt_ids.shape[1]
    prompt_embeds = model.embed(prompt_ids, pixel_values, image_grid_thw)
    embeds = paddle.concat(
        [prompt_embeds.expand([g, s, prompt_embeds.shape[-1]]), model.embed(completion_ids)], axis=1
    )
    ids = paddle.concat([prompt_ids.expand([g, s]), completion_ids.astype(prompt_ids.dtype)], axis=1)
    mask = paddle.concat([paddle.ones([g, s], dtype="int64"), completion_mask.astype("int64")], axis=1)
    # Each row holds the prompt's images, so the grid list repeats once per row.
    position_ids, _ = model.get_rope_index(ids, paddle.tile(image_grid_thw, [g, 1]), mask)
    logits = model(
        inputs_embeds=embeds, attention_mask=mask, position_ids=position_ids, logits_to_keep=t + 1
    ).logits
    return _logprobs_of(logits[:, :-1], completion_ids, temperature, with_entropy)


class PolicyLogprobs(nn.Layer):
    """The policy as one layer whose forward is `completion_logprobs`.

    Parallel wrappers (fleet's ShardingParallel, group_sharded_parallel) hook into their layer's forward, so
    the whole training forward (vision tower included) runs through this one `forward`.
    """

    def __init__(self, model):
        """Wrap `model` (its parameters keep their names under the `model.` prefix)."""
        super().__init__()
        self.model = model

    def forward(
        self,
        prompt_ids,
        pixel_values,
        image_grid_thw,
        completion_ids,
        completion_mask,
        temperature=1.0,
        with_entropy=False,
    ):
        """(G, T) float32 log-probs (and entropies with `with_entropy`); see `completion_logprobs`.

        With lists (one entry a group) for the first five arguments, all groups run in one forward and a list
        of per-group results comes back (`batched_completion_logprobs`).
        """
        run = batched_completion_logprobs if isinstance(prompt_ids, (list, tuple)) else completion_logprobs
        return run(
            self.model,
            prompt_ids,
            pixel_values,
            image_grid_thw,
            completion_ids,
            completion_mask,
            temperature,
            with_entropy,
        )
