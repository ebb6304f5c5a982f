"""The GRPO training config: one documented dataclass per concern, loaded as defaults ← YAML ← command line.

    cfg = load_train_config(["--config", "configs/grpo_counting.yaml", "--max_steps", "10"])

Every flag of the seed's three `run_grpo_*.sh` scripts is a field here, under the same name, so their command
lines parse unchanged. Things the seed accepted but silently ignored (temperature, reward_weights, max_pixels)
act here, and an option that would have no effect is an error rather than silence: a field set away from
its default where nothing reads it (e.g. `--image_root` with a Hugging Face dataset directory,
`--num_train_epochs` beside `--max_steps`, `--epsilon` with `num_iterations=1`, where the ratio is always 1).

Batch sizes count prompts: each of the `per_device_train_batch_size` prompts of a rank gets
`num_generations` completions, all generated on that rank. One optimizer step sees
per_device_train_batch_size × world size × gradient_accumulation_steps prompts. (The seed counted
completions and spread one prompt's group over 8 ranks, which tied the world size to G.)
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from paddlemix.config import ConfigError, load_config, opt, section
from paddlemix.rl.grpo.advantages import SCALE_REWARDS
from paddlemix.rl.grpo.loss import LOSS_TYPES

REC_SUFFIXES = (".yaml", ".yml", ".json", ".jsonl")
TASKS = ("rec", "counting", "geometry")
ATTN_IMPLEMENTATIONS = ("eager", "flash", "sdpa", "flash_attention_2")
OPT_LEVELS = ("O1", "O2")
SCHEDULERS = ("linear", "cosine", "constant")
SAVE_STRATEGIES = ("steps", "no")
REPORT_TO = ("visualdl", "none")
SHARDING = ("", "stage1", "stage2", "stage3")
TOPO_ORDERS = ("sharding_first", "pp_first")


def _check(ok: bool, message: str) -> None:
    """Raise a ConfigError with `message` unless `ok`."""
    if not ok:
        raise ConfigError(message)


def _positive(obj, *names: str) -> None:
    """Each named int field is >= 1."""
    for name in names:
        _check(getattr(obj, name) >= 1, f"--{name} must be >= 1, got {getattr(obj, name)}")


@dataclass
class ModelConfig:
    """The policy model: checkpoint, attention, precision, memory and which parts train."""

    model_name_or_path: str = opt(
        "", "a hub-layout checkpoint directory (config.json, safetensors, tokenizer)"
    )
    attn_implementation: str | None = opt(
        None,
        "eager | flash (also the seed's sdpa / flash_attention_2); default flash on GPU with O2 half-precision weights",
    )
    recompute: bool = opt(False, "recompute activations per decoder layer and vision block in the backward")
    freeze_vision: bool = opt(False, "train the language model only; the vision tower keeps its weights")
    bf16: bool = opt(False, "train in bfloat16 on GPU (float32 on CPU, with a warning)")
    fp16: bool = opt(False, "train in float16 on GPU with loss scaling (float32 on CPU, with a warning)")
    fp16_opt_level: str = opt(
        "O1", "AMP level for bf16/fp16: O1 casts per op, O2 keeps half-precision weights"
    )
    amp_master_grad: bool = opt(False, "O2: keep float32 master gradients beside the half-precision weights")

    def __post_init__(self):
        """Check values and combinations of the precision flags."""
        _check(bool(self.model_name_or_path), "--model_name_or_path is required")
        _check(
            self.attn_implementation is None or self.attn_implementation in ATTN_IMPLEMENTATIONS,
            f"--attn_implementation must be one of {ATTN_IMPLEMENTATIONS}, got {self.attn_implementation!r}",
        )
        _check(not (self.bf16 and self.fp16), "--bf16 and --fp16 are exclusive")
        _check(
            self.fp16_opt_level in OPT_LEVELS,
            f"--fp16_opt_level must be O1 or O2, got {self.fp16_opt_level!r}",
        )
        half = self.bf16 or self.fp16
        _check(half or self.fp16_opt_level == "O1", "--fp16_opt_level has no effect without --bf16 or --fp16")
        _check(
            not self.amp_master_grad or (half and self.fp16_opt_level == "O2"),
            "--amp_master_grad has no effect unless --bf16/--fp16 with --fp16_opt_level O2",
        )

    @property
    def dtype(self) -> str:
        """The requested training dtype name."""
        return "bfloat16" if self.bf16 else "float16" if self.fp16 else "float32"


@dataclass
class DataConfig:
    """Training prompts: where they come from and how large a prompt may be."""

    dataset_name: str = opt(
        "", "a REC data yaml / .json / .jsonl, or a Hugging Face dataset directory (counting, geometry)"
    )
    image_root: str | None = opt(None, "REC only: the folder the records' image paths are relative to")
    dataset_train_split: str = opt("train", "the split of a Hugging Face dataset directory")
    task: str | None = opt(
        None, "rec | counting | geometry; default: rec for yaml/json, else from the folder name"
    )
    max_prompt_length: int = opt(
        512, "longest prompt in tokens, image tokens included; longer ones are dropped with a counted warning"
    )
    min_pixels: int | None = opt(
        None, "image pixel budget floor; default the checkpoint's preprocessor config"
    )
    max_pixels: int | None = opt(
        None, "image pixel budget ceiling; default the checkpoint's preprocessor config"
    )
    dataloader_num_workers: int = opt(
        0, "threads that load and preprocess the next batch while this one trains"
    )

    def __post_init__(self):
        """Check the dataset kind against image_root and task."""
        _check(bool(self.dataset_name), "--dataset_name is required")
        rec = self.dataset_name.endswith(REC_SUFFIXES)
        if rec:
            _check(
                self.image_root is not None, f"--image_root is required for the REC file {self.dataset_name}"
            )
            _check(
                self.task in (None, "rec"),
                f"--task {self.task} does not match the REC file {self.dataset_name}",
            )
        else:
            _check(
                self.image_root is None,
                f"--image_root has no effect: {self.dataset_name} is a Hugging Face dataset directory whose "
                "images are embedded",
            )
            _check(self.task != "rec", "--task rec needs a REC data yaml / .json / .jsonl as --dataset_name")
        _check(self.task is None or self.task in TASKS, f"--task must be one of {TASKS}, got {self.task!r}")
        _positive(self, "max_prompt_length")
        _check(self.dataloader_num_workers >= 0, "--dataloader_num_workers must be >= 0")
        for name in ("min_pixels", "max_pixels"):
            value = getattr(self, name)
            _check(value is None or value > 0, f"--{name} must be > 0, got {value}")
        if self.min_pixels and self.max_pixels:
            _check(self.min_pixels <= self.max_pixels, "--min_pixels is larger than --max_pixels")

    @property
    def resolved_task(self) -> str:
        """The task: given, or rec for a REC file, geometry for a GeoQA folder, else counting."""
        if self.task:
            return self.task
        if self.dataset_name.endswith(REC_SUFFIXES):
            return "rec"
        return (
            "geometry"
            if "geo" in os.path.basename(os.path.normpath(self.dataset_name)).lower()
            else "counting"
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
    epsilon: float = opt(0.2, "PPO clip: the ratio is kept within [1 - epsilon, 1 + epsilon_high]")
    epsilon_high: float | None = opt(None, "upper clip (DAPO's clip-higher); default epsilon")
    num_iterations: int = opt(
        1, "μ: optimizer steps per batch of rollouts, against the log-probs stored at rollout"
    )
    loss_type: str = opt("grpo", "grpo | bnpo | dr_grpo | dapo: how per-token losses are averaged (loss.py)")
    scale_rewards: str = opt("group", "group | batch | none: what the centred rewards are divided by")
    reward_funcs: list[str] = opt(
        doc="registered rewards (paddlemix.rewards), summed with reward_weights",
        factory=lambda: ["accuracy", "format"],
    )
    reward_weights: list[float] | None = opt(None, "one weight per reward function; default all 1.0")

    def __post_init__(self):
        """Check ranges and names."""
        _check(
            self.num_generations >= 2,
            f"--num_generations must be >= 2 (a group needs a spread), got {self.num_generations}",
        )
        _positive(self, "max_completion_length", "num_iterations")
        _check(self.temperature > 0, f"--temperature must be > 0, got {self.temperature}")
        _check(0 < self.top_p <= 1, f"--top_p must be in (0, 1], got {self.top_p}")
        _check(self.top_k >= 0, f"--top_k must be >= 0, got {self.top_k}")
        _check(self.beta >= 0, f"--beta must be >= 0, got {self.beta}")
        _check(0 <= self.epsilon < 1, f"--epsilon must be in [0, 1), got {self.epsilon}")
        _check(
            self.epsilon_high is None or self.epsilon_high >= self.epsilon,
            f"--epsilon_high ({self.epsilon_high}) must be >= --epsilon ({self.epsilon})",
        )
        _check(
            self.loss_type in LOSS_TYPES,
            f"--loss_type must be one of {sorted(LOSS_TYPES)}, got {self.loss_type!r}",
        )
        _check(self.scale_rewards in SCALE_REWARDS, f"--scale_rewards must be one of {SCALE_REWARDS}")
        _check(bool(self.reward_funcs), "--reward_funcs names no reward")
        if self.reward_weights is not None:
            _check(
                len(self.reward_weights) == len(self.reward_funcs),
                f"{len(self.reward_weights)} --reward_weights for {len(self.reward_funcs)} --reward_funcs",
            )
        if self.num_iterations == 1:
            _check(
                self.epsilon == 0.2 and self.epsilon_high is None,
                "--epsilon/--epsilon_high have no effect with num_iterations=1: the ratio to the rollout "
                "policy is exactly 1, so the clip never binds; set --num_iterations > 1 or drop them",
            )


@dataclass
class TrainerConfig:
    """The loop: batch sizes, length, optimizer and schedule, logging, checkpoints."""

    do_train: bool = opt(True, "the seed's flag; this entry point only trains")
    output_dir: str = opt("", "checkpoints, the final model, logs and completions go here")
    overwrite_output_dir: bool = opt(False, "delete the checkpoints already in output_dir and start over")
    resume_from_checkpoint: str | None = opt(
        None, "a checkpoint directory, or auto: the newest intact one in output_dir"
    )
    per_device_train_batch_size: int = opt(
        1, "prompts per rank per micro-step (each gets num_generations completions)"
    )
    gradient_accumulation_steps: int = opt(1, "micro-steps per optimizer step")
    num_train_epochs: float = opt(1.0, "passes over the prompts, when max_steps is not set")
    max_steps: int = opt(-1, "optimizer steps to run; overrides num_train_epochs when > 0")
    learning_rate: float = opt(1e-6, "AdamW peak learning rate")
    lr_scheduler_type: str = opt("linear", "linear | cosine | constant decay after the warmup")
    warmup_steps: int = opt(0, "linear warmup steps (wins over warmup_ratio)")
    warmup_ratio: float = opt(0.0, "linear warmup as a fraction of the steps")
    weight_decay: float = opt(0.0, "AdamW decoupled weight decay (not on biases and norms)")
    adam_beta1: float = opt(0.9, "AdamW beta1")
    adam_beta2: float = opt(0.999, "AdamW beta2")
    adam_epsilon: float = opt(1e-8, "AdamW epsilon")
    max_grad_norm: float = opt(1.0, "clip the global gradient norm to this; 0 disables")
    seed: int = opt(42, "seeds data order and sampling; each prompt's rollouts get their own derived seed")
    logging_steps: int = opt(1, "write averaged scalars every this many steps")
    report_to: str = opt("visualdl", "visualdl | none")
    logging_dir: str | None = opt(None, "VisualDL log folder; default output_dir/runs")
    run_name: str | None = opt(
        None, "names the run in VisualDL and the progress bar; default output_dir's name"
    )
    log_completions: bool = opt(
        False, "append every sampled completion with its rewards to output_dir/completions.jsonl"
    )
    disable_tqdm: bool = opt(False, "no progress bar")
    save_strategy: str = opt("steps", "steps | no")
    save_steps: int = opt(500, "write a checkpoint every this many optimizer steps")
    save_total_limit: int | None = opt(None, "keep at most this many checkpoints (the newest)")
    max_consecutive_nonfinite: int = opt(
        3, "stop after this many steps in a row with a non-finite loss (each is skipped)"
    )

    def __post_init__(self):
        """Check values and the save/log/step options that would otherwise do nothing."""
        _check(self.do_train, "--do_train False: this entry point only trains")
        _check(bool(self.output_dir), "--output_dir is required")
        _positive(
            self,
            "per_device_train_batch_size",
            "gradient_accumulation_steps",
            "logging_steps",
            "save_steps",
            "max_consecutive_nonfinite",
        )
        _check(self.lr_scheduler_type in SCHEDULERS, f"--lr_scheduler_type must be one of {SCHEDULERS}")
        _check(self.save_strategy in SAVE_STRATEGIES, f"--save_strategy must be one of {SAVE_STRATEGIES}")
        _check(self.report_to in REPORT_TO, f"--report_to must be one of {REPORT_TO}")
        _check(self.learning_rate >= 0, "--learning_rate must be >= 0")
        _check(0 <= self.warmup_ratio < 1, "--warmup_ratio must be in [0, 1)")
        _check(
            self.warmup_steps >= 0 and self.max_grad_norm >= 0,
            "--warmup_steps and --max_grad_norm must be >= 0",
        )
        _check(
            self.max_steps > 0 or self.num_train_epochs > 0,
            "set --max_steps or a positive --num_train_epochs",
        )
        _check(
            self.max_steps <= 0 or self.num_train_epochs == 1.0,
            "--num_train_epochs has no effect when --max_steps is set",
        )
        _check(self.save_total_limit is None or self.save_total_limit >= 1, "--save_total_limit must be >= 1")
        if self.save_strategy == "no":
            _check(
                self.save_steps == 500 and self.save_total_limit is None,
                "--save_steps/--save_total_limit have no effect with --save_strategy no",
            )
        _check(
            self.report_to != "none" or self.logging_dir is None,
            "--logging_dir has no effect with --report_to none",
        )
        _check(
            not (self.resume_from_checkpoint and self.overwrite_output_dir),
            "--overwrite_output_dir deletes the checkpoints --resume_from_checkpoint would continue from",
        )


@dataclass
class DistributedConfig:
    """Parallelism through paddle.distributed.fleet: data parallel and sharding (ZeRO) stages."""

    sharding: str = opt("", "'' (data parallel) | stage1 (optimizer states) | stage2, stage3 (GPU only)")
    sharding_parallel_degree: int = opt(-1, "ranks per sharding group; -1: all of them")
    tensor_parallel_degree: int = opt(1, "the seed's flag; only 1 is supported")
    pipeline_parallel_degree: int = opt(1, "the seed's flag; only 1 is supported")
    sep_parallel_degree: int = opt(1, "the seed's flag; only 1 is supported")
    hybrid_parallel_topo_order: str = opt(
        "sharding_first", "rank order of the hybrid groups: sharding_first | pp_first"
    )

    def __post_init__(self):
        """Check the sharding options and refuse the parallelisms this trainer does not implement."""
        stage = self.sharding.strip()
        _check(stage in SHARDING, f"--sharding must be one of {SHARDING}, got {self.sharding!r}")
        self.sharding = stage
        for name in ("tensor_parallel_degree", "pipeline_parallel_degree", "sep_parallel_degree"):
            _check(
                getattr(self, name) == 1,
                f"--{name} {getattr(self, name)}: only 1 is supported (no TP/PP/SEP)",
            )
        _check(
            self.sharding_parallel_degree == -1 or self.sharding_parallel_degree >= 1,
            "--sharding_parallel_degree must be -1 or >= 1",
        )
        _check(
            self.hybrid_parallel_topo_order in TOPO_ORDERS,
            f"--hybrid_parallel_topo_order must be one of {TOPO_ORDERS}",
        )
        if not stage:
            _check(
                self.sharding_parallel_degree in (-1, 1)
                and self.hybrid_parallel_topo_order == "sharding_first",
                "--sharding_parallel_degree/--hybrid_parallel_topo_order have no effect without --sharding",
            )


@dataclass
class TrainConfig:
    """Everything a GRPO run reads."""

    model: ModelConfig = section(ModelConfig)
    data: DataConfig = section(DataConfig)
    grpo: GRPOConfig = section(GRPOConfig)
    trainer: TrainerConfig = section(TrainerConfig)
    distributed: DistributedConfig = section(DistributedConfig)

    def __post_init__(self):
        """Combinations across sections."""
        t, g = self.trainer, self.grpo
        if t.save_strategy == "steps":
            _check(
                t.save_steps % g.num_iterations == 0,
                f"--save_steps {t.save_steps} must be a multiple of --num_iterations {g.num_iterations}: a "
                "checkpoint is written between batches of rollouts, never among the μ updates of one",
            )


def load_train_config(argv=None) -> TrainConfig:
    """The training config from `--config file.yaml` and command-line flags (sys.argv when None)."""
    return load_config(TrainConfig, argv)
