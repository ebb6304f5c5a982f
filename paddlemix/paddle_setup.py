"""Process-wide Paddle setup done once at `import paddlemix`: a usable Paddle, CPU math threads, MKL's CPU path.

Paddle is not an install requirement (pip would put the CPU wheel over a `paddlepaddle-gpu` install), so the
import checks for it here and says in one line which wheel to install.

Paddle's CPU math (MKL GEMM) runs on one thread unless told otherwise: `import paddle` writes
`OMP_NUM_THREADS=1` into the environment when it is unset. Here each process gets the cores it may use
(`os.sched_getaffinity`), shared among the local processes of `paddle.distributed.launch`. On 2 cores that is
about 1.8x the GEMM throughput of one thread (benchmarks/bench_qwen2_vl.py has the model-level figures).
"""

from __future__ import annotations

import os
import re
import sys
import warnings
from collections.abc import Mapping

MIN_PADDLE = (3, 0)
INSTALL_HINT = (
    "install the CPU wheel with `pip install paddlepaddle` or, on a CUDA machine, the GPU wheel "
    "`paddlepaddle-gpu` from https://www.paddlepaddle.org.cn/install/quick"
)


def _is_amd_cpu() -> bool:
    try:
        with open("/proc/cpuinfo") as f:
            return "AuthenticAMD" in f.read(4096)
    except OSError:
        return False


def usable_cores() -> int:
    """The number of CPU cores this process may run on (its affinity mask, not the machine's total)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _positive_int(value: str | None) -> int | None:
    try:
        n = int(value) if value is not None else None
    except ValueError:
        return None
    return n if n is not None and n >= 1 else None


def local_processes(env: Mapping[str, str]) -> int:
    """How many processes of this job share the machine: `paddle.distributed.launch`'s local size, else 1."""
    local = _positive_int(env.get("PADDLE_LOCAL_SIZE"))
    if local is not None:
        return local
    trainers = _positive_int(env.get("PADDLE_TRAINERS_NUM"))
    if trainers is not None and env.get("PADDLE_NNODES", "1") == "1":
        return trainers
    return 1


def cpu_threads(env: Mapping[str, str], cores: int, paddle_started: bool) -> tuple[int, str]:
    """The CPU math thread count for this process and why: (threads, reason).

    `PADDLEMIX_NUM_THREADS` wins, then an `OMP_NUM_THREADS` the user set, else cores // local processes (>= 1).
    An `OMP_NUM_THREADS` of 1 that Paddle may have written itself (Paddle already imported in this process, or
    inherited from the `paddle.distributed.launch` parent, which imports Paddle) is not taken as the user's;
    `PADDLEMIX_NUM_THREADS=1` forces one thread there.
    """
    ours = _positive_int(env.get("PADDLEMIX_NUM_THREADS"))
    if ours is not None:
        return ours, "PADDLEMIX_NUM_THREADS"
    omp = _positive_int(env.get("OMP_NUM_THREADS"))
    under_launch = env.get("PADDLE_LOCAL_SIZE") is not None or env.get("PADDLE_TRAINERS_NUM") is not None
    if omp is not None and not (omp == 1 and (paddle_started or under_launch)):
        return omp, "OMP_NUM_THREADS"
    procs = local_processes(env)
    return max(1, cores // procs), f"{cores} usable cores / {procs} local processes"


def _version_tuple(version: str) -> tuple[int, ...]:
    return tuple(int(x) for x in re.findall(r"\d+", version)[:2])


class PaddleUnavailable(ImportError):
    """Paddle is missing, broken or too old; the message is one line naming the wheels to install."""


def import_paddle():
    """`import paddle`, or PaddleUnavailable if it is missing, does not import, or is older than 3.0."""
    # Paddle warns on import that ccache is missing, which only matters when compiling C++ extensions; every
    # command of ours would print it first, above the line the user needs.
    warnings.filterwarnings("ignore", message="No ccache found", category=UserWarning)
    try:
        import paddle
    except ImportError as e:
        raise PaddleUnavailable(
            f"paddlemix needs PaddlePaddle >= 3.0, which does not import ({e}); {INSTALL_HINT}"
        ) from e
    # Source builds report 0.0.0 and are taken as recent.
    version = _version_tuple(paddle.__version__)
    if version != (0, 0) and version < MIN_PADDLE:
        raise PaddleUnavailable(
            f"paddlemix needs PaddlePaddle >= 3.0, found {paddle.__version__}; {INSTALL_HINT}"
        )
    return paddle


def setup_paddle() -> tuple[int, str]:
    """Import Paddle (with a clear error) and set its CPU math threads and MKL's CPU path; returns the threads."""
    threads = cpu_threads(os.environ, usable_cores(), paddle_started="paddle" in sys.modules)
    # Paddle's bundled MKL takes a generic, ~3x slower GEMM path on AMD CPUs unless told the CPU supports AVX2
    # (measured on an AMD EPYC). On Intel, forcing it drops AVX-512: 0.6x GEMM throughput on this repo's Xeon.
    # MKL reads it at the first matmul; a value the user set wins.
    if _is_amd_cpu():
        os.environ.setdefault("MKL_DEBUG_CPU_TYPE", "5")
    # With more than one thread, MKL's GEMM may split work differently from run to run, so a resumed run
    # drifts from the uninterrupted one (1e-5 after 12 steps). Strict reproducibility costs no measurable
    # GEMM throughput here (2 threads, 1024x1536x8960: 208-264 GFLOP/s either way).
    os.environ.setdefault("MKL_CBWR", "AUTO,STRICT")
    paddle = import_paddle()
    paddle.base.core.set_num_threads(threads[0])
    return threads
