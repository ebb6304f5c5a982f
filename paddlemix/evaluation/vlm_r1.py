"""VLM-R1 general-jsonl evaluation (`eval/evaluate_vlm_r1.py`): each accuracy method's mean over the jsonl files.

    python eval/evaluate_vlm_r1.py --model_path M --data_file_paths a.jsonl:b.jsonl --image_folders A:B \\
        [--reward_method m1:m2] [--task_type gui] [--llm_judge_url URL] [--vlm_r1_quirks]

VLM-R1 published no eval for its general jsonl; this is its training data read as in training (the files,
folders and methods of `datasets/vlm_r1.py`, the `--task_type` prompt, every image of a record in order) with
greedy decoding, and each answer scored by its record's accuracy method (`rewards/vlm_r1.py`, the reward
itself). Per file a results file `{output_dir}/vlm_r1_results_{file}_{model}_r1_{steps}.json` holds each
answer's `accuracy` and `accu_reward_method`, `correct` (accuracy >= 0.5), and `methods`: per method the
number of answers and their mean accuracy x 100. The command prints that table for every file and overall.
Resume and the progress bar work as for the other eval commands; an unreachable `--llm_judge_url` is an
error before the model loads.
"""

from __future__ import annotations

import argparse
import logging
import os
from collections import defaultdict

from paddlemix.errors import missing_files_are_user_errors
from paddlemix.evaluation.config import DTYPES, EvalConfig
from paddlemix.evaluation.model_loading import load_model_and_processor
from paddlemix.evaluation.partial import run_header
from paddlemix.evaluation.results import results_path, write_json_atomic
from paddlemix.evaluation.runner import evaluate
from paddlemix.evaluation.scoring import EvalTask
from paddlemix.rewards.vlm_r1 import method_score
from paddlemix.rewards.vlm_r1_options import VlmR1RewardOptions
from paddlemix.tasks import sample_messages
from paddlemix.tasks.vlm_r1 import load_samples, sources_of

PREFIX = "vlm_r1"


def vlm_r1_parser() -> argparse.ArgumentParser:
    """VLM-R1's data flags, the judge, and the shared eval settings."""
    p = argparse.ArgumentParser(
        description="Evaluate a checkpoint on VLM-R1 jsonl: each accuracy method's mean."
    )
    p.add_argument("--model_path", required=True, help="Path to the model checkpoint (hub layout).")
    p.add_argument(
        "--model_name", default=None, help="Names the output files; default the checkpoint folder."
    )
    p.add_argument("--data_file_paths", required=True, help="VLM-R1 jsonl files, ':'-separated.")
    p.add_argument("--image_folders", required=True, help="Each file's image folder, ':'-separated.")
    p.add_argument(
        "--reward_method", default=None, help="Each file's accuracy method, ':'-separated (default)."
    )
    p.add_argument("--task_type", default=None, help="The prompt: rec | ic | odLength | default | gui.")
    p.add_argument("--llm_judge_url", default=None, help="The `llm` method's OpenAI-compatible API base.")
    p.add_argument("--llm_judge_model", default="qwen2.5:7b", help="The judge's model name.")
    p.add_argument("--llm_judge_timeout", type=float, default=30.0, help="Seconds per judge request.")
    p.add_argument("--vlm_r1_quirks", action="store_true", help="Score with VLM-R1's answer-reading bugs.")
    p.add_argument("--batch_size", type=int, default=8, help="Batch size for inference.")
    p.add_argument("--sample_num", type=int, default=None, help="First N records of each file (default all).")
    p.add_argument("--max_new_tokens", type=int, default=1024, help="Longest completion.")
    p.add_argument("--min_pixels", type=int, default=None, help="Image pixel budget floor.")
    p.add_argument("--max_pixels", type=int, default=None, help="Image pixel budget ceiling.")
    p.add_argument("--dtype", default="bfloat16", choices=DTYPES, help="Inference dtype; float32 on CPU.")
    p.add_argument("--steps", type=int, default=100, help="Checkpoint steps (output file names).")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--output_dir", default="logs", help="Where the results files go.")
    return p


def method_table(results: list[dict]) -> dict[str, dict]:
    """Per accuracy method: how many answers, and their mean accuracy x 100."""
    by_method: dict[str, list[float]] = defaultdict(list)
    for r in results:
        by_method[r["accu_reward_method"]].append(float(r["accuracy"]))
    return {m: {"n": len(v), "accuracy": sum(v) / len(v) * 100} for m, v in sorted(by_method.items())}


def run_vlm_r1(args: argparse.Namespace) -> dict[str, dict]:
    """Evaluate every file; returns file -> its results file's contents, plus "overall" -> the method table."""
    options = VlmR1RewardOptions(
        llm_judge_url=args.llm_judge_url,
        llm_judge_model=args.llm_judge_model,
        llm_judge_timeout=args.llm_judge_timeout,
        vlm_r1_quirks=args.vlm_r1_quirks,
    )
    fields = options.sample_fields()
    sources = sources_of(None, args.data_file_paths, args.image_folders, args.reward_method)
    datasets = {}  # all loaded (and the judge checked) before the model loads
    for source in sources:
        name = os.path.basename(source.data_file).removesuffix(".jsonl")
        datasets[name] = (source, load_samples([source], args.task_type, fields))
    model_name = args.model_name or os.path.basename(os.path.normpath(args.model_path))
    cfg = EvalConfig(
        model_name=model_name,
        model_path=args.model_path,
        data_root=os.path.dirname(os.path.abspath(sources[0].data_file)),
        image_root=sources[0].image_folder,
        test_datasets=list(datasets),
        batch_size=args.batch_size,
        sample_num=args.sample_num,
        steps=args.steps,
        seed=args.seed,
        dtype=args.dtype,
        max_new_tokens=args.max_new_tokens,
        min_pixels=args.min_pixels,
        max_pixels=args.max_pixels,
        output_dir=args.output_dir,
    )
    model, processor = load_model_and_processor(cfg)
    model_type = model.config.model_type

    def record(sample: dict, output: str, info: dict) -> dict:
        """One answer, scored by its record's method (the reward itself)."""
        method = sample["accu_reward_method"]
        extra = {k: sample[k] for k in ("llm_judge", "vlm_r1_quirks")}
        accuracy = method_score(output, sample["solution"], method, model_type=model_type, **info, **extra)
        return {
            "image": sample.get("images") or sample["image"],
            "problem": sample["problem"],
            "ground_truth": sample["solution"],
            "model_output": output,
            "accu_reward_method": method,
            "accuracy": accuracy,
        }

    task = EvalTask(score_task="vlm_r1", messages=lambda s: sample_messages(s, "eval"), record=record)
    out, everything = {}, []
    for name, (source, samples) in datasets.items():
        chosen = list(samples)[: cfg.sample_num]
        header = run_header(cfg, model, processor, source.data_file, task="vlm_r1", task_type=args.task_type)
        path = results_path(cfg.output_dir, PREFIX, name, cfg)
        data = evaluate(chosen, task, model, processor, cfg, path, header, samples.skipped, name)
        data["methods"] = method_table(data["results"])
        write_json_atomic(path, data)
        everything.extend(data["results"])
        out[name] = data
        print(f"\n{name}: {_table(data['methods'])} ({data['num_skipped']} skipped)\nResults saved to {path}")
    out["overall"] = method_table(everything)
    print(f"\noverall: {_table(out['overall'])}")
    return out


def _table(methods: dict[str, dict]) -> str:
    """`method accuracy% (n)` for each method, on one line."""
    return ", ".join(f"{m} {v['accuracy']:.2f}% ({v['n']})" for m, v in methods.items()) or "no answers"


def main(argv=None) -> dict:
    """Parse the flags and run the eval."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    args = vlm_r1_parser().parse_args(argv)
    with missing_files_are_user_errors():
        return run_vlm_r1(args)
