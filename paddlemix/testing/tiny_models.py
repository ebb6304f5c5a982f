"""Tiny random Qwen2-VL / Qwen2.5-VL / Qwen3-VL checkpoints in the hub layout, made with transformers (torch CPU).

`build_tiny_checkpoint(name, out_dir)` writes `config.json` in the published form (flat; nested for
Qwen3-VL, see `tiny_qwen3_vl.py`), `model.safetensors`
and the tiny tokenizer files, i.e. a directory that both transformers and this package load. transformers and
torch are needed only to build; loading the result needs neither.
"""

from __future__ import annotations

import json
import os

from .tiny_qwen3_vl import QWEN3_TINY_CONFIGS, build_tiny_qwen3_vl
from .tiny_tokenizer import SPECIAL_TOKEN_IDS, TINY_VOCAB_SIZE, build_tiny_tokenizer

_IDS = {
    "vocab_size": TINY_VOCAB_SIZE,
    "bos_token_id": SPECIAL_TOKEN_IDS["<|endoftext|>"],
    "eos_token_id": SPECIAL_TOKEN_IDS["<|im_end|>"],
    "pad_token_id": SPECIAL_TOKEN_IDS["<|endoftext|>"],
    "image_token_id": SPECIAL_TOKEN_IDS["<|image_pad|>"],
    "video_token_id": SPECIAL_TOKEN_IDS["<|video_pad|>"],
    "vision_start_token_id": SPECIAL_TOKEN_IDS["<|vision_start|>"],
    "vision_end_token_id": SPECIAL_TOKEN_IDS["<|vision_end|>"],
}

_TEXT = {
    "hidden_size": 64,
    "intermediate_size": 96,
    "num_hidden_layers": 2,
    "num_attention_heads": 8,
    "num_key_value_heads": 2,
    "hidden_act": "silu",
    "rms_norm_eps": 1e-6,
    "rope_theta": 1000000.0,
    "max_position_embeddings": 4096,
    "rope_scaling": {"type": "mrope", "mrope_section": [2, 1, 1]},
    "torch_dtype": "float32",
}

_VISION_2 = {
    "depth": 2,
    "embed_dim": 32,
    "hidden_size": 64,
    "mlp_ratio": 2,
    "num_heads": 2,
    "in_chans": 3,
    "patch_size": 14,
    "spatial_merge_size": 2,
    "temporal_patch_size": 2,
    "hidden_act": "quick_gelu",
}

_VISION_25 = {
    "depth": 3,
    "hidden_size": 32,
    "intermediate_size": 48,
    "num_heads": 2,
    "out_hidden_size": 64,
    "in_chans": 3,
    "patch_size": 14,
    "spatial_merge_size": 2,
    "temporal_patch_size": 2,
    "hidden_act": "silu",
    "window_size": 56,  # 2x2 merged tokens: does not divide the odd grids of the test images
    "fullatt_block_indexes": [1],
    "tokens_per_second": 2,
}

# name -> (model_type, extra text fields, vision config)
TINY_CONFIGS = {
    "qwen2_vl_tied": ("qwen2_vl", {"tie_word_embeddings": True}, _VISION_2),
    "qwen2_vl_untied": ("qwen2_vl", {"tie_word_embeddings": False, "num_hidden_layers": 3}, _VISION_2),
    "qwen2_5_vl_tied": ("qwen2_5_vl", {"tie_word_embeddings": True}, _VISION_25),
    "qwen2_5_vl_untied": (
        "qwen2_5_vl",
        {"tie_word_embeddings": False},
        {**_VISION_25, "window_size": 84, "fullatt_block_indexes": [0, 2]},
    ),
}


def tiny_config_dict(name: str) -> dict:
    """The flat hub `config.json` of a tiny checkpoint."""
    model_type, text, vision = TINY_CONFIGS[name]
    arch = {"qwen2_vl": "Qwen2VLForConditionalGeneration", "qwen2_5_vl": "Qwen2_5_VLForConditionalGeneration"}
    return {
        "architectures": [arch[model_type]],
        "model_type": model_type,
        **_IDS,
        **_TEXT,
        **text,
        "vision_config": dict(vision),
    }


def build_tiny_checkpoint(name: str, out_dir: str, seed: int = 0, init_std: float = 0.08) -> str:
    """Write a random tiny checkpoint (weights from transformers, published config, tiny tokenizer) to out_dir."""
    import torch
    import transformers

    if name in QWEN3_TINY_CONFIGS:
        return build_tiny_qwen3_vl(name, out_dir, seed, init_std)

    cfg = tiny_config_dict(name)
    classes = {
        "qwen2_vl": (transformers.Qwen2VLConfig, transformers.Qwen2VLForConditionalGeneration),
        "qwen2_5_vl": (transformers.Qwen2_5_VLConfig, transformers.Qwen2_5_VLForConditionalGeneration),
    }
    config_cls, model_cls = classes[cfg["model_type"]]
    hf_kwargs = {k: v for k, v in cfg.items() if k not in ("architectures", "model_type", "torch_dtype")}
    hf_config = config_cls(**hf_kwargs, initializer_range=init_std)
    torch.manual_seed(seed)
    model = model_cls(hf_config).eval()
    # transformers zero-initialises biases and sets norms to one; random values make the parity test see them.
    with torch.no_grad():
        for pname, p in model.named_parameters():
            if pname.endswith("bias") or "norm" in pname or "ln_q" in pname:
                p.add_(torch.randn_like(p) * init_std)
    os.makedirs(out_dir, exist_ok=True)
    model.save_pretrained(out_dir)
    with open(os.path.join(out_dir, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2, sort_keys=True)
    build_tiny_tokenizer(out_dir)
    return out_dir
