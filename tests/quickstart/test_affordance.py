"""The affordance quickstart's SFT target, read back by the real eval and rewards, is a perfect answer.

A frame slip anywhere between the target (840 -> original board pixels -> the 84-px input of the original
board) and the eval (the board resized to 840, then to the 84-px input, then mapped back to the original) would
make the model learn boxes the eval scores wrong; these tests feed the target as the model's output. And an
answer cut by the generation budget before "</answer>" scores 0 everywhere: the target must fit it.
"""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
from PIL import Image

from paddlemix.datasets.affordance import load_affordance, load_affordance_eval
from paddlemix.evaluation.affordance import AffordanceRecorder
from paddlemix.evaluation.segmenters import BoxMaskSegmenter
from paddlemix.metrics.affordance import mask_metrics
from paddlemix.metrics.boxes import frame_for_model
from paddlemix.processors.image_processor import smart_resize
from paddlemix.quickstart.affordance import ANSWER_TOKENS, REWARDS, AffordanceQuickstart
from paddlemix.quickstart.one_box import BOARD_MAX_PIXELS
from paddlemix.quickstart.pipeline import copy_tiny_model
from paddlemix.rewards import get_reward
from paddlemix.sft.targets import render_target

FRAME = frame_for_model("qwen2_5_vl")


def input_size(image_path: str) -> tuple[int, int]:
    """(h, w) of the processor's input of an image, as the copied checkpoint's max_pixels resizes it."""
    with Image.open(image_path) as img:
        w, h = img.size
    return smart_resize(h, w, max_pixels=BOARD_MAX_PIXELS)


@pytest.fixture(scope="module", params=[(1, 1), (2, 3)], ids=["one_object", "two_or_three"])
def data(request, tmp_path_factory):
    out = tmp_path_factory.mktemp("aff")
    lo, hi = request.param
    args = SimpleNamespace(seed=3, n_train=60, n_eval=12, min_objects=lo, max_objects=hi, prompt="question")
    return AffordanceQuickstart().write_data(str(out), args)


def target_of(sample: dict) -> str:
    """The SFT target the trainer renders for a training-style sample (its original board image)."""
    with Image.open(sample["image"]) as img:
        size = img.size
    return render_target(sample, "aff_r1", input_size(sample["image"]), size, FRAME)


def test_the_boards_are_resized_so_the_frames_differ(data):
    # The path is only exercised when the input is not the original image: 120-162 px boards -> 84 x 84.
    for sample in load_affordance(data.train):
        with Image.open(sample["image"]) as img:
            assert img.size[0] > 84 and input_size(sample["image"]) == (84, 84)


def test_the_sft_target_scores_p50_100_through_the_eval(data):
    # Each eval row, as a training sample on its original board, rendered as the SFT target; then scored as
    # the eval scores it: on the 840-px resized test image, whose processor input is again 84 x 84.
    rows = [json.loads(line) for line in open(data.eval_file)]
    samples = load_affordance_eval(data.eval_file, resize=840, cache_dir=str(data.eval_root) + "_cache")
    recorder = AffordanceRecorder(BoxMaskSegmenter(), FRAME.value)
    results = []
    for row, sample in zip(rows, samples):
        train_like = {**row, "image": sample["original_image"], "question": sample["question"]}
        output = target_of(train_like)
        with Image.open(sample["image"]) as img:
            assert img.size == (840, 840)
        h, w = input_size(sample["image"])
        info = {"image_size": [840, 840], "image_grid_thw": [1, h // 14, w // 14], "input_size": [h, w]}
        results.append(recorder(sample, output, info))
    assert [r["failure"] for r in results] == [None] * len(results)
    ious = [r["intersection"] / r["union"] for r in results]
    assert min(ious) > 0.8, ious
    metrics = mask_metrics([r["intersection"] for r in results], [r["union"] for r in results])
    assert metrics["P@50"] == 1.0


# The seed's five terms at their maximum: format 0..4, accuracy 0..3, the other three 0..1.
BEST = {"format": 4.0, "accuracy": 3.0, "aff_non_repeat": 1.0, "aff_box_num": 1.0, "aff_recognition": 1.0}
REGISTERED = {"format": "aff_format", "accuracy": "aff_accuracy"}


def test_the_sft_target_earns_every_reward_term_in_full(data):
    samples = list(load_affordance(data.train))
    completions = [target_of(s) for s in samples]
    columns = {
        "solution": [s["solution"] for s in samples],
        "aff_name": [s["aff_name"] for s in samples],
        "task": ["affordance"] * len(samples),
        "model_type": ["qwen2_5_vl"] * len(samples),
        "image_size": [Image.open(s["image"]).size for s in samples],
        "input_size": [input_size(s["image"]) for s in samples],
    }
    assert set(REWARDS.split(",")) == set(BEST)
    for name, best in BEST.items():
        scores = get_reward(REGISTERED.get(name, name))(completions, **columns)
        assert scores == [best] * len(samples), (name, scores, completions[0])


def test_the_sft_target_and_its_end_token_fit_the_generation_budget(data, tmp_path):
    from paddlemix.processors import Qwen2VLProcessor

    tokenizer = Qwen2VLProcessor.from_pretrained(copy_tiny_model(str(tmp_path), "qwen2_5_vl")).tokenizer
    lengths = [len(tokenizer(target_of(s))["input_ids"]) for s in load_affordance(data.train)]
    # The end token, and a few tokens of slack for a model that spells a word in more pieces than the target.
    assert max(lengths) + 1 + 8 <= ANSWER_TOKENS, max(lengths)


@pytest.mark.parametrize("prompt", ["seed", "question"])
def test_the_prompt_flag_reaches_training_and_eval_alike(prompt, tmp_path):
    from paddlemix.tasks import sample_messages

    args = SimpleNamespace(seed=0, n_train=2, n_eval=2, min_objects=1, max_objects=1, prompt=prompt)
    data = AffordanceQuickstart().write_data(str(tmp_path), args)
    train = list(load_affordance(data.train))
    test = load_affordance_eval(data.eval_file, cache_dir=str(tmp_path / "cache"))
    for sample, mode in [(s, "train") for s in train] + [(s, "eval") for s in test]:
        text = sample_messages(sample, mode)[0]["content"][-1]["text"]
        first = f'\nPlease answer "{sample["question"]}" with bboxs and points.'
        assert text.startswith(first)
        # The seed's prompt goes on for ~460 tokens after its first sentence; "question" stops there.
        assert (text == first) == (prompt == "question"), text
        if prompt == "seed":
            assert "<rethink> rethinking process here </rethink>" in text


def test_the_shuffled_control_scores_where_the_answer_is_relative_to_the_new_image(data, tmp_path):
    # The boards differ in size: a mask kept at its own image's size fails the eval on the permuted image
    # (every sample 0, whatever the model says). The truth answered on the shuffled set must score 100.
    shuffled = AffordanceQuickstart().shuffled(data, str(tmp_path / "shuffled"), seed=0)
    rows = [json.loads(line) for line in open(shuffled.eval_file)]
    samples = load_affordance_eval(shuffled.eval_file, cache_dir=str(tmp_path / "cache"))
    assert [r["image"] for r in rows] != [r["image"] for r in map(json.loads, open(data.eval_file))]
    recorder = AffordanceRecorder(BoxMaskSegmenter(), FRAME.value)
    hits = 0
    for row, sample in zip(rows, samples):
        # The row's answer, in the model's frame of the image it now shows (both are 84 x 84 inputs).
        output = target_of({**row, "image": sample["original_image"], "question": sample["question"]})
        assert Image.open(sample["mask"]).size == (sample["img_width"], sample["img_height"])
        info = {"image_size": [840, 840], "image_grid_thw": [1, 6, 6], "input_size": [84, 84]}
        result = recorder(sample, output, info)
        assert result["failure"] is None, result["failure"]
        hits += result["intersection"] / result["union"] > 0.5
    assert hits == len(rows)
