"""Qwen2VLForConditionalGeneration: vision tower + Qwen2 decoder + lm_head, loadable from the hub layout.

model = Qwen2VLForConditionalGeneration.from_pretrained("Qwen2-VL-2B-Instruct", dtype="bfloat16")
out = model(**processor(text=[...], images=[...], return_tensors="pd"))
ids = model.generate(**inputs, max_new_tokens=64)
"""

from __future__ import annotations

from dataclasses import dataclass

import paddle

from ...generation.mixin import GenerationMixin
from ..checkpoint import PretrainedModel
from ..host_memory import keep_freed_memory
from ..kv_cache import KVCache
from ..linear import Linear
from .configuration import Qwen2VLConfig
from .rope_index import get_rope_index
from .text import Qwen2VLTextModel
from .vision import Qwen2VLVisionTransformer, expand_heads


@dataclass
class CausalLMOutput:
    """logits: (b, s or logits_to_keep, vocab); hidden_states: (b, s, hidden) before lm_head."""

    logits: paddle.Tensor
    hidden_states: paddle.Tensor
    past_key_values: KVCache | None = None


class Qwen2VLForConditionalGeneration(PretrainedModel, GenerationMixin):
    """Qwen2-VL with its hub names: `model.*` (text decoder), `visual.*` (vision tower), `lm_head`."""

    config_class = Qwen2VLConfig
    vision_class = Qwen2VLVisionTransformer
    text_class = Qwen2VLTextModel

    def __init__(self, config: Qwen2VLConfig):
        super().__init__()
        keep_freed_memory()
        self.config = config
        self.model = self.text_class(config)
        self.visual = self.vision_class(config.vision_config, config.attn_implementation, config.recompute)
        if not config.tie_word_embeddings:
            self.lm_head = Linear(config.hidden_size, config.vocab_size, bias_attr=False)

    def tied_keys(self) -> tuple:
        """With tied embeddings, a stray `lm_head.weight` in a checkpoint is a copy of the embeddings."""
        return ("lm_head.weight",) if self.config.tie_word_embeddings else ()

    def get_rope_index(self, input_ids, image_grid_thw=None, attention_mask=None):
        """M-RoPE ids (3, b, s) and rope_deltas (b, 1) for this model's token ids; see `rope_index.py`."""
        return get_rope_index(
            input_ids,
            image_grid_thw,
            attention_mask,
            spatial_merge_size=self.config.vision_config.spatial_merge_size,
            image_token_id=self.config.image_token_id,
        )

    def rotary_table(self, length: int, per_head: bool = False):
        """The decoder's rotary cos, signed sin (length, head_dim) of positions 0 .. length-1, in the model's dtype;
        `per_head`: (length, heads + kv_heads, head_dim), the rows a decoding step rotates q and k stacked with."""
        cos, sin = self.model.rotary_emb.table(length, self.model.embed_tokens.weight.dtype)
        if not per_head:
            return cos, sin
        heads = self.config.num_attention_heads + self.config.num_key_value_heads
        return expand_heads(cos, heads), expand_heads(sin, heads)

    def make_cache(self, batch: int, max_len: int) -> KVCache:
        """An empty KV cache for `batch` rows of up to `max_len` positions, in the model's dtype."""
        c = self.config
        dtype = self.model.embed_tokens.weight.dtype
        return KVCache(c.num_hidden_layers, batch, c.num_key_value_heads, max_len, c.head_dim, dtype)

    def token_embeddings(self, input_ids) -> paddle.Tensor:
        """Embeddings (b, s, hidden) of text-only ids, without Qwen3-VL's DeepStack lanes (zeros for text), as a
        decoding step feeds them."""
        return self.model.embed_tokens(input_ids)

    def embed(self, input_ids, pixel_values=None, image_grid_thw=None) -> paddle.Tensor:
        """Token embeddings (b, s, hidden) with the image placeholders replaced by vision features."""
        embeds = self.model.embed_tokens(input_ids)
        if pixel_values is None:
            return embeds
        if image_grid_thw is None:
            raise ValueError("pixel_values were given without image_grid_thw")
        feats = self.visual(pixel_values, image_grid_thw).astype(embeds.dtype)
        flat_ids = input_ids.reshape([-1])
        positions = paddle.nonzero(flat_ids == self.config.image_token_id).reshape([-1])
        if positions.shape[0] != feats.shape[0]:
            raise ValueError(
                f"input_ids hold {positions.shape[0]} image tokens but the images give {feats.shape[0]} features"
            )
        b, s, h = embeds.shape
        flat = paddle.scatter(embeds.reshape([b * s, h]), positions, feats, overwrite=True)
        return flat.reshape([b, s, h])

    def lm_logits(self, hidden: paddle.Tensor) -> paddle.Tensor:
        """Project hidden states to the vocabulary (through the embedding matrix when tied)."""
        if self.config.tie_word_embeddings:
            return paddle.matmul(hidden, self.model.embed_tokens.weight, transpose_y=True)
        return self.lm_head(hidden)

    def forward(
        self,
        input_ids: paddle.Tensor | None = None,
        attention_mask: paddle.Tensor | None = None,
        position_ids: paddle.Tensor | None = None,
        pixel_values: paddle.Tensor | None = None,
        image_grid_thw: paddle.Tensor | None = None,
        past_key_values: KVCache | None = None,
        inputs_embeds: paddle.Tensor | None = None,
        logits_to_keep: int = 0,
        position_embeddings: tuple | None = None,
        **unused,
    ) -> CausalLMOutput:
        """Run the model.

        input_ids: (b, s); attention_mask: (b, past + s) 0/1 with left padding, or an additive (b, 1, s, past + s)
        mask (then position_ids are required); position_ids: (3, b, s), computed with `get_rope_index` when
        omitted (which needs the whole sequence, so not with a filled cache); pixel_values: (num_patches,
        1176); image_grid_thw: (num_images, 3).
        `logits_to_keep=k` projects only the last k positions, which saves the vocab matmul in generation.
        `position_embeddings`: the rotary (cos, signed sin) (b, s, head_dim) for position_ids, when the caller
        has them (generation looks them up in `rotary_table`); position_ids may then be omitted.
        """
        unused.pop("mm_token_type_ids", None)
        if unused:
            raise TypeError(f"unexpected arguments: {sorted(unused)}")
        if inputs_embeds is None:
            inputs_embeds = self.embed(input_ids, pixel_values, image_grid_thw)
        if position_ids is None and position_embeddings is None:
            if past_key_values is not None and past_key_values.length > 0:
                raise ValueError("position_ids are required when continuing from a filled KV cache")
            if input_ids is None or (attention_mask is not None and attention_mask.ndim == 4):
                raise ValueError("position_ids are required with inputs_embeds or a 4-D attention_mask")
            mask = attention_mask[:, -input_ids.shape[1] :] if attention_mask is not None else None
            position_ids, _ = self.get_rope_index(input_ids, image_grid_thw, mask)
        hidden = self.model(inputs_embeds, position_ids, attention_mask, past_key_values, position_embeddings)
        kept = hidden[:, -logits_to_keep:] if logits_to_keep else hidden
        return CausalLMOutput(
            logits=self.lm_logits(kept), hidden_states=hidden, past_key_values=past_key_values
        )
