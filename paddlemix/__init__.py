"""R1-MLLM on Paddle: Qwen2-VL / Qwen2.5-VL models, processors, generation and GRPO training."""

import os


def _is_amd_cpu() -> bool:
    try:
        with open("/proc/cpuinfo") as f:
            return "AuthenticAMD" in f.read(4096)
    except OSError:
        return False


# Paddle's bundled MKL takes a generic, ~3x slower GEMM path on AMD CPUs unless told the CPU supports AVX2.
# It reads the variable at the first matmul, so setting it here (before any model runs) is in time. A value
# the user set wins; Intel CPUs are left alone so AVX-512 stays available.
if _is_amd_cpu():
    os.environ.setdefault("MKL_DEBUG_CPU_TYPE", "5")

__version__ = "0.1.0"
