"""Start the web demo on a checkpoint (and a second one to compare with).

    pip install -e .[demo]
    python -m paddlemix.demo --model_path work_dirs/rec_grpo/checkpoint-300 \
        --compare_model_path Qwen/Qwen2.5-VL-3B-Instruct [--port 7860] [--server_name 0.0.0.0]

Open http://127.0.0.1:7860: the Ask tab answers one task query about an uploaded image and draws it; the
Compare tab (with --compare_model_path) shows both checkpoints' answers side by side.
"""

from __future__ import annotations

import argparse
import os

from paddlemix.errors import UserError, run_main
from paddlemix.evaluation.config import DTYPES
from paddlemix.inference import InferConfig, Predictor


def demo_parser() -> argparse.ArgumentParser:
    """The demo's flags."""
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--model_path", required=True, help="Checkpoint folder or hub ID.")
    p.add_argument("--compare_model_path", default=None, help="A second checkpoint for the Compare tab.")
    p.add_argument("--port", type=int, default=7860)
    p.add_argument("--server_name", default="127.0.0.1", help="Interface to listen on (0.0.0.0: all).")
    p.add_argument("--dtype", default="float32", choices=DTYPES)
    p.add_argument("--max_new_tokens", type=int, default=256)
    p.add_argument("--max_pixels", type=int, default=None, help="Pixel ceiling; default the checkpoint's.")
    return p


def main(argv=None) -> None:
    """Check that Gradio is there, load the checkpoints, serve the page until interrupted."""
    args = demo_parser().parse_args(argv)
    try:
        import gradio  # noqa: F401
    except ImportError:
        raise UserError(
            "the demo needs Gradio, which is not installed", fix="pip install -e .[demo]"
        ) from None
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    from paddlemix.demo.app import build_app

    def load(path: str) -> Predictor:
        return Predictor(
            InferConfig(
                model_path=path,
                dtype=args.dtype,
                max_new_tokens=args.max_new_tokens,
                max_pixels=args.max_pixels,
            )
        )

    predictor = load(args.model_path)
    compare = load(args.compare_model_path) if args.compare_model_path else None
    labels = (
        os.path.basename(os.path.normpath(args.model_path)),
        os.path.basename(os.path.normpath(args.compare_model_path or "")),
    )
    app = build_app(predictor, compare, labels)
    print(f"demo on http://{args.server_name}:{args.port}", flush=True)
    app.launch(server_name=args.server_name, server_port=args.port, share=False)


if __name__ == "__main__":
    run_main(main)
