"""VLM-R1's general jsonl as samples: problem and solution as VLM-R1 derives them, images in order, methods."""

from __future__ import annotations

import json

import pytest
from PIL import Image

from paddlemix.config import ConfigError
from paddlemix.datasets.images import upscale_small
from paddlemix.datasets.vlm_r1 import load_vlm_r1, parse_sources, read_sources_yaml
from paddlemix.errors import DataError
from paddlemix.tasks import sample_messages
from paddlemix.tasks.vlm_r1 import load_samples, sources_of


def write(tmp_path, name: str, records: list[dict], images=("a.png", "b.png", "c.png", "d.png")) -> str:
    """A jsonl of `records` under tmp_path, with the named 32 px images beside it."""
    for image in images:
        Image.new("RGB", (32, 32), (9, 9, 9)).save(tmp_path / image)
    path = tmp_path / name
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return str(path)


def record(image, human="<image>What is it?", gpt="<answer> cat </answer>", **extra) -> dict:
    return {
        "id": 1,
        "image": image,
        "conversations": [{"from": "human", "value": human}, {"from": "gpt", "value": gpt}],
        **extra,
    }


def test_problem_and_solution_as_vlm_r1_derives_them(tmp_path):
    path = write(tmp_path, "a.jsonl", [
        record("a.png", human="<image>\nWhat is it?", gpt="<answer> cat </answer>"),
        record(["a.png", "b.png", "c.png"], human="<image><image><image>Which differs?", gpt=3),
        record("b.png", gpt="  dog  "),
    ])  # fmt: skip
    samples = load_vlm_r1(parse_sources(path, str(tmp_path)))
    one, three, bare = samples[0], samples[1], samples[2]
    assert one["problem"] == "\nWhat is it?"  # <image> removed, not stripped
    assert one["solution"] == "<answer> cat </answer>"  # tags removed, stripped, re-wrapped
    assert three["solution"] == "<answer> 3 </answer>"  # a number is str()-ed
    assert bare["solution"] == "<answer> dog </answer>"
    assert three["images"] == [str(tmp_path / n) for n in ("a.png", "b.png", "c.png")]  # in order
    assert three["image"] == str(tmp_path / "c.png") and "images" not in one
    assert [s["accu_reward_method"] for s in samples] == ["default"] * 3  # no --reward_method: default
    content = sample_messages(three)[0]["content"]
    assert [c["type"] for c in content] == ["image", "image", "image", "text"]


def test_files_folders_and_methods_pair_up_and_the_record_wins(tmp_path):
    (tmp_path / "x").mkdir()
    (tmp_path / "y").mkdir()
    a = write(tmp_path / "x", "a.jsonl", [record("a.png"), record("b.png", accu_reward_method="yes_no")])
    b = write(tmp_path / "y", "b.jsonl", [record(["a.png", "b.png"])])
    samples = load_vlm_r1(parse_sources(f"{a}:{b}", f"{tmp_path / 'x'}:{tmp_path / 'y'}", "mcq:all_match"))
    assert [s["accu_reward_method"] for s in samples] == ["mcq", "yes_no", "all_match"]
    assert samples[2]["images"][0] == str(tmp_path / "y" / "a.png")


def test_yaml_lists_the_same_sources(tmp_path):
    write(tmp_path, "a.jsonl", [record("a.png")])
    (tmp_path / "data.yaml").write_text(
        "datasets:\n  - data_file: a.jsonl\n    image_folder: .\n    reward_method: math\n"
    )
    (source,) = read_sources_yaml(str(tmp_path / "data.yaml"))
    assert source.reward_method == "math" and source.data_file == str(tmp_path / "a.jsonl")
    assert sources_of(str(tmp_path / "data.yaml")) == [source]


@pytest.mark.parametrize("task_type, start", [
    ("rec", "\nQ? First output the thinking process in <think> </think> tags and then output the final answer in "
            "<answer> </answer> tags. Output the final answer in JSON format."),
    ("ic", "\nQ? First thinks about the reasoning process in the mind and then provides the user with the answer. "
           "The reasoning process and answer are enclosed within <think> </think> and <answer> </answer> tags, "
           "respectively, i.e., <think> reasoning process here </think><answer> json format answer here </answer>"),
    ("odLength", "First thinks about the reasoning process in the mind and then provides the user with the answer. "
                 "The reasoning process and answer are enclosed within <think> </think> and <answer> </answer> "
                 "tags, respectively, i.e., <think> reasoning process here </think><answer> answer here </answer>"
                 "\n\nQ?"),
    ("gui", "\nQ? First output the thinking process in <think> </think> tags and then output the final answer in "
            "<answer> </answer> tags."),
    (None, "\nQ? First output the thinking process in <think> </think> tags and then output the final answer in "
           "<answer> </answer> tags."),
])  # fmt: skip
def test_prompt_by_task_type_word_for_word(tmp_path, task_type, start):
    path = write(tmp_path, "a.jsonl", [record("a.png", human="<image>\nQ?")])
    (sample,) = load_samples(parse_sources(path, str(tmp_path)), task_type)
    assert sample_messages(sample)[0]["content"][-1]["text"] == start


def test_bad_inputs_name_the_place(tmp_path):
    path = write(tmp_path, "a.jsonl", [record("a.png", accu_reward_method="mcqq")])
    with pytest.raises(DataError, match=r"a\.jsonl:1: unknown accuracy method 'mcqq'"):
        load_vlm_r1(parse_sources(path, str(tmp_path)))
    with pytest.raises(ConfigError, match="2 file.*1 folder"):
        parse_sources(f"{path}:{path}", str(tmp_path))
    with pytest.raises(ConfigError, match="3 method.*2 --data_file_paths"):
        parse_sources(f"{path}:{path}", f"{tmp_path}:{tmp_path}", "mcq:math:llm")
    with pytest.raises(ConfigError, match="--reward_method 'exact' is unknown"):
        parse_sources(path, str(tmp_path), "exact")
    with pytest.raises(ConfigError, match="--task_type 'detect' is unknown"):
        load_samples(parse_sources(path, str(tmp_path)), "detect")
    text_only = write(tmp_path, "t.jsonl", [{"id": 1, "conversations": [{"from": "human", "value": "q"}]}])
    with pytest.raises(DataError, match=r"t\.jsonl:1: not a VLM-R1 record"):
        load_vlm_r1(parse_sources(text_only, str(tmp_path)))


def test_a_missing_image_skips_its_record_counted(tmp_path):
    path = write(tmp_path, "a.jsonl", [record(["a.png", "gone.png"]), record("b.png")])
    samples = load_vlm_r1(parse_sources(path, str(tmp_path)))
    assert len(samples) == 1 and samples.skipped.count == 1
    assert "gone.png" in samples.skipped.items[0][0]


def test_llm_data_needs_a_reachable_judge(tmp_path):
    path = write(tmp_path, "a.jsonl", [record("a.png", accu_reward_method="llm")])
    with pytest.raises(ConfigError, match="--llm_judge_url"):
        load_samples(parse_sources(path, str(tmp_path)))


@pytest.mark.parametrize("size, expected", [((10, 40), (28, 112)), ((40, 10), (112, 28)), ((20, 20), (28, 28)),
                                            ((28, 100), (28, 100)), ((27, 30), (28, 31))])  # fmt: skip
def test_images_under_28_px_are_upscaled_as_vlm_r1_does(size, expected):
    """The shorter side becomes 28, the other int(side * 28 / shorter) (VLM-R1's grpo_trainer)."""
    assert upscale_small(Image.new("RGB", size)).size == expected
