"""Qwen3VLForConditionalGeneration: Qwen2-VL's model with the DeepStack tower and the Qwen3 decoder.

model = Qwen3VLForConditionalGeneration.from_pretrained("Qwen/Qwen3-VL-2B-Instruct")
ids = model.generate(**processor(text=[...], images=[...]), max_new_tokens=64)

Image positions (`get_rope_index`) are Qwen2-VL's: transformers' Qwen3-VL assigns an image the same
(t0, t0 + row, t0 + col) ids and advances by max(rows, cols). Videos are not supported.
"""

from __future__ import annotations

import paddle

from ..checkpoint import torch_module_path
from ..qwen2_vl.modeling import Qwen2VLForConditionalGeneration
from .configuration import Qwen3VLConfig
from .text import Qwen3VLTextModel
from .vision import Qwen3VLVisionTransformer


class Qwen3VLForConditionalGeneration(Qwen2VLForConditionalGeneration):
    """Qwen3-VL (dense) with its hub names: `model.language_model.*`, `model.visual.*`, `lm_head`."""

    config_class = Qwen3VLConfig
    vision_class = Qwen3VLVisionTransformer
    text_class = Qwen3VLTextModel

    def hub_key(self, name: str) -> str:
        """The published checkpoint key of parameter `name`: the decoder under `model.language_model.`, the
        tower under `model.visual.`."""
        return torch_module_path(name)

    @property
    def deepstack_levels(self) -> int:
        """How many text layers receive DeepStack features."""
        return len(self.config.vision_config.deepstack_visual_indexes)

    def embed(self, input_ids, pixel_values=None, image_grid_thw=None) -> paddle.Tensor:
        """Input embeddings with their DeepStack additions: (b, s, (1 + k) * hidden), k = DeepStack levels.

        Lanes [0, hidden) are the token embeddings with the image placeholders replaced by the merged vision
        tokens; lane block i + 1 holds DeepStack level i's features at the image tokens and zeros elsewhere,
        which the decoder adds to the output of its layer i. Keeping them per token makes every consumer of
        embeddings (slicing a prompt, expanding it to G rows, appending completion embeddings, a KV-cached
        continuation) carry them along unchanged; text-only ids get zero lanes.
        """
        embeds = self.model.embed_tokens(input_ids)
        b, s, h = embeds.shape
        k = self.deepstack_levels
        if pixel_values is None:
            if k == 0:
                return embeds
            return paddle.concat([embeds, paddle.zeros([b, s, k * h], dtype=embeds.dtype)], axis=-1)
        if image_grid_thw is None:
            raise ValueError("pixel_values were given without image_grid_thw")
        feats, deepstack = self.visual(pixel_values, image_grid_thw)
        positions = paddle.nonzero(input_ids.reshape([-1]) == self.config.image_token_id).reshape([-1])
        if positions.shape[0] != feats.shape[0]:
            raise ValueError(
                f"input_ids hold {positions.shape[0]} image tokens but the images give {feats.shape[0]} features"
            )
        lanes = [
            paddle.scatter(embeds.reshape([b * s, h]), positions, feats.astype(embeds.dtype), overwrite=True)
        ]
        zeros = paddle.zeros([b * s, h], dtype=embeds.dtype)
        for level in deepstack:
            lanes.append(paddle.scatter(zeros, positions, level.astype(embeds.dtype), overwrite=True))
        return paddle.concat(lanes, axis=-1).reshape([b, s, (1 + k) * h])
