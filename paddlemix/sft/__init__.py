"""Supervised fine-tuning (cross-entropy on the target tokens) on the shared training layer.

python -m paddlemix.sft.train --config configs/sft_counting.yaml [--flag value ...]
"""
