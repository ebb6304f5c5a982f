"""The full processor (template -> placeholder expansion -> padding -> pixels) against transformers' outputs."""

import numpy as np
import paddle
import pytest
from PIL import Image

from paddlemix.processors import Qwen2_5_VLProcessor, Qwen2VLProcessor
from paddlemix.testing.tiny_tokenizer import SPECIAL_TOKEN_IDS

KEYS = ("input_ids", "attention_mask", "pixel_values", "image_grid_thw")
CASES = ("two_images", "padded_batch")
IMAGE_PAD = SPECIAL_TOKEN_IDS["<|image_pad|>"]
PAD = SPECIAL_TOKEN_IDS["<|endoftext|>"]


def _case_inputs(processor_golden, processor_arrays, case):
    """Prompt texts and the flat image list of a golden case."""
    samples = processor_golden["processor"][case]["samples"]
    images = [processor_arrays[f"image/{key}"] for s in samples for key in s["images"]]
    return samples, images


@pytest.mark.parametrize("case", CASES)
def test_matches_golden(processor, processor_golden, processor_arrays, assert_same, case):
    """Chat text, ids, mask, grid and pixel values equal transformers' bit for bit."""
    samples, images = _case_inputs(processor_golden, processor_arrays, case)
    texts = [processor.apply_chat_template(s["messages"]) for s in samples]
    assert texts == processor_golden["processor"][case]["texts"]
    out = processor(text=texts, images=[Image.fromarray(img) for img in images], return_tensors="np")
    assert set(out) == set(KEYS)
    for key in KEYS:
        assert_same(out[key], processor_arrays[f"{case}/{key}"], f"{case}/{key}")


@pytest.mark.parametrize("case", CASES)
def test_matches_transformers_live(
    processor, hf_processor, processor_golden, processor_arrays, assert_same, case
):
    """Same as the golden test, against the installed transformers; also checks the golden file is current."""
    samples, images = _case_inputs(processor_golden, processor_arrays, case)
    pil = [Image.fromarray(img) for img in images]
    texts = [hf_processor.apply_chat_template(s["messages"], add_generation_prompt=True) for s in samples]
    expected = hf_processor(text=texts, images=pil, padding=True, return_tensors="np")
    out = processor(text=texts, images=pil, return_tensors="np")
    for key in KEYS:
        assert_same(out[key], expected[key], f"{case}/{key}")


def test_placeholders_expand_per_image(processor, processor_golden, processor_arrays):
    """Each <|image_pad|> becomes t*h*w/4 tokens, in image order, inside its vision_start/end pair."""
    out = processor(
        text=processor_golden["processor"]["two_images"]["texts"],
        images=_case_inputs(processor_golden, processor_arrays, "two_images")[1],
        return_tensors="np",
    )
    grid = out["image_grid_thw"]
    assert grid.tolist() == [[1, 4, 6], [1, 8, 4]]  # 56x84 kept; 100x61 -> 112x56
    ids = out["input_ids"][0].tolist()
    start, end = SPECIAL_TOKEN_IDS["<|vision_start|>"], SPECIAL_TOKEN_IDS["<|vision_end|>"]
    runs = []
    for i, tok in enumerate(ids):
        if tok == start:
            runs.append(ids[i + 1 : ids.index(end, i)])
    assert [len(r) for r in runs] == [6, 8]
    assert all(set(r) == {IMAGE_PAD} for r in runs)
    assert out["pixel_values"].shape == (24 + 32, 3 * 2 * 14 * 14)


def test_left_padding_by_default(processor, processor_golden, processor_arrays):
    """The shorter prompt is padded on the left with <|endoftext|> and masked out; right padding on request."""
    texts = processor_golden["processor"]["padded_batch"]["texts"]
    images = _case_inputs(processor_golden, processor_arrays, "padded_batch")[1]
    assert processor.tokenizer.padding_side == processor_golden["padding_side"] == "left"
    out = processor(text=texts, images=images, return_tensors="np")
    n_pad = int((out["attention_mask"][1] == 0).sum())
    assert n_pad > 0 and out["attention_mask"][0].all()
    assert (out["input_ids"][1, :n_pad] == PAD).all() and out["attention_mask"][1, :n_pad].sum() == 0
    right = processor(text=texts, images=images, padding_side="right", return_tensors="np")
    assert (right["input_ids"][1, -n_pad:] == PAD).all()
    np.testing.assert_array_equal(right["input_ids"][1, :-n_pad], out["input_ids"][1, n_pad:])


def test_paddle_tensors(processor, processor_golden, processor_arrays):
    """return_tensors="pd" (the default) gives int64 ids / mask / grid and float32 pixels as paddle tensors."""
    samples, images = _case_inputs(processor_golden, processor_arrays, "padded_batch")
    out = processor(text=processor_golden["processor"]["padded_batch"]["texts"], images=images)
    assert all(isinstance(out[k], paddle.Tensor) for k in KEYS)
    assert out["input_ids"].dtype == paddle.int64 and out["attention_mask"].dtype == paddle.int64
    assert out["image_grid_thw"].dtype == paddle.int64 and out["pixel_values"].dtype == paddle.float32
    np.testing.assert_array_equal(out["input_ids"].numpy(), processor_arrays["padded_batch/input_ids"])


def test_text_only(processor):
    """Prompts without images give ids and mask only."""
    texts = ["Hello there.", "Hi"]
    out = processor(text=texts, return_tensors="np")
    assert set(out) == {"input_ids", "attention_mask"}
    lengths = [len(processor.tokenizer.encode(t)) for t in texts]
    assert out["attention_mask"].sum(axis=1).tolist() == lengths and lengths[0] > lengths[1]
    assert out["input_ids"][1, -lengths[1] :].tolist() == processor.tokenizer.encode(texts[1])


@pytest.mark.parametrize(
    ("texts", "n_images", "message"),
    [
        (["<|image_pad|> and <|image_pad|>"], 1, "2 <|image_pad|> placeholders but 1 images"),
        (["<|image_pad|>", "no image"], 2, "1 <|image_pad|> placeholders but 2 images"),
        (["<|image_pad|>"], 0, "1 <|image_pad|> placeholders but 0 images"),
        (["<|video_pad|>"], 0, "videos are not supported"),
    ],
)
def test_placeholder_image_count_mismatch(processor, processor_arrays, texts, n_images, message):
    """Placeholders and images must pair up one to one."""
    images = [processor_arrays["image/img_56x84"]] * n_images
    with pytest.raises(ValueError, match=message):
        processor(text=texts, images=images or None)


def test_unpadded_ragged_batch_is_an_error(processor):
    """Prompts of different lengths cannot be stacked with padding=False."""
    with pytest.raises(ValueError, match="padding=True"):
        processor(text=["a b c", "a"], padding=False)


def test_decode_skips_special_tokens(processor, processor_arrays):
    """batch_decode drops <|image_pad|> and the chat markers when asked, and round-trips otherwise."""
    ids = processor_arrays["padded_batch/input_ids"]
    full = processor.batch_decode(ids)
    assert full[1].startswith("<|endoftext|>") and "<|image_pad|>" in full[0]
    plain = processor.batch_decode(paddle.to_tensor(ids), skip_special_tokens=True)
    assert plain[1] == "system\nYou are a helpful assistant.\nuser\nColor?\nassistant\n"
    assert processor.decode(ids[1], skip_special_tokens=True) == plain[1]


def test_pixel_budget_overrides(tokenizer_dir, processor_arrays):
    """from_pretrained(min_pixels=, max_pixels=) overrides preprocessor_config.json."""
    image = processor_arrays["image/img_150x120"]
    default = Qwen2VLProcessor.from_pretrained(tokenizer_dir)
    assert default.image_processor.max_pixels == 9408
    bigger = Qwen2VLProcessor.from_pretrained(tokenizer_dir, max_pixels=28 * 28 * 100)
    smaller = Qwen2VLProcessor.from_pretrained(tokenizer_dir, min_pixels=28 * 28, max_pixels=28 * 28 * 4)
    grids = [
        p(text="<|image_pad|>", images=[image], return_tensors="np")["image_grid_thw"].tolist()
        for p in (default, bigger, smaller)
    ]
    # 150x120 -> 84x84 under 9408 px, kept as 140x112 under 78400 px, 56x28 under 3136 px.
    assert grids == [[[1, 6, 6]], [[1, 10, 8]], [[1, 4, 2]]]


def test_qwen2_5_processor_is_the_same_for_images(
    tokenizer_dir, processor, processor_golden, processor_arrays, assert_same
):
    """Qwen2.5-VL's processor gives the same outputs as Qwen2-VL's for images."""
    samples, images = _case_inputs(processor_golden, processor_arrays, "two_images")
    texts = processor_golden["processor"]["two_images"]["texts"]
    out = Qwen2_5_VLProcessor.from_pretrained(tokenizer_dir)(text=texts, images=images, return_tensors="np")
    for key in KEYS:
        assert_same(out[key], processor_arrays[f"two_images/{key}"], key)


def test_qwen2_5_matches_transformers_live(tokenizer_dir, processor_golden, processor_arrays, assert_same):
    """Our Qwen2.5-VL processor against transformers' Qwen2_5_VLProcessor."""
    pytest.importorskip("transformers")
    from paddlemix.testing.hf_reference import load_reference_processor

    hf = load_reference_processor(tokenizer_dir, qwen2_5=True)
    samples, images = _case_inputs(processor_golden, processor_arrays, "padded_batch")
    texts = [hf.apply_chat_template(s["messages"], add_generation_prompt=True) for s in samples]
    expected = hf(text=texts, images=images, padding=True, return_tensors="np")
    out = Qwen2_5_VLProcessor.from_pretrained(tokenizer_dir)(text=texts, images=images, return_tensors="np")
    for key in KEYS:
        assert_same(out[key], expected[key], key)


def test_directory_loads_in_transformers(tokenizer_dir):
    """transformers' Auto classes read the tiny directory as a Qwen2-VL tokenizer and image processor.

    `AutoProcessor` itself also builds the video processor, which needs torchvision; the processor-level
    loading is covered by `load_reference_processor` (transformers' `from_pretrained`, minus video).
    """
    transformers = pytest.importorskip("transformers")
    tokenizer = transformers.AutoTokenizer.from_pretrained(tokenizer_dir)
    assert type(tokenizer).__name__ == "Qwen2Tokenizer"
    assert (tokenizer.eos_token, tokenizer.pad_token, tokenizer.padding_side) == (
        "<|im_end|>",
        "<|endoftext|>",
        "left",
    )
    image_processor = transformers.AutoImageProcessor.from_pretrained(tokenizer_dir, backend="pil")
    assert type(image_processor).__name__ == "Qwen2VLImageProcessorPil"
    assert (image_processor.size.shortest_edge, image_processor.size.longest_edge) == (3136, 9408)
