"""VLM-R1's general-jsonl rewards: dispatch on the record's method, the LLM judge (against a local stub server),
the cosine length and repetition rewards, and the reward-attack rule (no degenerate answer beats a wrong one)."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from paddlemix.metrics.llm_judge import JudgeError, LlmJudge
from paddlemix.metrics.vlm_r1 import JUDGE_INSTRUCTION
from paddlemix.rewards import compute_rewards, get_reward

LONG = 20_000


def score(name: str, completion: str, **fields) -> float | None:
    """One reward on one completion with the sample's fields."""
    fields.setdefault("task", "vlm_r1")
    return get_reward(name)([completion], **{k: [v] for k, v in fields.items()})[0]


class _Judge(BaseHTTPRequestHandler):
    """An OpenAI-compatible /chat/completions that says 1.0 iff the student's answer is the correct one."""

    requests: list[dict] = []
    delay = 0.0

    def do_POST(self):  # noqa: N802 (http.server's name)
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).requests.append(body)
        time.sleep(type(self).delay)
        last = body["messages"][-1]["content"]
        if last.startswith("Student's response: "):
            student, gold = (line.split(": ", 1)[1] for line in last.split("\n")[:2])
            text = "1.0" if student.lower() == gold.lower() else "0.0"
        else:
            text = "1.0"
        reply = json.dumps({"choices": [{"message": {"role": "assistant", "content": text}}]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, *_):
        pass


@pytest.fixture
def judge_url():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Judge)
    _Judge.requests, _Judge.delay = [], 0.0
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
    server.server_close()


def unused_port_url() -> str:
    """A local URL nobody listens on."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Judge)
    port = server.server_address[1]
    server.server_close()
    return f"http://127.0.0.1:{port}/v1"


@pytest.mark.parametrize(
    "method, completion, solution, expected",
    [
        ("mcq", "<answer>B</answer>", "<answer> B </answer>", 1.0),
        ("yes_no", "<answer>no</answer>", "<answer> yes </answer>", 0.0),
        ("all_match", "<answer>No Defect</answer>", "<answer> No Defect </answer>", 1.0),
        ("math", "<answer>1/2</answer>", "<answer> 0.5 </answer>", 1.0),
        ("default", "<answer>car</answer>", "<answer> cat </answer>", 2 / 3),
        (None, "<answer>car</answer>", "<answer> cat </answer>", 2 / 3),  # no method: default
        ("odLength", "<answer>None</answer>", "<answer> None </answer>", 1.0),  # through the OVD rewards
        ("weighted_sum", "<answer>None</answer>", "<answer> None </answer>", 1.0),
    ],
)
def test_accuracy_dispatches_on_the_record_method(method, completion, solution, expected):
    # the rollout's columns, which the detection methods read to map boxes to pixels
    frame = dict(model_type="qwen2_5_vl", image_size=[56, 56], image_grid_thw=[1, 4, 4])
    got = score("vlm_r1_accuracy", completion, solution=solution, accu_reward_method=method, **frame)
    assert got == pytest.approx(expected)


def test_each_method_alone_ignores_the_record_method():
    # the record says mcq, the reward is yes_no: "no" inside "know" counts only with VLM-R1's quirks
    fields = dict(solution="<answer> yes </answer>", accu_reward_method="mcq")
    assert score("vlm_r1_yes_no", "<answer>I know: yes</answer>", **fields) == 1.0
    assert score("vlm_r1_yes_no", "<answer>I know: yes</answer>", vlm_r1_quirks=True, **fields) == 0.0
    assert score("vlm_r1_all_match", "<answer>Yes</answer>", **fields) == 1.0


def test_rewards_do_not_score_another_tasks_samples():
    for name in ("vlm_r1_accuracy", "vlm_r1_mcq", "vlm_r1_length", "vlm_r1_repetition"):
        assert score(name, "<answer>B</answer>", solution="B", task="rec", completion_length=3) is None


def test_llm_judge_is_asked_vlm_r1s_question(judge_url):
    judge = {"url": judge_url, "model": "qwen2.5:7b", "timeout": 5}
    right = score(
        "vlm_r1_llm",
        "<think>x</think><answer>Paris</answer>",
        solution="<answer> paris </answer>",
        llm_judge=judge,
    )
    wrong = score("vlm_r1_accuracy", "<answer>Rome</answer>", solution="<answer> Paris </answer>",
                  accu_reward_method="llm", llm_judge=judge)  # fmt: skip
    assert (right, wrong) == (1.0, 0.0)
    body = _Judge.requests[0]
    assert body["model"] == "qwen2.5:7b" and body["temperature"] == 0
    assert body["messages"][0] == {"role": "user", "content": JUDGE_INSTRUCTION}
    assert (
        body["messages"][1]["content"]
        == "Student's response: Paris\nCorrect solution: paris\nOutput only 1.0 or 0.0:"
    )


def test_unreachable_judge_is_an_error_not_exact_match():
    judge = {"url": unused_port_url(), "model": "m", "timeout": 2}
    # VLM-R1 would fall back to exact string equality and pay 1.0 here
    with pytest.raises(JudgeError, match="unreachable"):
        score("vlm_r1_llm", "<answer>Paris</answer>", solution="<answer> Paris </answer>", llm_judge=judge)
    # in a training step the runner counts the failure and the completion gets 0, never the fallback's 1
    total, per_func, errors = compute_rewards(
        {"vlm_r1_llm": get_reward("vlm_r1_llm")},
        [1.0],
        ["<answer>Paris</answer>"],
        {"solution": ["<answer> Paris </answer>"], "llm_judge": [judge], "task": ["vlm_r1"]},
    )
    assert errors == {"vlm_r1_llm": 1} and total[0] == 0.0


def test_judge_timeout_and_missing_url(judge_url):
    _Judge.delay = 1.5
    with pytest.raises(JudgeError, match="unreachable"):
        LlmJudge(judge_url, timeout=0.3).check()
    with pytest.raises(JudgeError, match="needs a judge endpoint"):
        score("vlm_r1_llm", "<answer>x</answer>", solution="x", llm_judge=None)


@pytest.mark.parametrize(
    "completion, method, length, seed_bug, expected",
    [
        ("<answer>No Defect</answer>", "all_match", 0, False, 1.0),  # right at length 0
        ("<answer>Overlap</answer>", "all_match", 0, False, -0.5),  # wrong at length 0
        ("<answer>Overlap</answer>", "all_match", 0, True, 1.0),  # VLM-R1: every answer is right
        ("<answer>No Defect</answer>", "all_match", 2048, False, 0.5),  # clipped at 1024
        ("<answer>No Defect</answer>", "all_match", 2048, True, 1.0),  # VLM-R1: rises again past 1024
        ("<answer>car</answer>", "default", 0, False, -0.5),  # ratio 2/3 < 0.7: wrong
        ("<answer>cats</answer>", "default", 0, False, 1.0),  # ratio 6/7 >= 0.7: right
    ],
)
def test_length_reward_takes_correctness_from_the_method(completion, method, length, seed_bug, expected):
    solution = "<answer> No Defect </answer>" if method == "all_match" else "<answer> cat </answer>"
    got = score("vlm_r1_length", completion, solution=solution, accu_reward_method=method,
                completion_length=length, cosine_seed_bug=seed_bug)  # fmt: skip
    assert got == pytest.approx(expected)


def test_length_reward_needs_the_token_count():
    with pytest.raises(ValueError, match="completion_length"):
        score("vlm_r1_length", "x", solution="x")


def test_repetition_reward():
    assert score("vlm_r1_repetition", "loop " * 12) == pytest.approx(-(1 - 1 / 7))
    assert score("vlm_r1_repetition", "") == 0.0


# (method, solution, a plainly wrong answer, degenerate answers): the reward-attack rule, quirks fixed.
ATTACKS = [
    ("mcq", "<answer> B </answer>", "<answer>C</answer>",
     ["", "<answer></answer>", "<answer>A or B</answer>", "<answer>A, B, C, D</answer>", "A. B. C. D. " * 2000,
      "<answer>" + "B. " * 7000 + "</answer>"]),
    ("yes_no", "<answer> yes </answer>", "<answer>no</answer>",
     ["", "<answer></answer>", "<answer>yes and no</answer>", "<answer>no or yes</answer>", "yes " * 5000,
      "<answer>maybe</answer>"]),
    ("all_match", "<answer> No Defect </answer>", "<answer>Overlap</answer>",
     ["", "<answer></answer>", "<answer>No Defect or Overlap</answer>", "No Defect " * 2000]),
    ("default", "<answer> cat </answer>", "<answer>dog</answer>",
     ["", "<answer></answer>", "<answer>cat or dog</answer>", "<answer>dog, cat</answer>", "cat " * 5000,
      "<answer>" + "cat" * 7000 + "</answer>"]),
    ("default", "<answer> 3 </answer>", "<answer>4</answer>",
     ["", "<answer></answer>", "<answer>4 or 3</answer>", "<answer>1, 2, 3</answer>", "3 " * 10000]),
    ("math", "<answer> 0.5 </answer>", "<answer>0.6</answer>",
     ["", "<answer></answer>", "<answer>0.6 or 0.5</answer>", "<answer>0.5 or 0.6</answer>"]),
]  # fmt: skip


@pytest.mark.parametrize("method, solution, wrong, degenerate", ATTACKS)
def test_no_degenerate_answer_earns_more_than_a_wrong_one(method, solution, wrong, degenerate):
    floor = score("vlm_r1_accuracy", wrong, solution=solution, accu_reward_method=method)
    for completion in degenerate:
        got = score("vlm_r1_accuracy", completion, solution=solution, accu_reward_method=method)
        assert got <= floor, (method, completion[:60], got, floor)


def test_vlm_r1_quirks_pay_hedges():
    """The attack rule fails with VLM-R1's own rule: that is what the fix is for."""
    quirky = dict(solution="<answer> 3 </answer>", accu_reward_method="default", vlm_r1_quirks=True)
    assert score("vlm_r1_accuracy", "<answer>4 or 3</answer>", **quirky) == 1.0
    assert score("vlm_r1_accuracy", "<answer>4</answer>", **quirky) == 0.0


def test_length_attack_rule_holds_without_the_seed_bug():
    """An empty completion is the shortest: without the bug it is wrong, -0.5, no more than any wrong answer."""
    fields = dict(solution="<answer> No Defect </answer>", accu_reward_method="all_match")
    empty = score("vlm_r1_length", "", completion_length=0, **fields)
    wrong = score("vlm_r1_length", "<answer>Overlap</answer>", completion_length=40, **fields)
    assert empty == -0.5 and empty <= wrong
    assert score("vlm_r1_length", "", completion_length=0, cosine_seed_bug=True, **fields) == 1.0
