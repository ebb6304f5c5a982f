"""Run-time policies shared by generation, training and eval: device, dtype, attention backend, stop ids.

Each lived in two or three places before, and two of the copies disagreed (rollouts stopped on fewer eos
ids than eval). They live here, in the lowest layer that needs them, and everything above imports them.
"""

from __future__ import annotations

import logging
import os

import paddle

from paddlemix.errors import read_json

from .hub import resolve_model_path

logger = logging.getLogger("paddlemix.models")

# The seed's --attn_implementation values (transformers' names) and ours, mapped to our two backends.
ATTN_NAMES = {"flash_attention_2": "flash", "flash": "flash", "sdpa": "eager", "eager": "eager"}


def on_gpu() -> bool:
    """Whether paddle runs on a GPU."""
    return paddle.is_compiled_with_cuda() and paddle.device.get_device().startswith("gpu")


def resolve_dtype(dtype: str) -> str:
    """`dtype`, or float32 with a warning for bf16/fp16 on CPU, where Paddle has no half-precision matmul."""
    if dtype != "float32" and not on_gpu():
        logger.warning("--dtype %s needs a GPU; running in float32 on CPU", dtype)
        return "float32"
    return dtype


def resolve_attn(name: str | None, dtype: str) -> str:
    """Our attention backend for the seed's `--attn_implementation` name: flash only on a GPU in bf16/fp16."""
    backend = ATTN_NAMES[name] if name is not None else "flash"
    if backend == "flash" and (dtype == "float32" or not on_gpu()):
        if name is not None:
            logger.warning("--attn_implementation %s needs a GPU and bf16/fp16; using eager attention", name)
        return "eager"
    return backend


def stop_token_ids(model, processor, model_path: str | None = None) -> list[int]:
    """The ids that end a completion, for rollouts and eval alike.

    The union, in this order, of the model config's eos ids, the tokenizer's, and those of the checkpoint's
    `generation_config.json` (the published Qwen2-VL checkpoints list `[151645, 151643]` there only).
    """
    sources = [model.config.eos_token_id, processor.tokenizer.eos_token_id]
    gen_path = os.path.join(resolve_model_path(model_path), "generation_config.json") if model_path else None
    if gen_path and os.path.isfile(gen_path):
        sources.append(read_json(gen_path).get("eos_token_id"))
    ids: list[int] = []
    for value in sources:
        for i in value if isinstance(value, (list, tuple)) else [value]:
            if i is not None and int(i) not in ids:
                ids.append(int(i))
    return ids
