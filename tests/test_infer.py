"""`python -m paddlemix.infer` and `paddlemix.inference.Predictor` on the tiny checkpoints, and that they answer
as test_rec does for the same REC sample.

The tiny checkpoints answer gibberish, so the drawing tests replace `inference.generate_texts` with one that
answers a known box in the model's own frame (from the batch's real image grid); the prompt, processor,
parsing, frame mapping and drawing are the real path. The drawn picture must show the answer's colour on the
edges of the box in original pixels, computed here independently of the code under test.
"""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from paddlemix import inference
from paddlemix.evaluation import runner
from paddlemix.evaluation.config import EvalConfig
from paddlemix.evaluation.generation import generate_texts
from paddlemix.evaluation.rec import run_rec
from paddlemix.infer import main as infer_main
from paddlemix.inference import InferConfig, Predictor, task_prompt
from paddlemix.visualize.draw import PRED_COLOR
from tests.helpers import tiny_dir

QWEN2_5, QWEN2 = tiny_dir("qwen2_5_vl_tied"), tiny_dir("qwen2_vl_tied")
SIZE = (120, 90)  # resized by the processor under max_pixels below, so the abs frame really rescales
BOX = [24, 18, 84, 63]  # the answer's box in original pixels
POINT = [50, 40]
BACKGROUND = (40, 90, 160)


def to_frame(values, frame, grid, size=SIZE):
    """Original pixels -> the model's frame (Qwen2.5-VL: input pixels, Qwen2-VL: 0-1000)."""
    in_w, in_h = grid[2] * 14, grid[1] * 14
    sx, sy = (in_w / size[0], in_h / size[1]) if frame == "abs" else (1000 / size[0], 1000 / size[1])
    return [round(v * (sx if i % 2 == 0 else sy)) for i, v in enumerate(values)]


def expected(values, frame, grid, size=SIZE):
    """Where the rounded frame coordinates of `values` land back in original pixels."""
    in_w, in_h = grid[2] * 14, grid[1] * 14
    sx, sy = (in_w / size[0], in_h / size[1]) if frame == "abs" else (1000 / size[0], 1000 / size[1])
    return [v / (sx if i % 2 == 0 else sy) for i, v in enumerate(to_frame(values, frame, grid, size))]


def answer_for(task, frame, grid):
    """What a perfect model would answer for `task` (box BOX, point POINT), in its frame."""
    b = to_frame(BOX, frame, grid)
    if task == "rec":
        return f"<think>t</think><answer>[{{'bbox_2d': {b}, 'label': 'cup'}}]</answer>"
    if task == "grounding":
        return f"({b[0]},{b[1]}),({b[2]},{b[3]})"
    if task == "detection":
        return json.dumps([{"bbox_2d": b, "label": "cup"}])
    if task == "counting_boxes":
        return json.dumps([{"bbox_2d": b, "label": "cup"}])
    if task == "affordance":
        p = to_frame(POINT, frame, grid)
        item = {"bbox_2d": b, "point_2d": p, "affordance": "hold"}
        return f"<think>a</think><rethink>b</rethink><answer>{json.dumps([item])}</answer>"
    if task == "ocr":
        return "HELLO"
    return "<think>t</think><answer>3</answer>"


@pytest.fixture()
def image(tmp_path):
    path = str(tmp_path / "scene.png")
    Image.new("RGB", SIZE, BACKGROUND).save(path)
    return path


def fake_generate(task, frame):
    def generate_texts(model, processor, inputs, max_new_tokens, eos, **sampling):
        grids = inputs["image_grid_thw"].numpy().tolist()
        n = sampling.get("num_return_sequences", 1)
        return [answer_for(task, frame, g) for g in grids for _ in range(n)]

    return generate_texts


def is_pred(pixel) -> bool:
    return all(abs(int(a) - b) <= 10 for a, b in zip(pixel, PRED_COLOR))


def assert_box_drawn(arr, box):
    """PRED_COLOR on all four edges of `box` (within a pixel), and the inside untouched."""
    x1, y1, x2, y2 = box
    xm, ym = (x1 + x2) // 2, (y1 + y2) // 2
    for x, y in ((x1, ym), (x2, ym), (xm, y1 + 1), (xm, y2)):
        near = arr[y - 1 : y + 2, x - 1 : x + 2].reshape(-1, 3)
        assert any(is_pred(p) for p in near), (x, y, near.tolist())
    assert tuple(arr[ym, xm + 5]) == BACKGROUND
    assert tuple(arr[2, SIZE[0] - 3]) == BACKGROUND  # far from the box


@pytest.fixture(scope="module")
def predictors():
    return {
        "abs": Predictor(InferConfig(model_path=QWEN2_5, max_pixels=56 * 56, max_new_tokens=4)),
        "norm": Predictor(InferConfig(model_path=QWEN2, max_pixels=56 * 56, max_new_tokens=4)),
    }


@pytest.mark.parametrize("frame", ["abs", "norm"])
@pytest.mark.parametrize("task", ["rec", "grounding", "detection", "counting_boxes", "affordance"])
def test_drawn_box_is_at_the_parsed_box_in_original_pixels(
    predictors, image, tmp_path, monkeypatch, task, frame
):
    monkeypatch.setattr(inference, "generate_texts", fake_generate(task, frame))
    [prediction] = predictors[frame].predict([image], task, query="the cup")
    grid = prediction.answers[0].record["image_grid_thw"]
    want = expected(BOX, frame, grid)
    [(box, _label)] = prediction.answers[0].shapes.boxes
    # affordance rounds to whole pixels as its eval does (int(v + 0.5))
    assert np.allclose(box, want, atol=0.5 if task == "affordance" else 1e-6), (box, want)
    drawn = prediction.draw()
    assert drawn.size[0] == SIZE[0]
    assert_box_drawn(np.asarray(drawn), [round(v) for v in want])
    if task == "affordance":
        assert np.allclose(prediction.answers[0].shapes.points[0], expected(POINT, frame, grid), atol=0.5)


@pytest.mark.parametrize("task", ["counting", "geometry", "ocr"])
def test_text_answers_are_written_under_the_image(predictors, image, monkeypatch, task):
    monkeypatch.setattr(inference, "generate_texts", fake_generate(task, "abs"))
    [prediction] = predictors["abs"].predict([image], task, query="How many cups are there?")
    assert prediction.answers[0].shapes.text == ("HELLO" if task == "ocr" else "3")
    arr = np.asarray(prediction.draw())
    assert arr.shape[0] > SIZE[1]  # a band was added
    assert (arr[: SIZE[1]] == BACKGROUND).all()  # the image itself untouched
    band = arr[SIZE[1] :].reshape(-1, 3).astype(int)
    assert ((band[:, 0] > 150) & (band[:, 1] < 110)).any()  # red answer text


def test_prompt_is_the_tasks_eval_template():
    from paddlemix.tasks import prompt_text

    sample = {"task": "rec", "problem": "Please provide the bounding box coordinate of the region this "
              "sentence describes: the cup."}  # fmt: skip
    assert task_prompt("rec", "the cup") == prompt_text(sample, "eval")
    assert task_prompt("rec", prompt="free text") == "free text"
    with pytest.raises(ValueError, match="needs --query"):
        task_prompt("grounding")


def test_command_draws_one_file_per_answer_and_prints_json(image, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(inference, "generate_texts", fake_generate("rec", "abs"))
    out = str(tmp_path / "drawn.png")
    argv = ["--model_path", QWEN2_5, "--image", image, "--image", image, "--task", "rec", "--query", "cup"]
    argv += [
        "--max_pixels",
        str(56 * 56),
        "--draw",
        out,
        "--json",
        "--do_sample",
        "--num_return_sequences",
        "2",
    ]
    predictions = infer_main(argv)
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(lines) == 2 and all(len(r["answers"]) == 2 for r in lines)
    want = expected(BOX, "abs", predictions[0].answers[0].record["image_grid_thw"])
    assert np.allclose(lines[0]["answers"][1]["boxes"][0]["box"], want, atol=0.01)
    assert lines[0]["answers"][0]["coord_frame"] == "qwen2_5_vl_abs"
    for i in range(4):
        drawn = Image.open(str(tmp_path / f"drawn_{i}.png")).convert("RGB")
        assert_box_drawn(np.asarray(drawn), [round(v) for v in want])
    assert len(predictions) == 2


def test_command_runs_the_real_model(image, tmp_path):
    # Real generation end to end, as a user runs it: the answer is gibberish, the record is complete.
    out = str(tmp_path / "real.png")
    proc = subprocess.run(
        [sys.executable, "-m", "paddlemix.infer", "--model_path", QWEN2, "--image", image, "--task", "rec",
         "--query", "the cup", "--max_new_tokens", "6", "--json", "--draw", out],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    record = json.loads(proc.stdout.strip().splitlines()[-1])
    assert record["task"] == "rec" and record["prompt"].startswith("Please provide the bounding box")
    assert record["answers"][0]["coord_frame"] == "qwen2_vl_norm1000"
    assert Image.open(out).size[0] == SIZE[0]


def test_missing_image_is_one_line_before_loading(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "paddlemix.infer", "--model_path", str(tmp_path / "no_model"), "--image",
         str(tmp_path / "none.png"), "--task", "rec", "--query", "x"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 2 and "none.png: no such image" in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("model", ["qwen2_5_vl_tied", "qwen2_vl_tied", "qwen3_vl_tied"])
def test_infer_answers_as_test_rec_does_for_the_same_sample(tmp_path, monkeypatch, model):
    # One REC sample in VLM-R1's format, evaluated by test_rec's runner and asked through the Predictor, both
    # greedy on the real checkpoint directory: the prompt, resize and generation must give the same bytes.
    # The random model repeats one token whatever it sees, so the model inputs are compared too; and it never
    # writes a box, so each real answer gets one fixed box (model frame) appended: both paths must map it to
    # the same original pixels. 130x95 is resized to 140x84 (not a multiple of 28).
    size, frame_box = (130, 95), [14, 10, 98, 70]
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)).save(tmp_path / "cup.png")
    sample = {
        "image": "cup.png",
        "problem": "Please provide the bounding box coordinate of the region this sentence describes: "
        "the red cup.",
        "solution": [20, 15, 90, 80],
        "normal_caption": "the red cup",
    }
    (tmp_path / "cups.json").write_text(json.dumps([sample]))

    seen = []

    def with_box(model_, processor, inputs, max_new_tokens, eos, **sampling):
        seen.append({k: np.asarray(v.numpy()) for k, v in inputs.items() if hasattr(v, "numpy")})
        texts = generate_texts(model_, processor, inputs, max_new_tokens, eos, **sampling)
        return [f"{t}<answer>[{{'bbox_2d': {frame_box}, 'label': 'cup'}}]</answer>" for t in texts]

    monkeypatch.setattr(runner, "generate_texts", with_box)
    monkeypatch.setattr(inference, "generate_texts", with_box)
    path = tiny_dir(model)
    cfg = EvalConfig(
        model_name="tiny", model_path=path, data_root=str(tmp_path), image_root=str(tmp_path),
        test_datasets=["cups"], batch_size=1, sample_num=None, dtype="float32", max_new_tokens=12,
        output_dir=str(tmp_path / "logs"),
    )  # fmt: skip
    [evaluated] = run_rec(cfg)["cups"]["results"]
    predictor = Predictor(InferConfig(model_path=path, max_new_tokens=12))
    [prediction] = predictor.predict([str(tmp_path / "cup.png")], "rec", query="the red cup")
    [answer] = prediction.answers

    assert answer.model_output == evaluated["model_output"]
    assert prediction.prompt == evaluated["question"]
    evaluated_inputs, asked_inputs = seen
    assert sorted(evaluated_inputs) == sorted(asked_inputs)
    for key, value in evaluated_inputs.items():  # token ids, pixels, grid: the same bytes
        assert np.array_equal(value, asked_inputs[key]), key
    [(box, _label)] = answer.shapes.boxes
    assert box == evaluated["pred_box"]
    for key in ("image_grid_thw", "input_size", "coord_frame"):
        assert answer.record[key] == evaluated[key], key
    assert evaluated["image_size"] == list(size)
    # and both are where the box lands by hand: input 140x84 (abs) or 0-1000 (norm)
    fw, fh = (140, 84) if model.startswith("qwen2_5") else (1000, 1000)
    want = [v * (size[0] / fw if i % 2 == 0 else size[1] / fh) for i, v in enumerate(frame_box)]
    assert np.allclose(box, want, atol=1e-9), (box, want)
