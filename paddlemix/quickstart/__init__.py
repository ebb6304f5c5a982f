"""The CPU quickstarts: a tiny random Qwen VL learns a task from pixels on 2 cores (SFT cold start, then GRPO).

    bash scripts/quickstart.sh [--task TASK] ...          (installs the package, then runs this package)
    python -m paddlemix.quickstart [--task counting|rec|grounding|detection|ocr|affordance] [--workdir DIR] ...

`counting.py` is the default task (today's quickstart); `runner.py` runs every other task from its
`QuickstartTask` (`one_box.py`: rec, grounding; `detection.py`, `ocr.py`, `affordance.py`); `pipeline.py` holds
what they share. Measured figures: docs/quickstart.md.
"""

from paddlemix.quickstart.counting import (
    EVAL_SET,
    REWARDS,
    TASK,
    best_constant_pct,
    eval_counts,
    evaluate,
    grpo_command,
    main,
    parse_args,
    plot_curve,
    score_outputs,
    sft_command,
    shuffled_copy,
    summary,
    write_data,
)
from paddlemix.quickstart.pipeline import (
    MODEL_FILES,
    TASKS,
    TINY_MODEL,
    copy_tiny_model,
    launch_command,
    read_reward_curve,
    run,
)

__all__ = [
    "EVAL_SET",
    "MODEL_FILES",
    "REWARDS",
    "TASK",
    "TASKS",
    "TINY_MODEL",
    "best_constant_pct",
    "copy_tiny_model",
    "eval_counts",
    "evaluate",
    "grpo_command",
    "launch_command",
    "main",
    "parse_args",
    "plot_curve",
    "quickstart_task",
    "read_reward_curve",
    "run",
    "score_outputs",
    "sft_command",
    "shuffled_copy",
    "summary",
    "write_data",
]


def quickstart_task(name: str):
    """The `QuickstartTask` of a task other than counting (imported on demand: each pulls in its eval)."""
    from paddlemix.errors import UserError

    if name == "rec" or name == "grounding":
        from paddlemix.quickstart.one_box import GroundingQuickstart, RecQuickstart

        return RecQuickstart() if name == "rec" else GroundingQuickstart()
    if name == "detection":
        from paddlemix.quickstart.detection import DetectionQuickstart

        return DetectionQuickstart()
    if name == "ocr":
        from paddlemix.quickstart.ocr import OcrQuickstart

        return OcrQuickstart()
    if name == "affordance":
        from paddlemix.quickstart.affordance import AffordanceQuickstart

        return AffordanceQuickstart()
    raise UserError(f"--task {name}: no quickstart for it; one of {', '.join(TASKS)}")
