"""One batch through the model: encode the prompts the processor accepts, then decode (greedily for evals)."""

from __future__ import annotations


def encode_batch(
    processor, texts: list[str], images: list
) -> tuple[dict | None, list[int], list[tuple[int, str]]]:
    """Model inputs for the prompts whose images the processor accepts; (inputs, kept positions, rejected).

    `images[i]` is sample i's image, or the list of its images in prompt order. The processor refuses a whole
    batch for one image it cannot take (aspect ratio over 200); then each sample is tried alone to find it,
    and the others go on.
    """
    images = [list(im) if isinstance(im, (list, tuple)) else [im] for im in images]
    try:
        return (
            processor(
                text=texts, images=[im for per in images for im in per], padding=True, return_tensors="pd"
            ),
            list(range(len(texts))),
            [],
        )
    except ValueError:
        pass
    kept, rejected = [], []
    for i, (text, image) in enumerate(zip(texts, images)):
        try:
            processor(text=[text], images=image, return_tensors="np")
            kept.append(i)
        except ValueError as e:
            rejected.append((i, str(e)))
    if not kept:
        return None, [], rejected
    inputs = processor(
        text=[texts[i] for i in kept],
        images=[im for i in kept for im in images[i]],
        padding=True,
        return_tensors="pd",
    )
    return inputs, kept, rejected


def generate_texts(
    model,
    processor,
    inputs: dict,
    max_new_tokens: int,
    eos: list[int],
    *,
    do_sample: bool = False,
    temperature: float = 1.0,
    num_return_sequences: int = 1,
) -> list[str]:
    """Completions of a left-padded batch (greedy unless `do_sample`), decoded without special tokens.

    With `num_return_sequences` G, rows i*G .. i*G+G-1 continue prompt i.

    Image and video placeholders are never generated, as in GRPO rollouts (rl/grpo/rollout.py): a trained
    checkpoint puts no mass there, but a small one can, and its eval would then decode to empty strings.
    """
    sequences = model.generate(
        **inputs,
        max_new_tokens=max_new_tokens,
        do_sample=do_sample,
        temperature=temperature,
        num_return_sequences=num_return_sequences,
        eos_token_id=eos,
        suppress_token_ids=[model.config.image_token_id, model.config.video_token_id],
        pad_token_id=processor.tokenizer.pad_token_id,
    )
    prompt_len = inputs["input_ids"].shape[1]
    return processor.batch_decode(sequences[:, prompt_len:], skip_special_tokens=True)
