"""Results files: the seed's name and layout, written atomically, and the line the eval prints for each."""

from __future__ import annotations

import json
import os
import tempfile

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


def report(ds: str, data: dict, path: str) -> None:
    """Print a dataset's accuracy and skipped count and where its results are, as the seed does."""
    acc = data["accuracy"]
    shown = "n/a" if acc is None else f"{acc:.2f}%"
    print(
        f"\nAccuracy of {ds}: {shown} ({data['num_correct']}/{data['num_scored']}, {data['num_skipped']} skipped)"
    )
    print(f"Results saved to {path}")
    print("-" * 100)
