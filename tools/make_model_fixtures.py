"""Regenerate the golden model fixtures under tests/fixtures/models/ with transformers (torch CPU).

    python tools/make_model_fixtures.py

For each tiny config it writes a hub-layout checkpoint directory and, per test case, `golden_<case>.npz` with
the inputs (as transformers' processing makes them), transformers' float32 logits and its 32-token greedy
generation. It also writes the nested config.json form that transformers >= 5 saves, for the config tests.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile

import numpy as np

from paddlemix.testing.reference import CASES, load_reference_model, reference_inputs, reference_outputs
from paddlemix.testing.tiny_models import TINY_CONFIGS, build_tiny_checkpoint
from paddlemix.testing.tiny_qwen3_vl import QWEN3_TINY_CONFIGS

GOLDEN_LOGIT_POSITIONS = 12
FIXTURES = os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures", "models")


def main() -> None:
    """Build every tiny checkpoint and its golden outputs."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=FIXTURES)
    parser.add_argument("--only", nargs="*", help="names of the checkpoints to rebuild (default: all)")
    args = parser.parse_args()
    for name in args.only or [*TINY_CONFIGS, *QWEN3_TINY_CONFIGS]:
        ckpt = os.path.join(args.out, name)
        shutil.rmtree(ckpt, ignore_errors=True)
        build_tiny_checkpoint(name, ckpt)
        model = load_reference_model(ckpt)
        for case in CASES:
            inputs = reference_inputs(ckpt, case)
            ref = reference_outputs(ckpt, inputs, model=model)
            # The last positions depend on every earlier token and image; keeping only them keeps the
            # fixtures small. The live tests compare every position.
            ref["logits"] = ref["logits"][:, -GOLDEN_LOGIT_POSITIONS:]
            np.savez_compressed(os.path.join(ckpt, f"golden_{case}.npz"), **inputs, **ref)
        if name in ("qwen2_vl_tied", "qwen3_vl_tied"):
            # The form transformers >= 5 saves (for Qwen3-VL: rope_parameters instead of rope_scaling).
            with tempfile.TemporaryDirectory() as tmp:
                model.config.save_pretrained(tmp)
                shutil.copy(
                    os.path.join(tmp, "config.json"),
                    os.path.join(args.out, f"{name}_nested_config.json"),
                )
        print(f"wrote {ckpt}")


if __name__ == "__main__":
    main()
