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

from paddlemix.config import Switch, is_set, load_config, opt, section
from paddlemix.peft.options import LoraOptions
from paddlemix.rewards.vlm_r1_options import VlmR1RewardOptions
from paddlemix.rl.grpo.advantages import ADVANTAGE_ESTIMATORS, MULTI_OBJECTIVE_AGGREGATIONS, SCALE_REWARDS
from paddlemix.rl.grpo.loss import KL_ESTIMATORS, LOSS_TYPES
from paddlemix.rl.grpo.objectives import IMPORTANCE_SAMPLING_LEVELS
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
    loss_type: str = opt(
        "grpo",
        "grpo | bnpo | dr_grpo | dapo: how per-token losses are averaged (loss.py); cispo | sapo: those "
        "objectives (objectives.py), aggregated as dapo | grpo (trl's pairing)",
    )
    importance_sampling_level: str = opt(
        "token",
        "token | sequence (GSPO: one ratio per sequence, its mean log-ratio) | gspo_token (the sequence ratio "
        "with a per-token gradient)",
    )
    delta: float | None = opt(
        None, "INTELLECT-2's two-sided clip: the unclipped ratio is capped at delta (> 1 + epsilon_high)"
    )
    sapo_temperature_pos: float = opt(
        1.0, "sapo: the soft gate's temperature τ for tokens with advantage > 0"
    )
    sapo_temperature_neg: float = opt(1.05, "sapo: τ for tokens with advantage <= 0")
    advantage_estimator: str = opt(
        "grpo",
        "grpo | rloo | reinforce_plus_plus | reinforce_plus_plus_baseline: rewards -> advantages (advantages.py)",
    )
    multi_objective_aggregation: str = opt(
        "sum_then_normalize",
        "sum_then_normalize | normalize_then_sum (GDPO: each reward normalised within its group, then summed "
        "and normalised over the batch)",
    )
    top_entropy_quantile: float = opt(
        1.0, "train the policy term only on each group's top-q highest-entropy tokens (0.2: the 80/20 rule)"
    )
    mask_truncated_completions: bool = opt(
        False, "DAPO: completions cut at max_completion_length (no eos) get no loss"
    )
    overlong_buffer: int | None = opt(
        None,
        "DAPO's soft overlong penalty (reward overlong_penalty): completions longer than "
        "max_completion_length - overlong_buffer lose up to 1, linearly",
    )
    batched_rollouts: bool = opt(
        False,
        "one generate call for all of a micro-step's prompts x G (faster; samples then depend on the batching, "
        "so a run is reproducible only with the same per-device batch)",
    )
    sync_ref_model: bool = opt(
        False, "TR-DPO: every ref_model_sync_steps, ref = alpha · policy + (1 - alpha) · ref"
    )
    ref_model_mixup_alpha: float = opt(0.6, "sync_ref_model: the weight alpha of the policy")
    ref_model_sync_steps: int = opt(512, "sync_ref_model: optimizer steps between syncs")
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
    max_reward_error_fraction: float = opt(
        0.01, "stop the run when more than this share of a step's completions make a reward raise"
    )
    warn_no_signal_steps: int = opt(
        5,
        "warn once when every group had equal rewards (zero advantage) this many rollouts in a row; 0: never",
    )

    SWITCHES = (
        Switch(
            ("num_iterations",),
            lambda v: v["num_iterations"] == 1,
            ("epsilon", "epsilon_high", "delta"),
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
        check(self.beta > 0 or not is_set(self, "kl_estimator"), "--kl_estimator has no effect with --beta 0")
        check(self.entropy_coef >= 0, f"--entropy_coef must be >= 0, got {self.entropy_coef}")
        check(self.advantage_epsilon > 0, f"--advantage_epsilon must be > 0, got {self.advantage_epsilon}")
        check(
            self.scale_rewards != "none" or not is_set(self, "advantage_epsilon"),
            "--advantage_epsilon has no effect with --scale_rewards none",
        )
        check(self.scale_rewards in SCALE_REWARDS, f"--scale_rewards must be one of {SCALE_REWARDS}")
        check(bool(self.reward_funcs), "--reward_funcs names no reward")
        check(
            0 <= self.max_reward_error_fraction <= 1,
            f"--max_reward_error_fraction must be in [0, 1], got {self.max_reward_error_fraction}",
        )
        check(
            self.warn_no_signal_steps >= 0,
            f"--warn_no_signal_steps must be >= 0, got {self.warn_no_signal_steps}",
        )
        check(self.max_resample >= 1, f"--max_resample must be >= 1, got {self.max_resample}")
        check(
            self.dynamic_sampling or not is_set(self, "max_resample"),
            "--max_resample has no effect without --dynamic_sampling",
        )
        if self.reward_weights is not None:
            check(
                len(self.reward_weights) == len(self.reward_funcs),
                f"{len(self.reward_weights)} --reward_weights for {len(self.reward_funcs)} --reward_funcs",
            )
        self._check_objectives()
        if self.num_iterations == 1:
            check(
                not is_set(self, "epsilon")
                and (not is_set(self, "epsilon_high") or self.loss_type == "cispo"),
                "--epsilon/--epsilon_high have no effect with num_iterations=1: the ratio to the rollout "
                "policy is exactly 1, so the clip never binds; set --num_iterations > 1 or drop them",
            )

    def _check_objectives(self):
        """The options of issue 18's objectives, estimators, masks and reference syncing."""
        check(
            self.importance_sampling_level in IMPORTANCE_SAMPLING_LEVELS,
            f"--importance_sampling_level must be one of {IMPORTANCE_SAMPLING_LEVELS}, "
            f"got {self.importance_sampling_level!r}",
        )
        check(
            self.advantage_estimator in ADVANTAGE_ESTIMATORS,
            f"--advantage_estimator must be one of {sorted(ADVANTAGE_ESTIMATORS)}, got {self.advantage_estimator!r}",
        )
        check(
            self.multi_objective_aggregation in MULTI_OBJECTIVE_AGGREGATIONS,
            f"--multi_objective_aggregation must be one of {MULTI_OBJECTIVE_AGGREGATIONS}, "
            f"got {self.multi_objective_aggregation!r}",
        )
        gdpo = self.multi_objective_aggregation == "normalize_then_sum"
        check(
            not gdpo or (self.advantage_estimator == "grpo" and self.scale_rewards == "group"),
            "--multi_objective_aggregation normalize_then_sum normalises each reward within its group and the "
            "sum over the batch itself: --advantage_estimator and --scale_rewards have no effect with it",
        )
        check(
            self.advantage_estimator == "grpo" or self.scale_rewards == "group",
            f"--scale_rewards has no effect with --advantage_estimator {self.advantage_estimator}",
        )
        cispo, sapo = self.loss_type == "cispo", self.loss_type == "sapo"
        check(
            not cispo or self.epsilon_high is not None,
            "--loss_type cispo caps the importance weight itself at --epsilon_high: set it (trl recommends 5.0)",
        )
        check(not cispo or self.delta is None, "--delta has no effect with --loss_type cispo")
        check(
            sapo or (self.sapo_temperature_pos == 1.0 and self.sapo_temperature_neg == 1.05),
            "--sapo_temperature_pos/--sapo_temperature_neg have no effect without --loss_type sapo",
        )
        check(not sapo or self.delta is None, "--delta has no effect with --loss_type sapo")
        check(
            self.sapo_temperature_pos > 0 and self.sapo_temperature_neg > 0,
            "--sapo_temperature_pos/--sapo_temperature_neg must be > 0",
        )
        high = self.epsilon if self.epsilon_high is None else self.epsilon_high
        check(
            self.delta is None or self.delta > 1 + high,
            f"--delta ({self.delta}) must be > 1 + epsilon_high ({1 + high:g}), or it clips below the PPO clip",
        )
        if self.num_iterations == 1:
            check(
                self.delta is None
                and (not sapo or (self.sapo_temperature_pos, self.sapo_temperature_neg) == (1.0, 1.05)),
                "--delta/--sapo_temperature_* have no effect with num_iterations=1: the ratio to the rollout "
                "policy is exactly 1; set --num_iterations > 1 or drop them",
            )
        check(
            0.0 <= self.top_entropy_quantile <= 1.0,
            f"--top_entropy_quantile must be in [0, 1], got {self.top_entropy_quantile}",
        )
        penalised = "overlong_penalty" in self.reward_funcs
        check(
            penalised == (self.overlong_buffer is not None),
            "--overlong_buffer sets the reward overlong_penalty's ramp: give both or neither",
        )
        check(
            self.overlong_buffer is None or 0 < self.overlong_buffer < self.max_completion_length,
            f"--overlong_buffer must be in (0, max_completion_length={self.max_completion_length})",
        )
        if self.sync_ref_model:
            check(self.beta > 0, "--sync_ref_model syncs the reference model, which --beta 0 does not build")
            check(
                0 < self.ref_model_mixup_alpha <= 1,
                f"--ref_model_mixup_alpha must be in (0, 1], got {self.ref_model_mixup_alpha}",
            )
            check(self.ref_model_sync_steps >= 1, "--ref_model_sync_steps must be >= 1")
        else:
            check(
                self.ref_model_mixup_alpha == 0.6 and self.ref_model_sync_steps == 512,
                "--ref_model_mixup_alpha/--ref_model_sync_steps have no effect without --sync_ref_model",
            )


@dataclass
class TrainConfig:
    """Everything a GRPO run reads."""

    model: ModelConfig = section(ModelConfig)
    data: DataConfig = section(DataConfig)
    grpo: GRPOConfig = section(GRPOConfig)
    lora: LoraOptions = section(LoraOptions)
    vlm_r1: VlmR1RewardOptions = section(VlmR1RewardOptions)
    trainer: TrainerConfig = section(TrainerConfig)
    distributed: DistributedConfig = section(DistributedConfig)

    def __post_init__(self):
        """Combinations across sections."""
        t, g = self.trainer, self.grpo
        self.lora.check_model_options(self.model.freeze_vision)
        check(
            not (g.sync_ref_model and self.lora.enabled),
            "--sync_ref_model needs a separate reference model; with LoRA the reference is the adapter-free policy",
        )
        if t.save_strategy == "steps":
            check(
                t.save_steps % g.num_iterations == 0,
                f"--save_steps {t.save_steps} must be a multiple of --num_iterations {g.num_iterations}: a "
                "checkpoint is written between batches of rollouts, never among the μ updates of one",
            )


def load_train_config(argv=None) -> TrainConfig:
    """The training config from `--config file.yaml` and command-line flags (sys.argv when None)."""
    return load_config(TrainConfig, argv)
