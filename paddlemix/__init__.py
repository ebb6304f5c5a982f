"""R1-MLLM on Paddle: Qwen2-VL / Qwen2.5-VL models, processors, generation and GRPO training."""

__version__ = "0.1.0"
