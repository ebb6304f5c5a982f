"""Write the golden processor fixtures from transformers' Qwen2-VL processor (needs torch + transformers).

    python tools/make_processor_fixtures.py

Writes `tests/fixtures/tiny_tokenizer/` (the tiny tokenizer in the hub layout, with a pixel budget small
enough for max_pixels to bite), and `tests/fixtures/processor_golden.{json,npz}`: synthetic images from a
fixed seed, and transformers' outputs for them (chat renderings, token ids, pixel values, grids, and
smart_resize sizes). The processor tests compare against these without torch, and live when it is installed.
"""

import json
import os

import numpy as np
import transformers

from paddlemix.testing.hf_reference import hf_smart_resize, load_reference_processor
from paddlemix.testing.tiny_tokenizer import build_tiny_tokenizer

FIXTURES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tests", "fixtures")
TOKENIZER_DIR = os.path.join(FIXTURES, "tiny_tokenizer")
SEED = 2024
MIN_PIXELS = 56 * 56
MAX_PIXELS = 28 * 28 * 12  # 9408: the 150x120 image is shrunk to 84x84
# name -> (height, width): no resize, rounding resize, max_pixels shrink, min_pixels growth.
IMAGE_SIZES = {
    "img_56x84": (56, 84),
    "img_100x61": (100, 61),
    "img_150x120": (150, 120),
    "img_30x40": (30, 40),
}


def _user(*items) -> dict:
    """A user message from content items."""
    return {"role": "user", "content": list(items)}


IMAGE = {"type": "image"}
CHAT_CASES = {
    "no_system": {"messages": [_user(IMAGE, {"type": "text", "text": "What is in the picture?"})]},
    "with_system": {
        "messages": [
            {"role": "system", "content": "You are a careful grounding model."},
            _user(IMAGE, {"type": "text", "text": "Output the bounding box of the dog."}),
        ]
    },
    "string_content": {
        "messages": [
            {"role": "user", "content": "Hello there."},
            {"role": "assistant", "content": "Hi! How can I help?"},
            {"role": "user", "content": "Count the apples."},
        ]
    },
    "multiple_images": {
        "messages": [
            _user(IMAGE, {"type": "text", "text": "Compare"}, IMAGE, {"type": "text", "text": " these."})
        ]
    },
    "add_vision_id": {
        "messages": [_user(IMAGE, IMAGE, {"type": "video"}, {"type": "text", "text": "Which differ?"})],
        "kwargs": {"add_vision_id": True},
    },
    "no_generation_prompt": {
        "messages": [
            _user(IMAGE, {"type": "text", "text": "Is there a cat?"}),
            {"role": "assistant", "content": [{"type": "text", "text": "Yes, on the sofa."}]},
        ],
        "add_generation_prompt": False,
    },
}
PROCESSOR_CASES = {
    "two_images": [
        {
            "messages": [_user(IMAGE, IMAGE, {"type": "text", "text": "Describe both pictures."})],
            "images": ["img_56x84", "img_100x61"],
        }
    ],
    "padded_batch": [
        {
            "messages": [
                _user(IMAGE, {"type": "text", "text": "Locate the red car and answer with its box."})
            ],
            "images": ["img_150x120"],
        },
        {"messages": [_user(IMAGE, {"type": "text", "text": "Color?"})], "images": ["img_30x40"]},
    ],
}
TOKENIZER_TEXTS = [
    "The picture shows a red car parked next to a small house.",
    "  Leading spaces, tabs\t\tand\r\nnewlines\n\n3.14159 it's I'LL",
    "<|im_start|>user\nhi<|image_pad|><|im_end|>\n",
    "caf\u00e9 na\u00efve \u65e5\u672c\u8a9e e\u0301 \U0001f600",
]
# (height, width, factor, min_pixels, max_pixels): exact multiples, round-half-to-even, both clamps,
# sides below the factor, and aspect ratios around the limit of 200.
SMART_RESIZE_CASES = [
    (56, 84, 28, 3136, 1003520),
    (100, 61, 28, 3136, 1003520),
    (42, 70, 28, 3136, 1003520),
    (98, 126, 28, 3136, 1003520),
    (150, 120, 28, 3136, 9408),
    (30, 40, 28, 3136, 9408),
    (10, 10, 28, 3136, 1003520),
    (28, 5600, 28, 3136, 1003520),
    (28, 5628, 28, 3136, 1003520),
    (1080, 1920, 28, 3136, 401408),
    (4000, 3000, 28, 3136, 12845056),
    (333, 777, 28, 200704, 401408),
    (17, 2000, 28, 3136, 1003520),
    (224, 224, 14, 3136, 1003520),
]


def _make_images() -> dict[str, np.ndarray]:
    """Random uint8 RGB images from a fixed seed; noise makes bicubic overshoot and clipping matter."""
    rng = np.random.default_rng(SEED)
    return {name: rng.integers(0, 256, (h, w, 3), dtype=np.uint8) for name, (h, w) in IMAGE_SIZES.items()}


def _smart_resize_or_error(h, w, factor, min_pixels, max_pixels):
    """transformers' smart_resize size, or "error" if it refuses."""
    try:
        return list(hf_smart_resize(h, w, factor, min_pixels, max_pixels))
    except ValueError:
        return "error"


def main() -> None:
    """Build the tokenizer directory and record transformers' outputs."""
    build_tiny_tokenizer(TOKENIZER_DIR, min_pixels=MIN_PIXELS, max_pixels=MAX_PIXELS)
    processor = load_reference_processor(TOKENIZER_DIR)
    images = _make_images()
    arrays = {f"image/{name}": img for name, img in images.items()}

    chat = {}
    for name, case in CHAT_CASES.items():
        add_generation_prompt = case.get("add_generation_prompt", True)
        text = processor.apply_chat_template(
            case["messages"], add_generation_prompt=add_generation_prompt, **case.get("kwargs", {})
        )
        chat[name] = {**case, "add_generation_prompt": add_generation_prompt, "expected": text}

    cases = {}
    for name, samples in PROCESSOR_CASES.items():
        texts = [processor.apply_chat_template(s["messages"], add_generation_prompt=True) for s in samples]
        sample_images = [images[key] for s in samples for key in s["images"]]
        out = processor(text=texts, images=sample_images, padding=True, return_tensors="np")
        for key in ("input_ids", "attention_mask", "pixel_values", "image_grid_thw"):
            arrays[f"{name}/{key}"] = out[key]
        cases[name] = {"samples": samples, "texts": texts}

    tokenizer = processor.tokenizer
    tokenizer_cases = []
    for text in TOKENIZER_TEXTS:
        ids = tokenizer(text)["input_ids"]
        tokenizer_cases.append(
            {
                "text": text,
                "ids": ids,
                "decoded": tokenizer.decode(ids),
                "decoded_skip_special": tokenizer.decode(ids, skip_special_tokens=True),
            }
        )

    golden = {
        "transformers_version": transformers.__version__,
        "seed": SEED,
        "min_pixels": MIN_PIXELS,
        "max_pixels": MAX_PIXELS,
        "padding_side": tokenizer.padding_side,
        "chat": chat,
        "processor": cases,
        "tokenizer": tokenizer_cases,
        "smart_resize": [[*case, _smart_resize_or_error(*case)] for case in SMART_RESIZE_CASES],
    }
    with open(os.path.join(FIXTURES, "processor_golden.json"), "w", encoding="utf-8") as f:
        json.dump(golden, f, indent=1, ensure_ascii=False)
        f.write("\n")
    np.savez_compressed(os.path.join(FIXTURES, "processor_golden.npz"), **arrays)
    print(
        f"wrote {TOKENIZER_DIR} and processor_golden.json/.npz with transformers {transformers.__version__}"
    )


if __name__ == "__main__":
    main()
