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


def _setup(tmp_path, *flags, n=6):
    """The SFT config for `flags`, refcoco_train.json's samples (n // 3 of the n REC ones), a processor."""
    write_rec_layout(str(tmp_path), n=n, n_eval=1)
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



def _named_samples(tmp_path, bad: dict):
    """The 6 synthetic REC samples, each with its own `source`, the ones in `bad` given that solution
    (`None`: no `solution` field at all); and the names the report should give the bad ones."""
    cfg, samples, processor = _setup(tmp_path, "--target_format", "box", n=18)
    assert len(samples) == 6
    names = {}
    for i, sample in enumerate(samples):
        sample["source"] = f"refcoco_train[{i}]"
        if i in bad:
            names[i] = f"refcoco_train[{i}] ({sample['image']})"
            if bad[i] is None:
                del sample["solution"]
            else:
                sample["solution"] = bad[i]
    return cfg, samples, processor, names


def test_unrenderable_box_targets_are_each_named(tmp_path):
    bad = {
        1: "<answer> the red circle </answer>",  # text with no box in it
        3: [10.0, 20.0, 30.0],  # 3 numbers
        4: None,  # no solution field
    }
    cfg, samples, processor, names = _named_samples(tmp_path, bad)
    report = check_sft_data(samples, processor, cfg, frame="qwen2_vl_norm1000")
    assert [where for where, _ in report.unrenderable] == [names[i] for i in sorted(bad)]
    assert "KeyError" in report.unrenderable[2][1]  # the missing field, not a crash
    table = run_sft_preflight(cfg, samples, processor, world=1).table()  # does not raise on them
    row = next(line for line in table.splitlines() if line.startswith("data: box targets renderable"))
    assert "ERROR" in row and f"{6 - 3}/6; 3 cannot be:" in row
    assert all(name in row for name in names.values()) and "more" not in row
    # The good samples' sequences are still measured: the longest is one of them.
    assert report.longest[1] not in names.values() and report.longest[0] > 0


def test_more_than_three_unrenderable_targets_name_three_then_count_the_rest(tmp_path):
    bad = {0: "no box", 1: [1, 2, 3], 2: None, 3: [[1, 2], [3, 4]], 5: [float("nan"), 1, 2, 3]}
    cfg, samples, processor, names = _named_samples(tmp_path, bad)
    table = run_sft_preflight(cfg, samples, processor, world=1).table()
    row = next(line for line in table.splitlines() if line.startswith("data: box targets renderable"))
    assert "1/6; 5 cannot be:" in row and row.endswith("; and 2 more")
    assert [name in row for name in names.values()] == [True, True, True, False, False]


def test_no_renderable_target_leaves_no_length_to_measure(tmp_path):
    cfg, samples, processor, _ = _named_samples(tmp_path, {i: [1, 2, 3] for i in range(6)})
    result = run_sft_preflight(cfg, samples, processor)
    rows = {check: (status, detail) for check, status, detail in result.rows}
    assert rows["data: box targets renderable"][0] == "ERROR"
    length = f"data: prompt + target + image tokens <= {cfg.sft.max_seq_length}"
    assert rows[length] == ("n/a", "no target rendered")


def test_aff_r1_targets_get_the_model_frame_and_render(tmp_path):
    # The trainer gives aff_r1 (a box target) the model's frame; the preflight must too, or it calls every
    # affordance sample unrenderable.
    from types import SimpleNamespace

    from paddlemix.datasets.affordance import load_affordance
    from paddlemix.quickstart.affordance import AffordanceQuickstart
    from paddlemix.quickstart.pipeline import copy_tiny_model

    args = SimpleNamespace(seed=0, n_train=4, n_eval=1, min_objects=1, max_objects=1, prompt="seed")
    data = AffordanceQuickstart().write_data(str(tmp_path / "data"), args)
    model = copy_tiny_model(str(tmp_path / "model"), "qwen2_5_vl", 90 * 90)
    cfg = load_sft_config(
        ["--model_name_or_path", model, "--dataset_name", data.train, "--task", "affordance", "--image_root", data.image_root,
         "--output_dir", str(tmp_path / "out"), "--target_format", "aff_r1", "--max_seq_length", "768",
         "--max_prompt_length", "640"]
    )  # fmt: skip
    samples = list(load_affordance(data.train))
    rows = {c: (s, d) for c, s, d in run_sft_preflight(cfg, samples, Qwen2VLProcessor.from_pretrained(model), world=1).rows}
    assert rows["data: aff_r1 targets renderable"] == ("ok", "4/4")
