"""GRPO test fixtures (tests/rl/grpo_testing.py)."""

from tests.rl.grpo_testing import counting_dir, grpo_test_rewards, image_cache  # noqa: F401
