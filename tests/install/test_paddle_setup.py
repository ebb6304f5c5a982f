"""What `import paddlemix` does to the process: the Paddle check and the CPU thread policy (issue 8 §2, §5)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from paddlemix.paddle_setup import cpu_threads, local_processes

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.mark.parametrize(
    "env, cores, paddle_started, expected",
    [
        # Nothing set: every usable core.
        ({}, 8, False, (8, "cores")),
        # The user's OMP_NUM_THREADS wins, 1 included, when Paddle has not started yet.
        ({"OMP_NUM_THREADS": "3"}, 8, False, (3, "OMP_NUM_THREADS")),
        ({"OMP_NUM_THREADS": "1"}, 8, False, (1, "OMP_NUM_THREADS")),
        # Paddle writes OMP_NUM_THREADS=1 at import: once it has started, a 1 may be Paddle's, not the user's.
        ({"OMP_NUM_THREADS": "1"}, 8, True, (8, "cores")),
        ({"OMP_NUM_THREADS": "4"}, 8, True, (4, "OMP_NUM_THREADS")),
        # paddle.distributed.launch with 2 local processes: half each; its children inherit its OMP=1.
        ({"PADDLE_LOCAL_SIZE": "2", "PADDLE_TRAINERS_NUM": "2"}, 8, False, (4, "cores")),
        ({"PADDLE_LOCAL_SIZE": "2", "OMP_NUM_THREADS": "1"}, 8, False, (4, "cores")),
        # More processes than cores: still one thread each.
        ({"PADDLE_LOCAL_SIZE": "4"}, 2, False, (1, "cores")),
        # Without PADDLE_LOCAL_SIZE, the world size counts only on one node.
        ({"PADDLE_TRAINERS_NUM": "2", "PADDLE_NNODES": "1"}, 8, False, (4, "cores")),
        ({"PADDLE_TRAINERS_NUM": "16", "PADDLE_NNODES": "2"}, 8, False, (8, "cores")),
        # Our own variable is unambiguous and wins over everything.
        ({"PADDLEMIX_NUM_THREADS": "1", "PADDLE_LOCAL_SIZE": "2"}, 8, True, (1, "PADDLEMIX_NUM_THREADS")),
        # Junk or zero values are ignored, not crashed on.
        ({"OMP_NUM_THREADS": "two", "PADDLEMIX_NUM_THREADS": "0"}, 6, False, (6, "cores")),
    ],
)
def test_cpu_thread_policy(env, cores, paddle_started, expected):
    threads, reason = cpu_threads(env, cores, paddle_started)
    assert threads == expected[0]
    assert expected[1] in reason


def test_local_processes_defaults_to_one():
    assert local_processes({}) == 1
    assert local_processes({"PADDLE_LOCAL_SIZE": "3", "PADDLE_TRAINERS_NUM": "6", "PADDLE_NNODES": "2"}) == 3


def run_python(code: str, **env) -> subprocess.CompletedProcess:
    """Run `code` in a fresh interpreter importing this checkout, with `env` on top of a clean thread env."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("OMP_", "PADDLE_", "PADDLEMIX_"))}
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=REPO,
        env={**base, "PYTHONPATH": REPO, **env},
    )  # fmt: skip


SPY = """
import json, os, paddle
calls = []
paddle.base.core.set_num_threads = calls.append
import paddlemix
print(json.dumps({"calls": calls, "cores": len(os.sched_getaffinity(0))}))
"""


@pytest.mark.parametrize("env, share", [({}, 1), ({"PADDLE_LOCAL_SIZE": "2"}, 2)])
def test_import_sets_paddles_threads(env, share):
    proc = run_python(SPY, **env)
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = json.loads(proc.stdout)
    assert out["calls"] == [max(1, out["cores"] // share)]


def test_user_omp_num_threads_is_kept():
    proc = run_python("import paddlemix; print(paddlemix.CPU_THREADS)", OMP_NUM_THREADS="1")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip() == "(1, 'OMP_NUM_THREADS')"


@pytest.mark.parametrize(
    "setup, found",
    [
        ("sys.modules['paddle'] = None", "does not import"),  # no Paddle installed
        ("m = types.ModuleType('paddle'); m.__version__ = '2.6.2'; sys.modules['paddle'] = m", "found 2.6.2"),
    ],
)
def test_missing_or_old_paddle_is_one_line_naming_the_wheels(setup, found):
    proc = run_python(f"import sys, types\n{setup}\nimport paddlemix")
    assert proc.returncode != 0
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("ImportError: paddlemix needs PaddlePaddle >= 3.0") and found in last
    assert "pip install paddlepaddle" in last and "paddlepaddle-gpu" in last
    # One frame (the import) and the message, not Paddle's import chain.
    assert len(proc.stderr.strip().splitlines()) <= 6, proc.stderr


def test_mkl_runs_reproducibly_unless_the_user_says_otherwise():
    code = "import os, paddlemix; print(os.environ['MKL_CBWR'])"
    assert run_python(code).stdout.strip() == "AUTO,STRICT"
    assert run_python(code, MKL_CBWR="AVX2").stdout.strip() == "AVX2"


def test_importing_prints_nothing():
    proc = run_python("import paddlemix")
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr[-2000:]
