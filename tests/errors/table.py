"""The vocabulary of the bad-input table: the commands a user runs, a row, and the files rows write."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field

import yaml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PY = sys.executable
TRAIN = [PY, "-m", "paddlemix.rl.grpo.train"]
R1V = [PY, os.path.join(REPO, "eval", "test_r1-v.py")]
REC = [PY, os.path.join(REPO, "eval", "test_rec.py")]
RESCORE = [PY, "-m", "paddlemix.evaluation.rescore"]
SFT = [PY, "-m", "paddlemix.sft.train"]
DETECTION, GROUNDING, COUNTING, OCR = (
    [PY, os.path.join(REPO, "eval", f"evaluate_{name}.py")]
    for name in ("detection", "grounding", "counting", "ocr")
)
SYNTHETIC = [PY, "-m", "paddlemix.datasets.synthetic"]
CHECK_LAYOUT = [PY, "-m", "paddlemix.datasets.check_layout"]
DOCS = [PY, "-m", "paddlemix.config.docs"]
RUN_GRPO = ["bash", os.path.join(REPO, "scripts", "run_grpo.sh")]
RUN_COUNTING = ["bash", os.path.join(REPO, "scripts", "run_grpo_counting.sh")]
RUN_REC = ["bash", os.path.join(REPO, "scripts", "run_grpo_rec.sh")]
PREPARE = ["bash", os.path.join(REPO, "scripts", "prepare_data.sh")]
# The seed's launch variables, cleared so a developer's environment does not change the rows.
SCRIPT_VARS = ("GPUS", "BATCH_SIZE", "PER_DEVICE_BATCH_SIZE", "GRADIENT_ACC", "NUM_GENERATIONS", "DRY_RUN")


@dataclass
class Row:
    """A bad input: the command, what must be named on stderr, and the exit status."""

    id: str
    argv: list[str]
    named: list[str]  # each must appear on stderr (stdout for check_layout's report)
    status: int = 2
    env: dict = field(default_factory=dict)
    debug: bool = False  # --debug: the traceback must be shown
    stream: str = "stderr"
    absent: list[str] = field(
        default_factory=list
    )  # paths that must not exist afterwards (nothing half-written)


def write(path, text: str) -> str:
    """Write text to path, its folders made; return the path."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return str(path)


def train_yaml(root, name: str, dataset: str, image_root: str | None, model: str, **extra) -> str:
    """A training YAML on the tiny fixture whose output_dir is root/out-<name>."""
    cfg = {
        "model_name_or_path": model,
        "dataset_name": dataset,
        "output_dir": os.path.join(root, f"out-{name}"),
        "max_steps": 1,
        "num_generations": 2,
        "max_completion_length": 4,
        "report_to": "none",
        **({"image_root": image_root} if image_root else {}),
        **extra,
    }
    return write(os.path.join(root, f"{name}.yaml"), yaml.safe_dump(cfg))
