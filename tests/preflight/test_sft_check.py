"""The SFT preflight (preflight/sft_check.py): sequence lengths as the trainer builds them, unrenderable targets."""

from __future__ import annotations

import os

from paddlemix.datasets.synthetic import write_rec_layout
from paddlemix.preflight.report import run_sft_preflight
from paddlemix.preflight.sft_check import check_sft_data
from paddlemix.processors import Qwen2VLProcessor
from paddlemix.sft.config import load_sft_config
from paddlemix.sft.targets import render_target
from paddlemix.tasks import load_task_samples
from paddlemix.training.data import PromptEncoder
from tests.helpers import tiny_dir

MODEL = tiny_dir("qwen2_vl_tied")


def _setup(tmp_path, *flags):
    write_rec_layout(str(tmp_path), n=6, n_eval=1)
    root = os.path.join(str(tmp_path), "REC")
    path = os.path.join(root, "rec_jsons_processed", "refcoco_train.json")
    cfg = load_sft_config(
        ["--model_name_or_path", MODEL, "--dataset_name", path, "--image_root", root,
         "--output_dir", str(tmp_path / "out"), "--max_pixels", str(56 * 56 * 4), *flags]
    )  # fmt: skip
    dataset = load_task_samples(path, None, root, "train")
    processor = Qwen2VLProcessor.from_pretrained(MODEL, max_pixels=56 * 56 * 4)
    return cfg, [dataset[i] for i in range(len(dataset))], processor


def _trainer_lengths(samples, processor):
    """Sequence lengths as SFTTrainer.sequences builds them: encoded prompt, the target's tokens, <|im_end|>."""
    enc = PromptEncoder(processor, 100_000)
    return [
        enc.encode(s).inputs["input_ids"].shape[-1] + len(processor.tokenizer(render_target(s, "solution"))["input_ids"]) + 1
        for s in samples
    ]


def test_too_long_sequences_are_the_ones_training_drops(tmp_path):
    cfg, samples, processor = _setup(tmp_path, "--target_format", "solution")
    lengths = _trainer_lengths(samples, processor)
    assert check_sft_data(samples, processor, cfg).longest[0] == max(lengths)
    limit = max(lengths) - 1
    cfg, _, _ = _setup(tmp_path, "--max_seq_length", str(limit), "--max_prompt_length", "10")
    cfg.data.max_prompt_length = limit  # only the sequence limit is under test
    report = check_sft_data(samples, processor, cfg)
    assert len(report.too_long) == sum(n > limit for n in lengths) > 0
    table = run_sft_preflight(cfg, samples, processor, world=1).table()
    assert f"over {limit}" in table and "would be dropped" in table

