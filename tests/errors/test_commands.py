"""Every command a user runs answers bad input with one line naming the culprit, exit status 2, no traceback.

One row per bad input per command, each run as a user would (`python -m ...`, `python eval/...`, `bash
scripts/...`) in a subprocess. The rows run concurrently in one module fixture, so the table costs about as
much as its slowest few commands. Most errors happen before any model loads; the checkpoint rows load the
tiny fixture.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor

import pytest

from paddlemix.datasets.synthetic import write_counting_layout, write_rec_layout
from tests.errors.more_rows import first_hour_rows, vlm_r1_rows
from tests.errors.table import (
    CHECK_LAYOUT,
    COUNTING,
    DETECTION,
    DOCS,
    GROUNDING,
    OCR,
    PREPARE,
    PY,
    R1V,
    REC,
    REPO,
    RESCORE,
    RUN_COUNTING,
    RUN_GRPO,
    RUN_REC,
    SCRIPT_VARS,
    SFT,
    SYNTHETIC,
    TRAIN,
    Row,
    train_yaml,
    write,
)
from tests.helpers import tiny_dir


def _rows(root: str) -> list[Row]:
    """Build the bad inputs under `root` and return the table."""
    data = os.path.join(root, "data")
    write_rec_layout(data, n=2, n_eval=2)
    write_counting_layout(data, n=1, n_eval=2)
    rec_root = os.path.join(data, "REC")
    rec_ann = os.path.join(rec_root, "rec_jsons_processed")
    good_rec = os.path.join(rec_ann, "refcoco_train.json")
    records = (json.load(open(good_rec, encoding="utf-8")) * 2)[:2]
    model = tiny_dir("qwen2_vl_tied")
    counting = os.path.join(data, "Counting")

    bad_line = write(
        os.path.join(root, "ann", "bad_line.jsonl"),
        json.dumps(records[0]) + "\n" + '{"image": "a.jpg", "prob\n',
    )
    no_solution = write(
        os.path.join(root, "ann", "no_solution.json"),
        json.dumps([records[0], {k: v for k, v in records[1].items() if k != "solution"}]),
    )
    not_list = write(os.path.join(root, "ann", "not_list.json"), json.dumps({"records": records}))
    no_images = write(
        os.path.join(root, "ann", "no_images.json"),
        json.dumps([{**r, "image": f"gone/{i}.jpg"} for i, r in enumerate(records)]),
    )
    bad_yaml = write(os.path.join(root, "bad.yaml"), "model:\n  model_name_or_path: [unclosed\n")
    same_source = train_yaml(root, "same", good_rec, rec_root, model, save_strategy="no", save_steps=7)

    # A checkpoint whose weight file was cut short, and one whose config no longer fits its weights.
    truncated = os.path.join(root, "truncated_model")
    shutil.copytree(model, truncated)
    weights = os.path.join(truncated, "model.safetensors")
    with open(weights, "r+b") as f:
        f.truncate(os.path.getsize(weights) // 2)
    mismatched = os.path.join(root, "mismatched_model")
    shutil.copytree(model, mismatched)
    config = json.load(open(os.path.join(mismatched, "config.json"), encoding="utf-8"))
    config["intermediate_size"] = config["intermediate_size"] * 2
    write(os.path.join(mismatched, "config.json"), json.dumps(config))

    # Checkpoint folders whose config.json, or tokenizer.json, was cut short.
    bad_config_model, bad_tokenizer_model = (
        os.path.join(root, "bad_config_model"),
        os.path.join(root, "bad_tok_model"),
    )
    for folder, name in ((bad_config_model, "config.json"), (bad_tokenizer_model, "tokenizer.json")):
        shutil.copytree(model, folder)
        text = open(os.path.join(folder, name), encoding="utf-8").read()
        write(os.path.join(folder, name), text[: len(text) // 2])

    eval_jsonl = os.path.join(counting, "superclevr_test200_counting_problems.jsonl")
    lines = open(eval_jsonl, encoding="utf-8").read().splitlines()
    evals = os.path.join(root, "evals")
    write(os.path.join(evals, "broken.jsonl"), lines[0] + "\n" + lines[1][: len(lines[1]) // 2] + "\n")
    lacking = {k: v for k, v in json.loads(lines[1]).items() if k != "ground_truth"}
    write(os.path.join(evals, "lacking.jsonl"), lines[0] + "\n" + json.dumps(lacking) + "\n")
    write(os.path.join(evals, "refcoco_val.json"), open(good_rec, encoding="utf-8").read()[:50])
    eval_out = os.path.join(root, "eval-logs")
    r1v_args = ["--model_name", "tiny", "--model_path", model, "--data_root", evals, "--image_root", counting]
    r1v_args += ["--output_dir", eval_out, "--batch_size", "2"]
    rec_args = ["--model_name", "tiny", "--model_path", model, "--data_root", evals, "--image_root", rec_root]
    rec_args += ["--output_dir", eval_out]
    loc_args = ["--model_path", model, "--image_dir", counting, "--output_dir", eval_out]
    empty = os.path.join(root, "empty_folder")
    os.makedirs(empty)
    bad_counting = write(
        os.path.join(root, "pixmo", "pixmo_count_val.jsonl"), lines[0] + "\n" + lines[1][:9] + "\n"
    )

    result = {"question": "q", "ground_truth": 3, "model_output": "<answer>3</answer>"}
    results = json.dumps({"accuracy": 100.0, "results": [result] * 3}, indent=2)
    truncated_results = write(os.path.join(root, "results", "cut_results.json"), results[: len(results) // 2])
    no_list = write(os.path.join(root, "results", "nolist_results.json"), json.dumps({"accuracy": 1.0}))
    no_output = write(
        os.path.join(root, "results", "nooutput_results.json"),
        json.dumps({"results": [{"question": "q", "ground_truth": 3}]}),
    )

    a_file = write(os.path.join(root, "a_file"), "not a folder\n")
    downloads = os.path.join(root, "downloads")
    write(os.path.join(downloads, "REC.tar"), "this is not a tar archive\n")
    layout = os.path.join(root, "layout")
    shutil.copytree(rec_root, os.path.join(layout, "REC"))
    write(os.path.join(layout, "REC", "rec_jsons_processed", "refcoco_val.json"), '[{"image": 1}')
    tiny_cpu = os.path.join(REPO, "configs", "grpo_tiny_cpu.yaml")
    # issue 21: a REC results file that stores no frame (VLM-R1's, the seed's)
    frameless = write(
        os.path.join(root, "results", "rec_results_refcoco_val_m_r1_1.json"),
        json.dumps({"accuracy": 0.0, "results": [{"ground_truth": [0, 0, 9, 9], "model_output": "x"}]}),
    )
    # issue 21: a user's reward that raises, registered by the user's own launcher
    boom = write(
        os.path.join(root, "boom_train.py"),
        "from paddlemix.rewards import register_reward\n"
        "from paddlemix.rl.grpo.train import main\n"
        "from paddlemix.errors import run_main\n"
        "register_reward('boom', lambda completions, **_: [1 / 0 for _ in completions])\n"
        "run_main(main)\n",
    )

    def out(name):
        return [os.path.join(root, f"out-{name}")]

    def train(name, dataset, image_root=rec_root, model_dir=model, **extra):
        return [*TRAIN, "--config", train_yaml(root, name, dataset, image_root, model_dir, **extra)]

    return [
        # --- python -m paddlemix.rl.grpo.train ---
        Row("train/no-config", [*TRAIN, "--config", "nope.yaml"], ["nope.yaml", "no such file"]),
        Row("train/yaml-syntax", [*TRAIN, "--config", bad_yaml], [f"{bad_yaml}:3", "not valid YAML"]),
        Row(
            "train/unknown-flag", [*TRAIN, "--config", same_source, "--learning_rat", "1"], ["--learning_rat"]
        ),
        Row("train/bad-number", [*TRAIN, "--config", same_source, "--beta", "x"], ["--beta", "'x'"]),
        # save_strategy and save_steps side by side in one YAML: still an error
        Row("train/no-effect-same-source", [*TRAIN, "--config", same_source], ["--save_steps", "no effect"]),
        Row(
            "train/jsonl-bad-line",
            train("badline", bad_line),
            [f"{bad_line}:2", "not JSON"],
            absent=out("badline"),
        ),
        Row(
            "train/record-missing-field",
            train("nosol", no_solution),
            [f"{no_solution}[1]", "'solution'"],
            absent=out("nosol"),
        ),
        Row(
            "train/json-not-a-list",
            train("notlist", not_list),
            [not_list, "JSON list"],
            absent=out("notlist"),
        ),
        Row(
            "train/all-images-missing",
            train("noimg", no_images),
            ["the training set is empty", f"{no_images}: 2 missing", "gone/0.jpg"],
            absent=out("noimg"),
        ),
        Row(
            "train/truncated-weights",
            train("cut", good_rec, model_dir=truncated),
            [weights, "not a readable safetensors file"],
            absent=out("cut"),
        ),
        Row(
            "train/missing-dataset",
            train("nodata", os.path.join(root, "nowhere.json")),
            ["nowhere.json", "no such dataset"],
            absent=out("nodata"),
        ),
        Row(
            "train/missing-model",
            train("nomodel", good_rec, model_dir=os.path.join(root, "no_model")),
            ["no_model"],
            absent=out("nomodel"),
        ),
        Row(
            "train/unknown-reward",
            train("reward", good_rec, reward_funcs=["accurcy"]),
            ["--reward_funcs", "'accurcy'"],
            absent=out("reward"),
        ),
        # the command line switches saving off over a YAML that configures it: a warning, and the run goes on
        Row(
            "train/switch-off-warns",
            [*TRAIN, "--config", train_yaml(root, "warn", good_rec, rec_root, model, save_steps=7)]
            + ["--save_strategy", "no", "--print_config"],
            ["ignoring save_steps: 7", "--save_strategy no"],
            status=0,
        ),
        Row(
            "train/debug", [*TRAIN, "--config", "nope.yaml", "--debug"], ["ConfigError"], status=1, debug=True
        ),
        # --- eval/test_r1-v.py ---
        Row("r1v/missing-data-file", [*R1V, *r1v_args, "--test_datasets", "nope"], ["nope.jsonl"]),
        Row(
            "r1v/jsonl-bad-line",
            [*R1V, *r1v_args, "--test_datasets", "broken"],
            [os.path.join(evals, "broken.jsonl:2"), "not JSON"],
            absent=[eval_out],
        ),
        Row(
            "r1v/record-missing-field",
            [*R1V, *r1v_args, "--test_datasets", "lacking"],
            [os.path.join(evals, "lacking.jsonl:2"), "ground_truth"],
        ),
        Row("r1v/bad-batch-size", [*R1V, *r1v_args, "--batch_size", "0"], ["--batch_size must be >= 1"]),
        Row(
            "r1v/mismatched-weights",
            [*R1V, "--model_name", "tiny", "--model_path", mismatched, "--data_root", counting]
            + ["--image_root", counting, "--output_dir", eval_out, "--max_new_tokens", "2"],
            [os.path.join(mismatched, "model.safetensors"), "tensor model.layers.0.mlp", "has shape"],
            absent=[eval_out],
        ),
        Row(
            "r1v/debug",
            [*R1V, *r1v_args, "--test_datasets", "nope", "--debug"],
            ["Error"],
            status=1,
            debug=True,
        ),
        # --- eval/evaluate_{detection,grounding,counting,ocr}.py (the new tasks' evals) ---
        Row(
            "detection/missing-coco-file",
            [*DETECTION, *loc_args, "--anno_dir", os.path.join(root, "nope_instances.json")],
            ["nope_instances.json", "no such COCO instances file"],
        ),
        Row(
            "grounding/no-split-files",
            [*GROUNDING, *loc_args, "--anno_dir", empty],
            [empty, "no *.json split"],
        ),
        Row(
            "counting/jsonl-bad-line",
            [*COUNTING, *loc_args, "--anno_dir", os.path.dirname(bad_counting)],
            [f"{bad_counting}:2", "not JSON"],
        ),
        Row("ocr/missing-split", [*OCR, *loc_args, "--anno_dir", empty], ["en_page_ocr", empty]),
        # --- python -m paddlemix.sft.train ---
        Row("sft/no-config", [*SFT, "--config", "nope.yaml"], ["nope.yaml", "no such file"]),
        Row(
            "r1v/truncated-config-json",
            [*R1V, *r1v_args, "--data_root", counting, "--model_path", bad_config_model],
            [os.path.join(bad_config_model, "config.json"), "not valid JSON"],
        ),
        Row(
            "r1v/truncated-tokenizer-json",
            [*R1V, *r1v_args, "--data_root", counting, "--model_path", bad_tokenizer_model],
            [os.path.join(bad_tokenizer_model, "tokenizer.json"), "not a readable tokenizer file"],
        ),
        # --- eval/test_rec.py ---
        Row(
            "rec/truncated-annotations",
            [*REC, *rec_args, "--test_datasets", "refcoco_val"],
            [os.path.join(evals, "refcoco_val.json:3:"), "not valid JSON"],
            absent=[eval_out],
        ),
        Row("rec/bad-sample-num", [*REC, *rec_args, "--sample_num", "0"], ["--sample_num must be >= 1"]),
        Row(
            "rec/debug",
            [*REC, *rec_args, "--test_datasets", "refcoco_val", "--debug"],
            ["DataError"],
            status=1,
            debug=True,
        ),
        # --- --rescore (both eval commands) and python -m paddlemix.evaluation.rescore ---
        Row(
            "rescore/truncated",
            [*R1V, "--rescore", truncated_results],
            [f"{truncated_results}:", "truncated?"],
        ),
        Row("rescore/not-results", [*REC, "--rescore", no_list], [no_list, "not a results file"]),
        Row("rescore/no-output", [*RESCORE, no_output], [f"{no_output}: results[0]", "model_output"]),
        Row(
            "rescore/missing",
            [*RESCORE, os.path.join(root, "none.json")],
            ["none.json", "no such results file"],
        ),
        Row("rescore/debug", [*RESCORE, truncated_results, "--debug"], ["DataError"], status=1, debug=True),
        # --- python -m paddlemix.datasets.synthetic ---
        Row(
            "synthetic/out-is-a-file",
            [*SYNTHETIC, "--task", "counting", "--out", a_file, "--n", "1"],
            [a_file, "--out"],
        ),
        Row("synthetic/bad-n", [*SYNTHETIC, "--task", "counting", "--out", root, "--n", "0"], ["--n"]),
        Row(
            "synthetic/debug",
            [*SYNTHETIC, "--task", "counting", "--out", a_file, "--n", "1", "--debug"],
            ["UserError"],
            status=1,
            debug=True,
        ),
        # --- python -m paddlemix.datasets.check_layout: a checker reports bad files and exits 1 ---
        Row("check_layout/bad-task", [*CHECK_LAYOUT, "--tasks", "nope"], ["'nope'"]),
        Row(
            "check_layout/bad-annotations",
            [*CHECK_LAYOUT, "--data-dir", layout, "--tasks", "rec"],
            ["refcoco_val.json:1:", "not valid JSON"],
            status=1,
            stream="stdout",
        ),
        # --- python -m paddlemix.config.docs ---
        Row("docs/extra-args", [*DOCS, "a.md", "b.md"], ["unexpected arguments", "a.md"]),
        Row("docs/unwritable", [*DOCS, os.path.join(a_file, "config.md")], [a_file, "cannot write"]),
        Row("docs/debug", [*DOCS, "a.md", "b.md", "--debug"], ["UserError"], status=1, debug=True),
        # --- scripts ---
        Row("run_grpo/no-config", [*RUN_GRPO, "nope.yaml"], ["nope.yaml", "no such config file"]),
        Row(
            "run_grpo/bad-gpus",
            [*RUN_COUNTING, "--dry-run"],
            ["GPUS=abc", "positive integer"],
            env={"GPUS": "abc"},
        ),
        Row(
            "run_grpo/bad-batch",
            [*RUN_REC, "--dry-run"],
            ["BATCH_SIZE=12", "not a multiple"],
            env={"GPUS": "8", "BATCH_SIZE": "12"},
        ),
        Row(
            "run_grpo/bad-generations",
            [*RUN_COUNTING, "--dry-run"],
            ["--num_generations", "'x'"],
            env={"GPUS": "1", "NUM_GENERATIONS": "x"},
        ),
        Row(
            "run_grpo/bad-yaml",
            [*RUN_GRPO, bad_yaml],
            [f"{bad_yaml}:3"],
            env={"GPUS": "1", "OUTPUT_DIR": os.path.join(root, "out-script")},
            absent=out("script"),
        ),
        Row(
            "run_grpo/debug",
            [*RUN_GRPO, "--dry-run", tiny_cpu, "--beta", "x", "--debug"],
            ["ConfigError"],
            status=1,
            env={"GPUS": "1"},
            debug=True,
        ),
        Row(
            "prepare_data/no-folder", [*PREPARE, os.path.join(root, "nowhere")], ["nowhere", "no such folder"]
        ),
        Row(
            "prepare_data/corrupt-archive",
            [*PREPARE, downloads],
            ["REC.tar", "not a readable tar archive"],
            env={"DATA_DIR": os.path.join(root, "prepared")},
        ),
        # issue 21
        Row(
            "rescore/frameless",
            [*REC, "--rescore", frameless],
            [frameless, "no coord_frame or model_type", "--coord_frame", "--model_type"],
        ),
        Row(
            "train/reward-applies-to-no-sample",
            train("nosample", good_rec, reward_funcs=["math_accuracy"]),
            ["'math_accuracy' applies to no sample", "counting", "the dataset's tasks are rec"],
        ),
        Row(
            "train/reward-raises",
            [
                PY,
                boom,
                "--config",
                train_yaml(root, "boom", good_rec, rec_root, model, reward_funcs=["boom"]),
            ],
            ["'boom'", "ZeroDivisionError: division by zero", "--max_reward_error_fraction"],
        ),
        # issue 18
        Row(
            "train/cispo-without-cap",
            [*train("cispo", good_rec), "--loss_type", "cispo"],
            ["--loss_type cispo", "--epsilon_high"],
            absent=out("cispo"),
        ),
        Row(
            "train/unknown-estimator",
            [*train("estimator", good_rec), "--advantage_estimator", "ppo"],
            ["--advantage_estimator", "'ppo'"],
            absent=out("estimator"),
        ),
        # issue 23
        *vlm_r1_rows(root, model),
        # issue 22
        *first_hour_rows(root, model, good_rec, rec_root, counting, a_file, empty, loc_args),
        # issue 20
        Row(
            "r1v/every-image-missing",
            [*R1V, *r1v_args, "--data_root", counting, "--image_root", os.path.join(root, "wrong_images")],
            [
                "2 bad image(s)",
                os.path.join(root, "wrong_images", "images", "synthetic_superCLEVR_000000.png"),
            ],
            absent=[
                os.path.join(eval_out, "r1-v_results_superclevr_test200_counting_problems_tiny_r1_100.json")
            ],
        ),
        Row(
            "rec/every-image-missing",
            [
                *REC,
                *rec_args,
                "--data_root",
                rec_ann,
                "--image_root",
                os.path.join(root, "wrong_images"),
                "--test_datasets",
                "refcoco_val",
            ],
            ["refcoco_val", "2 bad image(s)", os.path.join(root, "wrong_images"), "--image_root"],
        ),  # fmt: skip
    ]


def _run(row: Row, cwd: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in (*SCRIPT_VARS, "PADDLEMIX_DEBUG")}
    return subprocess.run(
        row.argv, cwd=cwd, env={**env, **row.env}, capture_output=True, text=True, timeout=600
    )


@pytest.fixture(scope="module")
def table(tmp_path_factory):
    """Each row's id -> (row, finished process); the rows run four at a time."""
    root = str(tmp_path_factory.mktemp("bad_inputs"))
    rows = _rows(root)
    with ThreadPoolExecutor(4) as pool:
        done = list(pool.map(lambda row: _run(row, root), rows))
    return {row.id: (row, proc) for row, proc in zip(rows, done)}


def _ids() -> list[str]:
    """The row ids, read from a throwaway build of the table (cheap: files only)."""
    import tempfile

    with tempfile.TemporaryDirectory() as root:
        return [row.id for row in _rows(root)]


@pytest.mark.parametrize("row_id", _ids())
def test_bad_input(table, row_id):
    row, proc = table[row_id]
    text = getattr(proc, row.stream)
    report = f"exit {proc.returncode}\nstdout: {proc.stdout[-1500:]}\nstderr: {proc.stderr[-3000:]}"
    assert proc.returncode == row.status, report
    for needle in row.named:
        assert needle in text, f"{needle!r} not named\n{report}"
    if row.debug:
        assert "Traceback" in proc.stderr, report
        return
    assert "Traceback" not in proc.stderr, report
    if row.stream == "stderr" and row.status != 0:
        # The error is the last line; lines before it are warnings from libraries (paddle's ccache notice).
        last = proc.stderr.strip().splitlines()[-1]
        assert last.startswith(("error:", "usage:")) or ": error:" in last, report
        assert all(needle in last for needle in row.named), f"not all on the error line\n{report}"
    for path in row.absent:
        assert not os.path.exists(path), f"{path} was left behind\n{report}"
