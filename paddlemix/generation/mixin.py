"""`model.generate(...)`: batched, left-padded decoding with a preallocated KV cache and M-RoPE positions.

The prompt and its images are encoded once. With `num_return_sequences=G` the filled cache is then copied G
times, so G rollouts cost one prefill plus G decodes, where transformers re-encodes the prompt G times.
"""

from __future__ import annotations

from dataclasses import dataclass

import paddle

from .sampling import next_tokens, suppression_bias


@dataclass
class GenerationOutput:
    """sequences: (n, prompt + T) prompt then completion, `pad_token_id` after eos;
    logprobs: (n, T) float32 log-probs of the chosen tokens (0 after eos);
    completion_mask: (n, T) 1 up to and including the first eos."""

    sequences: paddle.Tensor
    logprobs: paddle.Tensor
    completion_mask: paddle.Tensor


def _as_list(x):
    if x is None:
        return []
    return list(x) if isinstance(x, (list, tuple)) else [x]


class GenerationMixin:
    """Adds `generate` to a model with `config`, `get_rope_index`, `make_cache`, `rotary_table`,
    `token_embeddings` and a decoder `model` with `fused_projections`."""

    @paddle.no_grad()
    def generate(
        self,
        input_ids: paddle.Tensor,
        attention_mask: paddle.Tensor | None = None,
        pixel_values: paddle.Tensor | None = None,
        image_grid_thw: paddle.Tensor | None = None,
        max_new_tokens: int = 128,
        do_sample: bool = False,
        temperature: float = 1.0,
        top_p: float | None = None,
        top_k: int | None = None,
        num_return_sequences: int = 1,
        eos_token_id=None,
        pad_token_id: int | None = None,
        return_logprobs: bool = False,
        suppress_token_ids=None,
        **unused,
    ):
        """Decode up to `max_new_tokens` per sequence, stopping each one at its first eos.

        input_ids/attention_mask: (b, s), left-padded. Rows of the result are grouped by prompt: rows
        i*G .. i*G+G-1 continue prompt i. Returns the sequences (b*G, s + T), or a `GenerationOutput` with the
        per-token log-probs when `return_logprobs` is set. `suppress_token_ids` are never generated (e.g. the
        image placeholder, which a training forward would try to fill with image features); the log-probs stay
        those of the unrestricted distribution. Rollouts and eval pass `eos_token_id` from
        `paddlemix.models.runtime.stop_token_ids`; without it, the config's eos ids alone stop a sequence.
        """
        unused.pop("mm_token_type_ids", None)
        if unused:
            raise TypeError(f"generate() got unexpected arguments: {sorted(unused)}")
        if max_new_tokens < 1:
            raise ValueError(f"max_new_tokens must be >= 1, got {max_new_tokens}")
        cfg = self.config
        eos = _as_list(eos_token_id if eos_token_id is not None else cfg.eos_token_id)
        if pad_token_id is None:
            pad_token_id = cfg.pad_token_id if cfg.pad_token_id is not None else (eos[0] if eos else 0)
        b, s = input_ids.shape
        if attention_mask is None:
            attention_mask = paddle.ones([b, s], dtype="int64")
        attention_mask = attention_mask.astype("int64")
        position_ids, _ = self.get_rope_index(input_ids, image_grid_thw, attention_mask)
        next_pos = position_ids.max(axis=[0, 2]) + 1

        cache = self.make_cache(b, s + max_new_tokens)
        out = self(
            input_ids, attention_mask, position_ids, pixel_values, image_grid_thw, cache, logits_to_keep=1
        )
        logits = out.logits[:, -1]

        g = num_return_sequences
        if g > 1:
            cache.repeat_interleave(g)
            logits = paddle.repeat_interleave(logits, g, axis=0)
            attention_mask = paddle.repeat_interleave(attention_mask, g, axis=0)
            next_pos = paddle.repeat_interleave(next_pos, g, axis=0)
            input_ids = paddle.repeat_interleave(input_ids, g, axis=0)
        n = b * g
        # Imported here: the models package imports this module for its model classes.
        from ..models.attention import decode_mask

        # Every decoded token sits at the same id on all three M-RoPE axes, right after the prompt's largest:
        # step i of row r is at next_pos[r] + i. The rotary of every (step, row), per head of q and k stacked,
        # is looked up once here, (steps, n, heads + kv_heads, 1, head_dim); a step takes its contiguous slice.
        table = self.rotary_table(int(next_pos.max()) + max_new_tokens, per_head=True)
        at = (paddle.arange(max_new_tokens, dtype="int64").unsqueeze(1) + next_pos.unsqueeze(0)).reshape([-1])
        rope_steps = [
            paddle.gather(t, at).reshape([max_new_tokens, n, t.shape[1], 1, t.shape[2]]) for t in table
        ]
        # The first step sees the prompt and itself; each later step one more key, a zero column.
        step_mask = decode_mask(
            paddle.concat([attention_mask, paddle.ones([n, 1], dtype="int64")], axis=1),
            cfg.num_attention_heads,
            cfg.num_key_value_heads,
            table[0].dtype,
        )
        new_key = paddle.zeros([*step_mask.shape[:-1], 1], dtype=step_mask.dtype)
        cache.projections = self.model.fused_projections()
        eos_t = paddle.to_tensor(eos or [-1], dtype="int64")
        suppress = (
            suppression_bias(_as_list(suppress_token_ids), logits.shape[-1]) if suppress_token_ids else None
        )
        # Finished sequences leave the batch: `rows` maps the batch's rows to output rows, and the cache, mask
        # and positions keep only the live ones, so later steps cost what the live sequences need.
        rows = paddle.arange(n, dtype="int64")
        pad_row = paddle.full([n], pad_token_id, dtype="int64")
        tokens, logprobs, alive = [], [], []
        all_alive = paddle.ones([n], dtype="int64")
        for step in range(max_new_tokens):
            tok, lp = next_tokens(logits, do_sample, temperature, top_k, top_p, suppress)
            tok = tok.astype("int64")
            if rows.shape[0] == n:
                tokens.append(tok)
                logprobs.append(lp)
                alive.append(all_alive)
            else:
                tokens.append(paddle.scatter(pad_row, rows, tok))
                logprobs.append(paddle.scatter(paddle.zeros([n], dtype=lp.dtype), rows, lp))
                alive.append(paddle.scatter(paddle.zeros([n], dtype="int64"), rows, paddle.ones_like(tok)))
            done = (tok.unsqueeze(-1) == eos_t).any(axis=-1)
            if step == max_new_tokens - 1:
                break
            if bool(done.any()):
                keep = paddle.nonzero(paddle.logical_not(done)).reshape([-1])
                if keep.shape[0] == 0:
                    break
                rows, tok = rows[keep], tok[keep]
                cache.select(keep)
                step_mask = paddle.index_select(step_mask, keep, axis=0)
                new_key = new_key[: keep.shape[0]]
                rope_steps = [paddle.index_select(t, keep, axis=1) for t in rope_steps]
            if step:
                step_mask = paddle.concat([step_mask, new_key], axis=-1)
            out = self(
                inputs_embeds=self.token_embeddings(tok.unsqueeze(-1)),
                attention_mask=step_mask,
                past_key_values=cache,
                position_embeddings=(rope_steps[0][step], rope_steps[1][step]),
            )
            logits = out.logits[:, -1]

        completion = paddle.stack(tokens, axis=1)
        sequences = paddle.concat([input_ids.astype("int64"), completion], axis=1)
        if not return_logprobs:
            return sequences
        return GenerationOutput(
            sequences=sequences,
            logprobs=paddle.stack(logprobs, axis=1),
            completion_mask=paddle.stack(alive, axis=1).astype("int64"),
        )
