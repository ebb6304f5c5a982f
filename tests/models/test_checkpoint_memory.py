"""Loading streams tensor by tensor: host memory peaks near one copy of the weights, not two."""

from __future__ import annotations

import json
import subprocess
import sys

LOAD_AND_MEASURE = r"""
import json, sys
import paddle
from paddlemix.models import AutoModelForConditionalGeneration
paddle.ones([1])  # warm up the allocator and kernels before the baseline
def status_mb(key):
    with open("/proc/self/status") as f:
        return next(int(l.split()[1]) for l in f if l.startswith(key)) / 1024
base = status_mb("VmRSS")
AutoModelForConditionalGeneration.from_pretrained(sys.argv[1], dtype="float32")
# VmHWM is this image's high-water mark; ru_maxrss would carry over the forking parent's peak.
peak = status_mb("VmHWM")
print(json.dumps({"base": base, "peak": peak}))
"""


def test_peak_memory_of_loading_is_about_one_copy(tmp_path):
    from paddlemix.models import Qwen2VLConfig, Qwen2VLForConditionalGeneration

    cfg = Qwen2VLConfig(
        vocab_size=8192,
        hidden_size=512,
        intermediate_size=2048,
        num_hidden_layers=8,
        num_attention_heads=8,
        num_key_value_heads=2,
        mrope_section=[16, 8, 8],
        torch_dtype="float32",
        vision_config={"depth": 2, "embed_dim": 128, "hidden_size": 512, "num_heads": 4},
    )
    model = Qwen2VLForConditionalGeneration(cfg)
    weight_mb = sum(p.numel().item() for p in model.parameters()) * 4 / 2**20
    model.save_pretrained(str(tmp_path), max_shard_size="20MB")
    del model
    out = subprocess.run(
        [sys.executable, "-c", LOAD_AND_MEASURE, str(tmp_path)], capture_output=True, text=True, check=True
    )
    mem = json.loads(out.stdout.strip().splitlines()[-1])
    growth = mem["peak"] - mem["base"]
    print(f"weights {weight_mb:.0f} MB, load growth {growth:.0f} MB")
    assert weight_mb > 80
    assert growth < 1.5 * weight_mb
