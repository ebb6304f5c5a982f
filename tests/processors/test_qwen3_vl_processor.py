"""Qwen3-VL's processor: factor 32, the pixel budget from `size`, mean/std 0.5, its template and stop ids."""

from __future__ import annotations

import numpy as np
import pytest

from paddlemix.models import AutoModelForConditionalGeneration
from paddlemix.models.runtime import stop_token_ids
from paddlemix.processors import Qwen2VLProcessor, Qwen3VLImageProcessor, Qwen3VLProcessor
from paddlemix.testing.reference import synthetic_image
from paddlemix.testing.tiny_qwen3_vl import QWEN3_VL_THINKING_CHAT_TEMPLATE
from paddlemix.testing.tiny_tokenizer import SPECIAL_TOKEN_IDS
from tests.helpers import tiny_dir

USER = [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": "Where is the dog?"}]}]


def test_generic_loader_picks_the_qwen3_processor():
    processor = Qwen2VLProcessor.from_pretrained(tiny_dir("qwen3_vl_tied"))
    assert type(processor) is Qwen3VLProcessor
    assert type(Qwen2VLProcessor.from_pretrained(tiny_dir("qwen2_vl_tied"))) is Qwen2VLProcessor
    ip = processor.image_processor
    assert (ip.patch_size, ip.factor, ip.image_mean, ip.image_std) == (16, 32, (0.5,) * 3, (0.5,) * 3)
    assert (ip.min_pixels, ip.max_pixels) == (64 * 64, 16777216)  # from size.shortest_edge / longest_edge


def test_published_defaults_and_overrides():
    ip = Qwen3VLImageProcessor()
    assert (ip.min_pixels, ip.max_pixels) == (65536, 16777216)
    # 100 x 61 at the published budget grows to >= 65536 pixels, sides multiples of 32.
    h, w = ip.resized_size(100, 61)
    assert h % 32 == 0 and w % 32 == 0 and h * w >= 65536
    small = Qwen3VLProcessor.from_pretrained(tiny_dir("qwen3_vl_tied"), max_pixels=64 * 64)
    out = small(
        text=small.apply_chat_template(USER), images=[synthetic_image(200, 150, 1)], return_tensors="np"
    )
    # 200 x 150 scaled by sqrt(30000 / 4096) = 2.71 and floored to multiples of 32: 64 x 32 px, 4 x 2 patches.
    assert out["image_grid_thw"].tolist() == [[1, 4, 2]]
    assert out["pixel_values"].shape == (8, 3 * 2 * 16 * 16)
    assert (out["input_ids"] == SPECIAL_TOKEN_IDS["<|image_pad|>"]).sum() == 2


def test_normalisation_is_half_half():
    processor = Qwen3VLProcessor.from_pretrained(tiny_dir("qwen3_vl_tied"))
    white = np.full((64, 64, 3), 255, dtype=np.uint8)
    black = np.zeros((64, 64, 3), dtype=np.uint8)
    assert np.allclose(processor.image_processor([white])["pixel_values"], 1.0)
    assert np.allclose(processor.image_processor([black])["pixel_values"], -1.0)


def test_chat_template_has_no_default_system_turn_and_thinking_opens_think():
    processor = Qwen3VLProcessor.from_pretrained(tiny_dir("qwen3_vl_tied"))
    text = processor.apply_chat_template(USER)
    assert text == (
        "<|im_start|>user\n<|vision_start|><|image_pad|><|vision_end|>Where is the dog?<|im_end|>\n"
        "<|im_start|>assistant\n"
    )
    thinking = processor.apply_chat_template(USER, chat_template=QWEN3_VL_THINKING_CHAT_TEMPLATE)
    assert thinking.endswith("<|im_start|>assistant\n<think>\n")


def test_stop_ids_include_the_generation_config():
    path = tiny_dir("qwen3_vl_tied")
    model = AutoModelForConditionalGeneration.from_pretrained(path, dtype="float32")
    ids = stop_token_ids(model, Qwen3VLProcessor.from_pretrained(path), path)
    assert ids == [SPECIAL_TOKEN_IDS["<|im_end|>"], SPECIAL_TOKEN_IDS["<|endoftext|>"]]


def test_video_placeholder_is_refused():
    processor = Qwen3VLProcessor.from_pretrained(tiny_dir("qwen3_vl_tied"))
    with pytest.raises(ValueError, match="videos are not supported"):
        processor(text="<|vision_start|><|video_pad|><|vision_end|>hi")
