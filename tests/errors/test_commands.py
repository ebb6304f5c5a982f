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
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import pytest
import yaml

from paddlemix.datasets.synthetic import write_counting_layout, write_rec_layout
from tests.helpers import tiny_dir

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PY = sys.executable
TRAIN = [PY, "-m", "paddlemix.rl.grpo.train"]
R1V = [PY, os.path.join(REPO, "eval", "test_r1-v.py")]
REC = [PY, os.path.join(REPO, "eval", "test_rec.py")]
RESCORE = [PY, "-m", "paddlemix.evaluation.rescore"]
SFT = [PY, "-m", "paddlemix.sft.train"]
DETECTION, GROUNDING, COUNTING, OCR = (
    [PY, os.path.join(REPO, "eval", f"evaluate_{name}.py")]
    for name in ("detection", "grounding", "counting", "ocr")
)
SYNTHETIC = [PY, "-m", "paddlemix.datasets.synthetic"]
CHECK_LAYOUT = [PY, "-m", "paddlemix.datasets.check_layout"]
DOCS = [PY, "-m", "paddlemix.config.docs"]
RUN_GRPO = ["bash", os.path.join(REPO, "scripts", "run_grpo.sh")]
RUN_COUNTING = ["bash", os.path.join(REPO, "scripts", "run_grpo_counting.sh")]
RUN_REC = ["bash", os.path.join(REPO, "scripts", "run_grpo_rec.sh")]
PREPARE = ["bash", os.path.join(REPO, "scripts", "prepare_data.sh")]
# The seed's launch variables, cleared so a developer's environment does not change the rows.
SCRIPT_VARS = ("GPUS", "BATCH_SIZE", "PER_DEVICE_BATCH_SIZE", "GRADIENT_ACC", "NUM_GENERATIONS", "DRY_RUN")


@dataclass
class Row:
    """A bad input: the command, what must be named on stderr, and the exit status."""

    id: str
    argv: list[str]
    named: list[str]  # each must appear on stderr (stdout for check_layout's report)
    status: int = 2
    env: dict = field(default_factory=dict)
    debug: bool = False  # --debug: the traceback must be shown
    stream: str = "stderr"
    absent: list[str] = field(
        default_factory=list
    )  # paths that must not exist afterwards (nothing half-written)


def _write(path, text: str) -> str:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return str(path)


def _train_yaml(root, name: str, dataset: str, image_root: str | None, model: str, **extra) -> str:
    """A training YAML on the tiny fixture whose output_dir is root/out-<name>."""
    cfg = {
        "model_name_or_path": model,
        "dataset_name": dataset,
        "output_dir": os.path.join(root, f"out-{name}"),
        "max_steps": 1,
        "num_generations": 2,
        "max_completion_length": 4,
        "report_to": "none",
        **({"image_root": image_root} if image_root else {}),
        **extra,
    }
    return _write(os.path.join(root, f"{name}.yaml"), yaml.safe_dump(cfg))


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

    bad_line = _write(
        os.path.join(root, "ann", "bad_line.jsonl"),
        json.dumps(records[0]) + "\n" + '{"image": "a.jpg", "prob\n',
    )
    no_solution = _write(
        os.path.join(root, "ann", "no_solution.json"),
        json.dumps([records[0], {k: v for k, v in records[1].items() if k != "solution"}]),
    )
    not_list = _write(os.path.join(root, "ann", "not_list.json"), json.dumps({"records": records}))
    no_images = _write(
        os.path.join(root, "ann", "no_images.json"),
        json.dumps([{**r, "image": f"gone/{i}.jpg"} for i, r in enumerate(records)]),
    )
    bad_yaml = _write(os.path.join(root, "bad.yaml"), "model:\n  model_name_or_path: [unclosed\n")
    same_source = _train_yaml(root, "same", good_rec, rec_root, model, save_strategy="no", save_steps=7)

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
    _write(os.path.join(mismatched, "config.json"), json.dumps(config))

    # Checkpoint folders whose config.json, or tokenizer.json, was cut short.
    bad_config_model, bad_tokenizer_model = (
        os.path.join(root, "bad_config_model"),
        os.path.join(root, "bad_tok_model"),
    )
    for folder, name in ((bad_config_model, "config.json"), (bad_tokenizer_model, "tokenizer.json")):
        shutil.copytree(model, folder)
        text = open(os.path.join(folder, name), encoding="utf-8").read()
        _write(os.path.join(folder, name), text[: len(text) // 2])

    eval_jsonl = os.path.join(counting, "superclevr_test200_counting_problems.jsonl")
    lines = open(eval_jsonl, encoding="utf-8").read().splitlines()
    evals = os.path.join(root, "evals")
    _write(os.path.join(evals, "broken.jsonl"), lines[0] + "\n" + lines[1][: len(lines[1]) // 2] + "\n")
    lacking = {k: v for k, v in json.loads(lines[1]).items() if k != "ground_truth"}
    _write(os.path.join(evals, "lacking.jsonl"), lines[0] + "\n" + json.dumps(lacking) + "\n")
    _write(os.path.join(evals, "refcoco_val.json"), open(good_rec, encoding="utf-8").read()[:50])
    eval_out = os.path.join(root, "eval-logs")
    r1v_args = ["--model_name", "tiny", "--model_path", model, "--data_root", evals, "--image_root", counting]
    r1v_args += ["--output_dir", eval_out, "--batch_size", "2"]
    rec_args = ["--model_name", "tiny", "--model_path", model, "--data_root", evals, "--image_root", rec_root]
    rec_args += ["--output_dir", eval_out]
    loc_args = ["--model_path", model, "--image_dir", counting, "--output_dir", eval_out]
    empty = os.path.join(root, "empty_folder")
    os.makedirs(empty)
    bad_counting = _write(
        os.path.join(root, "pixmo", "pixmo_count_val.jsonl"), lines[0] + "\n" + lines[1][:9] + "\n"
    )

    result = {"question": "q", "ground_truth": 3, "model_output": "<answer>3</answer>"}
    results = json.dumps({"accuracy": 100.0, "results": [result] * 3}, indent=2)
    truncated_results = _write(
        os.path.join(root, "results", "cut_results.json"), results[: len(results) // 2]
    )
    no_list = _write(os.path.join(root, "results", "nolist_results.json"), json.dumps({"accuracy": 1.0}))
    no_output = _write(
        os.path.join(root, "results", "nooutput_results.json"),
        json.dumps({"results": [{"question": "q", "ground_truth": 3}]}),
    )

    a_file = _write(os.path.join(root, "a_file"), "not a folder\n")
    downloads = os.path.join(root, "downloads")
    _write(os.path.join(downloads, "REC.tar"), "this is not a tar archive\n")
    layout = os.path.join(root, "layout")
    shutil.copytree(rec_root, os.path.join(layout, "REC"))
    _write(os.path.join(layout, "REC", "rec_jsons_processed", "refcoco_val.json"), '[{"image": 1}')
    tiny_cpu = os.path.join(REPO, "configs", "grpo_tiny_cpu.yaml")
    # issue 21: a REC results file that stores no frame (VLM-R1's, the seed's)
    frameless = _write(
        os.path.join(root, "results", "rec_results_refcoco_val_m_r1_1.json"),
        json.dumps({"accuracy": 0.0, "results": [{"ground_truth": [0, 0, 9, 9], "model_output": "x"}]}),
    )
    # issue 21: a user's reward that raises, registered by the user's own launcher
    boom = _write(
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
        return [*TRAIN, "--config", _train_yaml(root, name, dataset, image_root, model_dir, **extra)]

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
            [*TRAIN, "--config", _train_yaml(root, "warn", good_rec, rec_root, model, save_steps=7)]
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
                _train_yaml(root, "boom", good_rec, rec_root, model, reward_funcs=["boom"]),
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
        *_vlm_r1_rows(root, model),
        # issue 22
        *_first_hour_rows(root, model, good_rec, rec_root, counting, a_file, empty, loc_args),
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


def _vlm_r1_rows(root: str, model: str) -> list[Row]:
    """VLM-R1's general jsonl: its three flags, an unknown method, an unreachable LLM judge."""
    import socket

    from paddlemix.datasets.synthetic.gui import write_gui_layout

    gui = write_gui_layout(os.path.join(root, "data"), n=2, n_eval=1)
    train_file, val_file = (
        os.path.join(gui, "gui_multi-image.jsonl"),
        os.path.join(gui, "gui_multi-image_val.jsonl"),
    )
    typo = _write(os.path.join(root, "ann", "typo_method.jsonl"), open(val_file, encoding="utf-8").read()
                  .replace('"all_match"', '"all_matc"'))  # fmt: skip
    # the GUI records name all_match themselves, which would win over --reward_method: these name llm
    judged = _write(os.path.join(root, "ann", "judged.jsonl"), open(val_file, encoding="utf-8").read()
                    .replace('"all_match"', '"llm"'))  # fmt: skip
    with socket.socket() as s:  # a local port nobody listens on
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}/v1"
    gui_yaml = os.path.join(REPO, "configs", "grpo_gui_multi_image.yaml")
    base = [*TRAIN, "--config", gui_yaml, "--model_name_or_path", model, "--bf16", "false"]
    evaluate = [
        PY,
        os.path.join(REPO, "eval", "evaluate_vlm_r1.py"),
        "--model_path",
        model,
        "--dtype",
        "float32",
    ]
    return [
        Row(
            "train/vlm-r1-unknown-reward-method",
            [*base, "--data_file_paths", train_file, "--image_folders", gui, "--reward_method", "exact"],
            ["--reward_method 'exact' is unknown", "all_match"],
            absent=[os.path.join(root, "out-vlm-method")],
        ),
        Row(
            "train/vlm-r1-files-folders-count",
            [*base, "--data_file_paths", f"{train_file}:{val_file}", "--image_folders", gui],
            ["2 file(s)", "1 folder(s)"],
        ),
        Row(
            "train/vlm-r1-unreachable-judge",
            [
                *base,
                "--data_file_paths",
                judged,
                "--image_folders",
                gui,
                "--llm_judge_url",
                dead,
                "--llm_judge_timeout",
                "5",
                "--output_dir",
                os.path.join(root, "out-judge"),
            ],
            [dead, "unreachable", "--llm_judge_url"],
        ),  # fmt: skip
        Row(
            "eval_vlm_r1/unreachable-judge",
            [
                *evaluate,
                "--data_file_paths",
                judged,
                "--image_folders",
                gui,
                "--llm_judge_url",
                dead,
                "--llm_judge_timeout",
                "5",
            ],
            [dead, "unreachable"],
        ),  # fmt: skip
        Row(
            "eval_vlm_r1/record-unknown-method",
            [*evaluate, "--data_file_paths", typo, "--image_folders", gui],
            [f"{typo}:1", "unknown accuracy method 'all_matc'"],
        ),
    ]


def _first_hour_rows(root, model, good_rec, rec_root, counting, a_file, empty, loc_args) -> list[Row]:
    """Issue 22's rows: what a new user meets in the first hour (reruns, kept results, pasted flags, paths)."""
    out = os.path.join(root, "out-rerun")
    os.makedirs(os.path.join(out, "checkpoint-1"))
    rerun = _train_yaml(root, "rerun", good_rec, rec_root, model)
    kept = os.path.join(root, "kept-logs")
    _write(
        os.path.join(kept, "r1-v_results_superclevr_test200_counting_problems_tiny_r1_100.json"),
        json.dumps({"accuracy": 50.0, "results": [], "run": {"model_path": "/elsewhere/other-model"}}),
    )
    r1v = ["--model_name", "tiny", "--model_path", model, "--data_root", counting, "--output_dir", kept]
    r1v += ["--image_root", os.path.join(counting, "superclevr_200"), "--max_new_tokens", "2"]
    alias = _train_yaml(root, "alias", good_rec, rec_root, model)
    pasted = ["--torch_dtype", "bfloat16", "--data_seed", "7", "--gradient_checkpointing", "true"]
    pasted += ["--freeze_vision_modules", "true", "--save_only_model", "true", "--print_config"]
    return [
        # a random model never earns accuracy/format: the trainer says so once, in one line
        Row(
            "train/no-learning-signal",
            [*TRAIN, "--config", _train_yaml(root, "nosignal", good_rec, rec_root, model, max_steps=2)]
            + ["--warn_no_signal_steps", "2"],
            ["no learning signal: all 1 groups had equal rewards for 2 steps", "rewards were all 0"],
            status=0,
        ),
        Row(
            "train/output-dir-exists",
            [*TRAIN, "--config", rerun],
            [
                f"--output_dir {out}",
                "checkpoint-1",
                "--resume_from_checkpoint auto",
                "--overwrite_output_dir",
            ],
        ),
        Row(
            "train/unknown-flags-at-once",
            [*TRAIN, "--config", alias, "--max_step", "3", "--learning_rat", "1", "--deepspeed", "z3.json"],
            ["--max_step (did you mean --max_steps?)", "--learning_rat (did you mean --learning_rate?)"]
            + ["--deepspeed", "--sharding stage2|stage3"],
        ),
        Row(
            "train/seed-flags-accepted",
            [*TRAIN, "--config", alias, *pasted],
            ["bf16: true", "seed: 7", "recompute: true", "freeze_vision: true"],
            status=0,
            stream="stdout",
        ),
        Row(
            "r1v/results-of-another-model",
            [*R1V, *r1v],
            ["r1-v_results_superclevr_test200_counting_problems_tiny_r1_100.json", "/elsewhere/other-model"]
            + ["--overwrite"],
        ),
        Row(
            "detection/anno-dir-is-a-folder",
            [*DETECTION, *loc_args, "--anno_dir", empty],
            [empty, "a folder, not a COCO instances json"],
        ),
        Row(
            "grounding/anno-dir-is-a-file",
            [*GROUNDING, *loc_args, "--anno_dir", a_file],
            [a_file, "a file, not the folder of split files"],
        ),
        Row(
            "counting/image-dir-is-a-file",
            [*COUNTING, "--model_path", model, "--anno_dir", counting, "--image_dir", a_file],
            [a_file, "a file, not the folder of images"],
        ),
        Row(
            "export/checkpoint-is-a-file",
            [PY, "-m", "paddlemix.export", "--checkpoint", a_file, "--out", os.path.join(root, "exported")],
            [a_file, "a file, not a checkpoint folder"],
        ),
        Row(
            "run_grpo/dry-run-last",
            [*RUN_COUNTING, "--max_steps", "3", "--dry-run"],
            ["command (in", "max_steps: 3"],
            status=0,
            stream="stdout",
        ),
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
