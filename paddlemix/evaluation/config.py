"""The eval commands' settings: `EvalConfig`, the seed's flags plus a few of ours, checked when built."""

from __future__ import annotations

from dataclasses import dataclass, field

from paddlemix.config import ConfigError
from paddlemix.models.runtime import ATTN_NAMES
from paddlemix.visualize.gallery import SELECTIONS

METHODS = ("r1", "baseline")
DTYPES = ("bfloat16", "float16", "float32")


@dataclass
class EvalConfig:
    """What an eval run needs; the fields are the seed's command-line flags plus a few of ours."""

    model_name: str  # names the output files (lower-cased), as in the seed; the class comes from config.json
    model_path: str  # a hub-layout checkpoint directory
    data_root: str  # holds {ds}.json (REC) or {ds}.jsonl (counting / geometry)
    image_root: str  # image paths in the data files are relative to it
    test_datasets: list[str] = field(default_factory=list)
    method: str = "r1"  # REC: "r1" (think/answer prompt) or "baseline" (bare caption); R1-V: names files only
    batch_size: int = 32
    sample_num: int | None = 500  # REC: shuffled with `seed`, first N kept; R1-V: first N (None: all)
    steps: int = 100  # checkpoint step, only used in output file names
    seed: int = 42
    dtype: str = "bfloat16"  # bf16/fp16 fall back to float32 with a warning where no GPU is used
    attn_implementation: str | None = None  # None: flash on GPU in bf16/fp16, else eager
    max_new_tokens: int = 256  # the seed's value
    min_pixels: int | None = None  # None: the checkpoint's preprocessor_config.json
    max_pixels: int | None = None
    output_dir: str = "logs"  # the seed writes to ./logs
    coord_frame: str | None = None  # REC: frame of the model's boxes; None: from the model type
    metric: str = (
        "fixed"  # the scorer of the results: "fixed" (ours) or, for REC, "vlm_r1" (VLM-R1's published)
    )
    overwrite: bool = False  # recompute and replace results files, also another model's
    visualize: int = 0  # samples drawn into gallery/<results stem>/index.html (0: no gallery)
    visualize_select: str = "first"  # which: first | worst | best | random (by the per-sample score)

    def __post_init__(self):
        """Reject values that cannot run, naming the flag."""
        # The parsers leave --method/--metric unset (None) so --rescore can read them from the file name.
        self.method = self.method or "r1"
        self.metric = self.metric or "fixed"
        if self.method not in METHODS:
            raise ConfigError(f"--method must be one of {METHODS}, got {self.method!r}")
        if self.dtype not in DTYPES:
            raise ConfigError(f"--dtype must be one of {DTYPES}, got {self.dtype!r}")
        if self.attn_implementation is not None and self.attn_implementation not in ATTN_NAMES:
            raise ConfigError(
                f"--attn_implementation must be one of {sorted(ATTN_NAMES)}, got {self.attn_implementation!r}"
            )
        for name in ("batch_size", "max_new_tokens"):
            if getattr(self, name) < 1:
                raise ConfigError(f"--{name} must be >= 1, got {getattr(self, name)}")
        if self.sample_num is not None and self.sample_num < 1:
            raise ConfigError(f"--sample_num must be >= 1, got {self.sample_num}")
        if self.visualize < 0:
            raise ConfigError(f"--visualize must be >= 0, got {self.visualize}")
        if self.visualize_select not in SELECTIONS:
            raise ConfigError(
                f"--visualize_select must be one of {SELECTIONS}, got {self.visualize_select!r}"
            )
        if not self.test_datasets:
            raise ConfigError("--test_datasets names no dataset")
