"""The affordance quickstart: a tiny Qwen2.5-VL finds "the red thing to roll" on a board, Affordance-R1's formats.

    python -m paddlemix.quickstart --task affordance   (eval: eval/evaluate_affordance.py's runner, box segmenter)

Scenes are the boards of REC (`datasets/synthetic/board.py`): 1 shape (`--min_objects`/`--max_objects`: up to
9, of distinct colours), 120-162 px a side (never a multiple of the 28-px patch), each shape with a use
(circle: roll, square: stack, triangle: wedge). The question names the target by colour and use; the answer
is Affordance-R1's single item, its box the shape's box, its point the box centre, its affordance the use; the
eval's mask is the box filled. The prompt is the first sentence of Affordance-R1's (`--prompt seed`: all of
it, ~460 tokens, which this budget cannot train through; docs/quickstart.md).
Training records are the affordance jsonl (`problem, image, solution, aff_name, part_name`, the solution in the
seed's 840 frame); the eval split is the test jsonl (`id, image, mask, problem`), which the eval resizes to
840 x 840 and the copied checkpoint's `max_pixels` to 84 x 84, as for REC. SFT trains `aff_r1` (think /
rethink / answer, coordinates in the model's frame), GRPO the task's five rewards (`aff_recognition` on the
lexical backend: the use words are exact labels, no word2vec file needed). The headline is P@50 of the
box segmenter's masks (gIoU, cIoU beside). Controls: the best constant answer (one eval ground truth in the
model's frame, answered for every image), shuffled images, the trained outputs read as the 840 frame.
"""

from __future__ import annotations

import json
import os
import random

import numpy as np
from PIL import Image

from paddlemix.datasets.synthetic.board import draw_board_scene
from paddlemix.datasets.synthetic.writers import _save, sample_rng
from paddlemix.quickstart.one_box import BOARD_MAX_PIXELS, BOARD_RECIPE, eval_config
from paddlemix.quickstart.runner import EvalData, QuickstartTask

USES = {"circle": "roll", "square": "stack", "triangle": "wedge"}
AFF_SIZE = 840  # the seed's frame of `solution` (metrics.affordance.AFF_SIZE)
EVAL_FILE = "quickstart_test.jsonl"
REWARDS = "accuracy,format,aff_non_repeat,aff_box_num,aff_recognition"  # the seed's five terms
# Generation budget of the eval and of GRPO's completions. The SFT target of one object is 114-126 tokens of
# the tiny tokenizer ("yellow", "wedge" and two-digit coordinates are the long ones); a budget of 120 cut most
# answers before "</answer>", which scores 0 in the eval and in every reward that reads the answer.
ANSWER_TOKENS = 144
# `--prompt`: Affordance-R1's prompt (mode "train"/"eval" of tasks/affordance.py), or its first sentence (mode
# "question"), which every record then names in `prompt_mode`.
PROMPTS = ("seed", "question")


def board_affordance(rng: random.Random, min_objects: int, max_objects: int):
    """(image, problem, use, shape, box in pixels [x1, y1, x2, y2] inclusive) of one board scene."""
    img, objects = draw_board_scene(rng, min_objects=min_objects, max_objects=max_objects)
    target = rng.choice(objects)
    use = USES[target.shape]
    # `draw_board_scene` paints [x1, x2); the seed's boxes (and the box segmenter) include x2.
    x1, y1, x2, y2 = target.box
    return img, f"the {target.color} thing to {use}", use, target.shape, [x1, y1, x2 - 1, y2 - 1]


def solution(box: list[int], size: tuple[int, int], use: str) -> str:
    """The seed's solution string of one object: box and centre point in the 840 frame, rounded."""
    w, h = size
    sx, sy = AFF_SIZE / w, AFF_SIZE / h
    x1, y1, x2, y2 = box
    item = {
        "bbox_2d": [round(x1 * sx), round(y1 * sy), round(x2 * sx), round(y2 * sy)],
        "point_2d": [round((x1 + x2) / 2 * sx), round((y1 + y2) / 2 * sy)],
        "affordance": use,
    }
    return json.dumps([item])


class AffordanceQuickstart(QuickstartTask):
    """Affordance on the board: one shape named by colour and use -> its box, point and affordance."""

    name = "affordance"
    model = "qwen2_5_vl"
    max_pixels = BOARD_MAX_PIXELS
    metric = "P@50"
    curve_max = 3.0  # `aff_accuracy` is 0..3 (IoU, L1 and point, one each)
    description = (
        "affordance: 'the <colour> thing to roll|stack|wedge' on a 3x3 board of 1 shape (--min/max_objects), 120-162 px, "
        "resized to 840 then 84; Affordance-R1's think/rethink/answer, box segmenter; aff_recognition on the "
        "lexical backend (exact use words)"
    )
    # The board recipe, with the seed prompt's first sentence (`--prompt question`): the full prompt made each
    # SFT step ~3x dearer, and 1400 steps of 8 with it (666 s) reached 28% P@50, against 96% for 900 steps of 16
    # with the first sentence (docs/quickstart.md).
    defaults = {**BOARD_RECIPE, "grpo_steps": 20, "num_generations": 4}

    def add_arguments(self, parser) -> None:
        """How many objects a board holds."""
        # One object by default, as REC: picking one of two by its name did not fit the budget there.
        parser.add_argument("--min_objects", type=int, default=1)
        parser.add_argument("--max_objects", type=int, default=1)
        parser.add_argument(
            "--prompt",
            default="question",
            choices=PROMPTS,
            help="the seed's full prompt (~460 tokens), or its first sentence (docs/quickstart.md)",
        )

    def write_data(self, out: str, args) -> EvalData:
        """Affordance/quickstart_train.jsonl (training rows), Affordance/test/quickstart_test.jsonl (+ masks)."""
        root = os.path.join(out, "Affordance")
        train = os.path.join(root, "quickstart_train.jsonl")
        mode = {} if args.prompt == "seed" else {"prompt_mode": args.prompt}
        os.makedirs(root, exist_ok=True)
        with open(train, "w") as f:
            for i in range(args.n_train):
                rng = sample_rng(args.seed, "quickstart_affordance", "train", i)
                img, problem, use, shape, box = board_affordance(rng, args.min_objects, args.max_objects)
                name = f"images/train_{i:06d}.png"
                _save(img, os.path.join(root, name))
                row = {"image": name, "problem": problem, "solution": solution(box, img.size, use), **mode}
                f.write(json.dumps({**row, "aff_name": use, "part_name": shape}) + "\n")
        test = os.path.join(root, "test")
        os.makedirs(os.path.join(test, "masks"), exist_ok=True)
        path = os.path.join(test, EVAL_FILE)
        with open(path, "w") as f:
            for i in range(args.n_eval):
                rng = sample_rng(args.seed, "quickstart_affordance", "val", i)
                img, problem, use, shape, box = board_affordance(rng, args.min_objects, args.max_objects)
                name, mask_name = f"images/val_{i:06d}.png", f"masks/val_{i:06d}.png"
                _save(img, os.path.join(test, name))
                mask = np.zeros((img.size[1], img.size[0]), dtype=np.uint8)
                mask[box[1] : box[3] + 1, box[0] : box[2] + 1] = 255
                Image.fromarray(mask, mode="L").save(os.path.join(test, mask_name))
                row = {"id": f"val_{i:06d}", "image": name, "mask": mask_name, "problem": problem, **mode}
                f.write(json.dumps({**row, "aff_name": use, "solution": solution(box, img.size, use)}) + "\n")
        return EvalData(train, root, test, path, test)

    def evaluate(self, model_dir: str, data: EvalData, out: str, args) -> tuple[dict, list[dict]]:
        """eval/evaluate_affordance.py's runner with the box segmenter; P@50, gIoU and cIoU (x 100)."""
        from paddlemix.evaluation.affordance import affordance_parser, run_affordance

        cfg = eval_config(model_dir, data, out, args, [EVAL_FILE[: -len(".jsonl")]])
        cfg.data_root = data.eval_file
        cfg.max_new_tokens = ANSWER_TOKENS
        flags = affordance_parser().parse_args(["--segmenter", "box"])
        result = run_affordance(cfg, flags)[cfg.test_datasets[0]]
        metrics = result["metrics"]
        figures = {
            "metric": self.metric,
            "metric_pct": float(metrics["P@50"]),
            "gIoU": metrics["gIoU"],
            "cIoU": metrics["cIoU"],
            "num_failures": result["num_failures"],
        }
        return figures, result["results"]

    def sft_flags(self, data: EvalData, args) -> dict:
        """Affordance-R1's think / rethink / answer, coordinates in the model's frame."""
        # Affordance-R1's prompt with the image is ~514 tokens, over the default --max_prompt_length 512
        return {"target_format": "aff_r1", "max_prompt_length": 640, "max_seq_length": 768}

    def grpo_flags(self, data: EvalData, args) -> dict:
        """The seed's five rewards at weight 1; an answer is 114-126 tokens (`ANSWER_TOKENS`)."""
        return {"reward_funcs": REWARDS, "max_completion_length": ANSWER_TOKENS, "max_prompt_length": 640}

    def best_constant_pct(self, results: list[dict], data: EvalData) -> float:
        """The best P@50 of one box answered for every image: each eval ground truth, in pixels of its own image.

        A constant answer is one model-frame box; here each candidate is one eval box carried, relative to its
        image, onto every other image (the boards differ in size, so a fixed frame fraction is what a blind
        model could say), and scored against every ground-truth mask with the box segmenter.
        """
        samples = [json.loads(line) for line in open(data.eval_file)]
        truths = []
        for s in samples:
            with Image.open(os.path.join(data.image_dir, s["mask"])) as m:
                truths.append(np.asarray(m) > 0)
        best = 0.0
        for s in samples:
            box = json.loads(s["solution"])[0]["bbox_2d"]  # 840 frame: a fraction of any image
            hits = 0
            for gt in truths:
                h, w = gt.shape
                x1, y1, x2, y2 = (int(v * f + 0.5) for v, f in zip(box, (w / AFF_SIZE, h / AFF_SIZE) * 2))
                pred = box_mask([[x1, y1, x2, y2]], w, h)
                union = np.logical_or(pred, gt).sum()
                hits += bool(union > 0 and np.logical_and(pred, gt).sum() / union > 0.5)
            best = max(best, 100.0 * hits / len(truths))
        return best

    def wrong_frame_pct(self, results: list[dict]) -> float:
        """P@50 of the same outputs read as the seed's 840 frame instead of the 84-px input (box masks, 840 px)."""
        from paddlemix.metrics.affordance import read_answer

        hits = 0
        for r in results:
            try:
                boxes, _ = read_answer(r["model_output"])
            except ValueError:
                continue  # scored 0, as the eval scores a failure
            pred = box_mask(boxes, AFF_SIZE, AFF_SIZE)
            gt = box_mask([json.loads(r["ground_truth"])[0]["bbox_2d"]], AFF_SIZE, AFF_SIZE)
            union = np.logical_or(pred, gt).sum()
            hits += bool(union > 0 and np.logical_and(pred, gt).sum() / union > 0.5)
        return 100.0 * hits / len(results) if results else 0.0

    def shuffled(self, data: EvalData, out: str, seed: int) -> EvalData:
        """The test jsonl with its images permuted among its rows (questions and answers stay).

        Each row's mask is resized (nearest) to its new image: the boards differ in size, and a mask of another
        size fails the eval (scored 0, a control that could not score anything). Resized, it is the answer at
        the same place relative to the image, which is what an image-blind model can still get right.
        """
        rows = [json.loads(line) for line in open(data.eval_file)]
        images = [os.path.join(data.image_dir, r["image"]) for r in rows]
        random.Random(seed).shuffle(images)
        os.makedirs(os.path.join(out, "masks"), exist_ok=True)
        path = os.path.join(out, EVAL_FILE)
        with open(path, "w") as f:
            for r, image in zip(rows, images):
                with Image.open(image) as img, Image.open(os.path.join(data.image_dir, r["mask"])) as m:
                    mask = m.resize(img.size, Image.NEAREST)
                name = os.path.join("masks", os.path.basename(r["mask"]))
                mask.save(os.path.join(out, name))
                f.write(json.dumps({**r, "image": image, "mask": name}) + "\n")
        return EvalData(data.train, data.image_root, out, path, out)


def box_mask(boxes, width: int, height: int) -> np.ndarray:
    """The union of boxes filled, inclusive of x2 and y2, as the box segmenter fills them."""
    from paddlemix.evaluation.segmenters import BoxMaskSegmenter

    return BoxMaskSegmenter().segment(Image.new("L", (width, height)), boxes)
