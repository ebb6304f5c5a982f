"""The tokenizer wrapper and the tiny tokenizer builder, against transformers' Qwen2Tokenizer."""

import filecmp
import os

import numpy as np
import paddle
import pytest

from paddlemix.processors import Qwen2Tokenizer
from paddlemix.testing.tiny_tokenizer import (
    BASE_VOCAB,
    SPECIAL_TOKEN_IDS,
    SPECIAL_TOKENS,
    build_tiny_tokenizer,
)


@pytest.fixture(scope="module")
def tokenizer(tokenizer_dir) -> Qwen2Tokenizer:
    """Our tokenizer on the tiny directory."""
    return Qwen2Tokenizer.from_pretrained(tokenizer_dir)


def test_builder_is_deterministic(tokenizer_dir, tmp_path):
    """Rebuilding the tiny tokenizer reproduces the committed fixture files byte for byte."""
    out = build_tiny_tokenizer(str(tmp_path), min_pixels=56 * 56, max_pixels=28 * 28 * 12)
    for name in ("tokenizer.json", "tokenizer_config.json", "chat_template.json", "preprocessor_config.json"):
        assert filecmp.cmp(os.path.join(out, name), os.path.join(tokenizer_dir, name), shallow=False), name


def test_vocab_and_special_ids(tokenizer):
    """400 byte-level BPE tokens, then the 14 specials in Qwen's order; eos <|im_end|>, pad <|endoftext|>."""
    assert len(tokenizer) == BASE_VOCAB + len(SPECIAL_TOKENS)
    assert tokenizer.convert_tokens_to_ids(SPECIAL_TOKENS) == list(range(BASE_VOCAB, BASE_VOCAB + 14))
    assert tokenizer.eos_token_id == SPECIAL_TOKEN_IDS["<|im_end|>"] == 402
    assert tokenizer.pad_token_id == SPECIAL_TOKEN_IDS["<|endoftext|>"] == 400
    assert tokenizer.convert_tokens_to_ids("<|not_a_token|>") is None
    assert tokenizer.padding_side == "left"


def test_matches_golden(tokenizer, processor_golden):
    """Ids and decoded text (with and without special tokens) equal transformers'."""
    for case in processor_golden["tokenizer"]:
        ids = tokenizer.encode(case["text"])
        assert ids == case["ids"], case["text"]
        assert tokenizer.decode(ids) == case["decoded"]
        assert tokenizer.decode(ids, skip_special_tokens=True) == case["decoded_skip_special"]


def test_matches_transformers_live(tokenizer, hf_processor, processor_golden):
    """Random text from the vocabulary's pieces, specials and odd whitespace against transformers."""
    hf = hf_processor.tokenizer
    assert hf.padding_side == tokenizer.padding_side
    assert (hf.pad_token_id, hf.eos_token_id) == (tokenizer.pad_token_id, tokenizer.eos_token_id)
    rng = np.random.default_rng(0)
    pieces = [
        "the",
        " picture",
        " box",
        "  ",
        "\n",
        "\t",
        "12",
        "3.5",
        "é",
        "日本",
        "'s",
        "<|im_start|>",
        "<|image_pad|>",
        "!",
        " A",
        "ı",
    ]
    texts = [case["text"] for case in processor_golden["tokenizer"]]
    texts += ["".join(rng.choice(pieces, size=int(rng.integers(1, 30)))) for _ in range(200)]
    for text in texts:
        ids = tokenizer.encode(text)
        assert ids == hf(text)["input_ids"], repr(text)
        for skip in (False, True):
            assert tokenizer.decode(ids, skip_special_tokens=skip) == hf.decode(ids, skip_special_tokens=skip)


def test_batch_call_pads_left(tokenizer):
    """A batch is padded to the longest with pad_token_id on the left and masked."""
    out = tokenizer(["a picture of a dog", "dog"], padding=True)
    long, short = (len(tokenizer.encode(t)) for t in ["a picture of a dog", "dog"])
    assert [len(x) for x in out["input_ids"]] == [long, long]
    assert out["input_ids"][1][: long - short] == [tokenizer.pad_token_id] * (long - short)
    assert out["attention_mask"][1] == [0] * (long - short) + [1] * short
    right = tokenizer(["a picture of a dog", "dog"], padding=True, padding_side="right")
    assert right["attention_mask"][1] == [1] * short + [0] * (long - short)


def test_decode_accepts_arrays_and_tensors(tokenizer):
    """decode / batch_decode take lists, numpy arrays and paddle tensors."""
    ids = tokenizer.encode("<|im_start|>hello world<|im_end|>")
    expected = tokenizer.decode(ids, skip_special_tokens=True)
    assert expected == "hello world"
    assert tokenizer.decode(np.array(ids), skip_special_tokens=True) == expected
    assert tokenizer.batch_decode(paddle.to_tensor([ids, ids]), skip_special_tokens=True) == [expected] * 2


def test_missing_special_token_is_an_error(tokenizer_dir):
    """A config naming a pad token outside the vocabulary fails at load time, not at padding time."""
    base = Qwen2Tokenizer.from_pretrained(tokenizer_dir)
    with pytest.raises(ValueError, match="pad_token"):
        Qwen2Tokenizer(base._tokenizer, pad_token="<pad>")
