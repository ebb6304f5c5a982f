"""Can a tiny checkpoint learn to read a board from pixels? The probe behind docs/quickstart.md's learning rate.

    python tools/probe_board_learning.py [--model paddlemix/assets/tiny_qwen2_5_vl] [--target square|colour]
                                         [--objects 1] [--lr 1e-3] [--steps 600] [--prompt_tokens 8]

No chat template and no generation: the input is `<vision_start> 9 image tokens <vision_end>`, then
`--prompt_tokens` fixed text ids, then the object's colour and shape ids (`--target square`: the square of the
object they name, one of 9 classes) or two constant ids (`--target colour`: the colour of the board's object,
one of 4, which the text does not give away). One cross-entropy on the last position, AdamW, batch 16, every
parameter trained; prints held-out accuracy on 200 boards every 50 steps. Boards are the quickstart's
(`draw_board_scene`), resized by the checkpoint's processor with `max_pixels` 90 x 90 to 3 x 3 merged tokens.
"""

from __future__ import annotations

import argparse
import random
import time

import numpy as np
import paddle

import paddlemix  # noqa: F401  (sets Paddle's CPU threads)
from paddlemix.datasets.synthetic.board import COLORS, SHAPES, draw_board_scene
from paddlemix.models import AutoModelForConditionalGeneration
from paddlemix.processors.image_processor import Qwen2VLImageProcessor

VISION_START, VISION_END, IMAGE = 409, 410, 412  # the tiny checkpoints' ids
CLASS_IDS = 200  # the class k is answered as token 200 + k


def make_batch(rng, n, args, processor, prefix):
    """n boards: input ids, pixel values, grids and the class of each."""
    images, ids, labels = [], [], []
    for _ in range(n):
        img, objects = draw_board_scene(rng, min_objects=args.objects, max_objects=args.objects)
        obj = rng.choice(objects)
        if args.target == "square":
            tail, label = [300 + list(COLORS).index(obj.color), 320 + SHAPES.index(obj.shape)], obj.cell
        else:
            tail, label = [330, 331], list(COLORS).index(obj.color)
        images.append(img)
        ids.append([VISION_START] + [IMAGE] * 9 + [VISION_END] + prefix + tail)
        labels.append(label)
    out = processor(images)
    return (
        paddle.to_tensor(np.array(ids)),
        paddle.to_tensor(out["pixel_values"]),
        paddle.to_tensor(out["image_grid_thw"]),
        np.array(labels),
    )


def main(argv=None):
    """Train the probe and print its held-out accuracy along the way."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", default="paddlemix/assets/tiny_qwen2_5_vl")
    p.add_argument("--target", choices=("square", "colour"), default="square")
    p.add_argument("--objects", type=int, default=1)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--steps", type=int, default=600)
    p.add_argument("--prompt_tokens", type=int, default=8)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    paddle.seed(args.seed)
    model = AutoModelForConditionalGeneration.from_pretrained(args.model, dtype="float32")
    processor = Qwen2VLImageProcessor.from_pretrained(args.model)
    processor.max_pixels = 90 * 90
    rng = random.Random(args.seed)
    prefix = [rng.randrange(20, 200) for _ in range(args.prompt_tokens)]
    classes = 9 if args.target == "square" else len(COLORS)
    held_out = random.Random(12345)
    val = [make_batch(held_out, 50, args, processor, prefix) for _ in range(4)]
    opt = paddle.optimizer.AdamW(learning_rate=args.lr, parameters=model.parameters(), weight_decay=0.0)

    def accuracy():
        model.eval()
        right = 0
        with paddle.no_grad():
            for ids, pixels, grid, labels in val:
                logits = model(input_ids=ids, pixel_values=pixels, image_grid_thw=grid).logits
                right += int((logits[:, -1, CLASS_IDS : CLASS_IDS + classes].argmax(-1).numpy() == labels).sum())
        model.train()
        return right / 200

    train = random.Random(args.seed + 1)
    t0 = time.time()
    for step in range(1, args.steps + 1):
        ids, pixels, grid, labels = make_batch(train, 16, args, processor, prefix)
        logits = model(input_ids=ids, pixel_values=pixels, image_grid_thw=grid).logits[:, -1]
        loss = paddle.nn.functional.cross_entropy(logits, paddle.to_tensor(labels + CLASS_IDS))
        loss.backward()
        opt.step()
        opt.clear_grad()
        if step % 50 == 0:
            print(f"step {step}: loss {float(loss):.3f}, held-out accuracy {accuracy():.3f} ({time.time() - t0:.0f} s)")


if __name__ == "__main__":
    main()
