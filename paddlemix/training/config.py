"""The trainer-independent config sections: model, data, trainer loop and distributed setup.

Each is a documented dataclass (`paddlemix.config`). A trainer's top-level config has one field per section,
these four plus its own algorithm's (`paddlemix.rl.grpo.config.TrainConfig` adds `grpo`), and validates the
combinations across them in its `__post_init__`.

An option that would have no effect is an error rather than silence (e.g. `--image_root` with a Hugging Face
dataset directory, `--num_train_epochs` beside `--max_steps`). Batch sizes count prompts (samples): one
optimizer step sees per_device_train_batch_size × world size × gradient_accumulation_steps of them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from paddlemix.config import ConfigError, Switch, is_set, opt

REC_SUFFIXES = (".yaml", ".yml", ".json", ".jsonl")
ATTN_IMPLEMENTATIONS = ("eager", "flash", "sdpa", "flash_attention_2")
OPT_LEVELS = ("O1", "O2")
SCHEDULERS = ("linear", "cosine", "constant")
SAVE_STRATEGIES = ("steps", "no")
REPORT_TO = ("visualdl", "none")
SHARDING = ("", "stage1", "stage2", "stage3")
TOPO_ORDERS = ("sharding_first", "pp_first")


def check(ok: bool, message: str) -> None:
    """Raise a ConfigError with `message` unless `ok`."""
    if not ok:
        raise ConfigError(message)


def check_positive(obj, *names: str) -> None:
    """Each named int field is >= 1."""
    for name in names:
        check(getattr(obj, name) >= 1, f"--{name} must be >= 1, got {getattr(obj, name)}")


def resolve_task(dataset_name: str, task: str | None) -> str:
    """The task of a training set, decided by the task registry (`paddlemix.tasks.resolve_task`).

    A wrong, unknown or mismatched `task`, or a dataset no task (or more than one) can read, is a ConfigError
    that lists the candidate tasks.
    """
    from paddlemix import tasks

    try:
        return tasks.resolve_task(dataset_name, task)
    except ValueError as error:
        raise ConfigError(str(error)) from None


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

    SWITCHES = (
        Switch(
            ("bf16", "fp16"),
            lambda v: not (v["bf16"] or v["fp16"]),
            ("fp16_opt_level", "amp_master_grad"),
            "half precision",
        ),
        Switch(("fp16_opt_level",), lambda v: v["fp16_opt_level"] != "O2", ("amp_master_grad",), "O2"),
    )

    def __post_init__(self):
        """Check values and combinations of the precision flags."""
        check(bool(self.model_name_or_path), "--model_name_or_path is required")
        check(
            self.attn_implementation is None or self.attn_implementation in ATTN_IMPLEMENTATIONS,
            f"--attn_implementation must be one of {ATTN_IMPLEMENTATIONS}, got {self.attn_implementation!r}",
        )
        check(not (self.bf16 and self.fp16), "--bf16 and --fp16 are exclusive")
        check(
            self.fp16_opt_level in OPT_LEVELS,
            f"--fp16_opt_level must be O1 or O2, got {self.fp16_opt_level!r}",
        )
        half = self.bf16 or self.fp16
        check(
            half or not is_set(self, "fp16_opt_level"),
            "--fp16_opt_level has no effect without --bf16 or --fp16",
        )
        check(
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
        None,
        "a registered task (rec, counting, geometry, ...); default: the one task that reads the dataset's format "
        "and name",
    )
    data_file_paths: str | None = opt(
        None,
        "VLM-R1's jsonl files, ':'-separated (instead of dataset_name; task vlm_r1, docs/vlm_r1_jsonl.md)",
    )
    image_folders: str | None = opt(
        None, "with data_file_paths: the folder each file's image paths are relative to, ':'-separated"
    )
    reward_method: str | None = opt(
        None,
        "with data_file_paths: each file's accuracy method (mcq, yes_no, math, all_match, ...); default default",
    )
    task_type: str | None = opt(
        None, "VLM-R1 data: the prompt, rec | ic | odLength | default | gui (the default prompt)"
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

    SWITCHES = (
        Switch(
            ("dataset_name",),
            lambda v: not v["dataset_name"].endswith(REC_SUFFIXES),
            ("image_root",),
            "REC image paths (a Hugging Face dataset directory embeds its images)",
        ),
    )

    def __post_init__(self):
        """Check the dataset kind against image_root and task."""
        if self.data_file_paths or self.image_folders:
            self._check_vlm_r1_files()
            return
        check(bool(self.dataset_name), "--dataset_name is required (or VLM-R1's --data_file_paths)")
        check(
            self.reward_method is None,
            "--reward_method goes with --data_file_paths (a VLM-R1 data YAML names each file's method)",
        )
        vlm_r1 = self.task is not None and self.task == "vlm_r1"
        check(
            self.task_type is None or vlm_r1,
            "--task_type is VLM-R1's: it needs --task vlm_r1 or --data_file_paths",
        )
        if vlm_r1:
            resolve_task(self.dataset_name, self.task)
            self._check_common()
            return
        if self.dataset_name.endswith(REC_SUFFIXES):
            check(
                self.image_root is not None, f"--image_root is required for the REC file {self.dataset_name}"
            )
        else:
            check(
                self.image_root is None,
                f"--image_root has no effect: {self.dataset_name} is a Hugging Face dataset directory whose "
                "images are embedded",
            )
        # A dataset that is not there yet (a config written before the data) is resolved when it loads.
        if self.task is not None or os.path.exists(self.dataset_name):
            resolve_task(self.dataset_name, self.task)
        self._check_common()

    def _check_vlm_r1_files(self):
        """VLM-R1's three flags: files and folders together, no dataset_name, task vlm_r1."""
        from paddlemix.datasets.vlm_r1 import parse_sources
        from paddlemix.tasks.vlm_r1 import check_task_type

        check(
            not self.dataset_name,
            "--dataset_name and --data_file_paths are two ways to name the data: give one",
        )
        check(
            bool(self.data_file_paths and self.image_folders),
            "--data_file_paths and --image_folders go together (one folder per file, ':'-separated)",
        )
        check(
            self.image_root is None, "--image_root has no effect with --data_file_paths: use --image_folders"
        )
        check(
            self.task in (None, "vlm_r1"),
            f"--data_file_paths is VLM-R1's jsonl (task vlm_r1), not --task {self.task}",
        )
        self.task = "vlm_r1"
        parse_sources(self.data_file_paths, self.image_folders, self.reward_method)
        check_task_type(self.task_type)
        self._check_common()

    def _check_common(self):
        """The checks of every kind of data: lengths, workers, pixel budgets."""
        check_positive(self, "max_prompt_length")
        check(self.dataloader_num_workers >= 0, "--dataloader_num_workers must be >= 0")
        for name in ("min_pixels", "max_pixels"):
            value = getattr(self, name)
            check(value is None or value > 0, f"--{name} must be > 0, got {value}")
        if self.min_pixels and self.max_pixels:
            check(self.min_pixels <= self.max_pixels, "--min_pixels is larger than --max_pixels")

    @property
    def resolved_task(self) -> str:
        """The task of the training samples (`resolve_task`; vlm_r1 for --data_file_paths)."""
        if self.data_file_paths:
            return "vlm_r1"
        return resolve_task(self.dataset_name, self.task)


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

    SWITCHES = (
        Switch(
            ("save_strategy",),
            lambda v: v["save_strategy"] == "no",
            ("save_steps", "save_total_limit"),
            "saving",
        ),
        Switch(("report_to",), lambda v: v["report_to"] == "none", ("logging_dir",), "VisualDL logging"),
        Switch(("max_steps",), lambda v: v["max_steps"] > 0, ("num_train_epochs",), "epoch counting"),
    )

    def __post_init__(self):
        """Check values and the save/log/step options that would otherwise do nothing."""
        check(self.do_train, "--do_train False: this entry point only trains")
        check(bool(self.output_dir), "--output_dir is required")
        check_positive(
            self,
            "per_device_train_batch_size",
            "gradient_accumulation_steps",
            "logging_steps",
            "save_steps",
            "max_consecutive_nonfinite",
        )
        check(self.lr_scheduler_type in SCHEDULERS, f"--lr_scheduler_type must be one of {SCHEDULERS}")
        check(self.save_strategy in SAVE_STRATEGIES, f"--save_strategy must be one of {SAVE_STRATEGIES}")
        check(self.report_to in REPORT_TO, f"--report_to must be one of {REPORT_TO}")
        check(self.learning_rate >= 0, "--learning_rate must be >= 0")
        check(0 <= self.warmup_ratio < 1, "--warmup_ratio must be in [0, 1)")
        check(
            self.warmup_steps >= 0 and self.max_grad_norm >= 0,
            "--warmup_steps and --max_grad_norm must be >= 0",
        )
        check(
            self.max_steps > 0 or self.num_train_epochs > 0,
            "set --max_steps or a positive --num_train_epochs",
        )
        check(
            # The seed's run_grpo_counting.sh passes --num_train_epochs 1 beside --max_steps; its command line
            # must parse, so this one check is on the value (1 is also what max_steps implies: one pass).
            self.max_steps <= 0 or self.num_train_epochs == 1.0,
            "--num_train_epochs has no effect when --max_steps is set",
        )
        check(self.save_total_limit is None or self.save_total_limit >= 1, "--save_total_limit must be >= 1")
        if self.save_strategy == "no":
            check(
                not is_set(self, "save_steps", "save_total_limit"),
                "--save_steps/--save_total_limit have no effect with --save_strategy no",
            )
        check(
            self.report_to != "none" or self.logging_dir is None,
            "--logging_dir has no effect with --report_to none",
        )
        check(
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

    SWITCHES = (
        Switch(
            ("sharding",),
            lambda v: not v["sharding"].strip(),
            ("sharding_parallel_degree", "hybrid_parallel_topo_order"),
            "sharding",
        ),
    )

    def __post_init__(self):
        """Check the sharding options and refuse the parallelisms this trainer does not implement."""
        stage = self.sharding.strip()
        check(stage in SHARDING, f"--sharding must be one of {SHARDING}, got {self.sharding!r}")
        self.sharding = stage
        for name in ("tensor_parallel_degree", "pipeline_parallel_degree", "sep_parallel_degree"):
            check(
                getattr(self, name) == 1,
                f"--{name} {getattr(self, name)}: only 1 is supported (no TP/PP/SEP)",
            )
        check(
            self.sharding_parallel_degree == -1 or self.sharding_parallel_degree >= 1,
            "--sharding_parallel_degree must be -1 or >= 1",
        )
        check(
            self.hybrid_parallel_topo_order in TOPO_ORDERS,
            f"--hybrid_parallel_topo_order must be one of {TOPO_ORDERS}",
        )
        if not stage:
            check(
                self.sharding_parallel_degree == 1
                or not is_set(self, "sharding_parallel_degree", "hybrid_parallel_topo_order"),
                "--sharding_parallel_degree/--hybrid_parallel_topo_order have no effect without --sharding",
            )
