"""The tasks' prompt templates, byte for byte against strings copied from the seed, and the messages built from them."""

import pytest

from paddlemix.tasks import (
    build_messages,
    counting,
    geometry,
    prompt_template,
    prompt_text,
    r1v,
    rec,
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
        (rec.REC_TEMPLATE, SEED_REC),
        (rec.REC_BASELINE_TEMPLATE, SEED_REC_BASELINE),
        (r1v.R1V_TEMPLATE, SEED_R1V),
        (counting.COUNTING_EVAL_TEMPLATE, SEED_COUNTING_EVAL),
        (geometry.GEOQA_EVAL_TEMPLATE, SEED_GEOQA_EVAL),
        (r1v.R1V_SYSTEM_PROMPT, SEED_SYSTEM),
    ],
)
def test_template_is_the_seeds_word_for_word(ours, seed):
    assert ours == seed


def test_the_details_the_issue_names():
    assert rec.REC_TEMPLATE.endswith("Output the final answer in JSON format.")
    assert "}  Output the thinking process" in r1v.R1V_TEMPLATE  # two spaces
    assert "}  " not in geometry.GEOQA_EVAL_TEMPLATE  # the GeoQA eval variant has one


def test_message_shape():
    assert build_messages("hi") == [
        {"role": "user", "content": [{"type": "image"}, {"type": "text", "text": "hi"}]}
    ]


def test_sample_dispatch_by_task_and_mode():
    rec = {"task": "rec", "problem": "Please ... : the dog.", "normal_caption": "the dog"}
    assert prompt_text(rec, "train") == SEED_REC.format(Question=rec["problem"])
    assert prompt_text(rec, "baseline") == SEED_REC_BASELINE.format(
        Question="the dog"
    )  # normal_caption, not problem
    assert sample_messages({"task": "geometry", "problem": "Q"}, "eval") == build_messages(
        SEED_GEOQA_EVAL.replace("{Question}", "Q")
    )
    assert prompt_template("counting", "train") == SEED_R1V


def test_unknown_pairs_and_missing_fields_are_clear_errors():
    with pytest.raises(ValueError, match="has no 'baseline' prompt"):
        prompt_template("counting", "baseline")
    with pytest.raises(KeyError, match="normal_caption"):
        prompt_text({"task": "rec", "problem": "p", "normal_caption": None}, "baseline")
