"""The one-box quickstarts: REC (tiny Qwen2.5-VL, resized-input pixels) and grounding (tiny Qwen2-VL, 0-1000).

    python -m paddlemix.quickstart --task rec         (eval: eval/test_rec.py's runner, Acc@0.5)
    python -m paddlemix.quickstart --task grounding   (eval: eval/evaluate_grounding.py's runner, ACC@0.5)
    ... [--model qwen2_5_vl|qwen2_vl|qwen3_vl]         (another tiny checkpoint, answering in its own frame)

Scenes are 3 x 3 boards (`datasets/synthetic/board.py`) of 1 shape (`--min_objects`/`--max_objects`: up to 9, of distinct colours), 120-162 px a side;
the copied checkpoint's `max_pixels` (90 x 90) resizes every one to an 84 x 84 input, so the boxes the model
answers are in a frame 1.4-1.9x smaller (Qwen2.5-VL) or 0-1000 (Qwen2-VL), and the ground truth stays in
original pixels (REC) or in PR1's 0-1000 (grounding's training set). SFT trains the expression, then its box
in the model's frame (`--target_format ref_box`, "the red circle [x1,y1,x2,y2]", PR1's order: a two-layer
model writes the box next to the phrase instead of a prompt's length away), GRPO the task's rewards (REC: `rec_iou` and
`rec_iou_continuous`; grounding: `iou_squared`). Controls: the best constant box (the model-frame box that
scores best on the eval set, chosen on it), shuffled images, and the trained outputs read as original pixels.
`--model qwen3_vl` (16-px patches, 32 px a merged token) gets a ceiling of 100 x 100, so its boards become
96 x 96 inputs, 3 x 3 tokens again, and it answers in 0-1000 as Qwen2-VL does.
"""

from __future__ import annotations

import json
import os

from paddlemix.datasets.synthetic.board import board_expression, draw_board_scene
from paddlemix.datasets.synthetic.localization import norm1000
from paddlemix.datasets.synthetic.writers import _png, _save, sample_rng
from paddlemix.metrics.boxes import resolve_frame, resolve_input_size, to_model_frame
from paddlemix.quickstart.runner import EvalData, QuickstartTask
from paddlemix.tasks import get_task

BOARD_MAX_PIXELS = 90 * 90  # a 120-162 px square -> 84 x 84 (3 x 3 merged tokens, one a square)
# Qwen3-VL's 16-px patches make a merged token 32 px: the same boards -> 96 x 96, again 3 x 3 tokens.
BOARD_PIXELS = {"qwen2_vl": BOARD_MAX_PIXELS, "qwen2_5_vl": BOARD_MAX_PIXELS, "qwen3_vl": 100 * 100}
EVAL_SPLIT = "quickstart_val"


def board_samples(seed: int, split: str, n: int, min_objects: int = 2, max_objects: int = 3):
    """(image, expression, box in original pixels) of n board scenes, each from its own generator."""
    for i in range(n):
        rng = sample_rng(seed, "quickstart_board", split, i)
        img, objects = draw_board_scene(rng, min_objects=min_objects, max_objects=max_objects)
        target = rng.choice(objects)
        yield img, board_expression(target), [float(v) for v in target.box]


def board_records(args, split: str, n: int, images: str | None) -> list[dict]:
    """A split's board samples as records: `image`, `problem`, `solution` (pixels), `normalized_solution`.

    `problem` is the expression, `normalized_solution` the box in 0-1000. Each image is saved under `images` and
    named by its file, or, when `images` is None, held as a Hugging Face image cell (PNG bytes and file name).
    """
    records = []
    samples = board_samples(args.seed, split, n, args.min_objects, args.max_objects)
    for i, (img, caption, box) in enumerate(samples):
        name = f"{split}_{i:06d}.png"
        if images is None:
            image = {"bytes": _png(img), "path": name}
        else:
            _save(img, os.path.join(images, name))
            image = name
        records.append(
            {
                "image": image,
                "problem": caption,
                "solution": box,
                "normalized_solution": norm1000(box, img.size),
            }
        )
    return records


def write_records(path: str, records: list[dict]) -> str:
    """Write an eval or training json, creating its folder; returns path."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump(records, f)
    return path


def eval_config(model_dir: str, data: EvalData, out: str, args, datasets: list[str]):
    """The eval runner's settings: greedy, float32, every sample, the box's tokens."""
    from paddlemix.evaluation.config import EvalConfig

    return EvalConfig(
        model_name="tiny",
        model_path=model_dir,
        data_root=data.eval_root,
        image_root=data.image_dir,
        test_datasets=datasets,
        batch_size=args.eval_batch_size,
        sample_num=None,
        dtype="float32",
        max_new_tokens=40,
        output_dir=out,
    )


# The board tasks' recipe (REC, grounding, detection, affordance). SFT at 1e-3, not the common 3e-3: at 3e-3
# the tiny model stays image-blind (it did not even learn a lone object's colour in 300 steps of 16: 25%,
# chance; 1e-3: 100% by step 250). GRPO at 3e-5: from REC seed 1's SFT model (95%), 40 steps at 3e-4 / 1e-4 /
# 3e-5 / 1e-5 left 58 / 89 / 93 / 94% (docs/quickstart.md).
BOARD_RECIPE = {"sft_steps": 900, "sft_learning_rate": 1e-3, "learning_rate": 3e-5}


class OneBoxQuickstart(QuickstartTask):
    """What REC and grounding share: board scenes, the box target, the box controls."""

    # `--model`: each answers in its own frame (Qwen3-VL: 0-1000, 96 x 96 inputs); `max_pixels_for` its ceiling.
    models = tuple(BOARD_PIXELS)
    metric = "Acc@0.5"
    defaults = {**BOARD_RECIPE, "grpo_steps": 40}

    def max_pixels_for(self, model: str) -> int:
        """The ceiling that makes a board 3 x 3 merged tokens for this model's patch size."""
        return BOARD_PIXELS[model]

    def add_arguments(self, parser) -> None:
        """How many objects a board holds."""
        # One object by default: at --sft_learning_rate 1e-3 the tiny model reads a lone object's square
        # within the budget (a probe: 100% held-out by 600 steps of 16); choosing one of two by its name
        # took 1500 steps to reach 64%, beyond the 10-minute budget (docs/quickstart.md, Measured).
        parser.add_argument("--min_objects", type=int, default=1)
        parser.add_argument("--max_objects", type=int, default=1)

    def sft_flags(self, data: EvalData, args) -> dict:
        """The expression, then its box in the model's frame, as the target."""
        return {"target_format": "ref_box"}

    def best_constant_pct(self, results: list[dict], data: EvalData) -> float:
        """The best Acc@0.5 of one box answered for every image: every eval ground truth, in the model's frame."""
        task = get_task(self.name)
        candidates = []
        for r in results:
            frame = resolve_frame(r.get("coord_frame"), r.get("model_type"))
            in_size = resolve_input_size(r.get("input_size"), r.get("image_grid_thw"))
            box = [round(v) for v in to_model_frame(r["ground_truth"], frame, r["image_size"], in_size)]
            text = "[{},{},{},{}]".format(*box)
            if text not in candidates:
                candidates.append(text)
        return max(task.score([{**r, "model_output": c} for r in results], "fixed").value for c in candidates)

    def wrong_frame_pct(self, results: list[dict]) -> float:
        """Acc@0.5 of the same outputs read as if they were original pixels (no rescale)."""
        return get_task(self.name).score(results, "fixed", coord_frame="original").value


class RecQuickstart(OneBoxQuickstart):
    """REC on the board: "the red circle" -> its box, a tiny Qwen2.5-VL answering in resized-input pixels."""

    name = "rec"
    model = "qwen2_5_vl"
    description = (
        "REC: the box of 'the <colour> <shape>' on a 3x3 board of 1 shape (--min/max_objects), 120-162 px resized to 3x3 "
        "tokens (84 px; Qwen3-VL 96)"
    )

    def write_data(self, out: str, args) -> EvalData:
        """REC/rec_jsons_processed/quickstart_{train,val}.json (VLM-R1's records) and REC/images/."""
        from paddlemix.datasets.synthetic.rec import rec_problem

        root = os.path.join(out, "REC")
        images = os.path.join(root, "images")
        annotations = os.path.join(root, "rec_jsons_processed")
        paths = {}
        for split, n in (("quickstart_train", args.n_train), (EVAL_SPLIT, args.n_eval)):
            records = [
                {
                    "image": r["image"],
                    "problem": rec_problem(r["problem"]),
                    "normal_caption": r["problem"],
                    "solution": r["solution"],
                    "normalized_solution": r["normalized_solution"],
                }
                for r in board_records(args, split, n, images)
            ]
            paths[split] = write_records(os.path.join(annotations, f"{split}.json"), records)
        return EvalData(paths["quickstart_train"], images, annotations, paths[EVAL_SPLIT], images)

    def evaluate(self, model_dir: str, data: EvalData, out: str, args) -> tuple[dict, list[dict]]:
        """eval/test_rec.py's runner (method r1, the training prompt); Acc@0.5 in original pixels."""
        from paddlemix.evaluation.rec import run_rec

        split = os.path.basename(data.eval_file)[: -len(".json")]
        result = run_rec(eval_config(model_dir, data, out, args, [split]))[split]
        ious = [r["iou"] for r in result["results"]]
        figures = {
            "metric": self.metric,
            "metric_pct": float(result["accuracy"]),
            "mean_iou": sum(ious) / len(ious),
        }
        return figures, result["results"]

    def grpo_flags(self, data: EvalData, args) -> dict:
        """REC's accuracy (IoU > 0.5) and its continuous IoU; an answer is 25-33 tokens."""
        return {"reward_funcs": "accuracy,rec_iou_continuous", "max_completion_length": 40}


class GroundingQuickstart(OneBoxQuickstart):
    """Grounding on the board, PR1's formats: a tiny Qwen2-VL answering in 0-1000."""

    name = "grounding"
    model = "qwen2_vl"
    description = (
        "grounding: the box of 'the <colour> <shape>' on a 3x3 board of 1 shape (--min/max_objects), 120-162 px resized to 3x3 "
        "tokens (84 px; Qwen3-VL 96)"
    )

    def write_data(self, out: str, args) -> EvalData:
        """Grounding/refcoco_320k (PR1's HF training folder, 0-1000), Grounding/annotations/quickstart_val.json."""
        from paddlemix.datasets.hf_dir import write_hf_dir
        from paddlemix.datasets.synthetic.localization import GROUNDING_FEATURES

        root = os.path.join(out, "Grounding")
        rows = [
            {"image": r["image"], "problem": r["problem"], "solution": str(r["normalized_solution"])}
            for r in board_records(args, "quickstart_train", args.n_train, None)
        ]
        train = os.path.join(root, "refcoco_320k")
        write_hf_dir(train, {"train": rows}, GROUNDING_FEATURES, "hub")
        images = os.path.join(root, "images")
        annotations = os.path.join(root, "annotations")
        path = write_records(
            os.path.join(annotations, f"{EVAL_SPLIT}.json"),
            board_records(args, EVAL_SPLIT, args.n_eval, images),
        )
        return EvalData(train, None, annotations, path, images)

    def evaluate(self, model_dir: str, data: EvalData, out: str, args) -> tuple[dict, list[dict]]:
        """eval/evaluate_grounding.py's runner; ACC@0.5 in original pixels, and PR1's mean IoU."""
        from paddlemix.evaluation.localization import run_localization

        split = os.path.basename(data.eval_file)[: -len(".json")]
        cfg = eval_config(model_dir, data, out, args, [split])
        result = run_localization("grounding", cfg, {split: data.eval_file})[split]
        figures = {"metric": self.metric, "metric_pct": float(result["accuracy"])}
        figures.update(
            {k: v for k, v in result.get("average_scores", {}).items() if k in ("IoU", "Center_ACC")}
        )
        return figures, result["results"]

    def grpo_flags(self, data: EvalData, args) -> dict:
        """PR1's grounding accuracy, IoU squared."""
        return {"reward_funcs": "accuracy", "max_completion_length": 40}
