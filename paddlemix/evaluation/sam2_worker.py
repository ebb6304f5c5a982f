"""The SAM2 side of `segmenters.Sam2Segmenter`: run in SAM2's own Python, it answers mask requests.

    /path/to/sam2-env/bin/python sam2_worker.py --model facebook/sam2-hiera-large --device cuda [--check]

It imports nothing of paddlemix (it is run by file path, in an environment that may not have Paddle).
Protocol, one JSON object a line: it first replies `{"ready": true}` (or `{"error": ...}`); then for each
request `{"image": png, "boxes": [[x1, y1, x2, y2], ...], "points": [[x, y], ...], "out": npy}` it saves the
OR of the best masks to `out` and replies `{"ok": true}` or `{"error": ...}`. Replies start with
"SAM2WORKER " so that anything the libraries print on stdout is told apart. With `--check` it only reports
whether SAM2 imports.
"""

from __future__ import annotations

import argparse
import json
import sys

PREFIX = "SAM2WORKER "


def reply(obj: dict) -> None:
    """Write one reply line."""
    sys.stdout.write(PREFIX + json.dumps(obj) + "\n")
    sys.stdout.flush()


def main(argv=None) -> int:
    """Serve mask requests on stdin until it closes."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default="facebook/sam2-hiera-large")
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    try:
        import numpy as np
        import torch
        from PIL import Image
        from sam2.sam2_image_predictor import SAM2ImagePredictor
    except ImportError as err:
        reply({"error": f"cannot import SAM2 in {sys.executable}: {err}"})
        return 1
    if args.check:
        reply({"ok": True})
        return 0
    try:
        predictor = SAM2ImagePredictor.from_pretrained(args.model, device=args.device)
    except Exception as err:  # report any load failure to the parent instead of dying silently
        reply({"error": f"cannot load {args.model}: {type(err).__name__}: {err}"})
        return 1
    reply({"ready": True})
    for line in sys.stdin:
        try:
            request = json.loads(line)
            image = Image.open(request["image"]).convert("RGB")
            mask_all = np.zeros((image.height, image.width), dtype=bool)
            with torch.inference_mode():
                predictor.set_image(image)
                for box, point in zip(request["boxes"], request["points"]):
                    masks, scores, _ = predictor.predict(point_coords=[point], point_labels=[1], box=box)
                    mask_all |= np.asarray(masks[int(np.argmax(scores))]).astype(bool)
            np.save(request["out"], mask_all)
            reply({"ok": True})
        except Exception as err:  # one bad sample must not end the worker
            reply({"error": f"{type(err).__name__}: {err}"})
    return 0


if __name__ == "__main__":
    sys.exit(main())
