"""OCR evaluation (`eval/evaluate_ocr.py`): Perception-R1's PageOCR metrics on each `{anno_dir}/{ds}.json`.

    python eval/evaluate_ocr.py --model_path M --anno_dir D --image_dir I [--test_datasets en_page_ocr ...]

As Perception-R1's `eval/evaluate_ocr.py`: the prompt "<image>\\nOCR this image: " beside the image, greedy
decoding, `max_new_tokens` 2048, and per sample the normalised edit distance, token-set precision / recall /
F1, BLEU and METEOR (`metrics/text.py`), averaged over the samples. The data files are its OCR json (or a
jsonl of `image`, `text`), images under `--image_dir`. Default datasets: whichever of `en_page_ocr` and
`cn_page_ocr` exist in `--anno_dir`.

What differs: decoding is ours (Paddle, not vLLM; Perception-R1 used top_k 1 at temperature 0, the same
greedy choice); the output is stripped of surrounding whitespace before scoring; empty texts are defined
cases (see metrics/text.py); METEOR is "unavailable" without nltk's WordNet data. Results go to
`{output_dir}/ocr_results_{ds}_{model_name}_{method}_{steps}.json` with `accuracy` = the mean edit distance
x 100 (lower is better) and `metrics` = all the numbers of Perception-R1's table (x 100). Resume, progress
bar and `--rescore` work as for the other eval commands.
"""

from __future__ import annotations

import argparse
import os

from paddlemix.datasets import SkippedImages
from paddlemix.datasets.images import filter_samples
from paddlemix.datasets.ocr import load_ocr
from paddlemix.evaluation.cli import eval_parser
from paddlemix.evaluation.config import EvalConfig
from paddlemix.evaluation.model_loading import load_model_and_processor
from paddlemix.evaluation.partial import run_header
from paddlemix.evaluation.results import results_path, write_results
from paddlemix.evaluation.runner import evaluate
from paddlemix.evaluation.scoring import EvalTask
from paddlemix.metrics.text import mean_ocr_metrics, ocr_metrics, ocr_text
from paddlemix.tasks import prompt_text, sample_messages

PREFIX = "ocr"
SPLITS = ("en_page_ocr", "cn_page_ocr")  # Perception-R1's PageOCR splits
SUFFIXES = (".json", ".jsonl")


def ocr_parser() -> argparse.ArgumentParser:
    """Perception-R1's flags (`--model_path --anno_dir --image_dir`) on top of the shared eval flags."""
    p = eval_parser("Run OCR evaluation (Perception-R1's PageOCR metrics).", None, None)
    p.add_argument("--anno_dir", dest="data_root", default=None, help="Folder of {ds}.json (= --data_root).")
    p.add_argument("--image_dir", dest="image_root", default=None, help="Image folder (= --image_root).")
    p.set_defaults(max_new_tokens=2048, batch_size=8)
    return p


def fill_defaults(args: argparse.Namespace) -> argparse.Namespace:
    """The model name from the checkpoint folder, and the PageOCR splits present, when not given."""
    if args.model_name is None and args.model_path is not None:
        args.model_name = os.path.basename(os.path.normpath(args.model_path))
    if args.test_datasets is None and args.data_root is not None:
        args.test_datasets = [ds for ds in SPLITS if data_file_or_none(args.data_root, ds)] or list(SPLITS)
    return args


def data_file_or_none(root: str, ds: str) -> str | None:
    """`{root}/{ds}.json` or `.jsonl`, whichever exists."""
    for suffix in SUFFIXES:
        path = os.path.join(root, ds + suffix)
        if os.path.isfile(path):
            return path
    return None


def record(sample: dict, output: str, info: dict) -> dict:
    """One result: the seed's fields, the prompt asked (the gallery shows it) and this sample's OCR metrics."""
    return {
        "image": sample["image"],
        "question": prompt_text(sample, "eval"),
        "ground_truth": sample["solution"],
        "model_output": output,
        "metrics": ocr_metrics(ocr_text(output), sample["solution"]),
    }


OCR_EVAL = EvalTask(score_task="ocr", messages=lambda s: sample_messages(s, "eval"), record=record)


def summary(results: list[dict]) -> dict:
    """Perception-R1's table for one dataset, x 100 (METEOR "unavailable" without WordNet)."""
    mean = mean_ocr_metrics([r["metrics"] for r in results])
    out = {"n": mean["n"], "tokenizers": mean.get("tokenizers", [])}
    for key in ("edit_dist", "f_measure", "precision", "recall", "bleu", "meteor"):
        value = mean[key]
        out[key] = value * 100 if isinstance(value, float) else value
    return out


def run_ocr(cfg: EvalConfig) -> dict[str, dict]:
    """Evaluate every dataset of `cfg.test_datasets`; returns dataset -> the results file's contents."""
    paths = {}
    for ds in cfg.test_datasets:  # all checked before the model loads
        paths[ds] = data_file_or_none(cfg.data_root, ds)
        if paths[ds] is None:
            raise FileNotFoundError(f"test dataset {ds!r}: no {ds}.json or {ds}.jsonl in {cfg.data_root}")
    model, processor = load_model_and_processor(cfg)
    out = {}
    for ds in cfg.test_datasets:
        records = list(load_ocr(paths[ds], cfg.image_root))[: cfg.sample_num]
        skipped = SkippedImages()
        samples = filter_samples(records, "exists", skipped, paths[ds])
        header = run_header(cfg, model, processor, paths[ds], task="ocr")
        path = results_path(cfg.output_dir, PREFIX, ds, cfg)
        data = evaluate(samples, OCR_EVAL, model, processor, cfg, path, header, skipped, ds)
        if data["results"]:
            data["metrics"] = summary(data["results"])
            write_results(path, data)
        out[ds] = data
        print(f"\n{ds}: {data.get('metrics')} ({data['num_skipped']} skipped)\nResults saved to {path}")
    return out
