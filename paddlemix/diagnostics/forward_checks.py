"""Forward checks: the fp32 forward against its own KV-cached decoding, half precision and flash attention
against it.

All compare logits of one left-padded batch of two image prompts, at the real (non-padding) positions, as
the relative L2 error ‖a − b‖ / ‖b‖ (and the share of positions whose top-1 token agrees):

- `forward_fp32`: the full forward against prefill + one-token cached steps over the last prompt tokens
  (the path every rollout takes). Runs on CPU too.
- `forward_fp32_gpu_vs_cpu`: the GPU's fp32 logits against the CPU's (models up to `CPU_REFERENCE_MAX_PARAMS`).
- `forward_bfloat16` / `forward_float16`: the model loaded in half precision (eager attention) against fp32.
- `flash_attention`: bf16 (or fp16) with Paddle's flash attention kernels against the same dtype with eager.
"""

from __future__ import annotations

import numpy as np
import paddle

from paddlemix.diagnostics.device_support import half_dtype, release_memory, skip_reason, strict_float32
from paddlemix.diagnostics.report import CheckResult, skipped, within
from paddlemix.models import AutoModelForConditionalGeneration
from paddlemix.processors import Qwen2VLProcessor
from paddlemix.testing.reference import synthetic_image

# Relative L2 error of the logits (fp32 runs without TF32, `strict_float32`); bf16 keeps 8 mantissa bits, fp16 11.
TOLERANCE = {"float32": 1e-3, "bfloat16": 5e-2, "float16": 1e-2, "flash": 5e-2}
PROMPTS = (
    "How many objects are in the picture? Think first, then answer with one number.",
    "Locate the largest object.",
)
CACHED_STEPS = 4
CPU_REFERENCE_MAX_PARAMS = 3e9  # above this the CPU forward needs too much host memory and time  # prompt tokens (all text, at the end of every row) decoded one at a time


def check_inputs(path: str, image_side: int = 224) -> dict:
    """A left-padded batch of two one-image prompts of different lengths, as paddle tensors."""
    processor = Qwen2VLProcessor.from_pretrained(path)
    texts = [
        processor.apply_chat_template(
            [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": p}]}]
        )
        for p in PROMPTS
    ]
    images = [synthetic_image(image_side, image_side, 0), synthetic_image(image_side * 3 // 4, image_side, 1)]
    return processor(text=texts, images=images)


def load_model(path: str, dtype: str, attn: str = "eager"):
    """The checkpoint in `dtype` with the `attn` backend, in eval mode."""
    return AutoModelForConditionalGeneration.from_pretrained(path, dtype=dtype, attn_implementation=attn)


def full_logits(model, inputs: dict) -> np.ndarray:
    """(b, s, vocab) float32 logits of one forward of the whole batch."""
    with paddle.no_grad():
        return model(**inputs).logits.astype("float32").numpy()


def cached_logits(model, inputs: dict, steps: int = CACHED_STEPS) -> np.ndarray:
    """(b, steps, vocab) logits predicting the last `steps` prompt tokens: prefill, then one token at a time."""
    ids, mask = inputs["input_ids"], inputs["attention_mask"]
    b, s = ids.shape
    split = s - steps
    position_ids, _ = model.get_rope_index(ids, inputs["image_grid_thw"], mask)
    cache = model.make_cache(b, s)
    with paddle.no_grad():
        out = model(
            ids[:, :split],
            mask[:, :split],
            position_ids[:, :, :split],
            inputs["pixel_values"],
            inputs["image_grid_thw"],
            cache,
        )
        rows = [out.logits[:, -1]]
        for t in range(split, s - 1):
            out = model(
                ids[:, t : t + 1], mask[:, : t + 1], position_ids[:, :, t : t + 1], past_key_values=cache
            )
            rows.append(out.logits[:, -1])
    return paddle.stack(rows, axis=1).astype("float32").numpy()


def compare(got: np.ndarray, ref: np.ndarray, mask: np.ndarray | None = None) -> dict[str, float]:
    """Relative L2 error, max |Δ| and top-1 agreement of logits (b, s, v) at the positions where mask is 1."""
    if mask is not None:
        keep = mask.astype(bool)
        got, ref = got[keep], ref[keep]
    got, ref = (
        got.reshape([-1, got.shape[-1]]).astype(np.float64),
        ref.reshape([-1, ref.shape[-1]]).astype(np.float64),
    )
    diff = got - ref
    return {
        "rel_l2": float(np.linalg.norm(diff) / max(np.linalg.norm(ref), 1e-30)),
        "max_abs": float(np.abs(diff).max()),
        "top1_agree": float((got.argmax(-1) == ref.argmax(-1)).mean()),
    }


def check_fp32(path: str, inputs: dict) -> tuple[CheckResult, np.ndarray | None]:
    """fp32 full forward against KV-cached decoding; returns the result and the fp32 logits for the others."""
    model = load_model(path, "float32")
    with strict_float32():
        ref = full_logits(model, inputs)
        cached = cached_logits(model, inputs)
    del model
    release_memory()
    s = ref.shape[1]
    # Non-finite logits make rel_l2 NaN, which fails.
    figures = compare(cached, ref[:, s - CACHED_STEPS - 1 : s - 1])
    note = " (cached decoding vs full forward)"
    return within("forward_fp32", figures, {"rel_l2": TOLERANCE["float32"]}, note=note), ref


def parameter_count(path: str) -> int:
    """Parameters in a checkpoint folder, from its safetensors headers (nothing is loaded)."""
    from paddlemix.models.checkpoint import checkpoint_files, open_weights

    total = 0
    for file in checkpoint_files(path)[0]:
        with open_weights(file) as f:
            total += sum(int(np.prod(f.get_slice(k).get_shape())) for k in f.keys())
    return total


def check_gpu_vs_cpu(path: str, inputs: dict, ref: np.ndarray) -> CheckResult:
    """The fp32 logits computed on the GPU against the same forward on the CPU."""
    name = "forward_fp32_gpu_vs_cpu"
    why = skip_reason()
    if why:
        return skipped(name, why)
    n = parameter_count(path)
    if n > CPU_REFERENCE_MAX_PARAMS:
        return skipped(
            name,
            f"{n / 1e9:.1f}B parameters; the CPU reference runs up to {CPU_REFERENCE_MAX_PARAMS / 1e9:.0f}B",
        )
    device = paddle.device.get_device()
    paddle.device.set_device("cpu")
    try:
        model = load_model(path, "float32")
        on_cpu = full_logits(model, {k: v.cpu() for k, v in inputs.items()})
        del model
    finally:
        paddle.device.set_device(device)
    figures = compare(ref, on_cpu, inputs["attention_mask"].numpy())  # the CPU is the reference
    return within(name, figures, {"rel_l2": TOLERANCE["float32"]}, note=" (GPU vs CPU)")


def check_half(path: str, inputs: dict, ref: np.ndarray, dtype: str) -> CheckResult:
    """The model in `dtype` (eager attention) against the fp32 logits."""
    name = f"forward_{dtype}"
    why = skip_reason(dtype)
    if why:
        return skipped(name, why)
    model = load_model(path, dtype)
    got = full_logits(model, inputs)
    del model
    release_memory()
    figures = compare(got, ref, inputs["attention_mask"].numpy())
    return within(name, figures, {"rel_l2": TOLERANCE[dtype]}, note=" (vs fp32)")


def check_flash(path: str, inputs: dict, ref: np.ndarray) -> CheckResult:
    """Flash attention against eager attention, both in the half dtype a run here would use."""
    why = skip_reason("flash")
    if why:
        return skipped("flash_attention", why)
    dtype = half_dtype()
    mask = inputs["attention_mask"].numpy()
    eager = load_model(path, dtype, "eager")
    eager_logits = full_logits(eager, inputs)
    del eager
    release_memory()
    flash = load_model(path, dtype, "flash")
    flash_logits = full_logits(flash, inputs)
    del flash
    release_memory()
    figures = compare(flash_logits, eager_logits, mask)
    figures["rel_l2_vs_fp32"] = compare(flash_logits, ref, mask)["rel_l2"]
    return within("flash_attention", figures, {"rel_l2": TOLERANCE["flash"]}, note=f" ({dtype}, vs eager)")


def forward_checks(path: str, image_side: int = 224) -> list[CheckResult]:
    """The forward checks on the checkpoint at `path`."""
    inputs = check_inputs(path, image_side)
    fp32, ref = check_fp32(path, inputs)
    return [
        fp32,
        check_gpu_vs_cpu(path, inputs, ref),
        check_half(path, inputs, ref, "bfloat16"),
        check_half(path, inputs, ref, "float16"),
        check_flash(path, inputs, ref),
    ]
