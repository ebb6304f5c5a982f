"""SFT targets: Vision-R1's fenced JSON parses back, through our own detection parser, to the ground truth."""

from __future__ import annotations

import json

import numpy as np
import pytest

from paddlemix.datasets.synthetic.localization import write_detection_layout
from paddlemix.metrics.boxes import input_size_from_grid
from paddlemix.metrics.detection.frames import to_original_detections
from paddlemix.metrics.detection.parse import parse_vision_r1
from paddlemix.metrics.detection.vision_r1 import dual_format_ok, solution_boxes
from paddlemix.rewards.detection import vision_r1_precision_recall
from paddlemix.sft.targets import render_target
from paddlemix.sft.trainer import SFTTrainer
from tests.sft.test_sft_trainer import sft_config

SAMPLE = {
    "solution": json.dumps([["cat", [[64, 48, 320, 240]]], ["traffic light", [[100.7, 0, 639, 479.9]]]]),
    "width": 640,
    "height": 480,
    "target_id_maps": json.dumps({"cat": 1, "traffic light": 2}),
}


def test_vision_r1_json_is_vision_r1s_text():
    # Input (h, w) = (240, 320): half the original size; coordinates truncate like numpy's astype(int).
    got = render_target(SAMPLE, "vision_r1_json", (240, 320))
    want = (
        "```json\n[\n"
        '\t{"bbox_2d": [32, 24, 160, 120], "label": "cat"},\n'
        '\t{"bbox_2d": [50, 0, 319, 239], "label": "traffic light"}\n'
        "]\n```"
    )
    assert got == want
    with pytest.raises(ValueError, match="input size"):
        render_target(SAMPLE, "vision_r1_json")


@pytest.mark.parametrize("grid", [(1, 34, 46), (1, 20, 20), (1, 58, 80)])  # smaller, square, larger input
def test_vision_r1_json_parses_back_to_the_ground_truth(grid):
    input_size = input_size_from_grid(grid)
    target = render_target(SAMPLE, "vision_r1_json", input_size)
    assert dual_format_ok(target)
    parsed = parse_vision_r1(target)
    gt = solution_boxes(SAMPLE["solution"])
    assert [d.label for d in parsed] == [name for name, _ in gt]
    # In the resized-input frame: exactly the truncated rescale.
    in_h, in_w = input_size
    for d, (_, box) in zip(parsed, gt):
        want = [
            int(box[0] / 640 * in_w),
            int(box[1] / 480 * in_h),
            int(box[2] / 640 * in_w),
            int(box[3] / 480 * in_h),
        ]
        assert list(d.box) == want
    # Back in original pixels (Qwen2.5-VL's frame): within one input pixel of the ground truth.
    original = to_original_detections(parsed, "qwen2_5_vl_abs", (640, 480), input_size)
    for d, (_, box) in zip(original, gt):
        err = np.abs(np.array(d.box) - np.array(box)) / np.array([640 / in_w, 480 / in_h] * 2)
        assert err.max() <= 1.0, (d.box, box)
    # And the GRPO rewards, which read the same frame, score the target as (near) perfect.
    precision, recall = vision_r1_precision_recall(
        target, image_grid_thw=grid, model_type="qwen2_5_vl", **SAMPLE
    )
    assert precision > 0.97 and recall == 1.0


def test_trainer_trains_on_vision_r1_json_of_detection_samples(tmp_path, monkeypatch):
    monkeypatch.setenv("PADDLEMIX_DATA_CACHE", str(tmp_path / "cache"))
    root = write_detection_layout(str(tmp_path / "data"), n=4, n_eval=1)
    trainer = SFTTrainer(
        sft_config(
            f"{root}/Vision-R1-Data",
            str(tmp_path / "out"),
            target_format="vision_r1_json",
            max_steps=1,
            gradient_accumulation_steps=1,
            max_prompt_length=1024,
            max_pixels=12544,
        )
    )
    seqs, _ = trainer.sequences(0)
    prompts = [p for row in trainer.loader.get(0).rows for _, p in row if p is not None]
    assert seqs and len(seqs) == len(prompts)
    tokenizer = trainer.processor.tokenizer
    for x, prompt in zip(seqs, prompts):
        ids, mask = x["input_ids"].numpy()[0], x["mask"].numpy()[0]
        text = tokenizer.decode(ids[1:][mask > 0].tolist()).removesuffix("<|im_end|>")
        input_size = input_size_from_grid(prompt.inputs["image_grid_thw"][-1])
        size = (int(prompt.sample["width"]), int(prompt.sample["height"]))
        parsed = to_original_detections(parse_vision_r1(text), "qwen2_5_vl_abs", size, input_size)
        gt = solution_boxes(prompt.sample["solution"])
        assert len(parsed) == len(gt)
        for d, (name, box) in zip(parsed, gt):
            assert d.label == name
            assert np.abs(np.array(d.box) - np.array(box)).max() <= max(
                size[0] / input_size[1], size[1] / input_size[0]
            )
    assert np.isfinite(trainer.train_step()["loss"])


def test_vision_r1_json_needs_detection_data(tmp_path):
    from paddlemix.config import ConfigError
    from paddlemix.datasets.synthetic import write_counting_layout

    root = write_counting_layout(str(tmp_path), n=2, n_eval=1)
    with pytest.raises(ConfigError, match="renders detection samples"):
        sft_config(f"{root}/clevr_cogen_a_train", str(tmp_path / "out"), target_format="vision_r1_json")


def test_box_target_is_the_solution_in_the_models_frame():
    # A 150x150 image resized to 84x84: Qwen2.5-VL's box is the pixel box x 84/150; Qwen2-VL's is in 0-1000.
    sample = {"solution": [15.0, 30.0, 75.0, 150.0]}
    assert render_target(sample, "box", (84, 84), (150, 150), "qwen2_5_vl_abs") == "[8,17,42,84]"
    assert render_target(sample, "box", (84, 84), (150, 150), "qwen2_vl_norm1000") == "[100,200,500,1000]"
    # PR1's training solutions are already 0-1000 (`solution_frame`): the same box either way.
    pr1 = {"solution": "[100, 200, 500, 1000]", "solution_frame": "qwen2_vl_norm1000"}
    assert render_target(pr1, "box", (84, 84), (150, 150), "qwen2_5_vl_abs") == "[8,17,42,84]"
    with pytest.raises(ValueError, match="image size"):
        render_target(sample, "box", (84, 84))


def test_ref_box_target_names_the_object_then_its_box():
    rec = {"solution": [15.0, 30.0, 75.0, 150.0], "normal_caption": "the red circle", "problem": "Please ..."}
    assert (
        render_target(rec, "ref_box", (84, 84), (150, 150), "qwen2_5_vl_abs") == "the red circle [8,17,42,84]"
    )
    pr1 = {"solution": "[100, 200, 500, 1000]", "solution_frame": "qwen2_vl_norm1000", "problem": "the cat"}
    assert (
        render_target(pr1, "ref_box", (84, 84), (150, 150), "qwen2_vl_norm1000")
        == "the cat [100,200,500,1000]"
    )


@pytest.mark.parametrize(
    "model_type, image_size, input_size",
    [("qwen2_5_vl", (130, 130), (84, 84)), ("qwen2_5_vl", (150, 120), (84, 112)), ("qwen2_vl", (130, 130), (84, 84))],
)
def test_aff_r1_target_scores_full_marks_on_its_own_ground_truth(model_type, image_size, input_size):
    # A 130-px (or 150 x 120) image: never a multiple of the 28-px patch, so the 840 -> pixels -> model-frame
    # path rounds; the seed's accuracy (IoU > 0.65, L1 < 10 px, point < 30 px in 840) must still pay all 3.
    from paddlemix.metrics.boxes import frame_for_model
    from paddlemix.rewards import get_reward

    solution = json.dumps([{"bbox_2d": [97, 200, 355, 450], "point_2d": [226, 325], "affordance": "roll"}])
    sample = {"solution": solution, "problem": "The red thing to roll.", "aff_name": "roll"}
    text = render_target(sample, "aff_r1", input_size, image_size, frame_for_model(model_type))
    assert text.startswith("<think>the red thing to roll.</think> <rethink>")
    fields = {
        "solution": [solution],
        "aff_name": ["roll"],
        "model_type": [model_type],
        "image_size": [list(image_size)],
        "input_size": [list(input_size)],
    }
    assert get_reward("aff_accuracy")([text], **fields) == [3.0]  # 3 of 3: the full accuracy term
    assert get_reward("aff_format")([text], **fields) == [4.0]
    assert get_reward("aff_non_repeat")([text], **fields) == [1.0]
    assert get_reward("aff_box_num")([text], **fields) == [1.0]
    assert get_reward("aff_recognition")([text], **fields) == [1.0]
    with pytest.raises(ValueError, match="aff_r1 target needs"):
        render_target(sample, "aff_r1")
