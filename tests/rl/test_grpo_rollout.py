"""Rollout scoring: rewards see the sample's fields plus the image and model facts that REC boxes need."""

from __future__ import annotations

import json

import numpy as np
import paddle

from paddlemix.datasets import load_data_yaml
from paddlemix.datasets.synthetic import write_rec_layout
from paddlemix.processors import Qwen2VLProcessor
from paddlemix.rewards import build_rewards
from paddlemix.rl.grpo.rollout import Group, score_group
from paddlemix.training.data import PromptEncoder
from tests.helpers import tiny_dir


def test_rec_rewards_get_image_size_grid_and_model_type(tmp_path):
    write_rec_layout(str(tmp_path), n=3, n_eval=1)
    sample = load_data_yaml(str(tmp_path / "rec.yaml"), image_root=str(tmp_path / "REC"))[0]
    processor = Qwen2VLProcessor.from_pretrained(tiny_dir("qwen2_5_vl_tied"))
    prompt = PromptEncoder(processor, 4096).encode(sample)
    (w, h), (_, gh, gw) = prompt.image_size, prompt.inputs["image_grid_thw"][0]
    # Qwen2.5-VL answers in pixels of its resized input (grid × 14); the reward maps back to the original.
    sx, sy = gw * 14 / w, gh * 14 / h
    x1, y1, x2, y2 = sample["solution"]
    box = [round(x1 * sx), round(y1 * sy), round(x2 * sx), round(y2 * sy)]
    right = f"<think>it is there</think><answer>{json.dumps({'bbox_2d': box})}</answer>"
    wrong = "<think>no idea</think><answer>[0, 0, 1, 1]</answer>"
    group = Group(
        slot=0,
        micro_step=0,
        prompt=prompt,
        inputs={},
        completion_ids=paddle.zeros([2, 1], dtype="int64"),
        completion_mask=paddle.ones([2, 1], dtype="int64"),
        sampling_logprobs=paddle.zeros([2, 1]),
        texts=[right, wrong],
    )
    funcs, weights = build_rewards(["accuracy", "format"], [1.0, 0.5])
    score_group(group, funcs, weights, "qwen2_5_vl")
    np.testing.assert_allclose(group.per_func["accuracy"], [1.0, 0.0])
    np.testing.assert_allclose(group.per_func["format"], [1.0, 0.0])  # the wrong one has no JSON object
    np.testing.assert_allclose(group.rewards, [1.5, 0.0])
    assert group.reward_errors == {"accuracy": 0, "format": 0}
