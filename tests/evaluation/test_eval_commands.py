"""The eval commands end to end (eval/test_rec.py, eval/test_r1-v.py, paddlemix/evaluation/{runner,rec,r1v}.py).

The tiny checkpoints answer gibberish, so the runs that check scoring replace `runner.generate_texts` with
one that answers from the ground truth, in the model's own coordinate frame; everything else (data loading,
prompts, processor, result records, scoring, files) is the real path.
"""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys

import pytest
from PIL import Image

from paddlemix.datasets.synthetic import write_counting_layout, write_geometry_layout, write_rec_layout
from paddlemix.evaluation import runner
from paddlemix.evaluation.cli import rec_parser, run_cli
from paddlemix.evaluation.r1v import run_r1v
from paddlemix.evaluation.rec import run_rec
from paddlemix.evaluation.rescore import rescore
from paddlemix.evaluation.runner import EvalConfig, partial_path, resolve_dtype
from tests.helpers import FIXTURES, tiny_dir

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TEST_REC = os.path.join(REPO, "eval", "test_rec.py")
TEST_R1V = os.path.join(REPO, "eval", "test_r1-v.py")
QWEN2_5 = tiny_dir("qwen2_5_vl_tied")
QWEN2 = tiny_dir("qwen2_vl_tied")
PROBLEM = "Please provide the bounding box coordinate of the region this sentence describes: thing {i}."
REC_FIELDS = {"image", "question", "ground_truth", "model_output", "extracted_answer", "correct"}
RESCORE_FIELDS = {"image_size", "input_size", "image_grid_thw", "coord_frame"}


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    """The synthetic data in the seed's layout: REC/, Counting/, GEO/, 6 eval samples per file."""
    out = str(tmp_path_factory.mktemp("data"))
    write_rec_layout(out, n=3, n_eval=6)
    write_counting_layout(out, n=1, n_eval=6)
    write_geometry_layout(out, n=1, n_eval=6)
    return out


def run_script(script: str, *args: str, cwd) -> subprocess.CompletedProcess:
    """Run an eval command as a user would; fail with its stderr if it fails."""
    proc = subprocess.run(
        [sys.executable, script, *args], cwd=cwd, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc


def load(path) -> dict:
    """A results file."""
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def write_rec_file(root, sizes, name="things", missing=(), corrupt=()) -> dict[int, tuple]:
    """`root/{name}.json` with one image a record ("thing i", box in the middle); returns i -> (size, box)."""
    records, truth = [], {}
    os.makedirs(os.path.join(root, "img"), exist_ok=True)
    for i, (w, h) in enumerate(sizes):
        relative = f"img/{name}_{i}.png"
        if i in corrupt:
            with open(os.path.join(root, relative), "wb") as f:
                f.write(b"\x89PNG\r\n\x1a\n not an image")
        elif i not in missing:
            Image.new("RGB", (w, h), (30 * i % 256, 120, 200)).save(os.path.join(root, relative))
        box = [round(w * 0.2), round(h * 0.3), round(w * 0.7), round(h * 0.8)]
        truth[i] = ((w, h), box)
        records.append(
            {
                "image": relative,
                "problem": PROBLEM.format(i=i),
                "solution": box,
                "normal_caption": f"thing {i}",
            }
        )
    with open(os.path.join(root, f"{name}.json"), "w", encoding="utf-8") as f:
        json.dump(records, f)
    return truth


def box_answerer(truth, frame, calls=None, fail_on_call=None):
    """A stand-in for `generate_texts` answering each "thing i" with its box in `frame`, as the model would."""

    def generate_texts(model, processor, inputs, max_new_tokens, eos):
        if calls is not None:
            calls.append(len(calls))
            if fail_on_call is not None and len(calls) == fail_on_call:
                raise KeyboardInterrupt
        prompts = processor.batch_decode(inputs["input_ids"], skip_special_tokens=True)
        texts = []
        for prompt, grid in zip(prompts, inputs["image_grid_thw"].numpy().tolist()):
            i = int(re.search(r"thing (\d+)", prompt).group(1))
            (w, h), box = truth[i]
            in_h, in_w = grid[1] * 14, grid[2] * 14
            sx, sy = (in_w / w, in_h / h) if frame == "qwen2_5_vl_abs" else (1000 / w, 1000 / h)
            answer = [round(box[0] * sx), round(box[1] * sy), round(box[2] * sx), round(box[3] * sy)]
            texts.append(
                f"<think>thing {i}</think>\n<answer>[{{'bbox_2d': {answer}, 'label': 'thing'}}]</answer>"
            )
        return texts

    return generate_texts


def rec_config(tmp_path, model=QWEN2_5, **overrides) -> EvalConfig:
    """A small REC eval of `tmp_path/things.json` writing to `tmp_path/logs`."""
    values = dict(
        model_name="Tiny-VL",
        model_path=model,
        data_root=str(tmp_path),
        image_root=str(tmp_path),
        test_datasets=["things"],
        batch_size=2,
        sample_num=None,
        steps=7,
        dtype="float32",
        max_new_tokens=4,
        output_dir=str(tmp_path / "logs"),
    )
    values.update(overrides)
    return EvalConfig(**values)


def test_rec_command_end_to_end(synthetic, tmp_path):
    # The seed's command line on a tiny model and the synthetic REC layout.
    data = os.path.join(synthetic, "REC")
    proc = run_script(
        TEST_REC,
        *("--model_name", "Qwen2.5-VL-3B-Instruct", "--method", "r1", "--model_path", QWEN2_5),
        *("--data_root", os.path.join(data, "rec_jsons_processed"), "--image_root", data),
        *("--test_datasets", "refcoco_val", "refcocog_val", "--batch_size", "4", "--sample_num", "5"),
        *("--steps", "300", "--seed", "42", "--dtype", "float32", "--max_new_tokens", "8"),
        cwd=tmp_path,
    )
    assert "Accuracy of refcoco_val" in proc.stdout
    for ds in ("refcoco_val", "refcocog_val"):
        path = tmp_path / "logs" / f"rec_results_{ds}_qwen2.5-vl-3b-instruct_r1_300.json"
        out = load(path)
        assert len(out["results"]) == 5 and out["num_skipped"] == 0
        assert not os.path.exists(partial_path(str(path)))
        for result in out["results"]:
            assert REC_FIELDS | RESCORE_FIELDS <= set(result)
            assert result["coord_frame"] == "qwen2_5_vl_abs"
            assert result["question"].endswith("Output the final answer in JSON format.")
        # Each result carries its own prompt (the seed wrote the last sample's into every result).
        assert len({r["question"] for r in out["results"]}) == 5
        assert out["accuracy"] == rescore(str(path))


def test_r1v_command_end_to_end(synthetic, tmp_path):
    data = os.path.join(synthetic, "Counting")
    proc = run_script(
        TEST_R1V,
        *("--model_name", "Qwen2-VL-2B-Instruct", "--method", "r1", "--model_path", QWEN2),
        *("--data_root", data, "--image_root", os.path.join(data, "superclevr_200")),
        *("--test_datasets", "superclevr_test200_counting_problems", "--batch_size", "4"),
        *("--steps", "500", "--seed", "42", "--max_new_tokens", "8"),  # --dtype bfloat16, the seed's default
        cwd=tmp_path,
    )
    if not runner.on_gpu():
        assert "running in float32 on CPU" in proc.stderr
    path = (
        tmp_path
        / "logs"
        / "r1-v_results_superclevr_test200_counting_problems_qwen2-vl-2b-instruct_r1_500.json"
    )
    out = load(path)
    assert len(out["results"]) == 6  # all of the file: the seed has no sample_num here
    for result in out["results"]:
        assert {"question", "ground_truth", "model_output", "extracted_answer", "correct"} <= set(result)
        assert set(result["question"]) == {"image_path", "question", "ground_truth"}  # the input record
    assert out["accuracy"] == rescore(str(path))


def test_rescore_flag_prints_the_published_number(tmp_path):
    path = os.path.join(
        FIXTURES, "reference_outputs", "counting_results_superclevr_200_qwen2vl_2b_instruct_legacy.json"
    )
    proc = run_script(TEST_R1V, "--rescore", path, "--metric", "r1v", cwd=tmp_path)
    assert "r1v accuracy 48.0 (96/200), equal to stored 48.0" in proc.stdout


@pytest.mark.parametrize("model, frame", [(QWEN2_5, "qwen2_5_vl_abs"), (QWEN2, "qwen2_vl_norm1000")])
def test_rec_boxes_are_scored_in_original_pixels(tmp_path, monkeypatch, model, frame):
    # Right answers in the model's frame score 100 only if rescaled; the seed's raw comparison fails them.
    truth = write_rec_file(tmp_path, [(200, 150), (90, 120), (160, 160), (300, 100)])
    monkeypatch.setattr(runner, "generate_texts", box_answerer(truth, frame))
    out = run_rec(rec_config(tmp_path, model=model, max_pixels=56 * 56))["things"]
    path = str(tmp_path / "logs" / "rec_results_things_tiny-vl_r1_7.json")
    assert out["accuracy"] == 100.0 == rescore(path)
    assert all(r["coord_frame"] == frame and r["iou"] > 0.5 for r in out["results"])
    assert rescore(path, metric="seed") == 0.0


def test_rec_baseline_prompt_uses_normal_caption(tmp_path, monkeypatch):
    truth = write_rec_file(tmp_path, [(80, 60), (64, 96)])
    monkeypatch.setattr(runner, "generate_texts", box_answerer(truth, "qwen2_5_vl_abs"))
    out = run_rec(rec_config(tmp_path, method="baseline"))["things"]
    assert sorted(r["question"] for r in out["results"]) == [
        "Locate thing 0, output its bbox coordinates using JSON format.",
        "Locate thing 1, output its bbox coordinates using JSON format.",
    ]
    assert os.path.isfile(tmp_path / "logs" / "rec_results_things_tiny-vl_baseline_7.json")


def test_geoqa_is_scored_with_math_verify(synthetic, tmp_path, monkeypatch):
    # GeoQA ground truths are strings such as "70°": the seed's integer regex scored every answer wrong.
    data = os.path.join(synthetic, "GEO")
    with open(os.path.join(data, "geoqa_test_prompts.jsonl"), encoding="utf-8") as f:
        gold = {r["question"]: r["ground_truth"] for r in map(json.loads, f)}

    asked = []

    def answer_gold(model, processor, inputs, max_new_tokens, eos):
        prompts = processor.batch_decode(inputs["input_ids"], skip_special_tokens=True)
        asked.extend(prompts)
        answers = [next(g for q, g in gold.items() if q in p) for p in prompts]
        return [f"<think>so</think> <answer>{a.rstrip('°')}</answer>" for a in answers]

    monkeypatch.setattr(runner, "generate_texts", answer_gold)
    cfg = EvalConfig(
        model_name="Tiny-VL", model_path=QWEN2, data_root=data, image_root=data, method="r1",
        test_datasets=["geoqa_test_prompts"], batch_size=4, sample_num=None, dtype="float32",
        max_new_tokens=4, output_dir=str(tmp_path / "logs"),
    )  # fmt: skip
    out = run_r1v(cfg)["geoqa_test_prompts"]
    path = str(tmp_path / "logs" / "r1-v_results_geoqa_test_prompts_tiny-vl_r1_100.json")
    assert any("°" in g for g in gold.values())
    assert out["accuracy"] == 100.0 == rescore(path)
    assert rescore(path, metric="seed") == 0.0
    # R1-V's GeoQA eval template (one space, no "First"), not the counting one the seed reused.
    assert len(asked) == 6
    assert all("() Output the thinking process in <think>" in p and "First" not in p for p in asked)


def test_interrupted_eval_resumes_without_redoing_samples(tmp_path, monkeypatch):
    truth = write_rec_file(tmp_path, [(80 + 8 * i, 64) for i in range(6)])
    calls = []
    monkeypatch.setattr(
        runner, "generate_texts", box_answerer(truth, "qwen2_5_vl_abs", calls, fail_on_call=2)
    )
    with pytest.raises(KeyboardInterrupt):
        run_rec(rec_config(tmp_path))
    path = str(tmp_path / "logs" / "rec_results_things_tiny-vl_r1_7.json")
    assert not os.path.exists(path)
    with open(partial_path(path), encoding="utf-8") as f:
        lines = [json.loads(line) for line in f]
    assert "header" in lines[0] and len(lines) == 1 + 2  # the first batch of 2 was kept
    done = {r["result"]["question"] for r in lines[1:]}

    calls.clear()
    asked = []
    answer = box_answerer(truth, "qwen2_5_vl_abs")

    def spy(model, processor, inputs, max_new_tokens, eos):
        asked.extend(processor.batch_decode(inputs["input_ids"], skip_special_tokens=True))
        return answer(model, processor, inputs, max_new_tokens, eos)

    monkeypatch.setattr(runner, "generate_texts", spy)
    out = run_rec(rec_config(tmp_path))["things"]
    assert len(asked) == 4  # only the samples the first run did not finish
    assert not any(q in prompt for q in done for prompt in asked)
    assert len(out["results"]) == 6 and out["accuracy"] == 100.0 == rescore(path)
    assert not os.path.exists(partial_path(path))


def test_partial_file_of_another_run_is_not_resumed(tmp_path, monkeypatch, caplog):
    truth = write_rec_file(tmp_path, [(80, 64), (96, 64)])
    monkeypatch.setattr(runner, "generate_texts", box_answerer(truth, "qwen2_5_vl_abs"))
    path = str(tmp_path / "logs" / "rec_results_things_tiny-vl_r1_7.json")
    os.makedirs(os.path.dirname(path))
    stale = {"index": 0, "key": "x", "result": {"model_output": "stale"}}
    with open(partial_path(path), "w", encoding="utf-8") as f:
        f.write(json.dumps({"header": {"max_new_tokens": 999}}) + "\n" + json.dumps(stale) + "\n{truncated")
    with caplog.at_level(logging.WARNING):
        out = run_rec(rec_config(tmp_path))["things"]
    assert "from a different run" in caplog.text and "max_new_tokens" in caplog.text
    assert all(r["model_output"] != "stale" for r in out["results"]) and out["accuracy"] == 100.0


def test_bad_images_are_skipped_counted_and_named(tmp_path, caplog):
    # The real tiny model: a missing, a corrupt and a too-small image drop their samples, not the run.
    write_rec_file(tmp_path, [(80, 64), (64, 80), (70, 70), (72, 56), (10, 10)], missing=[1], corrupt=[2])
    with caplog.at_level(logging.WARNING):
        out = run_rec(rec_config(tmp_path, batch_size=5))["things"]
    assert out["num_scored"] == 2 and len(out["results"]) == 2
    assert out["num_skipped"] == 3
    reasons = {os.path.basename(s["image"]): s["reason"].split(":")[0] for s in out["skipped"]}
    assert reasons == {"things_1.png": "missing", "things_2.png": "corrupt", "things_4.png": "unusable"}
    for name in reasons:
        assert name in caplog.text
    assert out["accuracy"] == rescore(str(tmp_path / "logs" / "rec_results_things_tiny-vl_r1_7.json"))


def test_missing_data_file_is_a_clear_error_before_loading_the_model(tmp_path):
    cfg = rec_config(tmp_path, model_path=str(tmp_path / "no_model"), test_datasets=["refcoco_val"])
    with pytest.raises(FileNotFoundError, match=re.escape(str(tmp_path / "refcoco_val.json"))):
        run_rec(cfg)


def test_rescore_takes_no_model_flags(capsys):
    parser = rec_parser()
    with pytest.raises(SystemExit):
        run_cli(parser, parser.parse_args(["--rescore", "r.json", "--model_path", "m"]), run_rec)
    assert "loads no model" in capsys.readouterr().err


@pytest.mark.skipif(runner.on_gpu(), reason="the fallback is for CPU")
def test_half_precision_falls_back_to_float32_on_cpu(caplog):
    with caplog.at_level(logging.WARNING):
        assert resolve_dtype("bfloat16") == "float32"
    assert "float32 on CPU" in caplog.text
    assert resolve_dtype("float32") == "float32"


def test_rec_eval_can_score_with_vlm_r1(tmp_path, monkeypatch):
    # Right answers in Qwen2.5-VL's input frame on images that get resized: ours rescales them (right),
    # VLM-R1's published scorer compares them raw (wrong). The file records the metric; rescore reuses it.
    truth = write_rec_file(tmp_path, [(200, 150), (300, 100)])
    monkeypatch.setattr(runner, "generate_texts", box_answerer(truth, "qwen2_5_vl_abs"))
    out = run_rec(rec_config(tmp_path, max_pixels=56 * 56, metric="vlm_r1"))["things"]
    path = str(tmp_path / "logs" / "rec_results_things_tiny-vl_r1_7.json")
    assert out["metric"] == "vlm_r1" and out["accuracy"] == 0.0 == rescore(path, metric="vlm_r1")
    assert rescore(path) == 100.0  # fixed, from the file's own frame


def test_eval_metric_must_be_one_the_eval_scores_with():
    parser = rec_parser()
    with pytest.raises(SystemExit):
        run_cli(parser, parser.parse_args(["--metric", "r1v"]), run_rec, eval_metrics=("fixed", "vlm_r1"))
