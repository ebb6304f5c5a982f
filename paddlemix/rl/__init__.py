"""Reinforcement learning for the vision-language models; `grpo` is the one algorithm so far."""
