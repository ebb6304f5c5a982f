"""The environment lines at the top of the self-check report: what a bug report needs to reproduce a run."""

from __future__ import annotations

import importlib.metadata
import os
import platform
import shutil
import subprocess
import sys

import paddle

import paddlemix

PACKAGE = "paddlemix-r1-mllm"
THREAD_VARS = ("OMP_NUM_THREADS", "PADDLEMIX_NUM_THREADS", "MKL_CBWR", "MKL_DEBUG_CPU_TYPE")


def gpu_count() -> int:
    """GPUs Paddle can use in this process (0 on a CPU build)."""
    return paddle.device.cuda.device_count() if paddle.is_compiled_with_cuda() else 0


def _driver() -> str:
    """The NVIDIA driver version from nvidia-smi, or why it is unknown."""
    smi = shutil.which("nvidia-smi")
    if smi is None:
        return "unknown (no nvidia-smi)"
    try:
        out = subprocess.run(
            [smi, "--query-gpu=driver_version", "--format=csv,noheader"],
            capture_output=True,
            text=True,
            timeout=20,
        )
    except (OSError, subprocess.SubprocessError) as e:
        return f"unknown ({e})"
    versions = sorted(set(out.stdout.split()))
    return ", ".join(versions) if out.returncode == 0 and versions else "unknown (nvidia-smi failed)"


def _package_version() -> str:
    try:
        return importlib.metadata.version(PACKAGE)
    except importlib.metadata.PackageNotFoundError:
        return f"{paddlemix.__version__} (not pip-installed)"


def environment_lines() -> list[tuple[str, str]]:
    """(key, value) pairs: Python, Paddle, CUDA/cuDNN, GPUs, driver, package, CPU threads."""
    cuda = paddle.is_compiled_with_cuda()
    lines = [
        ("python", sys.version.split()[0]),
        ("platform", platform.platform()),
        ("paddle", f"{paddle.__version__} (commit {paddle.version.commit[:10]})"),
        ("paddle build", f"CUDA {paddle.version.cuda()}, cuDNN {paddle.version.cudnn()}" if cuda else "CPU"),
        (PACKAGE, _package_version()),
    ]
    n = gpu_count()
    if n:
        lines.append(("device", paddle.device.get_device()))
        for i in range(n):
            props = paddle.device.cuda.get_device_properties(i)
            lines.append(
                (
                    f"gpu {i}",
                    f"{props.name}, {props.total_memory / 2**30:.1f} GiB, sm {props.major}{props.minor}",
                )
            )
        lines.append(("driver", _driver()))
        lines.append(("CUDA_VISIBLE_DEVICES", os.environ.get("CUDA_VISIBLE_DEVICES", "(unset)")))
    else:
        lines.append(
            (
                "device",
                "cpu" + ("" if cuda else " (CPU build of Paddle)") + (", no GPU found" if cuda else ""),
            )
        )
    threads, why = paddlemix.CPU_THREADS
    lines.append(("cpu threads", f"{threads} ({why}); {os.cpu_count()} cores on the machine"))
    lines.append(("thread env", ", ".join(f"{k}={os.environ.get(k, '(unset)')}" for k in THREAD_VARS)))
    return lines
