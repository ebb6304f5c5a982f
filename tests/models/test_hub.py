"""Hub model IDs, offline from a standard Hugging Face cache, through every entry point (issue 8 §3).

The cache is built by hand in the layout `huggingface_hub` writes (`models--Org--Name/snapshots/<rev>/...`
and `refs/main`) and holds a tiny fixture; `HF_HOME` points at it and `HF_HUB_OFFLINE=1`, so nothing here
touches the network.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import types

import numpy as np
import pytest

from paddlemix.datasets.synthetic import write_counting_layout, write_rec_layout
from paddlemix.models import AutoModelForConditionalGeneration, Qwen2VLConfig, hub
from paddlemix.models.runtime import stop_token_ids
from paddlemix.processors import Qwen2VLProcessor
from tests.helpers import tiny_dir

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MODEL_ID = "Tiny-Org/Tiny-Qwen2-VL"
REVISION = "0123456789abcdef0123456789abcdef01234567"


def write_hf_cache(hf_home, repo_id: str, source: str) -> str:
    """`source`'s files as the snapshot of `repo_id` in the hub cache under `hf_home`; returns the snapshot."""
    repo = os.path.join(str(hf_home), "hub", "models--" + repo_id.replace("/", "--"))
    snapshot = os.path.join(repo, "snapshots", REVISION)
    os.makedirs(snapshot)
    for name in os.listdir(source):
        if not name.startswith("golden_"):
            shutil.copy(os.path.join(source, name), snapshot)
    os.makedirs(os.path.join(repo, "refs"))
    with open(os.path.join(repo, "refs", "main"), "w") as f:
        f.write(REVISION)
    return snapshot


@pytest.fixture
def offline_cache(tmp_path, monkeypatch):
    """HF_HOME holding MODEL_ID (the tiny Qwen2-VL), offline; returns (HF_HOME, snapshot folder)."""
    home = tmp_path / "hf_home"
    snapshot = write_hf_cache(home, MODEL_ID, tiny_dir("qwen2_vl_tied"))
    monkeypatch.setenv("HF_HOME", str(home))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.delenv("HF_HUB_CACHE", raising=False)
    monkeypatch.delenv(hub.HUB_ENV, raising=False)
    monkeypatch.chdir(tmp_path)  # no local folder named like the ID
    hub._from_huggingface.cache_clear()
    hub._from_modelscope.cache_clear()
    yield str(home), snapshot
    hub._from_huggingface.cache_clear()
    hub._from_modelscope.cache_clear()


def params(model) -> dict:
    """The model's parameters as numpy arrays."""
    return {k: v.numpy() for k, v in model.state_dict().items()}


@pytest.mark.parametrize(
    "name, is_id",
    [
        ("Qwen/Qwen2-VL-2B-Instruct", True),
        ("Qwen/Qwen2.5-VL-3B-Instruct", True),
        ("Qwen2-VL-2B-Instruct", False),  # no organisation: a local path
        ("/abs/path/model", False),
        ("./Qwen/Qwen2-VL", False),
        ("a/b/c", False),  # a nested relative path
        ("Org/bad--name", False),  # the hub forbids "--" and ".."
        ("Org/..", False),
    ],
)
def test_hub_id_form(name, is_id):
    assert hub.is_hub_id(name) is is_id


def test_model_config_processor_and_stop_ids_load_by_id(offline_cache):
    _, snapshot = offline_cache
    assert hub.resolve_model_path(MODEL_ID) == snapshot
    by_id = AutoModelForConditionalGeneration.from_pretrained(MODEL_ID, dtype="float32")
    local = AutoModelForConditionalGeneration.from_pretrained(tiny_dir("qwen2_vl_tied"), dtype="float32")
    a, b = params(by_id), params(local)
    assert a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)
    assert by_id.name_or_path == snapshot  # save_pretrained copies generation_config.json from there
    assert Qwen2VLConfig.from_pretrained(MODEL_ID).hidden_size == local.config.hidden_size
    processor = Qwen2VLProcessor.from_pretrained(MODEL_ID, max_pixels=56 * 56)
    assert processor.image_processor.max_pixels == 56 * 56
    assert processor.tokenizer.encode("hello") == Qwen2VLProcessor.from_pretrained(
        tiny_dir("qwen2_vl_tied")
    ).tokenizer.encode("hello")
    with open(os.path.join(snapshot, "generation_config.json")) as f:
        gen_eos = json.load(f)["eos_token_id"]
    ids = stop_token_ids(by_id, processor, MODEL_ID)
    assert set(gen_eos if isinstance(gen_eos, list) else [gen_eos]) <= set(ids)
    assert ids == stop_token_ids(local, processor, tiny_dir("qwen2_vl_tied"))


def test_local_folder_of_the_same_name_wins(offline_cache, tmp_path):
    local = tmp_path / MODEL_ID
    shutil.copytree(tiny_dir("qwen2_5_vl_tied"), local)
    assert hub.resolve_model_path(MODEL_ID) == MODEL_ID
    assert AutoModelForConditionalGeneration.from_pretrained(MODEL_ID).config.model_type == "qwen2_5_vl"


def test_offline_and_not_cached_names_the_id_and_how_to_download(offline_cache):
    with pytest.raises(hub.ModelNotFound) as err:
        AutoModelForConditionalGeneration.from_pretrained("Qwen/Qwen2-VL-2B-Instruct")
    message = str(err.value)
    assert message.startswith("Qwen/Qwen2-VL-2B-Instruct: ")
    assert "HF_HUB_OFFLINE" in message and "hf download Qwen/Qwen2-VL-2B-Instruct" in message
    assert os.path.join(offline_cache[0], "hub") in message  # where it looked


def test_a_missing_path_that_is_no_id_says_so(offline_cache):
    with pytest.raises(hub.ModelNotFound, match="no such file or folder, and not a hub model ID"):
        Qwen2VLProcessor.from_pretrained("checkpoints/run1/step-100")


def test_only_the_needed_files_are_requested_from_the_cache_dir_and_mirror_of_now(monkeypatch, tmp_path):
    from huggingface_hub.utils import filter_repo_objects

    calls = []
    fake = types.ModuleType("huggingface_hub")
    fake.snapshot_download = lambda repo_id, **kw: calls.append((repo_id, kw)) or str(tmp_path)
    monkeypatch.setitem(sys.modules, "huggingface_hub", fake)
    # Set after huggingface_hub was first imported: still honoured, since they are read at each call.
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("HF_ENDPOINT", "https://hf-mirror.example")
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv(hub.HUB_ENV, raising=False)
    hub._from_huggingface.cache_clear()
    try:
        assert hub.resolve_model_path("Qwen/Qwen2-VL-2B-Instruct") == str(tmp_path)
        hub.resolve_model_path("Qwen/Qwen2-VL-2B-Instruct")  # resolved once per process
    finally:
        hub._from_huggingface.cache_clear()
    assert len(calls) == 1
    repo_id, kw = calls[0]
    assert repo_id == "Qwen/Qwen2-VL-2B-Instruct" and kw["local_files_only"] is False
    assert kw["cache_dir"] == str(tmp_path / "cache") and kw["endpoint"] == "https://hf-mirror.example"
    published = [
        ".gitattributes", "README.md", "LICENSE", "config.json", "generation_config.json", "merges.txt",
        "vocab.json", "tokenizer.json", "tokenizer_config.json", "chat_template.json", "preprocessor_config.json",
        "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors", "model.safetensors.index.json",
        "pytorch_model.bin", "onnx/model.onnx", "video_preprocessor_config.json",
    ]  # fmt: skip
    fetched = set(filter_repo_objects(published, allow_patterns=kw["allow_patterns"]))
    assert fetched == set(published) - {
        ".gitattributes", "README.md", "LICENSE", "pytorch_model.bin", "onnx/model.onnx",
        "video_preprocessor_config.json",
    }  # fmt: skip


def test_modelscope_is_chosen_by_env_and_missing_package_is_explained(monkeypatch, tmp_path):
    monkeypatch.setenv(hub.HUB_ENV, "modelscope")
    hub._from_modelscope.cache_clear()
    monkeypatch.setitem(sys.modules, "modelscope", None)
    with pytest.raises(hub.ModelNotFound, match="pip install modelscope"):
        hub.resolve_model_path("Qwen/Qwen2-VL-2B-Instruct")
    calls = []
    fake = types.ModuleType("modelscope")
    fake.snapshot_download = lambda model_id, **kw: calls.append((model_id, kw)) or str(tmp_path)
    monkeypatch.setitem(sys.modules, "modelscope", fake)
    try:
        assert hub.resolve_model_path("Qwen/Qwen2-VL-2B-Instruct") == str(tmp_path)
    finally:
        hub._from_modelscope.cache_clear()
    assert calls == [("Qwen/Qwen2-VL-2B-Instruct", {"allow_patterns": hub.MODEL_FILES})]
    monkeypatch.setenv(hub.HUB_ENV, "gitee")
    with pytest.raises(hub.ModelNotFound, match="huggingface, modelscope"):
        hub.resolve_model_path("Qwen/Qwen2-VL-2B-Instruct")


def run_eval(script: str, *args: str, home: str, cwd) -> subprocess.CompletedProcess:
    """An eval command in a fresh process, offline, with HF_HOME at the hand-built cache."""
    env = {**os.environ, "HF_HOME": home, "HF_HUB_OFFLINE": "1", "PYTHONPATH": REPO}
    env.pop("HF_HUB_CACHE", None)
    proc = subprocess.run(
        [sys.executable, os.path.join(REPO, "eval", script), *args],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc


def test_both_eval_commands_take_a_hub_id(offline_cache, tmp_path):
    home, _ = offline_cache
    data = tmp_path / "data"
    counting = write_counting_layout(str(data), n=1, n_eval=2)
    run_eval(
        "test_r1-v.py",
        *("--model_name", "Tiny", "--method", "r1", "--model_path", MODEL_ID, "--data_root", counting),
        *("--image_root", os.path.join(counting, "superclevr_200"), "--max_new_tokens", "4"),
        *("--test_datasets", "superclevr_test200_counting_problems", "--dtype", "float32"),
        home=home, cwd=tmp_path,
    )  # fmt: skip
    rec = write_rec_layout(str(data), n=1, n_eval=2)
    run_eval(
        "test_rec.py",
        *("--model_name", "Tiny", "--method", "r1", "--model_path", MODEL_ID, "--image_root", rec),
        *("--data_root", os.path.join(rec, "rec_jsons_processed"), "--test_datasets", "refcoco_val"),
        *("--sample_num", "2", "--max_new_tokens", "4", "--dtype", "float32"),
        home=home, cwd=tmp_path,
    )  # fmt: skip
    outputs = sorted(os.listdir(tmp_path / "logs"))
    assert outputs == [
        "r1-v_results_superclevr_test200_counting_problems_tiny_r1_100.json",
        "rec_results_refcoco_val_tiny_r1_100.json",
    ]


def test_the_trainer_takes_a_hub_id(offline_cache, tmp_path, monkeypatch):
    from paddlemix.rewards import registry
    from paddlemix.rl.grpo.trainer import GRPOTrainer
    from tests.rl.grpo_testing import register_test_rewards, train_config

    _, snapshot = offline_cache
    monkeypatch.setenv("PADDLEMIX_DATA_CACHE", str(tmp_path / "image_cache"))
    data = write_counting_layout(str(tmp_path / "data"), n=4, n_eval=1)
    saved = dict(registry._REWARDS)
    register_test_rewards()
    try:
        cfg = train_config(
            f"{data}/clevr_cogen_a_train", str(tmp_path / "out"), model_name_or_path=MODEL_ID, max_steps=1,
            num_generations=2, per_device_train_batch_size=1, max_completion_length=2,
        )  # fmt: skip
        trainer = GRPOTrainer(cfg)
        trainer.train()
    finally:
        registry._REWARDS.clear()
        registry._REWARDS.update(saved)
    assert trainer.eos == stop_token_ids(trainer.model, trainer.processor, snapshot)
    # The final policy is complete: the processor files came along from the cached snapshot.
    for name in ("config.json", "generation_config.json", "tokenizer.json", "preprocessor_config.json"):
        assert os.path.isfile(tmp_path / "out" / name), name
