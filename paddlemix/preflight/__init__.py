"""Before a GRPO or SFT run: what will go wrong in it (data, GPU memory, reward hacking), in one table.

    python -m paddlemix.preflight --config configs/grpo_rec.yaml [training flags] [--gpu_memory_gb 80] [--gpus 8] [--strict]

- data (`data_check.py`): every image readable, its exact visual tokens, prompts over max_prompt_length;
  for SFT (`sft_check.py`) full sequences over max_seq_length and targets that cannot be rendered;
- budget (`memory.py`): GPU memory per rank from config.json alone, and the CPU training estimate;
- red team (`red_team.py`): degenerate completions against every configured reward (n/a for SFT).

A config with an `sft:` section (or an SFT-only flag) is an SFT run.

Every training run logs a cheap version before its model loads (`report.preflight_at_start`).
"""

from paddlemix.preflight.report import (
    Preflight,
    preflight_at_start,
    run_preflight,
    run_sft_preflight,
    sft_preflight_at_start,
)

__all__ = ["Preflight", "preflight_at_start", "run_preflight", "run_sft_preflight", "sft_preflight_at_start"]
