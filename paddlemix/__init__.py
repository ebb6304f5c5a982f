"""R1-MLLM on Paddle: Qwen2-VL / Qwen2.5-VL models, processors, generation and GRPO training."""

from paddlemix.paddle_setup import PaddleUnavailable, setup_paddle

try:
    # (threads, reason): Paddle's CPU math threads for this process, set before any model runs.
    CPU_THREADS = setup_paddle()
except PaddleUnavailable as e:
    # Re-raised here, without the chain, so that the user sees one frame and the one line naming the wheels.
    raise ImportError(str(e)) from None

__version__ = "0.1.0"
