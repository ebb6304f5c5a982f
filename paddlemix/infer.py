"""Ask a checkpoint about images from the command line: the raw answer, what it says in pixels, a picture.

    python -m paddlemix.infer --model_path Qwen/Qwen2.5-VL-3B-Instruct --image cat.jpg --task rec \
        --query "the cat on the left" --draw cat_rec.png
    python -m paddlemix.infer --model_path M --image a.jpg --image b.jpg --task detection \
        --query "person, dog" --json
    python -m paddlemix.infer --model_path M --image page.png --task ocr

Prints, per image, the prompt's answer as the model wrote it and the parsed result (boxes and points in
original-image pixels, or the answer text); `--json` prints one JSON record per image instead (`Prediction.to_json`).
`--draw out.png` writes the image with the answer drawn (one image and one answer: out.png; otherwise
out_0.png, out_1.png, ... in image-then-answer order). `--segmenter box|sam2` adds affordance masks.
The Python API is `paddlemix.inference.Predictor`.
"""

from __future__ import annotations

import argparse
import json
import os

from paddlemix.datasets.images import open_image
from paddlemix.errors import MissingFileError, run_main
from paddlemix.evaluation.config import DTYPES
from paddlemix.inference import InferConfig, Prediction, Predictor, task_prompt
from paddlemix.metrics.boxes import CoordFrame
from paddlemix.models.runtime import ATTN_NAMES
from paddlemix.tasks import list_tasks


def infer_parser() -> argparse.ArgumentParser:
    """The flags of `python -m paddlemix.infer`."""
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--model_path", required=True, help="Checkpoint folder or hub ID.")
    p.add_argument("--image", action="append", required=True, help="An image (repeat for several).")
    p.add_argument("--task", required=True, choices=[*list_tasks(), "geoqa"], help="The task to ask.")
    p.add_argument("--query", default=None, help="What to look for / the question; fills the task's prompt.")
    p.add_argument("--prompt", default=None, help="Free prompt text instead of the task's template.")
    p.add_argument("--draw", default=None, metavar="OUT.png", help="Write the image with the answer drawn.")
    p.add_argument("--json", action="store_true", help="Print one JSON record per image.")
    p.add_argument("--max_new_tokens", type=int, default=256)
    p.add_argument("--do_sample", action="store_true", help="Sample instead of greedy decoding.")
    p.add_argument("--temperature", type=float, default=1.0)
    p.add_argument(
        "--num_return_sequences", type=int, default=1, help="Answers per image (with --do_sample)."
    )
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--dtype", default="float32", choices=DTYPES, help="float32 on CPU.")
    p.add_argument("--attn_implementation", default=None, choices=sorted(ATTN_NAMES))
    p.add_argument("--min_pixels", type=int, default=None, help="Pixel floor; default the checkpoint's.")
    p.add_argument("--max_pixels", type=int, default=None, help="Pixel ceiling; default the checkpoint's.")
    p.add_argument(
        "--coord_frame",
        default=None,
        choices=[f.value for f in CoordFrame],
        help="Default: from the model type.",
    )
    p.add_argument("--segmenter", default=None, choices=("box", "sam2"), help="Affordance: draw masks too.")
    return p


def draw_paths(path: str, count: int) -> list[str]:
    """Where `--draw` writes `count` pictures: the path itself for one, numbered beside it for several."""
    if count == 1:
        return [path]
    stem, ext = os.path.splitext(path)
    return [f"{stem}_{i}{ext or '.png'}" for i in range(count)]


def write_drawings(predictions: list[Prediction], path: str, segmenter=None) -> list[str]:
    """Draw every answer of every prediction; returns the files written."""
    pairs = [(p, i) for p in predictions for i in range(len(p.answers))]
    paths = draw_paths(path, len(pairs))
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    for (prediction, i), out in zip(pairs, paths):
        mask = None
        if segmenter is not None and prediction.task == "affordance":
            shapes = prediction.answers[i].shapes
            boxes = [b for b, _ in shapes.boxes]
            mask = (
                segmenter.segment(open_image(prediction.image), boxes, list(shapes.points)) if boxes else None
            )
        prediction.draw(i, mask=mask).save(out)
    return paths


def main(argv=None) -> list[Prediction]:
    """Parse the flags, load the checkpoint, answer, print, draw."""
    args = infer_parser().parse_args(argv)
    cfg = InferConfig(
        model_path=args.model_path,
        dtype=args.dtype,
        attn_implementation=args.attn_implementation,
        min_pixels=args.min_pixels,
        max_pixels=args.max_pixels,
        seed=args.seed,
        max_new_tokens=args.max_new_tokens,
        do_sample=args.do_sample,
        temperature=args.temperature,
        num_return_sequences=args.num_return_sequences,
        coord_frame=args.coord_frame,
    )
    segmenter = None
    if args.segmenter:
        from paddlemix.evaluation.segmenters import build_segmenter

        segmenter = build_segmenter(args.segmenter)
    task_prompt(args.task, args.query, args.prompt)  # a missing --query fails before the model loads
    for path in args.image:
        if not os.path.isfile(path):
            raise MissingFileError("no such image", where=path)
    predictions = Predictor(cfg).predict(args.image, args.task, args.query, args.prompt)
    for prediction in predictions:
        if args.json:
            print(json.dumps(prediction.to_json(), ensure_ascii=False))
            continue
        print(f"== {prediction.image} ({prediction.task})")
        for i, answer in enumerate(prediction.answers):
            print(f"answer {i}: {answer.model_output}")
            parsed = answer.to_json()
            print(f"parsed {i}: boxes {parsed['boxes']} points {parsed['points']} text {parsed['text']!r}")
    if args.draw:
        try:
            for path in write_drawings(predictions, args.draw, segmenter):
                if not args.json:
                    print(f"drawn: {path}")
        finally:
            if segmenter is not None:
                segmenter.close()
    return predictions


if __name__ == "__main__":
    run_main(main)
