"""Export a training checkpoint as a model: merged, in the hub layout, and for LoRA also PEFT's adapters.

    python -m paddlemix.export --checkpoint work_dirs/run/checkpoint-100 --out exported/ [--dtype bfloat16]

`--out` gets config.json, model.safetensors and the tokenizer/processor files (transformers, vLLM and this
package's `from_pretrained` load it). A LoRA checkpoint also gets `--out/peft_adapter/`
(`adapter_config.json` + `adapter_model.safetensors`, for `peft.PeftModel.from_pretrained` on the base
model); kept in a subfolder so that loaders of the merged model do not take the folder for an adapter.
"""

from __future__ import annotations

import argparse
import os

from paddlemix.errors import UserError, missing_files_are_user_errors, run_main
from paddlemix.export.checkpoint_model import load_trained_model, read_trained_checkpoint
from paddlemix.peft import merged_and_unloaded, save_peft_adapters
from paddlemix.training.checkpointing import copy_processor_files

PEFT_SUBFOLDER = "peft_adapter"


def export(checkpoint: str, out: str, dtype: str | None = None) -> list[str]:
    """Write `checkpoint` as a merged hub-layout model in `out` (and PEFT adapters for LoRA); the folders written."""
    if not os.path.isdir(checkpoint):
        kind = "a file, not a checkpoint folder" if os.path.exists(checkpoint) else "no such folder"
        raise UserError(kind, where=f"--checkpoint {checkpoint}")
    if os.path.isfile(out):
        raise UserError("a file, not a folder", where=f"--out {out}")
    if os.path.abspath(out) == os.path.abspath(checkpoint):
        raise UserError("is the checkpoint itself", where=f"--out {out}", fix="name another folder")
    trained = read_trained_checkpoint(checkpoint)
    model = load_trained_model(checkpoint, merge=False)
    written = [out]
    if trained is None:
        model.save_pretrained(out, dtype=dtype)
    else:
        with merged_and_unloaded(model):
            model.save_pretrained(out, dtype=dtype)
        if trained.lora.freeze_vision_tower and trained.lora.freeze_merger:
            adapter = os.path.join(out, PEFT_SUBFOLDER)
            save_peft_adapters(model, adapter, trained.lora, base_model_name_or_path=trained.base)
            written.append(adapter)
    copy_processor_files(checkpoint, out)
    return written


def main(argv: list[str] | None = None) -> None:
    """Parse `--checkpoint --out [--dtype]` and export."""
    p = argparse.ArgumentParser(prog="python -m paddlemix.export", description=__doc__.splitlines()[0])
    p.add_argument(
        "--checkpoint", required=True, help="checkpoint-N folder (full or LoRA), or any model folder"
    )
    p.add_argument("--out", required=True, help="folder to write the merged model to")
    p.add_argument(
        "--dtype", default=None, choices=("float32", "bfloat16", "float16"), help="default: as trained"
    )
    args = p.parse_args(argv)
    with missing_files_are_user_errors():
        written = export(args.checkpoint, args.out, args.dtype)
    print(f"merged model (hub layout): {written[0]}")
    if len(written) > 1:
        print(f"LoRA adapters (PEFT layout): {written[1]}")


if __name__ == "__main__":
    run_main(main)
