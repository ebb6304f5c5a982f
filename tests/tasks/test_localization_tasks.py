"""The detection, ovd, grounding and counting_boxes tasks: data resolution and loading, prompts, rewards."""

from __future__ import annotations

import json
import os

import pytest

from paddlemix.datasets.localization import qwen_problem
from paddlemix.datasets.synthetic.localization import (
    write_detection_layout,
    write_grounding_layout,
    write_ovd_layout,
)
from paddlemix.rewards import build_rewards, compute_rewards, get_reward
from paddlemix.tasks import get_task, load_task_samples, prompt_text, resolve_task


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> str:
    """Synthetic Detection/, OVD/ and Grounding/ folders."""
    out = str(tmp_path_factory.mktemp("data"))
    for writer in (write_detection_layout, write_ovd_layout, write_grounding_layout):
        writer(out, n=16, n_eval=3, seed=2)
    return out


def test_folders_resolve_to_their_task(data):
    assert resolve_task(os.path.join(data, "Detection", "Vision-R1-Data")) == "detection"
    assert resolve_task(os.path.join(data, "Grounding", "refcoco_320k")) == "grounding"
    # .json / .jsonl are REC's too: the task is named
    assert resolve_task(os.path.join(data, "OVD", "ovd_train.jsonl"), "ovd") == "ovd"
    coco = os.path.join(data, "Detection", "coco", "annotations", "instances_val2017.json")
    assert resolve_task(coco, "detection") == "detection"


def test_vision_r1_samples_carry_its_fields_and_qwen_prompt(data):
    samples = list(load_task_samples(os.path.join(data, "Detection", "Vision-R1-Data")))
    assert samples and all(s["task"] == "detection" for s in samples)
    for s in samples:
        assert 1 <= s["num_instances"] <= 30 and os.path.isfile(s["image"])
        assert prompt_text(s) == s["problem"] and "output the coordinates in JSON format" in s["problem"]
        assert set(json.loads(s["target_id_maps"])) >= {name for name, _ in json.loads(s["solution"])}


QWEN_CASES = [
    (
        "Examine the image for any objects from the category set. Report the coordinates of each detected object."
        " The category set includes cat, dog.",
        "Locate every item from the category list in the image and output the coordinates in JSON format. The "
        "category set includes cat, dog.",
    ),
    (
        "Can you point out cat in the image and provide the coordinates of its location?",
        "Locate every cat in the image and output the coordinates in JSON format.",
    ),
    (
        "Locate the exact position of cat in the picture, if you can.",
        "Locate every cat in the image and output the coordinates in JSON format.",
    ),
]


def test_vision_r1_records_file_loads_like_the_folder(data, tmp_path):
    folder = load_task_samples(os.path.join(data, "Detection", "Vision-R1-Data"))
    griffon = "Can you point out circle in the image and provide the coordinates of its location?"
    records = [
        {
            "image": os.path.basename(s["image"]),
            "problem": griffon,
            **{k: s[k] for k in ("solution", "width", "height", "num_instances", "target_id_maps")},
        }
        for s in list(folder)[:3]
    ]
    path = tmp_path / "vision_r1_train.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in records))
    samples = list(
        load_task_samples(str(path), task="detection", image_root=os.path.dirname(folder[0]["image"]))
    )
    assert len(samples) == 3 and all(os.path.isfile(s["image"]) for s in samples)
    assert (
        samples[0]["problem"] == "Locate every circle in the image and output the coordinates in JSON format."
    )
    assert [s["solution"] for s in samples] == [s["solution"] for s in list(folder)[:3]]


@pytest.mark.parametrize("griffon, qwen", QWEN_CASES)
def test_vision_r1_problem_rewrite(griffon, qwen):
    assert qwen_problem(griffon) == qwen


def test_coco_file_becomes_one_prompt_per_image(data):
    coco = os.path.join(data, "Detection", "coco", "annotations", "instances_val2017.json")
    images = os.path.join(data, "Detection", "coco", "val2017")
    samples = list(load_task_samples(coco, task="detection", image_root=images))
    with open(coco, encoding="utf-8") as f:
        raw = json.load(f)
    assert len(samples) == len(raw["images"])  # images without objects are kept
    assert sum(s["num_instances"] for s in samples) == len(raw["annotations"])
    assert samples[0]["problem"].endswith("The category set includes circle, square, triangle.")


def test_ovd_samples_are_vlm_r1_records(data):
    samples = list(
        load_task_samples(os.path.join(data, "OVD", "ovd_train.jsonl"), task="ovd", image_root=None)
    )
    assert len(samples) == 16
    # every 8th record has two images: both kept, in order; the boxes are in the last (`image`)
    assert [len(s.get("images", [s["image"]])) for s in samples].count(2) == 2
    assert all(s["image"] == s["images"][-1] for s in samples if "images" in s)
    for s in samples:
        assert s["solution"].startswith("<answer> ") and s["accu_reward_method"] == "odLength"
        assert "<image>" not in s["problem"] and prompt_text(s).endswith(s["problem"])


def test_grounding_samples_and_prompt(data):
    sample = load_task_samples(os.path.join(data, "Grounding", "refcoco_320k"))[0]
    assert sample["solution_frame"] == "qwen2_vl_norm1000"
    assert prompt_text(sample) == f"Output the bounding box of the {sample['problem']} in the image."


def test_task_rewards_score_their_samples_and_skip_others():
    # od_length on a rec sample does not apply (None); on an ovd sample it scores
    fn = get_reward("od_length")
    ovd = {"solution": "<answer> None </answer>", "coord_frame": "original"}
    assert fn(["<answer>None</answer>"], **{k: [v] for k, v in {**ovd, "task": "ovd"}.items()}) == [1.0]
    assert fn(["<answer>None</answer>"], **{k: [v] for k, v in {**ovd, "task": "rec"}.items()}) == [None]


def test_generic_accuracy_dispatches_to_the_task_reward():
    funcs, weights = build_rewards(["accuracy", "format"])
    columns = {
        "solution": ["[0, 0, 500, 500]"],
        "solution_frame": ["qwen2_vl_norm1000"],
        "model_type": ["qwen2_vl"],
        "image_size": [[100, 100]],
        "task": ["grounding"],
    }
    total, per_func, errors = compute_rewards(funcs, weights, ["the cat(0,0),(500,500)"], columns)
    assert per_func["accuracy"][0] == 1.0 and per_func["format"][0] == 1.0 and not any(errors.values())


def test_each_task_names_registered_rewards():
    from paddlemix.rewards import reward_names

    for name in ("detection", "ovd", "grounding", "counting_boxes"):
        task = get_task(name)
        assert set(task.rewards.values()) | set(task.other_rewards) <= set(reward_names())
