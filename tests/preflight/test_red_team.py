"""The reward red team (preflight/red_team.py): hackable rewards are named, sound ones pass."""

from __future__ import annotations

from paddlemix.preflight.red_team import THINK, answers, red_team
from paddlemix.rewards import build_rewards

REC = {"image": "x.png", "problem": "the cat", "solution": [100, 80, 300, 240], "task": "rec"}
COUNT = {"image": "x.png", "problem": "How many?", "solution": "<answer>3</answer>", "task": "counting"}
SIZE = (640, 480)
PIXELS = dict(min_pixels=56 * 56, max_pixels=640 * 480)


def _run(funcs, samples, model_type="qwen2_vl"):
    return red_team(funcs, samples, model_type, image_sizes={t: SIZE for t in samples}, **PIXELS)


def test_a_reward_that_pays_an_empty_answer_is_named():
    def lenient(completions, **_):  # Visual-RFT #176: an empty <answer></answer> scored 1
        return [1.0 if "<answer></answer>" in c else 0.0 for c in completions]

    findings = _run({"lenient": lenient}, {"rec": REC})
    assert [(f.case, f.score, f.wrong) for f in findings] == [
        ("empty answer", 1.0, 0.0),
        ("empty tags", 1.0, 0.0),
    ]
    assert findings[0].line() == "reward 'lenient' (rec), case 'empty answer': scored 1 > wrong answer 0"


def test_a_reward_that_reads_the_last_answer_block_is_named():
    def last_block(completions, solution, **_):
        return [1.0 if c.rsplit("<answer>", 1)[-1].startswith("3") else 0.0 for c in completions]

    cases = {f.case for f in _run({"last": last_block}, {"counting": COUNT})}
    assert "repeated think/answer" in cases


def test_the_shipped_rewards_pass_and_the_answers_are_right_and_wrong():
    funcs, _ = build_rewards(["accuracy", "format", "rec_iou", "math_accuracy"])
    assert _run(funcs, {"rec": REC, "counting": COUNT}) == []
    assert _run(funcs, {"rec": REC}, "qwen2_5_vl") == []
    # the case builder's right answer is right and its wrong one wrong, in each model's frame
    for model_type in ("qwen2_vl", "qwen2_5_vl"):
        right, wrong = answers(REC, SIZE, model_type, **PIXELS)
        grid = [1, 476 // 14, 644 // 14]  # 640x480 under max_pixels 640*480 resizes to 644x476
        columns = {k: [v] * 2 for k, v in REC.items()}
        columns.update(image_size=[list(SIZE)] * 2, image_grid_thw=[grid] * 2, model_type=[model_type] * 2)
        completions = [f"{THINK}<answer>{right}</answer>", f"{THINK}<answer>{wrong}</answer>"]
        scores = funcs["rec_iou"](completions, **columns)
        assert scores == [1.0, 0.0], model_type


def test_a_reward_that_raises_on_a_case_is_reported():
    def fragile(completions, **_):
        return [len(c) / (0 if len(c) > 10_000 else 1) * 0 for c in completions]

    (finding,) = _run({"fragile": fragile}, {"rec": REC})
    assert finding.case == "20k characters" and finding.score is None and "ZeroDivisionError" in finding.error
