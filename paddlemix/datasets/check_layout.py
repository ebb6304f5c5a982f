"""Check that `data/` holds the seed's REC, Counting and GEO data (and OCR/, Affordance/), count every split, and say what is missing.

    python -m paddlemix.datasets.check_layout --data-dir data [--decode] [--tasks rec counting geometry ocr affordance]

For every task folder present it reads each annotation file or dataset split, counts its samples, and
checks that every sample's image exists (with `--decode`, that it also decodes; images embedded in a
Hugging Face dataset are read once to see that they are there). It prints one line per split and, for
anything missing, what it is and where the seed says to get it.

Exit status: 0 when every task folder present is complete (absent tasks are reported with their download
addresses, as a warning); 1 when a present task lacks files or images, or when no task is present at all.
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass, field

from paddlemix.datasets.eval_sets import load_eval_jsonl
from paddlemix.datasets.hf_dir import list_splits, read_hf_dir
from paddlemix.datasets.images import check_image, check_image_bytes
from paddlemix.datasets.layout import LAYOUTS, REC_ANNOTATIONS, TaskLayout, rec_image_root
from paddlemix.datasets.rec import read_records, rec_samples
from paddlemix.errors import run_main

SHOWN_PER_SPLIT = 5  # missing images named per split; the rest are counted


@dataclass
class SplitReport:
    """One annotation file or dataset split: how many samples, and which images are bad."""

    name: str
    file_source: str  # the layout's sources key that supplies the annotation file or dataset itself
    image_source: str  # the layout's sources key that supplies this split's images
    samples: int = 0
    bad: list[str] = field(default_factory=list)  # reasons, e.g. "missing: /abs/path.png"
    error: str = ""  # the file or split could not be read at all


@dataclass
class TaskReport:
    """One task folder: present or not, its splits, and what is missing."""

    layout: TaskLayout
    root: str
    present: bool
    splits: list[SplitReport] = field(default_factory=list)
    missing_files: list[tuple[str, str]] = field(default_factory=list)  # (file, sources key that supplies it)

    @property
    def complete(self) -> bool:
        """Present, every expected file there and readable, and no bad image."""
        return self.present and not self.missing_files and not any(s.bad or s.error for s in self.splits)


def check_rec(layout: TaskLayout, root: str, check: str) -> TaskReport:
    """REC/: every expected annotation file under rec_jsons_processed/, and every other one found there."""
    report = TaskReport(layout, root, True)
    ann_dir = os.path.join(root, REC_ANNOTATIONS)
    found = (
        sorted(f for f in os.listdir(ann_dir) if f.endswith((".json", ".jsonl")))
        if os.path.isdir(ann_dir)
        else []
    )
    expected = (*layout.train, *layout.evals)
    report.missing_files = [(f"{REC_ANNOTATIONS}/{f}", "annotations") for f in expected if f not in found]
    for name in found:
        images = "refgta_images" if rec_image_root(name) == "refgta" else "images"
        split = SplitReport(f"{REC_ANNOTATIONS}/{name}", "annotations", images)
        path = os.path.join(ann_dir, name)
        try:
            samples = rec_samples(read_records(path), os.path.join(root, rec_image_root(name)), path)
        except (OSError, ValueError) as e:
            split.error = str(e)
        else:
            split.samples = len(samples)
            split.bad = [r for r in (check_image(s["image"], check) for s in samples) if r]
        report.splits.append(split)
    return report


def check_r1v(layout: TaskLayout, root: str, check: str) -> TaskReport:
    """Counting/ or GEO/: the training dataset directory (every split) and the eval jsonl with its images."""
    report = TaskReport(layout, root, True)
    train_dir = os.path.join(root, layout.train[0])
    if not os.path.isdir(train_dir):
        report.missing_files.append((layout.train[0] + "/", "train"))
    else:
        try:
            splits = list_splits(train_dir)
        except (OSError, ValueError) as e:
            report.splits.append(SplitReport(layout.train[0], "train", "train", error=str(e)))
            splits = []
        if not splits and not report.splits:
            report.splits.append(
                SplitReport(
                    layout.train[0], "train", "train", error="no dataset files (parquet or arrow) in it"
                )
            )
        for name in splits:
            report.splits.append(_check_hf_split(train_dir, layout.train[0], name, check))
    eval_path = os.path.join(root, layout.evals[0])
    if not os.path.isfile(eval_path):
        report.missing_files.append((layout.evals[0], "eval_labels"))
    else:
        split = SplitReport(layout.evals[0], "eval_labels", "eval_images")
        try:
            dataset = load_eval_jsonl(
                eval_path, os.path.join(root, layout.eval_image_root), layout.task, "none"
            )
        except (OSError, ValueError) as e:
            split.error = str(e)
        else:
            split.samples = len(dataset)
            split.bad = [r for r in (check_image(s["image"], check) for s in dataset.samples) if r]
        report.splits.append(split)
    return report


def check_ocr(layout: TaskLayout, root: str, check: str) -> TaskReport:
    """OCR/: the training json and every eval/*.json(l), each sample's image."""
    from paddlemix.datasets.ocr import load_ocr

    report = TaskReport(layout, root, True)
    eval_dir = os.path.join(root, "eval")
    found = (
        sorted(f"eval/{f}" for f in os.listdir(eval_dir) if f.endswith((".json", ".jsonl")))
        if os.path.isdir(eval_dir)
        else []
    )
    expected = [(f, "train") for f in layout.train] + [(f, "eval_labels") for f in layout.evals]
    report.missing_files = [(f, part) for f, part in expected if not os.path.isfile(os.path.join(root, f))]
    for name in [f for f in layout.train if os.path.isfile(os.path.join(root, f))] + found:
        split = SplitReport(name, "train" if name in layout.train else "eval_labels", "eval_images")
        try:
            samples = load_ocr(os.path.join(root, name), root).samples
        except (OSError, ValueError) as e:
            split.error = str(e)
        else:
            split.samples = len(samples)
            split.bad = [r for r in (check_image(s["image"], check) for s in samples) if r]
        report.splits.append(split)
    return report


def check_affordance(layout: TaskLayout, root: str, check: str) -> TaskReport:
    """Affordance/: the training and test dataset folders, every split, embedded images present."""
    report = TaskReport(layout, root, True)
    for name, part in ((layout.train[0], "train"), (layout.evals[0], "eval_labels")):
        folder = os.path.join(root, name)
        if not os.path.isdir(folder):
            report.missing_files.append((name + "/", part))
            continue
        try:
            splits = list_splits(folder)
        except (OSError, ValueError) as e:
            report.splits.append(SplitReport(name, part, part, error=str(e)))
            continue
        for split_name in splits:
            report.splits.append(_check_hf_split(folder, name, split_name, check))
    return report


def _check_hf_split(train_dir: str, label: str, split_name: str, check: str) -> SplitReport:
    """A dataset split: row count, and rows whose embedded image is absent (or, with decode, undecodable)."""
    split = SplitReport(f"{label} [{split_name}]", "train", "train")
    try:
        table = read_hf_dir(train_dir, split_name)
    except (OSError, ValueError, KeyError) as e:
        split.error = str(e)
        return split
    split.samples = len(table)
    if check == "none" or not table.image_columns:
        return split
    for i in range(len(table)):
        cell = table.image(i) or {}
        if not cell.get("bytes") and not (cell.get("path") and os.path.isfile(cell["path"])):
            split.bad.append(f"missing: row {i} has no image bytes ({cell.get('path') or 'no path'})")
        elif check == "decode" and cell.get("bytes"):
            reason = check_image_bytes(cell["bytes"])
            if reason:
                split.bad.append(f"corrupt: row {i} ({cell.get('path')}): {reason}")
    return split


def check_data_dir(data_dir: str, tasks: list[str], check: str = "exists") -> list[TaskReport]:
    """A report per task: absent, or its splits with counts and bad images."""
    reports = []
    for task in tasks:
        layout = LAYOUTS[task]
        root = os.path.join(data_dir, layout.dir)
        if not os.path.isdir(root):
            reports.append(TaskReport(layout, root, False))
        elif task == "rec":
            reports.append(check_rec(layout, root, check))
        elif task == "ocr":
            reports.append(check_ocr(layout, root, check))
        elif task == "affordance":
            reports.append(check_affordance(layout, root, check))
        else:
            reports.append(check_r1v(layout, root, check))
    return reports


def format_report(reports: list[TaskReport]) -> str:
    """The human-readable summary printed by the command."""
    lines = []
    for r in reports:
        name = f"{r.layout.dir} ({r.layout.task})"
        if not r.present:
            lines.append(f"== {name}: NOT FOUND at {r.root}")
            if r.layout.archive_url:
                lines.append(f"   download {r.layout.archive}: {r.layout.archive_url}")
                lines.append("   and run scripts/prepare_data.sh, or get the parts the seed lists:")
            else:
                lines.append(
                    f"   no prepacked archive; put {r.layout.archive} in the download folder, or get:"
                )
            lines += [f"     {what}: {url}" for what, url in r.layout.sources.values()]
            continue
        lines.append(f"== {name}: {'complete' if r.complete else 'INCOMPLETE'} at {r.root}")
        for s in r.splits:
            if s.error:
                lines.append(f"   {s.name:<48} UNREADABLE: {s.error}")
                continue
            status = "all images present" if not s.bad else f"{len(s.bad)} bad image(s)"
            lines.append(f"   {s.name:<48} {s.samples:>8} samples   {status}")
            lines += [f"     {reason}" for reason in s.bad[:SHOWN_PER_SPLIT]]
            if len(s.bad) > SHOWN_PER_SPLIT:
                lines.append(f"     ... and {len(s.bad) - SHOWN_PER_SPLIT} more")
        needed = []
        for f, part in r.missing_files:
            lines.append(f"   MISSING {f}")
            needed.append(part)
        needed += [s.file_source for s in r.splits if s.error] + [s.image_source for s in r.splits if s.bad]
        if needed:
            again = f" ({r.layout.archive_url})" if r.layout.archive_url else ""
            lines.append(f"   get {r.layout.archive} again{again}, or the missing parts:")
            lines += [
                f"     {what}: {url}" for what, url in (r.layout.sources[p] for p in dict.fromkeys(needed))
            ]
    present = [r for r in reports if r.present]
    verdict = (
        "no task data found"
        if not present
        else ", ".join(
            f"{r.layout.dir} {'ok' if r.complete else 'INCOMPLETE'}"
            if r.present
            else f"{r.layout.dir} absent"
            for r in reports
        )
    )
    lines.append(f"Summary: {verdict}")
    return "\n".join(lines)


def exit_status(reports: list[TaskReport]) -> int:
    """0 when every present task is complete and at least one is present, else 1."""
    present = [r for r in reports if r.present]
    return 0 if present and all(r.complete for r in present) else 1


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, check, print the summary and return the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m paddlemix.datasets.check_layout", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--data-dir", default="data", help="the folder the archives were unpacked into")
    parser.add_argument("--tasks", nargs="+", choices=list(LAYOUTS), default=list(LAYOUTS))
    parser.add_argument(
        "--decode", action="store_true", help="decode every image, not only check that it exists"
    )
    args = parser.parse_args(argv)
    reports = check_data_dir(args.data_dir, args.tasks, "decode" if args.decode else "exists")
    print(format_report(reports))
    return exit_status(reports)


if __name__ == "__main__":
    sys.exit(run_main(main))
