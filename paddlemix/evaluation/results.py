"""Results files: the seed's name and layout, written atomically, and the line the eval prints for each."""

from __future__ import annotations

import json
import os
import tempfile

from paddlemix.distributed import data_parallel_env
from paddlemix.errors import UserError
from paddlemix.evaluation.config import EvalConfig
from paddlemix.file_modes import honour_umask


def results_path(output_dir: str, prefix: str, ds: str, cfg: EvalConfig) -> str:
    """The seed's results file name: `{output_dir}/{prefix}_results_{ds}_{model}_{method}_{steps}.json`."""
    name = f"{prefix}_results_{ds}_{cfg.model_name.lower()}_{cfg.method}_{cfg.steps}.json"
    return os.path.join(output_dir, name)


def write_json_atomic(path: str, data) -> None:
    """Write `data` as indented JSON to `path` so that readers see the old file or the whole new one."""
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".json")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=2, ensure_ascii=False)
            f.flush()
            os.fsync(f.fileno())
        honour_umask(tmp)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def finished_results(path: str, header: dict, overwrite: bool = False) -> dict | None:
    """The finished results at `path` if they are this run's (same `run` header), to reuse instead of
    recomputing; None when there are none (or `overwrite`). Results of another --model_path are never
    replaced silently: that is a UserError naming the file and --overwrite."""
    if overwrite or not os.path.isfile(path):
        return None
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, ValueError):
        return None  # unreadable: recomputed and replaced, as before
    run = data.get("run") if isinstance(data, dict) else None
    if not isinstance(run, dict):
        return None
    if run.get("model_path") not in (None, header.get("model_path")):
        raise UserError(
            f"holds the results of --model_path {run['model_path']}, not {header.get('model_path')}",
            where=path,
            fix="pass --overwrite to replace them, or another --model_name, --steps or --output_dir to keep both",
        )
    if run == header and isinstance(data.get("results"), list):
        print(
            f"{path}: finished results of this model and these settings; reusing them (--overwrite recomputes)"
        )
        return data
    return None


def coco_ap(percent: float | None) -> str:
    """An AP stored in percent, as COCO prints it: a fraction with 3 decimals (31.94 -> '0.319')."""
    return "n/a" if percent is None else f"{percent / 100:.3f}"


def write_results(path: str, data) -> None:
    """Write a results file from rank 0 only: in a data-parallel eval every rank holds the gathered results."""
    if data_parallel_env().rank == 0:
        write_json_atomic(path, data)


def report(ds: str, data: dict, path: str) -> None:
    """Print a dataset's number and skipped count and where its results are, as the seed does.

    A per-sample task prints its accuracy; a dataset-level one (detection: no per-sample verdicts, so no
    `num_correct`) prints its COCO AP@[.50:.95] the way pycocotools does, with AP50 / AP75 when known.
    """
    acc = data["accuracy"]
    if data.get("num_correct") is None and data["num_scored"]:
        stats = data.get("coco_stats") or {}
        extra = "".join(f", {k} {coco_ap(stats[k])}" for k in ("AP50", "AP75") if stats.get(k, -1) >= 0)
        print(
            f"\nAP of {ds}: {coco_ap(acc)} (COCO AP@[.50:.95]{extra}; {data['num_scored']} samples, "
            f"{data['num_skipped']} skipped)"
        )
    else:
        shown = "n/a" if acc is None else f"{acc:.2f}%"
        print(
            f"\nAccuracy of {ds}: {shown} ({data['num_correct']}/{data['num_scored']}, "
            f"{data['num_skipped']} skipped)"
        )
    print(f"Results saved to {path}")
    print("-" * 100)
