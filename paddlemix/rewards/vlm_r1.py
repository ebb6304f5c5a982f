"""VLM-R1's general-jsonl rewards (`grpo_jsonl.py` `reward_funcs_registry`), each a wrapper of `metrics.vlm_r1`.

| name                 | VLM-R1                                   | value                                              |
|----------------------|------------------------------------------|----------------------------------------------------|
| `vlm_r1_accuracy`    | `accuracy_reward`                        | the method the sample's `accu_reward_method` names |
| `vlm_r1_mcq`         | `mcq_reward`                             | choice letter equal (0/1)                          |
| `vlm_r1_yes_no`      | `yes_no_reward`                          | yes/no equal (0/1)                                 |
| `vlm_r1_math`        | `math_reward` (`utils/math.compute_score`) | string, math-verify or MATH `is_equiv` (0/1)     |
| `vlm_r1_all_match`   | `all_match_reward`                       | `clean_text` equal (0/1)                           |
| `vlm_r1_default`     | `default_accuracy_reward`                | math-verify, numbers, choice, Levenshtein ratio    |
| `vlm_r1_llm`         | `llm_reward`                             | an OpenAI-compatible judge's 1.0 / 0.0             |
| `vlm_r1_length`      | `cosine_rewards`                         | cosine of the length in tokens (-0.5 .. 1)         |
| `vlm_r1_repetition`  | `repetition_rewards`                     | -(share of repeated n-grams) (-1 .. 0)             |

`vlm_r1_accuracy` dispatches as `accuracy_reward` does: `mcq`, `yes_no`, `llm`, `math`, `all_match` by
name; the detection methods (`map`, `weighted_sum`, `od_ap`, `od_ap50`, `odLength`) through the OVD rewards
(`rewards/ovd.py`; `map` is scored as `od_ap50`, VLM-R1's `stats[1]`, on the last answer rather than the raw
text); `default` and every other name by `default_accuracy_reward` (the loaders reject unknown names first).

Sample fields the loader (`datasets/vlm_r1.py`) sets: `accu_reward_method`, `vlm_r1_quirks` (keep VLM-R1's
answer-reading bugs, `metrics/vlm_r1.py`; default False), `cosine_seed_bug` (default False) and
`llm_judge` ({url, model, timeout}). `vlm_r1_length` reads `completion_length`, the completion's tokens, which
the rollout sets (eos included: VLM-R1 re-encodes the decoded text, one token fewer for a completion that
ended; a 1/1024 shift of the cosine's phase). A sample of another task gets None.
"""

from __future__ import annotations

from paddlemix.metrics.length_repetition import cosine_length, repetition_penalty
from paddlemix.metrics.llm_judge import JudgeError, LlmJudge
from paddlemix.metrics.vlm_r1 import METHODS, judge_messages
from paddlemix.rewards.dispatch import applies
from paddlemix.rewards.ovd import ovd_score
from paddlemix.rewards.registry import per_sample, register_reward

# VLM-R1's detection methods -> ours (rewards/ovd.py `ovd_score`).
DETECTION_METHODS = {
    "map": "od_ap50",
    "od_ap": "od_ap",
    "od_ap50": "od_ap50",
    "odLength": "odLength",
    "weighted_sum": "weighted_sum",
}
CORRECT_AT = 0.7  # VLM-R1 cosine_reward: `is_correct = acc_reward >= 0.7`


def judge_of(llm_judge) -> LlmJudge:
    """The judge a sample's `llm_judge` field names; JudgeError when the run configured none."""
    if not llm_judge or not llm_judge.get("url"):
        raise JudgeError(
            "the accuracy method 'llm' needs a judge endpoint", fix="pass --llm_judge_url (OpenAI-compatible)"
        )
    return LlmJudge(**llm_judge)


def method_score(completion: str, solution, method: str | None, **fields) -> float:
    """The score of `completion` under VLM-R1 accuracy method `method` (None: `default`)."""
    method = method or "default"
    if method == "llm":
        return judge_of(fields.get("llm_judge")).score(judge_messages(completion, solution))
    if method in DETECTION_METHODS:
        return ovd_score(completion, solution, DETECTION_METHODS[method], **fields)
    quirks = bool(fields.get("vlm_r1_quirks", False))
    return METHODS.get(method, METHODS["default"])(completion, solution, quirks=quirks)


@register_reward("vlm_r1_accuracy")
@per_sample
def vlm_r1_accuracy(completion: str, solution, accu_reward_method=None, task=None, **fields):
    """The method the sample names in `accu_reward_method` (VLM-R1 `accuracy_reward`)."""
    if not applies("vlm_r1_accuracy", task):
        return None
    return method_score(completion, solution, accu_reward_method, **fields)


def _one_method(method: str):
    """A reward that scores every sample with `method`, whatever the sample names."""
    name = f"vlm_r1_{method}"

    def reward(completion: str, solution, task=None, accu_reward_method=None, **fields):
        if not applies(name, task):
            return None
        return method_score(completion, solution, method, **fields)

    reward.__name__ = name
    reward.__doc__ = f"VLM-R1's `{method}` accuracy method on every sample (`metrics/vlm_r1.py`)."
    return register_reward(name, per_sample(reward))


for _method in (*METHODS, "llm"):
    _one_method(_method)


@register_reward("vlm_r1_length")
@per_sample
def vlm_r1_length(
    completion: str,
    solution,
    completion_length=None,
    accu_reward_method=None,
    cosine_seed_bug=False,
    task=None,
    **fields,
):
    """VLM-R1's cosine length reward; correct = the sample's accuracy method >= 0.7 (unless `cosine_seed_bug`)."""
    if not applies("vlm_r1_length", task):
        return None
    if completion_length is None:
        raise ValueError("vlm_r1_length needs the completion's length in tokens (column completion_length)")
    correct = True
    if not cosine_seed_bug:
        correct = method_score(completion, solution, accu_reward_method, **fields) >= CORRECT_AT
    return cosine_length(int(completion_length), correct, seed_bug=bool(cosine_seed_bug))


@register_reward("vlm_r1_repetition")
@per_sample
def vlm_r1_repetition(completion: str, task=None, **_):
    """VLM-R1's repetition penalty: -(1 - unique / total) n-grams (box items as 1-grams, else word 6-grams)."""
    if not applies("vlm_r1_repetition", task):
        return None
    return repetition_penalty(completion)
