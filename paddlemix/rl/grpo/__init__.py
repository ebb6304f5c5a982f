"""GRPO: group-relative advantages (advantages.py), the clipped loss and its aggregations (loss.py), the trainer."""
