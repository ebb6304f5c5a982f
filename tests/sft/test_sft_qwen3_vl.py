"""SFT on a tiny Qwen3-VL: the packed step's loss is the naive token mean, and the LoRA export loads in transformers."""

from __future__ import annotations

import numpy as np
import paddle

from paddlemix.sft.trainer import SFTTrainer
from tests.helpers import requires_reference, tiny_dir
from tests.sft.test_sft_trainer import counting_dir, image_cache, naive_loss, sft_config  # noqa: F401

QWEN3 = {"model_name_or_path": tiny_dir("qwen3_vl_tied")}


def test_packed_step_loss_equals_the_naive_token_mean(counting_dir, tmp_path):  # noqa: F811
    trainer = SFTTrainer(sft_config(counting_dir, str(tmp_path), packing=True, **QWEN3))
    want = naive_loss(trainer, 0)
    seqs, _ = trainer.sequences(0)
    assert len(trainer.packed(seqs)) < len(seqs)  # several samples with images share a row
    got = trainer.train_step()["loss"]
    print(f"packed Qwen3-VL step loss {got:.6f}, naive {want:.6f}")
    assert abs(got - want) < 1e-4 * max(1.0, abs(want))


@requires_reference
def test_lora_export_with_the_vision_tower_loads_in_transformers(counting_dir, tmp_path):  # noqa: F811
    import torch

    from paddlemix.testing.reference import load_reference_model

    flags = {**QWEN3, "lora_rank": 4, "lora_train_vision_tower": True, "max_steps": 2}
    trainer = SFTTrainer(sft_config(counting_dir, str(tmp_path), **flags))
    trainer.train()
    prompt = trainer.loader.get(0).rows[0][0][1]
    inputs = {k: prompt.inputs[k] for k in ("input_ids", "pixel_values", "image_grid_thw")}
    with paddle.no_grad():
        got = trainer.model(**{k: paddle.to_tensor(v) for k, v in inputs.items()}).logits.numpy()
    ref = load_reference_model(str(tmp_path))
    t_in = {k: torch.from_numpy(v) for k, v in inputs.items()}
    t_in["mm_token_type_ids"] = (t_in["input_ids"] == ref.config.image_token_id).long()
    with torch.no_grad():
        want = ref(**t_in).logits.numpy()
    rel = np.abs(want - got).max() / np.abs(want).max()
    print(f"merged LoRA export logits rel diff vs transformers: {rel:.1e}")
    assert rel <= 1e-4
