"""transformers as the numerical reference: inputs and outputs that the parity tests and fixtures compare to.

Everything here but `case_inputs` needs torch and transformers. Inputs come from transformers' own
processor without its video half (`hf_reference.py`), since `AutoProcessor` would need torchvision.
"""

from __future__ import annotations

import json
import os

import numpy as np
from PIL import Image


def synthetic_image(height: int, width: int, seed: int) -> Image.Image:
    """A deterministic RGB noise image with some structure, so resizing is not trivial."""
    rng = np.random.RandomState(seed)
    base = rng.randint(0, 256, (height // 7 + 1, width // 7 + 1, 3)).astype(np.uint8)
    img = np.kron(base, np.ones((7, 7, 1), dtype=np.uint8))[:height, :width]
    noise = rng.randint(-20, 21, img.shape)
    return Image.fromarray(np.clip(img.astype(np.int64) + noise, 0, 255).astype(np.uint8))


def _user(n_images: int, text: str) -> list:
    return [{"role": "user", "content": [{"type": "image"}] * n_images + [{"type": "text", "text": text}]}]


# case -> list of (messages, images) per sample
CASES = {
    "two_images": [
        (_user(2, "How many objects are in the two pictures?"), [(56, 84, 1), (100, 61, 2)]),
    ],
    # VLM-R1 multi-image: three images of different grids in one prompt, a second sample with one, left-padded
    "three_images": [
        (
            _user(3, "Which of the three screens differs from the others?"),
            [(56, 84, 5), (84, 56, 6), (56, 56, 7)],
        ),
        (_user(1, "Describe it."), [(112, 56, 8)]),
    ],
    "padded_batch": [
        (_user(1, "Locate the red cube and answer with a box in the image please."), [(56, 84, 3)]),
        (_user(1, "Count."), [(84, 140, 4)]),
    ],
    "text_only": [
        ([{"role": "user", "content": "What is two plus two? Think first."}], []),
        ([{"role": "user", "content": "Hi."}], []),
    ],
}


def case_inputs(case: str):
    """The chat messages and PIL images of a test case, per sample."""
    samples = CASES[case]
    return [m for m, _ in samples], [[synthetic_image(h, w, s) for h, w, s in imgs] for _, imgs in samples]


def reference_inputs(ckpt_dir: str, case: str) -> dict:
    """Model inputs for `case` made by transformers' own processor (numpy arrays)."""
    from .hf_reference import load_reference_processor

    with open(os.path.join(ckpt_dir, "config.json")) as f:
        model_type = json.load(f)["model_type"]
    processor = load_reference_processor(ckpt_dir, model_type=model_type)
    messages, images = case_inputs(case)
    texts = [processor.apply_chat_template(m, tokenize=False, add_generation_prompt=True) for m in messages]
    flat = [im for per in images for im in per]
    enc = processor(text=texts, images=flat or None, padding=True, padding_side="left", return_tensors="np")
    out = {
        "input_ids": enc["input_ids"].astype(np.int64),
        "attention_mask": enc["attention_mask"].astype(np.int64),
    }
    if flat:
        out["pixel_values"] = np.asarray(enc["pixel_values"], dtype=np.float32)
        out["image_grid_thw"] = np.asarray(enc["image_grid_thw"], dtype=np.int64)
    out["text"] = np.array(texts)
    return out


def load_reference_model(ckpt_dir: str):
    """The transformers model of a checkpoint directory, float32, eval mode."""
    import torch
    from transformers import AutoModelForImageTextToText

    return AutoModelForImageTextToText.from_pretrained(ckpt_dir, dtype=torch.float32).eval()


def _torch_inputs(inputs: dict, image_token_id: int) -> dict:
    import torch

    out = {k: torch.from_numpy(v) for k, v in inputs.items() if k != "text"}
    out["mm_token_type_ids"] = (out["input_ids"] == image_token_id).long()
    if "image_grid_thw" not in out:
        out.pop("mm_token_type_ids")
    return out


def reference_outputs(ckpt_dir: str, inputs: dict, max_new_tokens: int = 32, model=None) -> dict:
    """transformers' logits (b, s, vocab) and greedy generation (b, s + T) for the given inputs."""
    import torch

    model = model or load_reference_model(ckpt_dir)
    cfg = model.config
    t_in = _torch_inputs(inputs, cfg.image_token_id)
    with torch.no_grad():
        logits = model(**t_in).logits.numpy()
        ids = model.generate(
            **t_in,
            max_new_tokens=max_new_tokens,
            do_sample=False,
            eos_token_id=cfg.text_config.eos_token_id,
            pad_token_id=cfg.text_config.pad_token_id,
        ).numpy()
    return {"logits": logits.astype(np.float32), "greedy": ids.astype(np.int64)}
