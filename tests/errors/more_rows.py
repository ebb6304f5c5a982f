"""The bad-input table's rows for VLM-R1's general jsonl and for a new user's first hour (issue 22)."""

from __future__ import annotations

import json
import os

from tests.errors.table import (
    COUNTING,
    DETECTION,
    GROUNDING,
    PY,
    R1V,
    REPO,
    RUN_COUNTING,
    TRAIN,
    Row,
    train_yaml,
    write,
)


def vlm_r1_rows(root: str, model: str) -> list[Row]:
    """VLM-R1's general jsonl: its three flags, an unknown method, an unreachable LLM judge."""
    import socket

    from paddlemix.datasets.synthetic.gui import write_gui_layout

    gui = write_gui_layout(os.path.join(root, "data"), n=2, n_eval=1)
    train_file, val_file = (
        os.path.join(gui, "gui_multi-image.jsonl"),
        os.path.join(gui, "gui_multi-image_val.jsonl"),
    )
    typo = write(os.path.join(root, "ann", "typo_method.jsonl"), open(val_file, encoding="utf-8").read()
                  .replace('"all_match"', '"all_matc"'))  # fmt: skip
    # the GUI records name all_match themselves, which would win over --reward_method: these name llm
    judged = write(os.path.join(root, "ann", "judged.jsonl"), open(val_file, encoding="utf-8").read()
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
    # Both commands: the records that name the llm method, and a judge whose port nothing listens on.
    judge = [
        "--data_file_paths",
        judged,
        "--image_folders",
        gui,
        "--llm_judge_url",
        dead,
        "--llm_judge_timeout",
        "5",
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
            [*base, *judge, "--output_dir", os.path.join(root, "out-judge")],
            [dead, "unreachable", "--llm_judge_url"],
        ),  # fmt: skip
        Row(
            "eval_vlm_r1/unreachable-judge",
            [*evaluate, *judge],
            [dead, "unreachable"],
        ),  # fmt: skip
        Row(
            "eval_vlm_r1/record-unknown-method",
            [*evaluate, "--data_file_paths", typo, "--image_folders", gui],
            [f"{typo}:1", "unknown accuracy method 'all_matc'"],
        ),
    ]


def first_hour_rows(root, model, good_rec, rec_root, counting, a_file, empty, loc_args) -> list[Row]:
    """Issue 22's rows: what a new user meets in the first hour (reruns, kept results, pasted flags, paths)."""
    out = os.path.join(root, "out-rerun")
    os.makedirs(os.path.join(out, "checkpoint-1"))
    rerun = train_yaml(root, "rerun", good_rec, rec_root, model)
    kept = os.path.join(root, "kept-logs")
    write(
        os.path.join(kept, "r1-v_results_superclevr_test200_counting_problems_tiny_r1_100.json"),
        json.dumps({"accuracy": 50.0, "results": [], "run": {"model_path": "/elsewhere/other-model"}}),
    )
    r1v = ["--model_name", "tiny", "--model_path", model, "--data_root", counting, "--output_dir", kept]
    r1v += ["--image_root", os.path.join(counting, "superclevr_200"), "--max_new_tokens", "2"]
    alias = train_yaml(root, "alias", good_rec, rec_root, model)
    pasted = ["--torch_dtype", "bfloat16", "--data_seed", "7", "--gradient_checkpointing", "true"]
    pasted += ["--freeze_vision_modules", "true", "--save_only_model", "true", "--print_config"]
    return [
        # a random model never earns accuracy/format: the trainer says so once, in one line
        Row(
            "train/no-learning-signal",
            [*TRAIN, "--config", train_yaml(root, "nosignal", good_rec, rec_root, model, max_steps=2)]
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
