"""Rollout speed and memory: G sampled completions of one image prompt, as a GRPO step generates them.

The model runs in the dtype and attention backend a training run here would use (bf16 or fp16 with flash
attention on a GPU, float32 with eager attention on CPU). The stop id is one no sampler can produce, so every
run decodes exactly `new_tokens` tokens per completion; tokens/s counts G × new_tokens over the median wall
time of `repeats` runs after one warm-up run. Peak GPU memory is Paddle's allocator peak over those runs, with
the weights; on CPU the process's peak resident memory is shown instead.
"""

from __future__ import annotations

import resource
import statistics
import sys
import time

import numpy as np
import paddle

from paddlemix.diagnostics.device_support import half_dtype, release_memory
from paddlemix.diagnostics.report import FAIL, PASS, CheckResult
from paddlemix.models import AutoModelForConditionalGeneration
from paddlemix.models.runtime import on_gpu, resolve_attn
from paddlemix.processors import Qwen2VLProcessor
from paddlemix.testing.reference import synthetic_image

NEVER_EOS = -1  # an id outside the vocabulary


def peak_host_gib() -> float:
    """This process's peak resident memory so far, in GiB."""
    kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kib / 2**20 if sys.platform != "darwin" else kib / 2**30  # macOS reports bytes


def rollout_speed(
    path: str,
    group: int = 8,
    new_tokens: int = 64,
    repeats: int = 3,
    image_size: tuple[int, int] = (640, 480),
) -> CheckResult:
    """tokens/s of `group` sampled rollouts of `new_tokens` tokens from one image prompt, and peak memory."""
    dtype = half_dtype() if on_gpu() else "float32"
    attn = resolve_attn(None, dtype)
    processor = Qwen2VLProcessor.from_pretrained(path)
    text = processor.apply_chat_template(
        [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": "Describe the picture."}]}]
    )
    width, height = image_size
    inputs = processor(text=[text], images=[synthetic_image(height, width, 2)])
    if on_gpu():
        release_memory()
        paddle.device.cuda.reset_max_memory_allocated()
    model = AutoModelForConditionalGeneration.from_pretrained(path, dtype=dtype, attn_implementation=attn)

    def run(model):
        out = model.generate(
            **inputs,
            max_new_tokens=new_tokens,
            do_sample=True,
            temperature=1.0,
            num_return_sequences=group,
            eos_token_id=[NEVER_EOS],
            return_logprobs=True,
        )
        if on_gpu():
            paddle.device.synchronize()
        return out

    paddle.seed(0)
    run(model)
    times, finite = [], True
    for _ in range(repeats):
        start = time.perf_counter()
        out = run(model)
        times.append(time.perf_counter() - start)
        finite = finite and bool(np.isfinite(out.logprobs.numpy()).all())
    shape = list(out.logprobs.shape)
    memory = (
        f"peak GPU memory {paddle.device.cuda.max_memory_allocated() / 2**30:.2f} GiB"
        if on_gpu()
        else f"peak host memory {peak_host_gib():.2f} GiB"
    )
    del model, out
    release_memory()
    median = statistics.median(times)
    detail = (
        f"{group * new_tokens / median:.1f} tokens/s (median {median:.3f} s, min {min(times):.3f} s of {repeats}; "
        f"G={group} x {new_tokens} tokens, {inputs['input_ids'].shape[1]}-token prompt with a {width}x{height} "
        f"image; {dtype}, {attn} attention), {memory}"
    )
    ok = finite and shape == [group, new_tokens]
    if not ok:
        detail = (
            f"log-probs {'finite' if finite else 'NOT finite'}, shape {shape} (expected {[group, new_tokens]}); "
            + detail
        )
    return CheckResult("rollout_speed", PASS if ok else FAIL, detail)
