"""Two images per sample (VLM-R1's multi-image OVD records): encoded together, scored in the last image's frame."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import paddle

from paddlemix.datasets.localization import load_vlm_r1_jsonl
from paddlemix.datasets.synthetic.localization import write_ovd_layout
from paddlemix.processors import Qwen2VLProcessor
from paddlemix.rewards import build_rewards
from paddlemix.rl.grpo.rollout import Group, score_group
from paddlemix.training.data import PromptEncoder
from tests.helpers import tiny_dir

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def two_image_samples(tmp_path):
    """The two-image records of a synthetic OVD set, as samples."""
    write_ovd_layout(str(tmp_path), n=16, n_eval=1)
    samples = load_vlm_r1_jsonl(str(tmp_path / "OVD" / "ovd_train.jsonl"))
    return [s for s in samples if len(s.get("images", [])) == 2]


def test_two_images_are_encoded_and_the_reward_uses_the_last(tmp_path):
    samples = two_image_samples(tmp_path)
    assert len(samples) == 2
    sample = samples[0]
    processor = Qwen2VLProcessor.from_pretrained(tiny_dir("qwen2_5_vl_tied"))
    prompt = PromptEncoder(processor, 8192).encode(sample)
    grids = prompt.inputs["image_grid_thw"]
    assert grids.shape == (2, 3)  # both images in the prompt, in order
    (w, h), (_, gh, gw) = prompt.image_size, grids[-1]
    # the truth, written as Qwen2.5-VL would, in pixels of the second image's resized input
    truth = json.loads(sample["solution"][len("<answer> ```json") : -len("``` </answer>")] or "[]")
    sx, sy = gw * 14 / w, gh * 14 / h
    items = [
        {
            "bbox_2d": [round(b[0] * sx), round(b[1] * sy), round(b[2] * sx), round(b[3] * sy)],
            "label": t["label"],
        }
        for t in truth
        for b in [t["bbox_2d"]]
    ]
    right = (
        "<think>t</think><answer>"
        + ("```json\n" + json.dumps(items) + "\n```" if items else "None")
        + "</answer>"
    )
    group = Group(
        slot=0,
        micro_step=0,
        prompt=prompt,
        inputs={},
        completion_ids=paddle.zeros([2, 1], dtype="int64"),
        completion_mask=paddle.ones([2, 1], dtype="int64"),
        sampling_logprobs=paddle.zeros([2, 1]),
        texts=[right, "<think>t</think><answer>```json\n[]\n```</answer>"],
    )
    funcs, weights = build_rewards(["od_length"])
    score_group(group, funcs, weights, "qwen2_5_vl")
    assert group.per_func["od_length"][0] > 0.9 and group.per_func["od_length"][1] == 0.0


def test_training_runs_on_two_image_samples(tmp_path):
    samples = two_image_samples(tmp_path)
    path = tmp_path / "two_images.jsonl"
    path.write_text("\n".join(json.dumps(s["record"]) for s in samples) + "\n")
    out = tmp_path / "out"
    proc = subprocess.run(
        [sys.executable, "-m", "paddlemix.rl.grpo.train", "--config", "configs/grpo_ovd_tiny_cpu.yaml",
         "--dataset_name", str(path), "--image_root", str(tmp_path / "OVD"), "--max_steps", "1",
         "--max_completion_length", "4", "--save_steps", "100", "--output_dir", str(out)],
        cwd=REPO, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = [json.loads(line) for line in (out / "completions.jsonl").read_text().splitlines()]
    assert rows and all("od_length" in r["rewards"] for r in rows)
    assert "dropping sample" not in proc.stderr
