"""The command line as users paste it: the seeds' and trl's flags translated, unknown flags named together.

A VLM-R1 / open-r1 / trl command line carries flags that mean the same as one of ours under another name
(`--gradient_checkpointing` is `--recompute`), flags we have no use for, and flags for machinery we do not
use (`--deepspeed`). `translate_flags` rewrites the first kind into ours, accepts the harmless ones, and
collects every flag it cannot accept (unknown ones with a "did you mean" from the known names, refused ones
with our equivalent) into one error, so a pasted command is fixed in one go rather than one flag per run.

| theirs | here |
|--------|------|
| `--gradient_checkpointing [B]` | `--recompute [B]` |
| `--freeze_vision_modules [B]` | `--freeze_vision [B]` |
| `--torch_dtype bfloat16 / float16 / float32` | `--bf16` / `--fp16` / (the default) |
| `--data_seed N` | `--seed N` (one seed orders the data and seeds sampling) |
| `--save_only_model [B]` | accepted; true warns: checkpoints hold the optimizer too, so they resume exactly |
| `--lora_r N` | `--lora_rank N` |
| `--deepspeed FILE` | refused: ZeRO-2 / ZeRO-3 are `--sharding stage2` or `stage3` |
| `--use_peft` | refused: LoRA is on when `--lora_rank` > 0 |
"""

from __future__ import annotations

import difflib
import logging
from collections.abc import Callable, Sequence

logger = logging.getLogger(__name__)

_TRUE = {"true", "1", "yes", "y", "on"}
_FALSE = {"false", "0", "no", "n", "off"}


class Refused(ValueError):
    """A flag we understand but do not accept; the message says what to use instead."""


def _bool_alias(ours: str) -> Callable[[str | None], list[str]]:
    def translate(value: str | None) -> list[str]:
        return [f"--{ours}"] if value is None else [f"--{ours}", value]

    return translate


def _torch_dtype(value: str | None) -> list[str]:
    dtype = (value or "").lower().removeprefix("torch.")
    if dtype in ("bfloat16", "bf16"):
        return ["--bf16"]
    if dtype in ("float16", "fp16", "half"):
        return ["--fp16"]
    if dtype in ("float32", "fp32", "float"):
        return []
    raise Refused(
        f"--torch_dtype {value}: give bfloat16 (= --bf16), float16 (= --fp16) or float32 (the default)"
    )


def _data_seed(value: str | None) -> list[str]:
    if value is None:
        raise Refused("--data_seed needs a value (it is --seed here)")
    return ["--seed", value]


def _save_only_model(value: str | None) -> list[str]:
    if value is None or value.lower() in _TRUE:
        logger.warning(
            "--save_only_model: accepted; checkpoints here also hold the optimizer and RNG states so that "
            "they resume exactly, and the final model in output_dir is the model alone"
        )
    elif value.lower() not in _FALSE:
        raise Refused(f"--save_only_model takes True or False, got {value!r}")
    return []


def _lora_r(value: str | None) -> list[str]:
    if value is None:
        raise Refused("--lora_r needs a value (it is --lora_rank here)")
    return ["--lora_rank", value]


def _refuse(message: str) -> Callable[[str | None], list[str]]:
    def translate(value: str | None) -> list[str]:
        raise Refused(message)

    return translate


# their flag -> translation of its value (None when the flag stands alone) into our arguments
ALIASES: dict[str, Callable[[str | None], list[str]]] = {
    "gradient_checkpointing": _bool_alias("recompute"),
    "freeze_vision_modules": _bool_alias("freeze_vision"),
    "torch_dtype": _torch_dtype,
    "data_seed": _data_seed,
    "save_only_model": _save_only_model,
    "lora_r": _lora_r,
    "deepspeed": _refuse(
        "--deepspeed: DeepSpeed is not used here; for ZeRO-2 / ZeRO-3 use --sharding stage2|stage3"
    ),
    "use_peft": _refuse("--use_peft: LoRA is on when --lora_rank > 0 (e.g. --lora_rank 64 --lora_alpha 128)"),
}


def did_you_mean(name: str, known: Sequence[str]) -> str:
    """` (did you mean --x?)` for the closest known flag name, or ``."""
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    return f" (did you mean --{close[0]}?)" if close else ""


def translate_flags(argv: Sequence[str], known: Sequence[str]) -> tuple[list[str], list[str], list[str]]:
    """(argv with the aliases rewritten into our flags, the unknown flags with their "did you mean", the
    refused flags with what to use instead).

    `known`: our flag names. Values are the words up to the next `--flag`; a dotted `--section.name` and
    anything that is not a flag are left to the parser.
    """
    known_set = set(known)
    out: list[str] = []
    unknown: list[str] = []
    refused: list[str] = []
    i = 0
    while i < len(argv):
        arg = argv[i]
        name, eq, inline = arg[2:].partition("=") if arg.startswith("--") else ("", "", "")
        if not name or "." in name or name in known_set:
            out.append(arg)
            i += 1
            continue
        values = [inline] if eq else []
        j = i + 1
        while not eq and j < len(argv) and not argv[j].startswith("--"):
            values.append(argv[j])
            j += 1
        if name in ALIASES:
            taken = values[:1]
            try:
                out += ALIASES[name](taken[0] if taken else None)
            except Refused as error:
                refused.append(str(error))
            out += values[1:]  # anything after an alias's one value belongs to the parser (and its error)
        else:
            unknown.append(f"--{name}{did_you_mean(name, [*known, *ALIASES])}")
        i = j
    return out, unknown, refused
