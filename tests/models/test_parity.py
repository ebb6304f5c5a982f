"""Our models against transformers: logits (float32, <= 1e-4) and 32-token greedy generations (identical).

Each check runs against the committed golden outputs, and again live against transformers when torch and
transformers are importable (CI installs them).
"""

from __future__ import annotations

import functools

import numpy as np
import paddle
import pytest

from paddlemix.models import AutoModelForConditionalGeneration
from tests.helpers import TINY_MODELS, golden, requires_reference, tiny_dir

CASES = ["two_images", "padded_batch", "text_only"]
ATOL = 1e-4


@functools.cache
def load(name):
    return AutoModelForConditionalGeneration.from_pretrained(tiny_dir(name), dtype="float32")


def to_paddle(inputs: dict) -> dict:
    keys = ("input_ids", "attention_mask", "pixel_values", "image_grid_thw")
    return {k: paddle.to_tensor(inputs[k]) for k in keys if k in inputs}


@functools.cache
def live(name, case):
    from paddlemix.testing.reference import reference_inputs, reference_outputs

    inputs = reference_inputs(tiny_dir(name), case)
    return {**inputs, **reference_outputs(tiny_dir(name), inputs)}


def expected(name, case, source):
    if source == "live":
        return live(name, case)
    return golden(name, case)


SOURCES = ["golden", pytest.param("live", marks=requires_reference)]


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("name", TINY_MODELS)
def test_logits_match_reference(name, case, source):
    ref = expected(name, case, source)
    model = load(name)
    with paddle.no_grad():
        got = model(**to_paddle(ref)).logits.numpy()
    want = ref["logits"]
    got = got[:, -want.shape[1] :]
    valid = ref["attention_mask"][:, -want.shape[1] :].astype(bool)
    diff = np.abs(got - want)[valid]
    print(f"{name}/{case}/{source}: logits max diff {diff.max():.2e}, mean {diff.mean():.2e}")
    assert diff.max() <= ATOL


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("name", TINY_MODELS)
def test_greedy_generation_matches_reference(name, case, source):
    ref = expected(name, case, source)
    model = load(name)
    cfg = model.config
    got = model.generate(
        **to_paddle(ref), max_new_tokens=32, eos_token_id=cfg.eos_token_id, pad_token_id=cfg.pad_token_id
    )
    np.testing.assert_array_equal(got.numpy(), ref["greedy"])


@requires_reference
@pytest.mark.parametrize("name", ["qwen2_vl_tied", "qwen2_5_vl_untied", "qwen3_vl_tied"])
def test_golden_fixtures_are_current(name):
    """The committed inputs and outputs are what transformers produces today."""
    ref, gold = live(name, "padded_batch"), golden(name, "padded_batch")
    for key in ("input_ids", "attention_mask", "image_grid_thw", "greedy"):
        np.testing.assert_array_equal(ref[key], gold[key])
    np.testing.assert_array_equal(ref["pixel_values"], gold["pixel_values"])
    np.testing.assert_allclose(ref["logits"][:, -gold["logits"].shape[1] :], gold["logits"], atol=1e-5)


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("name", ["qwen2_vl_tied", "qwen2_5_vl_tied", "qwen3_vl_tied"])
def test_our_processor_makes_the_reference_inputs(name, case):
    """End to end without torch: our processor's output equals the inputs transformers' processor made."""
    from paddlemix.processors import Qwen2_5_VLProcessor, Qwen2VLProcessor, Qwen3VLProcessor
    from paddlemix.testing.reference import case_inputs

    classes = {
        "qwen2_vl_tied": Qwen2VLProcessor,
        "qwen2_5_vl_tied": Qwen2_5_VLProcessor,
        "qwen3_vl_tied": Qwen3VLProcessor,
    }
    processor = classes[name].from_pretrained(tiny_dir(name))
    messages, images = case_inputs(case)
    texts = [processor.apply_chat_template(m, add_generation_prompt=True) for m in messages]
    flat = [im for per in images for im in per]
    got = processor(text=texts, images=flat or None, padding=True, return_tensors="np")
    ref = golden(name, case)
    # transformers' Qwen2-VL processor leaves the prompts it was given with their placeholders expanded.
    expanded = processor._expand_image_tokens(texts, got["image_grid_thw"]) if flat else texts
    assert ref["text"].tolist() in (texts, expanded)
    for key in ("input_ids", "attention_mask", "pixel_values", "image_grid_thw"):
        if key in ref:
            np.testing.assert_array_equal(np.asarray(got[key]), ref[key], err_msg=key)
