"""The VLM-R1 reward options of a GRPO run (`--llm_judge_url`, `--cosine_seed_bug`, ...): a config section.

They reach the rewards as sample fields (`sample_fields`), set by the VLM-R1 loader on every sample, so a
reward stays a function of the completion and its sample (`rewards/vlm_r1.py`).
"""

from __future__ import annotations

from dataclasses import dataclass

from paddlemix.config import ConfigError, opt


@dataclass
class VlmR1RewardOptions:
    """How VLM-R1's rewards score: the LLM judge of the `llm` method, and which of VLM-R1's bugs to keep."""

    llm_judge_url: str | None = opt(
        None,
        "the `llm` method's OpenAI-compatible API base, e.g. http://127.0.0.1:11434/v1 (VLM-R1: a local qwen2.5:7b)",
    )
    llm_judge_model: str = opt("qwen2.5:7b", "the judge's model name (VLM-R1's)")
    llm_judge_timeout: float = opt(
        30.0, "seconds per judge request; an unreachable judge is an error, never exact match"
    )
    cosine_seed_bug: bool = opt(
        False,
        "vlm_r1_length as VLM-R1 has it: every answer scored correct and the length not clipped at 1024",
    )
    vlm_r1_quirks: bool = opt(
        False,
        "VLM-R1's answer-reading bugs (hedged / oversized answers paid, yes_no substrings); docs/vlm_r1_jsonl.md",
    )

    def __post_init__(self):
        """Check the timeout and the judge options that would do nothing without a judge."""
        if self.llm_judge_timeout <= 0:
            raise ConfigError(f"--llm_judge_timeout must be > 0, got {self.llm_judge_timeout}")
        if self.llm_judge_url is None and (
            self.llm_judge_model != "qwen2.5:7b" or self.llm_judge_timeout != 30.0
        ):
            raise ConfigError("--llm_judge_model/--llm_judge_timeout have no effect without --llm_judge_url")

    def sample_fields(self) -> dict:
        """The fields every VLM-R1 sample carries for its rewards."""
        judge = None
        if self.llm_judge_url:
            judge = {
                "url": self.llm_judge_url,
                "model": self.llm_judge_model,
                "timeout": self.llm_judge_timeout,
            }
        return {
            "llm_judge": judge,
            "cosine_seed_bug": self.cosine_seed_bug,
            "vlm_r1_quirks": self.vlm_r1_quirks,
        }
