"""Host memory policy: glibc keeps freed blocks for reuse instead of handing every large one back to the kernel.

Paddle's CPU allocator takes each tensor from malloc and frees it when the tensor dies. glibc serves blocks over
its mmap threshold (128 KB to 32 MB) with a fresh mmap and unmaps them on free, so every large activation of
every op is new memory that page-faults on first touch: an add over 1564 x 5120 floats takes 16 ms that way and
4.3 ms on reused memory, the softmax of Qwen2-VL's vision attention (16 x 1564 x 1564) 148 ms against 94 ms.
With mmap off and a high trim threshold, freed blocks go back to malloc's free lists and the next op of the same
shape reuses them, already mapped.

The policy is process-wide and is applied once, when a model is built. It is skipped when the user configures
malloc (`GLIBC_TUNABLES` or a `MALLOC_*` variable) and where the C library is not glibc.
"""

from __future__ import annotations

import ctypes
import os
import sys

# mallopt parameters from glibc's malloc.h.
_M_TRIM_THRESHOLD = -1
_M_MMAP_MAX = -4
# Top-of-heap memory beyond this is returned to the kernel; below it, it stays mapped for the next tensor.
_TRIM_THRESHOLD = 1 << 30

_applied: list[bool] = []


def keep_freed_memory() -> bool:
    """Make glibc reuse freed host memory (see the module docstring); returns whether the policy is in effect."""
    if _applied:
        return _applied[0]
    user_set = "GLIBC_TUNABLES" in os.environ or any(k.startswith("MALLOC_") for k in os.environ)
    ok = False
    if sys.platform.startswith("linux") and not user_set:
        try:
            libc = ctypes.CDLL("libc.so.6")
        except OSError:
            libc = None
        if libc is not None and hasattr(libc, "mallopt") and hasattr(libc, "gnu_get_libc_version"):
            ok = bool(libc.mallopt(_M_MMAP_MAX, 0)) and bool(libc.mallopt(_M_TRIM_THRESHOLD, _TRIM_THRESHOLD))
    _applied.append(ok)
    return ok
