"""The GRPO run's config: the GRPO section here, composed with the shared sections of `paddlemix.training.config`.

    cfg = load_train_config(["--config", "configs/grpo_counting.yaml", "--max_steps", "10"])

Every flag of the seed's three `run_grpo_*.sh` scripts is a field of one of the sections, under the same
name, so their command lines parse unchanged. Things the seed accepted but silently ignored (temperature,
reward_weights, max_pixels) act here, and an option that would have no effect is an error rather than
silence (e.g. `--epsilon` with `num_iterations=1`, where the ratio is always 1).

Batch sizes count prompts: each of the `per_device_train_batch_size` prompts of a rank gets
`num_generations` completions, all generated on that rank. One optimizer step sees
per_device_train_batch_size × world size × gradient_accumulation_steps prompts. (The seed counted
completions and spread one prompt's group over 8 ranks, which tied the world size to G.)
"""

from __future__ import annotations

from dataclasses import dataclass

from paddlemix.config import Switch, load_config, opt, section
from paddlemix.peft.options import LoraOptions
from paddlemix.rl.grpo.advantages import SCALE_REWARDS
from paddlemix.rl.grpo.loss import KL_ESTIMATORS, LOSS_TYPES
from paddlemix.training.config import (
    DataConfig,
    DistributedConfig,
    ModelConfig,
    TrainerConfig,
    check,
    check_positive,
)


@dataclass
class GRPOConfig:
    """The algorithm: rollouts, rewards, advantages and the clipped, KL-regularised loss."""

    num_generations: int = opt(8, "G: completions sampled per prompt, all on the rank that owns the prompt")
    max_completion_length: int = opt(256, "most tokens generated per completion")
    temperature: float = opt(1.0, "sampling temperature (the seed's effective value; its 0.9 was ignored)")
    top_p: float = opt(1.0, "nucleus sampling mass; 1.0 keeps every token")
    top_k: int = opt(50, "sample among the k most likely tokens (the seed's); 0 disables")
    beta: float = opt(0.04, "weight of the k3 KL to the frozen reference; 0 builds no reference model at all")
    kl_estimator: str = opt(
        "k3", "k1 | k3 | low_var_kl (k3 clamped to ±10): the per-token KL estimate beta weighs"
    )
    epsilon: float = opt(0.2, "PPO clip: the ratio is kept within [1 - epsilon, 1 + epsilon_high]")
    epsilon_high: float | None = opt(None, "upper clip (DAPO's clip-higher); default epsilon")
    num_iterations: int = opt(
        1, "μ: optimizer steps per batch of rollouts, against the log-probs stored at rollout"
    )
    loss_type: str = opt("grpo", "grpo | bnpo | dr_grpo | dapo: how per-token losses are averaged (loss.py)")
    scale_rewards: str = opt("group", "group | batch | none: what the centred rewards are divided by")
    advantage_epsilon: float = opt(1e-4, "added to the std the centred rewards are divided by")
    entropy_coef: float = opt(
        0.0,
        "entropy bonus: coef x the token entropy of the policy is subtracted from the loss (veRL's entropy_coeff)",
    )
    dynamic_sampling: bool = opt(
        False, "DAPO: replace groups whose rewards are all equal (zero advantage) with new prompts"
    )
    max_resample: int = opt(3, "dynamic sampling: attempts to replace them before the step goes on")
    reward_funcs: list[str] = opt(
        doc="registered rewards (paddlemix.rewards), summed with reward_weights",
        factory=lambda: ["accuracy", "format"],
    )
    reward_weights: list[float] | None = opt(None, "one weight per reward function; default all 1.0")
    warn_no_signal_steps: int = opt(
        5,
        "warn once when every group had equal rewards (zero advantage) this many rollouts in a row; 0: never",
    )

    SWITCHES = (
        Switch(
            ("num_iterations",),
            lambda v: v["num_iterations"] == 1,
            ("epsilon", "epsilon_high"),
            "the clip (with one update per rollout the ratio is exactly 1)",
        ),
    )

    def __post_init__(self):
        """Check ranges and names."""
        check(
            self.num_generations >= 2,
            f"--num_generations must be >= 2 (a group needs a spread), got {self.num_generations}",
        )
        check_positive(self, "max_completion_length", "num_iterations")
        check(self.temperature > 0, f"--temperature must be > 0, got {self.temperature}")
        check(0 < self.top_p <= 1, f"--top_p must be in (0, 1], got {self.top_p}")
        check(self.top_k >= 0, f"--top_k must be >= 0, got {self.top_k}")
        check(self.beta >= 0, f"--beta must be >= 0, got {self.beta}")
        check(0 <= self.epsilon < 1, f"--epsilon must be in [0, 1), got {self.epsilon}")
        check(
            self.epsilon_high is None or self.epsilon_high >= self.epsilon,
            f"--epsilon_high ({self.epsilon_high}) must be >= --epsilon ({self.epsilon})",
        )
        check(
            self.loss_type in LOSS_TYPES,
            f"--loss_type must be one of {sorted(LOSS_TYPES)}, got {self.loss_type!r}",
        )
        check(
            self.kl_estimator in KL_ESTIMATORS,
            f"--kl_estimator must be one of {sorted(KL_ESTIMATORS)}, got {self.kl_estimator!r}",
        )
        check(self.beta > 0 or self.kl_estimator == "k3", "--kl_estimator has no effect with --beta 0")
        check(self.entropy_coef >= 0, f"--entropy_coef must be >= 0, got {self.entropy_coef}")
        check(self.advantage_epsilon > 0, f"--advantage_epsilon must be > 0, got {self.advantage_epsilon}")
        check(
            self.scale_rewards != "none" or self.advantage_epsilon == 1e-4,
            "--advantage_epsilon has no effect with --scale_rewards none",
        )
        check(self.scale_rewards in SCALE_REWARDS, f"--scale_rewards must be one of {SCALE_REWARDS}")
        check(bool(self.reward_funcs), "--reward_funcs names no reward")
        check(
            self.warn_no_signal_steps >= 0,
            f"--warn_no_signal_steps must be >= 0, got {self.warn_no_signal_steps}",
        )
        check(self.max_resample >= 1, f"--max_resample must be >= 1, got {self.max_resample}")
        check(
            self.dynamic_sampling or self.max_resample == 3,
            "--max_resample has no effect without --dynamic_sampling",
        )
        if self.reward_weights is not None:
            check(
                len(self.reward_weights) == len(self.reward_funcs),
                f"{len(self.reward_weights)} --reward_weights for {len(self.reward_funcs)} --reward_funcs",
            )
        if self.num_iterations == 1:
            check(
                self.epsilon == 0.2 and self.epsilon_high is None,
                "--epsilon/--epsilon_high have no effect with num_iterations=1: the ratio to the rollout "
                "policy is exactly 1, so the clip never binds; set --num_iterations > 1 or drop them",
            )


@dataclass
class TrainConfig:
    """Everything a GRPO run reads."""

    model: ModelConfig = section(ModelConfig)
    data: DataConfig = section(DataConfig)
    grpo: GRPOConfig = section(GRPOConfig)
    lora: LoraOptions = section(LoraOptions)
    trainer: TrainerConfig = section(TrainerConfig)
    distributed: DistributedConfig = section(DistributedConfig)

    def __post_init__(self):
        """Combinations across sections."""
        t, g = self.trainer, self.grpo
        self.lora.check_model_options(self.model.freeze_vision)
        if t.save_strategy == "steps":
            check(
                t.save_steps % g.num_iterations == 0,
                f"--save_steps {t.save_steps} must be a multiple of --num_iterations {g.num_iterations}: a "
                "checkpoint is written between batches of rollouts, never among the μ updates of one",
            )


def load_train_config(argv=None) -> TrainConfig:
    """The training config from `--config file.yaml` and command-line flags (sys.argv when None)."""
    return load_config(TrainConfig, argv)
