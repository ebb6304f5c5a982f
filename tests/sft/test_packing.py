"""Packing: each packed sample gets its unpacked logits, and the packed step's loss is the naive token mean."""

from __future__ import annotations

import numpy as np
import paddle
import pytest
from PIL import Image

from paddlemix.models import AutoModelForConditionalGeneration
from paddlemix.processors import Qwen2VLProcessor
from paddlemix.sft.packing import block_causal_mask, pack, pack_groups
from tests.helpers import tiny_dir


def test_pack_groups():
    cases = [
        ([3, 3, 3], 6, [[0, 1], [2]]),  # two fit exactly, the third starts a new pack
        ([5, 2, 4], 6, [[0], [1, 2]]),  # greedy in order: 2 does not join 5 (7 > 6)
        ([6], 6, [[0]]),  # a sequence of exactly the pack size
        ([], 6, []),  # nothing to pack
    ]
    for lengths, size, want in cases:
        assert pack_groups(lengths, size) == want
    with pytest.raises(ValueError, match="more than the pack size"):
        pack_groups([7], 6)


def test_block_causal_mask_hides_other_samples_and_the_future():
    visible = block_causal_mask([2, 3]).numpy()[0, 0] == 0
    want = np.array(
        [
            [1, 0, 0, 0, 0],
            [1, 1, 0, 0, 0],
            [0, 0, 1, 0, 0],  # the second sample's first token sees only itself
            [0, 0, 1, 1, 0],
            [0, 0, 1, 1, 1],
        ],
        dtype=bool,
    )
    assert np.array_equal(visible, want)


def sample_inputs(processor, size, text, seed):
    """Processor tensors of one image (size (w, h), random pixels) and a question, plus a few answer tokens."""
    rng = np.random.RandomState(seed)
    image = Image.fromarray(rng.randint(0, 255, (size[1], size[0], 3), dtype=np.uint8))
    messages = [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": text}]}]
    prompt = processor.apply_chat_template(messages, add_generation_prompt=True)
    inputs = processor(text=[prompt], images=[image], return_tensors="np")
    answer = processor.tokenizer(f"answer {seed}")["input_ids"]
    ids = np.concatenate([inputs["input_ids"][0], answer])[None]
    return {
        "input_ids": paddle.to_tensor(ids),
        "mask": paddle.ones([1, ids.shape[1] - 1]),
        "pixel_values": paddle.to_tensor(inputs["pixel_values"]),
        "image_grid_thw": paddle.to_tensor(inputs["image_grid_thw"]),
    }


@pytest.mark.parametrize("name", ["qwen2_vl_tied", "qwen2_5_vl_untied", "qwen3_vl_tied"])
def test_each_packed_sample_gets_its_unpacked_logits(name):
    """With Qwen3-VL this also checks that each sample's DeepStack features land on its own image tokens."""
    paddle.seed(0)
    model = AutoModelForConditionalGeneration.from_pretrained(tiny_dir(name), dtype="float32")
    model.eval()
    # Sides in merged tokens (28 px for Qwen2-VL and 2.5-VL, 32 px for Qwen3-VL).
    unit = 32 if name.startswith("qwen3") else 28
    processor = Qwen2VLProcessor.from_pretrained(tiny_dir(name), max_pixels=8 * unit * unit)
    # Different image sizes and texts, so the samples' lengths and grids differ.
    seqs = [
        sample_inputs(processor, (2 * unit, 2 * unit), "How many?", 1),
        sample_inputs(processor, (3 * unit, unit), "What color is the cube on the left?", 2),
        sample_inputs(processor, (unit, 2 * unit), "Count.", 3),
    ]
    positions = [model.get_rope_index(x["input_ids"], x["image_grid_thw"])[0] for x in seqs]
    row = pack(seqs, positions)
    with paddle.no_grad():
        packed = model(
            input_ids=row["input_ids"],
            pixel_values=row["pixel_values"],
            image_grid_thw=row["image_grid_thw"],
            position_ids=row["position_ids"],
            attention_mask=row["attention_mask"],
        ).logits.numpy()[0]
        start = 0
        for x in seqs:
            alone = model(
                input_ids=x["input_ids"], pixel_values=x["pixel_values"], image_grid_thw=x["image_grid_thw"]
            ).logits.numpy()[0]
            got = packed[start : start + len(alone)]
            assert np.abs(got - alone).max() <= 1e-4, np.abs(got - alone).max()
            start += len(alone)
    assert start == packed.shape[0]
    # The loss mask is each sample's, with a 0 where a sample's first token would follow the previous one.
    lengths = [int(x["input_ids"].shape[1]) for x in seqs]
    mask = row["mask"].numpy()[0]
    assert len(mask) == sum(lengths) - 1
    assert [i for i in range(len(mask)) if mask[i] == 0] == list(np.cumsum(lengths)[:-1] - 1)
