"""GRPO: rollouts (rollout.py), group-relative advantages (advantages.py), the clipped loss and its
aggregations (loss.py), the trainer that runs them as one step (trainer.py), and its config section
(config.py). Everything a trainer shares with others (optimizer, data, checkpoints, ...) is `paddlemix.training`.
"""
