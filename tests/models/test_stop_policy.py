"""One stop policy: rollouts and eval end completions on the same ids (issue 8 §4).

The fixture variant gives every source a different eos: `config.json` <|im_end|>, the tokenizer <|box_start|>,
and `generation_config.json` [a token the model produces greedily, <|endoftext|>]. Published Qwen2-VL
checkpoints list an id in generation_config.json only, which rollouts once ignored.
"""

from __future__ import annotations

import json
import os
import shutil

import numpy as np
import paddle
import pytest
from PIL import Image

from paddlemix.datasets.synthetic import write_counting_layout
from paddlemix.evaluation import generation
from paddlemix.evaluation.config import EvalConfig
from paddlemix.evaluation.r1v import run_r1v
from paddlemix.models import AutoModelForConditionalGeneration, Qwen2VLForConditionalGeneration
from paddlemix.models.runtime import stop_token_ids
from paddlemix.processors import Qwen2VLProcessor
from paddlemix.rl.grpo.config import GRPOConfig
from paddlemix.rl.grpo.rollout import generate_group
from paddlemix.training.data import Prompt
from tests.helpers import tiny_dir

CONFIG_EOS, TOKENIZER_EOS, GEN_EXTRA = 402, "<|box_start|>", 400  # <|im_end|>, 405, <|endoftext|>
NEVER = 413  # <|video_pad|>: suppressed in rollouts and eval, so never generated
MAX_NEW = 10


def prompt_inputs(processor) -> dict:
    """One image-and-text prompt, as numpy arrays."""
    text = processor.apply_chat_template(
        [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": "How many?"}]}]
    )
    image = Image.new("RGB", (56, 56), (200, 40, 90))
    return processor(text=[text], images=[image], return_tensors="np")


def greedy_tokens(model, processor, inputs) -> list[int]:
    """MAX_NEW greedy tokens with no stop id that can occur."""
    out = model.generate(
        **{k: paddle.to_tensor(v) for k, v in inputs.items()},
        max_new_tokens=MAX_NEW,
        eos_token_id=[NEVER],
        suppress_token_ids=[NEVER, model.config.image_token_id],
    )
    return out.numpy()[0, inputs["input_ids"].shape[1] :].tolist()


@pytest.fixture(scope="module")
def variant(tmp_path_factory):
    """(checkpoint dir, position j, token): eos ids differ per source; the greedy token at step j >= 1 is one."""
    path = str(tmp_path_factory.mktemp("eos_variant") / "qwen2_vl")
    shutil.copytree(tiny_dir("qwen2_vl_tied"), path)
    model = AutoModelForConditionalGeneration.from_pretrained(path, dtype="float32")
    processor = Qwen2VLProcessor.from_pretrained(path, max_pixels=56 * 56)
    tokens = greedy_tokens(model, processor, prompt_inputs(processor))
    j = next(i for i in range(1, MAX_NEW) if tokens[i] not in tokens[:i] and tokens[i] < 400)
    with open(os.path.join(path, "config.json")) as f:
        config = json.load(f)
    config["eos_token_id"] = CONFIG_EOS
    with open(os.path.join(path, "config.json"), "w") as f:
        json.dump(config, f)
    with open(os.path.join(path, "generation_config.json"), "w") as f:
        json.dump({"eos_token_id": [tokens[j], GEN_EXTRA], "pad_token_id": 400}, f)
    with open(os.path.join(path, "tokenizer_config.json")) as f:
        tok = json.load(f)
    tok["eos_token"] = TOKENIZER_EOS
    with open(os.path.join(path, "tokenizer_config.json"), "w") as f:
        json.dump(tok, f)
    return path, j, tokens[j]


def expected_ids(token: int) -> list[int]:
    """The union in policy order: config, tokenizer, generation_config."""
    return [CONFIG_EOS, 405, token, GEN_EXTRA]


def test_rollouts_and_eval_stop_at_the_same_token(variant):
    path, j, token = variant
    model = AutoModelForConditionalGeneration.from_pretrained(path, dtype="float32")
    processor = Qwen2VLProcessor.from_pretrained(path, max_pixels=56 * 56)
    eos = stop_token_ids(model, processor, path)
    assert eos == expected_ids(token)
    inputs = prompt_inputs(processor)

    # A rollout as the trainer makes it; top_k=1 makes sampling greedy, so it can be compared with eval.
    cfg = GRPOConfig(num_generations=2, max_completion_length=MAX_NEW, top_k=1)
    prompt = Prompt(sample={}, inputs=dict(inputs), image_size=(56, 56))
    group = generate_group(model, processor, prompt, cfg, seed=0, slot=0, micro_step=0, eos=eos)
    lengths = group.completion_mask.numpy().sum(axis=1)
    assert lengths.tolist() == [j + 1, j + 1]
    assert group.completion_ids.numpy()[0, j] == token

    # Eval's generation with the ids eval computes.
    produced = []
    original = model.generate

    def spy(**kw):
        out = original(**kw)
        produced.append(out.numpy()[0, inputs["input_ids"].shape[1] :].tolist())
        return out

    model.generate = spy
    generation.generate_texts(
        model, processor, {k: paddle.to_tensor(v) for k, v in inputs.items()}, MAX_NEW, eos
    )
    completion = produced[0]
    assert completion[j] == token
    assert completion[: j + 1] == group.completion_ids.numpy()[0, : j + 1].tolist()
    assert all(t == processor.tokenizer.pad_token_id for t in completion[j + 1 :])  # stopped, then padded


def recording_generate(monkeypatch) -> list:
    """Record the eos ids every generate call of the model class receives."""
    seen = []
    original = Qwen2VLForConditionalGeneration.generate

    def generate(self, *args, **kw):
        seen.append(list(kw["eos_token_id"]))
        return original(self, *args, **kw)

    monkeypatch.setattr(Qwen2VLForConditionalGeneration, "generate", generate)
    return seen


def test_trainer_and_eval_runner_pass_the_same_ids(variant, tmp_path, monkeypatch):
    from paddlemix.rewards import registry
    from paddlemix.rl.grpo.trainer import GRPOTrainer
    from tests.rl.grpo_testing import register_test_rewards, train_config

    path, _, token = variant
    data = write_counting_layout(str(tmp_path / "data"), n=2, n_eval=1)
    monkeypatch.setenv("PADDLEMIX_DATA_CACHE", str(tmp_path / "image_cache"))
    seen = recording_generate(monkeypatch)

    monkeypatch.setattr(registry, "_REWARDS", dict(registry._REWARDS))
    register_test_rewards()
    cfg = train_config(
        f"{data}/clevr_cogen_a_train", str(tmp_path / "out"), model_name_or_path=path, max_steps=1,
        num_generations=2, per_device_train_batch_size=1, max_completion_length=2, max_pixels=56 * 56,
    )  # fmt: skip
    GRPOTrainer(cfg).train()
    rollout_ids = seen[:]
    assert rollout_ids and all(ids == expected_ids(token) for ids in rollout_ids)

    seen.clear()
    run_r1v(
        EvalConfig(
            model_name="Tiny",
            model_path=path,
            data_root=data,
            image_root=f"{data}/superclevr_200",
            test_datasets=["superclevr_test200_counting_problems"],
            batch_size=1,
            sample_num=None,
            dtype="float32",
            max_new_tokens=2,
            output_dir=str(tmp_path / "logs"),
            max_pixels=56 * 56,
        )  # fmt: skip
    )
    assert seen and all(ids == expected_ids(token) for ids in seen)
    assert np.array_equal(seen[0], rollout_ids[0])
