"""Qwen2-VL / Qwen2.5-VL / Qwen3-VL processor: chat template, image placeholders expanded to one token per merged patch
group, batching with padding, and image preprocessing, in one call.

Example::

    processor = Qwen2VLProcessor.from_pretrained(path, max_pixels=401408)
    text = processor.apply_chat_template([{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": "What is it?"}]}])
    inputs = processor(text=[text], images=[image])  # input_ids, attention_mask, pixel_values, image_grid_thw

The outputs equal transformers' `Qwen2VLProcessor` with its PIL image processor (tests/processors/).
"""

from __future__ import annotations

import os

import numpy as np
import paddle

from paddlemix.errors import read_json
from paddlemix.models.hub import resolve_model_path
from paddlemix.processors.chat_template import (
    PROCESSOR_TEMPLATE_FILES,
    load_chat_template,
    render_chat_template,
)
from paddlemix.processors.image_processor import (
    PREPROCESSOR_CONFIG_NAME,
    Qwen2VLImageProcessor,
    Qwen3VLImageProcessor,
    flatten_images,
)
from paddlemix.processors.tokenizer import Qwen2Tokenizer


def _to_tensors(batch: dict[str, np.ndarray], return_tensors: str) -> dict:
    """The batch as numpy arrays ("np") or paddle tensors ("pd")."""
    if return_tensors == "np":
        return batch
    if return_tensors == "pd":
        return {key: paddle.to_tensor(value) for key, value in batch.items()}
    raise ValueError(f"return_tensors must be 'pd' or 'np', got {return_tensors!r}")


class Qwen2VLProcessor:
    """Builds model inputs from chat text and images for Qwen2-VL."""

    image_token = "<|image_pad|>"
    video_token = "<|video_pad|>"
    image_processor_class = Qwen2VLImageProcessor

    def __init__(
        self,
        image_processor: Qwen2VLImageProcessor,
        tokenizer: Qwen2Tokenizer,
        chat_template: str | None = None,
    ):
        """Combine an image processor and a tokenizer; the chat template defaults to the tokenizer's."""
        self.image_processor = image_processor
        self.tokenizer = tokenizer
        self.chat_template = chat_template or tokenizer.chat_template
        self.image_token_id = tokenizer.convert_tokens_to_ids(self.image_token)
        if self.image_token_id is None:
            raise ValueError(f"the tokenizer has no {self.image_token} token")

    @classmethod
    def from_pretrained(
        cls, path: str, min_pixels: int | None = None, max_pixels: int | None = None, **image_overrides
    ):
        """Load tokenizer, image processor and chat template from a folder or hub ID; arguments override its config.

        The checkpoint's `processor_class` (preprocessor_config.json) picks the family, so
        `Qwen2VLProcessor.from_pretrained` on a Qwen3-VL checkpoint returns a `Qwen3VLProcessor`.
        """
        path = resolve_model_path(path)
        cls = _family_class(cls, path)
        overrides = {"min_pixels": min_pixels, "max_pixels": max_pixels, **image_overrides}
        image_processor = cls.image_processor_class.from_pretrained(
            path, **{k: v for k, v in overrides.items() if v is not None}
        )
        tokenizer = Qwen2Tokenizer.from_pretrained(path)
        return cls(image_processor, tokenizer, load_chat_template(path, PROCESSOR_TEMPLATE_FILES))

    def apply_chat_template(
        self,
        conversation: list[dict] | list[list[dict]],
        add_generation_prompt: bool = True,
        chat_template: str | None = None,
        **template_kwargs,
    ) -> str | list[str]:
        """Render one conversation to a prompt string, or a list of conversations to a list of strings.

        Message content is a string or a list of items `{"type": "image"}` / `{"type": "text", "text": ...}`;
        each image item renders as `<|vision_start|><|image_pad|><|vision_end|>`. `add_vision_id=True`
        prefixes images with "Picture N: ".
        """
        template = chat_template or self.chat_template
        if template is None:
            raise ValueError("this processor has no chat template; pass chat_template=")
        template_kwargs = {**self.tokenizer.special_tokens_map, **template_kwargs}
        batched = bool(conversation) and isinstance(conversation[0], (list, tuple))
        conversations = conversation if batched else [conversation]
        texts = [
            render_chat_template(
                template, conv, add_generation_prompt=add_generation_prompt, **template_kwargs
            )
            for conv in conversations
        ]
        return texts if batched else texts[0]

    def _expand_image_tokens(self, texts: list[str], image_grid_thw: np.ndarray) -> list[str]:
        """Replace the i-th `<|image_pad|>` (counting across the batch) by t*h*w / merge_size**2 copies of it."""
        merge_length = self.image_processor.merge_size**2
        counts = iter(int(np.prod(grid)) // merge_length for grid in image_grid_thw)
        expanded = []
        for text in texts:
            pieces = text.split(self.image_token)
            out = [pieces[0]]
            for piece in pieces[1:]:
                out.append(self.image_token * next(counts))
                out.append(piece)
            expanded.append("".join(out))
        return expanded

    def __call__(
        self,
        text: str | list[str],
        images=None,
        padding: bool | str = True,
        padding_side: str | None = None,
        return_tensors: str = "pd",
    ) -> dict:
        """Tokenize a batch of prompts with their images, in the order their placeholders appear.

        Returns `input_ids` and `attention_mask` (batch, seq) int64, padded to the longest prompt (left by
        default), `pixel_values` (num_patches, 3 * temporal_patch_size * patch_size**2) float32 and
        `image_grid_thw` (num_images, 3) int64 when there are images; paddle tensors for "pd", numpy for "np".
        """
        texts = [text] if isinstance(text, str) else list(text)
        if not all(isinstance(t, str) for t in texts):
            raise ValueError("text must be a string or a list of strings")
        images = flatten_images(images)
        n_placeholders = sum(t.count(self.image_token) for t in texts)
        if n_placeholders != len(images):
            raise ValueError(
                f"the prompts hold {n_placeholders} {self.image_token} placeholders but {len(images)} images were "
                "given; each image needs exactly one placeholder, in order"
            )
        n_videos = sum(t.count(self.video_token) for t in texts)
        if n_videos:
            raise ValueError(
                f"found {n_videos} {self.video_token} placeholders, but videos are not supported"
            )

        batch = {}
        if images:
            batch.update(self.image_processor(images))
            texts = self._expand_image_tokens(texts, batch["image_grid_thw"])
        if padding not in (True, False, "longest"):
            raise ValueError(f"padding must be True, False or 'longest', got {padding!r}")
        encoded = self.tokenizer(texts, padding=bool(padding), padding_side=padding_side)
        lengths = {len(ids) for ids in encoded["input_ids"]}
        if len(lengths) > 1:
            raise ValueError("prompts of different lengths cannot be stacked without padding=True")
        batch = {
            "input_ids": np.array(encoded["input_ids"], dtype=np.int64),
            "attention_mask": np.array(encoded["attention_mask"], dtype=np.int64),
            **batch,
        }
        return _to_tensors(batch, return_tensors)

    def decode(self, ids, skip_special_tokens: bool = False) -> str:
        """Text of one id sequence."""
        return self.tokenizer.decode(ids, skip_special_tokens=skip_special_tokens)

    def batch_decode(self, sequences, skip_special_tokens: bool = False) -> list[str]:
        """Texts of a batch of id sequences."""
        return self.tokenizer.batch_decode(sequences, skip_special_tokens=skip_special_tokens)


class Qwen2_5_VLProcessor(Qwen2VLProcessor):
    """Qwen2.5-VL's processor: for images it is Qwen2-VL's (same preprocessing, placeholders and template)."""


class Qwen3VLProcessor(Qwen2VLProcessor):
    """Qwen3-VL's processor: Qwen2-VL's placeholders and batching, Qwen3-VL's image preprocessing (factor 32,
    mean = std = 0.5) and the checkpoint's own chat template (no default system turn; Thinking opens `<think>`)."""

    image_processor_class = Qwen3VLImageProcessor


def _family_class(cls, path: str):
    """The processor class a checkpoint's `processor_class` names, when it is a more specific one than `cls`."""
    config_file = os.path.join(path, PREPROCESSOR_CONFIG_NAME)
    named = read_json(config_file).get("processor_class") if os.path.isfile(config_file) else None
    family = {"Qwen3VLProcessor": Qwen3VLProcessor}.get(named)
    return family if family is not None and issubclass(family, cls) else cls
