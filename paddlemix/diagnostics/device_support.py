"""What this device can run: a reason to skip a check, or None when it can run here."""

from __future__ import annotations

import contextlib
import gc

import paddle

from paddlemix.models.runtime import on_gpu

# Paddle's GPU GEMMs and convolutions round float32 inputs to TF32 by default (10 mantissa bits).
TF32_FLAGS = ("FLAGS_allow_tf32_cublas", "FLAGS_allow_tf32_cudnn")
# bf16 GEMMs and Paddle's flash attention kernels need Ampere (compute capability 8.0) or newer.
MIN_CAPABILITY = {"bfloat16": (8, 0), "flash": (8, 0), "float16": (7, 0)}


def capability() -> tuple[int, int]:
    """The compute capability of the current GPU."""
    props = paddle.device.cuda.get_device_properties()
    return props.major, props.minor


def skip_reason(feature: str | None = None) -> str | None:
    """Why `feature` (None for "any GPU", or bfloat16 / float16 / flash) cannot run here; None when it can."""
    if not on_gpu():
        return "needs a GPU (Paddle runs on CPU here)"
    if feature is None:
        return None
    need, have = MIN_CAPABILITY[feature], capability()
    if have < need:
        return f"{feature} needs compute capability {need[0]}.{need[1]}+, this GPU has {have[0]}.{have[1]}"
    return None


def half_dtype() -> str:
    """The half-precision dtype a run here would train in: bfloat16 where supported, else float16."""
    return "bfloat16" if skip_reason("bfloat16") is None else "float16"


def release_memory() -> None:
    """Return what deleted models held to the GPU, so that the next check has the memory."""
    gc.collect()
    if paddle.is_compiled_with_cuda():
        paddle.device.cuda.empty_cache()


@contextlib.contextmanager
def strict_float32():
    """float32 math without TF32 inside the block, so that fp32 results are a reference for half precision."""
    saved = {}
    if on_gpu():
        for flag in TF32_FLAGS:
            with contextlib.suppress(ValueError):  # a flag this Paddle build does not have
                saved.update(paddle.get_flags([flag]))
        paddle.set_flags(dict.fromkeys(saved, False))
    try:
        yield
    finally:
        if saved:
            paddle.set_flags(saved)
