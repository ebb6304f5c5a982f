"""Three images in one prompt (VLM-R1's multi-image records) against transformers: inputs, M-RoPE, logits.

The case (`paddlemix.testing.reference.CASES["three_images"]`): images of 2x3, 3x2 and 2x2 merged tokens in
one prompt beside a one-image prompt, left-padded. Our processor must make transformers' inputs, our
`get_rope_index` its position ids (each image's block starting where the text before it ends, the text after
it at start + max(rows, cols)), and the model its logits (float32, <= 1e-4). Live only: needs torch.
"""

from __future__ import annotations

import numpy as np
import paddle
import pytest

from paddlemix.models import AutoModelForConditionalGeneration, get_rope_index
from tests.helpers import requires_reference, tiny_dir

ATOL = 1e-4
NAMES = ["qwen2_5_vl_untied", pytest.param("qwen2_vl_tied", marks=pytest.mark.slow)]


@requires_reference
@pytest.mark.parametrize("name", NAMES)
def test_three_image_prompt_matches_transformers(name):
    from paddlemix.processors import Qwen2_5_VLProcessor, Qwen2VLProcessor
    from paddlemix.testing.reference import (
        _torch_inputs,
        case_inputs,
        load_reference_model,
        reference_inputs,
        reference_outputs,
    )

    ckpt = tiny_dir(name)
    ref = reference_inputs(ckpt, "three_images")
    assert ref["image_grid_thw"].tolist() == [[1, 4, 6], [1, 6, 4], [1, 4, 4], [1, 8, 4]]

    cls = Qwen2_5_VLProcessor if name.startswith("qwen2_5") else Qwen2VLProcessor
    processor = cls.from_pretrained(ckpt)
    messages, images = case_inputs("three_images")
    texts = [processor.apply_chat_template(m, add_generation_prompt=True) for m in messages]
    ours = processor(
        text=texts, images=[im for per in images for im in per], padding=True, return_tensors="np"
    )
    for key in ("input_ids", "attention_mask", "pixel_values", "image_grid_thw"):
        np.testing.assert_array_equal(np.asarray(ours[key]), ref[key], err_msg=key)

    reference = load_reference_model(ckpt)
    cfg = reference.config
    t_in = _torch_inputs(ref, cfg.image_token_id)
    want_pos, _ = reference.model.get_rope_index(
        t_in["input_ids"], t_in["mm_token_type_ids"], image_grid_thw=t_in["image_grid_thw"],
        attention_mask=t_in["attention_mask"],
    )  # fmt: skip
    got_pos, _ = get_rope_index(
        ref["input_ids"], ref["image_grid_thw"], ref["attention_mask"], image_token_id=cfg.image_token_id
    )
    got_pos = got_pos.numpy() if isinstance(got_pos, paddle.Tensor) else np.asarray(got_pos)
    valid = ref["attention_mask"].astype(bool)
    np.testing.assert_array_equal(got_pos[:, valid], want_pos.numpy()[:, valid])
    # the third image's block starts after the second's text-continuation, never overlapping it
    row = got_pos[:, 0][:, valid[0]]
    is_image = ref["input_ids"][0][valid[0]] == cfg.image_token_id
    starts = [i for i in range(len(is_image)) if is_image[i] and not is_image[i - 1]]
    assert len(starts) == 3 and all(row[0, b] > row[0, a] for a, b in zip(starts, starts[1:]))

    want = reference_outputs(ckpt, ref, max_new_tokens=1, model=reference)["logits"]
    model = AutoModelForConditionalGeneration.from_pretrained(ckpt, dtype="float32")
    keys = ("input_ids", "attention_mask", "pixel_values", "image_grid_thw")
    with paddle.no_grad():
        got = model(**{k: paddle.to_tensor(ref[k]) for k in keys}).logits.numpy()
    got = got[:, -want.shape[1] :]
    mask = ref["attention_mask"][:, -want.shape[1] :].astype(bool)
    diff = np.abs(got - want)[mask]
    print(f"{name}/three_images: logits max diff {diff.max():.2e}, mean {diff.mean():.2e}")
    assert diff.max() <= ATOL
