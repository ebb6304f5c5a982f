"""Builders of tiny random checkpoints and tokenizers in the real Hugging Face layout, for tests and benchmarks."""
