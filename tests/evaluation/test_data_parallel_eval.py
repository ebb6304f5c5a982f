"""Data-parallel eval (`runner.shard_batches`, per-rank partial files, rank 0 gathers): 2 CPU processes under
`paddle.distributed.launch` write the very results file of 1 process, for test_rec, test_r1-v and
evaluate_detection (COCO AP included). The runs go through `tests/evaluation/dp_worker.py`, which stores a
known answer per sample (right for some, wrong for others) after the model has generated."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from paddlemix.datasets.synthetic import write_counting_layout, write_rec_layout
from paddlemix.datasets.synthetic.localization import write_detection_layout
from paddlemix.distributed import DistEnv
from paddlemix.evaluation.runner import rank_partial, shard_batches
from tests.helpers import tiny_dir

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
WORKER = [sys.executable, "-m", "tests.evaluation.dp_worker"]
# The launched workers get cores // 2 threads; one thread everywhere keeps GEMM rounding the same.
ENV = {**os.environ, "PADDLEMIX_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> str:
    out = str(tmp_path_factory.mktemp("data"))
    write_rec_layout(out, n=3, n_eval=7)
    write_counting_layout(out, n=1, n_eval=7)
    write_detection_layout(out, n=1, n_eval=7)
    return out


def command_args(command: str, data: str) -> list[str]:
    if command == "rec":
        root = os.path.join(data, "REC")
        return ["--model_name", "Tiny", "--model_path", tiny_dir("qwen2_5_vl_tied"),
                "--data_root", os.path.join(root, "rec_jsons_processed"), "--image_root", root,
                "--test_datasets", "refcoco_val", "--sample_num", "7"]  # fmt: skip
    if command == "r1v":
        root = os.path.join(data, "Counting")
        return ["--model_name", "Tiny", "--model_path", tiny_dir("qwen2_vl_tied"), "--data_root", root,
                "--image_root", os.path.join(root, "superclevr_200")]  # fmt: skip
    coco = os.path.join(data, "Detection", "coco")
    return ["--model_path", tiny_dir("qwen2_5_vl_tied"), "--anno_dir",
            os.path.join(coco, "annotations", "instances_val2017.json"), "--image_dir", os.path.join(coco, "val2017")]  # fmt: skip


def run(argv: list[str], cwd, log_dir=None) -> None:
    done = subprocess.run(argv, cwd=cwd, env=ENV, capture_output=True, text=True, timeout=600)
    logs = "".join(p.read_text() for p in sorted(log_dir.glob("workerlog.*"))) if log_dir else ""
    assert done.returncode == 0, f"{done.stdout[-2000:]}\n{done.stderr[-3000:]}\n{logs[-6000:]}"


def results(folder) -> dict[str, dict]:
    files = sorted(p for p in os.listdir(folder) if p.endswith(".json"))
    assert not [p for p in os.listdir(folder) if "partial" in p]  # every rank dropped its partial file
    return {name: json.load(open(os.path.join(folder, name), encoding="utf-8")) for name in files}


@pytest.mark.slow
@pytest.mark.parametrize("command", ["rec", "r1v", "detection"])
def test_two_processes_write_the_results_file_of_one(data, tmp_path, command):
    common = [command, *command_args(command, data), "--batch_size", "2", "--max_new_tokens", "4",
              "--dtype", "float32"]  # fmt: skip
    run([*WORKER, *common, "--output_dir", str(tmp_path / "one")], REPO)
    launch = [sys.executable, "-m", "paddle.distributed.launch", "--nproc_per_node", "2", "--log_dir",
              str(tmp_path / "logs")]  # fmt: skip
    run([*launch, *WORKER, *common, "--output_dir", str(tmp_path / "two")], REPO, tmp_path / "logs")
    # each rank generated its own batches only: 4 samples on rank 0, 3 on rank 1
    rank1 = (tmp_path / "logs" / "workerlog.1").read_text(errors="replace")
    assert "3/3 [" in rank1 and "/7 [" not in rank1, rank1[-2000:]
    one, two = results(tmp_path / "one"), results(tmp_path / "two")
    assert list(one) == list(two) and len(one) == 1
    [(name, single)] = one.items()
    assert two[name] == single  # same samples, order, outputs, verdicts, skipped list and numbers
    assert len(single["results"]) == 7
    assert 0 < single["accuracy"] < 100  # some answers right, some wrong
    if command == "detection":
        assert two[name]["coco_stats"] == single["coco_stats"]


def test_batches_are_dealt_to_ranks_as_one_process_batches_them():
    two = [shard_batches(7, 2, DistEnv(rank=r, world_size=2), lambda i: False) for r in (0, 1)]
    assert two == [[[0, 1], [4, 5]], [[2, 3], [6]]]
    # resuming: what a rank already holds is left out of its batches, the rest stay as they were
    assert shard_batches(7, 2, DistEnv(rank=0, world_size=2), lambda i: i in (0, 1, 4)) == [[5]]
    assert shard_batches(5, 2, DistEnv(), lambda i: i == 1) == [[0, 2], [3, 4]]
    path, header = rank_partial("/x/r.json", {"m": 1}, DistEnv(rank=1, world_size=2))
    assert path == "/x/r.partial.rank1of2.jsonl" and header == {"m": 1, "rank": 1, "world_size": 2}
    assert rank_partial("/x/r.json", {"m": 1}, DistEnv()) == ("/x/r.partial.jsonl", {"m": 1})
