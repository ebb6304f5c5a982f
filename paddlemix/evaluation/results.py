"""Results files: the seed's name and layout, written atomically, and the line the eval prints for each."""

from __future__ import annotations

import json
import os
import tempfile

from paddlemix.distributed import data_parallel_env
from paddlemix.evaluation.config import EvalConfig


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
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def write_results(path: str, data) -> None:
    """Write a results file from rank 0 only: in a data-parallel eval every rank holds the gathered results."""
    if data_parallel_env().rank == 0:
        write_json_atomic(path, data)


def report(ds: str, data: dict, path: str) -> None:
    """Print a dataset's accuracy and skipped count and where its results are, as the seed does."""
    acc = data["accuracy"]
    shown = "n/a" if acc is None else f"{acc:.2f}%"
    print(
        f"\nAccuracy of {ds}: {shown} ({data['num_correct']}/{data['num_scored']}, {data['num_skipped']} skipped)"
    )
    print(f"Results saved to {path}")
    print("-" * 100)
