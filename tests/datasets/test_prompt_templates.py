"""The prompt templates, byte for byte against strings copied from the seed, and the messages built from them."""

import pytest

from paddlemix.datasets import templates
from paddlemix.datasets.templates import (
    build_messages,
    counting_eval_messages,
    geoqa_eval_messages,
    prompt_template,
    prompt_text,
    r1v_messages,
    rec_baseline_messages,
    rec_messages,
    sample_messages,
)

# Copied from VLM-R1 src/open-r1-multimodal/src/open_r1/grpo_rec.py (QUESTION_TEMPLATE), identical in PaddleMIX
# paddlemix/examples/r1_mllm/r1_mllm/dataset/qwen2_vl_dataset.py and eval/test_rec.py (method "r1").
SEED_REC = "{Question} First output the thinking process in <think> </think> tags and then output the final answer in <answer> </answer> tags. Output the final answer in JSON format."
# Copied from PaddleMIX paddlemix/examples/r1_mllm/eval/test_rec.py, get_test_template, method "baseline".
SEED_REC_BASELINE = "Locate {Question}, output its bbox coordinates using JSON format."
# Copied from R1-V src/r1-v/src/open_r1/grpo.py (and PaddleMIX train/grpo_r1-v.py): two spaces before "Output".
SEED_R1V = "{Question}  Output the thinking process in <think> </think> and final answer (number) in <answer> </answer> tags."
# Copied from R1-V src/eval/test_qwen2vl_counting_superclevr.py (and PaddleMIX eval/test_r1-v.py).
SEED_COUNTING_EVAL = "{Question} First output the thinking process in <think> </think> and final answer (number) in <answer> </answer> tags."
# Copied from R1-V src/eval/test_qwen2vl_geoqa.py.
SEED_GEOQA_EVAL = "{Question} Output the thinking process in <think> </think> and final answer (number) in <answer> </answer> tags."
# Copied from R1-V src/r1-v/src/open_r1/grpo.py, SYSTEM_PROMPT.
SEED_SYSTEM = "A conversation between User and Assistant. The user asks a question, and the Assistant solves it. The assistant first thinks about the reasoning process in the mind and then provides the user with the answer. The reasoning process and answer are enclosed within <think> </think> and <answer> </answer> tags, respectively, i.e., <think> reasoning process here </think><answer> answer here </answer>"


@pytest.mark.parametrize(
    "ours, seed",
    [
        (templates.REC_TEMPLATE, SEED_REC),
        (templates.REC_BASELINE_TEMPLATE, SEED_REC_BASELINE),
        (templates.R1V_TEMPLATE, SEED_R1V),
        (templates.R1V_COUNTING_EVAL_TEMPLATE, SEED_COUNTING_EVAL),
        (templates.R1V_GEOQA_EVAL_TEMPLATE, SEED_GEOQA_EVAL),
        (templates.R1V_SYSTEM_PROMPT, SEED_SYSTEM),
    ],
)
def test_template_is_the_seeds_word_for_word(ours, seed):
    assert ours == seed


def test_the_details_the_issue_names():
    assert templates.REC_TEMPLATE.endswith("Output the final answer in JSON format.")
    assert "}  Output the thinking process" in templates.R1V_TEMPLATE  # two spaces
    assert "}  " not in templates.R1V_GEOQA_EVAL_TEMPLATE  # the GeoQA eval variant has one


def test_message_shape():
    assert build_messages("hi") == [
        {"role": "user", "content": [{"type": "image"}, {"type": "text", "text": "hi"}]}
    ]


def test_builders_fill_the_question():
    assert rec_messages("Q")[0]["content"][1]["text"] == SEED_REC.replace("{Question}", "Q")
    assert (
        rec_baseline_messages("the dog")[0]["content"][1]["text"]
        == "Locate the dog, output its bbox coordinates using JSON format."
    )
    assert r1v_messages("Q")[0]["content"][1]["text"] == SEED_R1V.replace("{Question}", "Q")
    assert counting_eval_messages("Q")[0]["content"][1]["text"] == SEED_COUNTING_EVAL.replace(
        "{Question}", "Q"
    )
    assert geoqa_eval_messages("Q")[0]["content"][1]["text"] == SEED_GEOQA_EVAL.replace("{Question}", "Q")


def test_sample_dispatch_by_task_and_mode():
    rec = {"task": "rec", "problem": "Please ... : the dog.", "normal_caption": "the dog"}
    assert prompt_text(rec, "train") == SEED_REC.format(Question=rec["problem"])
    assert prompt_text(rec, "baseline") == SEED_REC_BASELINE.format(
        Question="the dog"
    )  # normal_caption, not problem
    assert sample_messages({"task": "geometry", "problem": "Q"}, "eval") == geoqa_eval_messages("Q")
    assert prompt_template("counting", "train") == SEED_R1V


def test_unknown_pairs_and_missing_fields_are_clear_errors():
    with pytest.raises(ValueError, match="known task/mode pairs"):
        prompt_template("counting", "baseline")
    with pytest.raises(KeyError, match="normal_caption"):
        prompt_text({"task": "rec", "problem": "p", "normal_caption": None}, "baseline")
