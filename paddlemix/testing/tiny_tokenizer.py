"""A tiny byte-level BPE tokenizer with Qwen's special tokens and chat template, written in the hub layout.

The ids of the special tokens keep Qwen's order but start at `BASE_VOCAB`, so that a tiny model
(vocab 448) can embed them. Rows beyond the last special token are padding, as in the published vocab.

`build_tiny_tokenizer(out_dir)` writes `tokenizer.json`, `tokenizer_config.json`, `chat_template.json`
and `preprocessor_config.json`; the directory loads with transformers' `AutoProcessor.from_pretrained`
as well as with `paddlemix.processors.Qwen2VLProcessor.from_pretrained`.
"""

import json
import os

from tokenizers import (
    AddedToken,
    Regex,
    Tokenizer,
    decoders,
    models,
    normalizers,
    pre_tokenizers,
    processors,
    trainers,
)

BASE_VOCAB = 400
SPECIAL_TOKENS = [
    "<|endoftext|>",
    "<|im_start|>",
    "<|im_end|>",
    "<|object_ref_start|>",
    "<|object_ref_end|>",
    "<|box_start|>",
    "<|box_end|>",
    "<|quad_start|>",
    "<|quad_end|>",
    "<|vision_start|>",
    "<|vision_end|>",
    "<|vision_pad|>",
    "<|image_pad|>",
    "<|video_pad|>",
]
SPECIAL_TOKEN_IDS = {tok: BASE_VOCAB + i for i, tok in enumerate(SPECIAL_TOKENS)}
TINY_VOCAB_SIZE = 448

# Qwen2's pre-tokenizer split, as in the published tokenizer.json and transformers' Qwen2Tokenizer
# (which rebuilds its pipeline from this pattern, so ours must be the same for ids to agree).
QWEN2_PRETOKENIZE_REGEX = r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"""

# The chat template published with Qwen2-VL-*-Instruct (Qwen2.5-VL's renders images the same way).
QWEN2_VL_CHAT_TEMPLATE = (
    "{% set image_count = namespace(value=0) %}{% set video_count = namespace(value=0) %}"
    "{% for message in messages %}{% if loop.first and message['role'] != 'system' %}"
    "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n{% endif %}"
    "<|im_start|>{{ message['role'] }}\n"
    "{% if message['content'] is string %}{{ message['content'] }}<|im_end|>\n"
    "{% else %}{% for content in message['content'] %}"
    "{% if content['type'] == 'image' or 'image' in content or 'image_url' in content %}"
    "{% set image_count.value = image_count.value + 1 %}"
    "{% if add_vision_id %}Picture {{ image_count.value }}: {% endif %}"
    "<|vision_start|><|image_pad|><|vision_end|>"
    "{% elif content['type'] == 'video' or 'video' in content %}"
    "{% set video_count.value = video_count.value + 1 %}"
    "{% if add_vision_id %}Video {{ video_count.value }}: {% endif %}"
    "<|vision_start|><|video_pad|><|vision_end|>"
    "{% elif 'text' in content %}{{ content['text'] }}{% endif %}{% endfor %}<|im_end|>\n"
    "{% endif %}{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)

# Published Qwen2-VL preprocessing defaults; the pixel budget is an argument of the builder.
IMAGE_MEAN = [0.48145466, 0.4578275, 0.40821073]
IMAGE_STD = [0.26862954, 0.26130258, 0.27577711]
DEFAULT_MIN_PIXELS = 3136
DEFAULT_MAX_PIXELS = 12845056

# Training text for the merges: short grounding-style English so that common words become single tokens.
_CORPUS = """\
You are a helpful assistant. Describe this image in detail.
The picture shows a red car parked next to a small house with a green door.
Please output the bounding box of the dog in the image as a list of coordinates.
There are two people walking along the river while the sun is setting behind the hills.
What is the color of the bird sitting on the branch of the tree?
Answer the question with a single word or phrase. Think step by step before you answer.
The woman is holding an umbrella because it is raining in the city street.
How many apples are on the table? Count them carefully and give the number.
Locate the object that matches the description and return its position in the picture.
A black cat is sleeping on the sofa near the window of the living room.
The boy throws the ball to his friend, who catches it with both hands.
First reason about the scene inside the think tags, then give the final answer inside the answer tags.
The train arrives at the station in the morning and leaves again in the evening.
Is there a person riding a bicycle on the road? Yes, there is a man riding a blue bicycle.
The kitchen has a white table, four chairs, a large window and several plants on the shelf.
"""


def _train_bpe() -> Tokenizer:
    """Train the byte-level BPE on the built-in corpus to exactly `BASE_VOCAB` regular tokens."""
    tokenizer = Tokenizer(models.BPE(unk_token=None, fuse_unk=False, byte_fallback=False))
    tokenizer.normalizer = normalizers.NFC()
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split(Regex(QWEN2_PRETOKENIZE_REGEX), behavior="isolated", invert=False),
            pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=False, use_regex=False),
        ]
    )
    tokenizer.post_processor = processors.ByteLevel(
        add_prefix_space=False, trim_offsets=False, use_regex=False
    )
    tokenizer.decoder = decoders.ByteLevel(add_prefix_space=False, trim_offsets=False, use_regex=False)
    trainer = trainers.BpeTrainer(
        vocab_size=BASE_VOCAB,
        min_frequency=0,
        show_progress=False,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        special_tokens=[],
    )
    tokenizer.train_from_iterator(_CORPUS.splitlines(keepends=True), trainer=trainer)
    if tokenizer.get_vocab_size(with_added_tokens=False) != BASE_VOCAB:
        raise RuntimeError(
            f"the tiny BPE has {tokenizer.get_vocab_size(with_added_tokens=False)} tokens, expected {BASE_VOCAB}; "
            "the built-in corpus is too small for that many merges"
        )
    tokenizer.add_special_tokens(
        [
            AddedToken(tok, single_word=False, lstrip=False, rstrip=False, normalized=False, special=True)
            for tok in SPECIAL_TOKENS
        ]
    )
    for tok, idx in SPECIAL_TOKEN_IDS.items():
        if tokenizer.token_to_id(tok) != idx:
            raise RuntimeError(f"special token {tok} got id {tokenizer.token_to_id(tok)}, expected {idx}")
    return tokenizer


def _tokenizer_config(model_max_length: int, chat_template: str = QWEN2_VL_CHAT_TEMPLATE) -> dict:
    """The `tokenizer_config.json` of the published Qwen2-VL tokenizer, with the tiny ids."""
    added_tokens_decoder = {
        str(idx): {
            "content": tok,
            "lstrip": False,
            "normalized": False,
            "rstrip": False,
            "single_word": False,
            "special": True,
        }
        for tok, idx in SPECIAL_TOKEN_IDS.items()
    }
    return {
        "add_prefix_space": False,
        "added_tokens_decoder": added_tokens_decoder,
        "additional_special_tokens": SPECIAL_TOKENS[1:],
        "bos_token": None,
        "chat_template": chat_template,
        "clean_up_tokenization_spaces": False,
        "eos_token": "<|im_end|>",
        "errors": "replace",
        "model_max_length": model_max_length,
        "pad_token": "<|endoftext|>",
        # Batched generation needs prompts flush against the first generated token.
        "padding_side": "left",
        "split_special_tokens": False,
        "tokenizer_class": "Qwen2Tokenizer",
        "unk_token": None,
    }


def _preprocessor_config(min_pixels: int, max_pixels: int) -> dict:
    """The `preprocessor_config.json` of the published Qwen2-VL image processor."""
    return {
        "do_convert_rgb": True,
        "do_normalize": True,
        "do_rescale": True,
        "do_resize": True,
        "image_mean": IMAGE_MEAN,
        "image_processor_type": "Qwen2VLImageProcessor",
        "image_std": IMAGE_STD,
        "max_pixels": max_pixels,
        "merge_size": 2,
        "min_pixels": min_pixels,
        "patch_size": 14,
        "processor_class": "Qwen2VLProcessor",
        "resample": 3,
        "rescale_factor": 1 / 255,
        "temporal_patch_size": 2,
    }


def _write_json(path: str, obj: dict) -> None:
    """Write `obj` as indented UTF-8 JSON with a trailing newline."""
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=2, ensure_ascii=False)
        f.write("\n")


def build_tiny_tokenizer(
    out_dir: str,
    min_pixels: int = DEFAULT_MIN_PIXELS,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    model_max_length: int = 32768,
    chat_template: str = QWEN2_VL_CHAT_TEMPLATE,
    preprocessor_config: dict | None = None,
) -> str:
    """Write the tiny tokenizer, chat template and image-processor config to `out_dir`; return `out_dir`.

    `chat_template` and `preprocessor_config` default to Qwen2-VL's (with the given pixel budget).
    """
    os.makedirs(out_dir, exist_ok=True)
    _train_bpe().save(os.path.join(out_dir, "tokenizer.json"), pretty=True)
    _write_json(
        os.path.join(out_dir, "tokenizer_config.json"), _tokenizer_config(model_max_length, chat_template)
    )
    _write_json(os.path.join(out_dir, "chat_template.json"), {"chat_template": chat_template})
    _write_json(
        os.path.join(out_dir, "preprocessor_config.json"),
        preprocessor_config or _preprocessor_config(min_pixels, max_pixels),
    )
    return out_dir
