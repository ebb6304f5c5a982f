"""The model a self-check runs on: a checkpoint folder or hub ID, the bundled tiny model, or random weights at
published widths.

`--random-widths qwen2_vl_2b` (or qwen2_vl_7b, qwen2_5_vl_3b, qwen2_5_vl_7b, qwen3_vl_2b) writes a random checkpoint with that
model's published text and vision widths and real vocabulary, `layers` deep in both towers, and the bundled
tiny tokenizer (whose ids all lie inside the real vocabulary). Speed and memory then reflect the GEMM and
vocabulary sizes users run, without downloading weights.
"""

from __future__ import annotations

import json
import os
import shutil
from importlib import resources

import paddle

from paddlemix.errors import UserError
from paddlemix.models.auto import MODEL_CLASSES, model_class_for
from paddlemix.models.hub import resolve_model_path
from paddlemix.testing.tiny_qwen3_vl import (
    QWEN3_VL_CHAT_TEMPLATE,
    qwen3_vl_preprocessor_config,
    tiny_qwen3_vl_config,
)

TINY_MODEL = "tiny_qwen2_vl"  # under paddlemix/assets/, the quickstart's model
TOKENIZER_FILES = (
    "tokenizer.json",
    "tokenizer_config.json",
    "chat_template.json",
    "preprocessor_config.json",
    "generation_config.json",
)

_QWEN2_VL_VISION = {"embed_dim": 1280, "mlp_ratio": 4, "num_heads": 16}
_QWEN2_5_VL_VISION = {"hidden_size": 1280, "intermediate_size": 3420, "num_heads": 16, "window_size": 112}
_QWEN3_VL_2B_VISION = {
    "hidden_size": 1024,
    "intermediate_size": 4096,
    "num_heads": 16,
    "num_position_embeddings": 2304,
    "deepstack_visual_indexes": [5, 11, 17],
}
# name -> (model_type, text widths, vision widths); from the published config.json files. Qwen3-VL 4B/8B are
# absent: their text widths are not verified here (docs/models.md).
PUBLISHED_WIDTHS = {
    "qwen2_vl_2b": (
        "qwen2_vl",
        dict(
            hidden_size=1536,
            intermediate_size=8960,
            num_attention_heads=12,
            num_key_value_heads=2,
            tie_word_embeddings=True,
        ),
        _QWEN2_VL_VISION,
    ),
    "qwen2_vl_7b": (
        "qwen2_vl",
        dict(
            hidden_size=3584,
            intermediate_size=18944,
            num_attention_heads=28,
            num_key_value_heads=4,
            tie_word_embeddings=False,
        ),
        _QWEN2_VL_VISION,
    ),
    "qwen2_5_vl_3b": (
        "qwen2_5_vl",
        dict(
            hidden_size=2048,
            intermediate_size=11008,
            num_attention_heads=16,
            num_key_value_heads=2,
            tie_word_embeddings=True,
        ),
        _QWEN2_5_VL_VISION,
    ),
    "qwen2_5_vl_7b": (
        "qwen2_5_vl",
        dict(
            hidden_size=3584,
            intermediate_size=18944,
            num_attention_heads=28,
            num_key_value_heads=4,
            tie_word_embeddings=False,
        ),
        _QWEN2_5_VL_VISION,
    ),
    "qwen3_vl_2b": (
        "qwen3_vl",
        dict(
            hidden_size=2048,
            intermediate_size=6144,
            num_attention_heads=16,
            num_key_value_heads=8,
            head_dim=128,
            tie_word_embeddings=True,
        ),
        _QWEN3_VL_2B_VISION,
    ),
}
PUBLISHED_VOCAB = 151936
# The published M-RoPE split of a 128-wide head's 64 rotary frequencies over (t, h, w).
PUBLISHED_MROPE = [16, 24, 24]


def bundled_model() -> str:
    """The folder of the tiny random Qwen2-VL shipped with the package."""
    return str(resources.files("paddlemix").joinpath("assets").joinpath(TINY_MODEL))


def random_config(name: str, layers: int) -> dict:
    """The flat hub config.json of a random model at `name`'s published widths, `layers` deep in both towers."""
    model_type, text, vision = PUBLISHED_WIDTHS[name]
    if model_type == "qwen3_vl":
        return _qwen3_vl_random_config(text, vision, layers)
    with open(os.path.join(bundled_model(), "config.json")) as f:
        cfg = json.load(f)  # its token ids are those of the bundled tokenizer
    cfg.update(text, model_type=model_type, vocab_size=PUBLISHED_VOCAB, num_hidden_layers=layers)
    cfg["architectures"] = [MODEL_CLASSES[model_type].__name__]
    cfg["rope_scaling"] = {"type": "mrope", "mrope_section": PUBLISHED_MROPE}
    cfg["torch_dtype"] = "float32"
    common = {
        "depth": layers,
        "in_chans": 3,
        "patch_size": 14,
        "spatial_merge_size": 2,
        "temporal_patch_size": 2,
    }
    if model_type == "qwen2_vl":
        cfg["vision_config"] = {
            **common,
            **vision,
            "hidden_size": text["hidden_size"],
            "hidden_act": "quick_gelu",
        }
    else:
        cfg["vision_config"] = {
            **common,
            **vision,
            "out_hidden_size": text["hidden_size"],
            "hidden_act": "silu",
            "fullatt_block_indexes": [layers - 1],
            "tokens_per_second": 2,
        }
    return cfg


def _qwen3_vl_random_config(text: dict, vision: dict, layers: int) -> dict:
    """The nested Qwen3-VL config.json at the given widths; DeepStack keeps the published blocks that exist."""
    cfg = tiny_qwen3_vl_config("qwen3_vl_tied")
    cfg["tie_word_embeddings"] = text["tie_word_embeddings"]
    cfg["text_config"].update(
        text,
        vocab_size=PUBLISHED_VOCAB,
        num_hidden_layers=layers,
        rope_scaling={"rope_type": "default", "mrope_section": [24, 20, 20], "mrope_interleaved": True},
    )
    # Each DeepStack block feeds one text layer, so a shallow model keeps only the indexes below `layers`.
    deepstack = [i for i in vision["deepstack_visual_indexes"] if i < layers] or [layers - 1]
    cfg["vision_config"].update(
        vision, depth=layers, out_hidden_size=text["hidden_size"], deepstack_visual_indexes=deepstack
    )
    return cfg


def write_random_checkpoint(name: str, layers: int, out_dir: str, seed: int = 0) -> str:
    """Write random float32 weights at `name`'s published widths, with the bundled tokenizer, to `out_dir`."""
    cfg = random_config(name, layers)
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2, sort_keys=True)
    for file in TOKENIZER_FILES:
        shutil.copy(os.path.join(bundled_model(), file), out_dir)
    if cfg["model_type"] == "qwen3_vl":
        # Qwen3-VL's own image processor (patch 16, mean/std 0.5) and template over the same tokenizer.
        with open(os.path.join(out_dir, "preprocessor_config.json"), "w") as f:
            json.dump(qwen3_vl_preprocessor_config(), f, indent=2)
        with open(os.path.join(out_dir, "chat_template.json"), "w") as f:
            json.dump({"chat_template": QWEN3_VL_CHAT_TEMPLATE}, f)
    cls = MODEL_CLASSES[cfg["model_type"]]
    paddle.seed(seed)
    model = cls(cls.config_class.from_pretrained(out_dir))
    model.save_pretrained(out_dir)
    del model
    return out_dir


def resolve_subject(model: str | None, random_widths: str | None, layers: int, workdir: str) -> str:
    """The checkpoint folder to check; a bad path, hub ID or config is a UserError."""
    if random_widths is not None:
        if model is not None:
            raise UserError("--model and --random-widths are exclusive", fix="give one of them")
        if layers < 1:
            raise UserError(f"--layers must be >= 1, got {layers}")
        return write_random_checkpoint(
            random_widths, layers, os.path.join(workdir, f"random_{random_widths}")
        )
    path = resolve_model_path(model or bundled_model())
    try:
        model_class_for(path)
    except FileNotFoundError:
        raise UserError(
            f"{model}: no config.json in this folder",
            fix="give a Qwen2-VL / Qwen2.5-VL checkpoint folder or hub ID",
        ) from None
    except ValueError as e:
        raise UserError(str(e), fix="give a Qwen2-VL / Qwen2.5-VL checkpoint") from None
    return path
