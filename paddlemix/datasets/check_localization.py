"""Check that `data/` holds the detection, OVD and grounding sets, count them, and say what is missing.

    python -m paddlemix.datasets.check_localization --data-dir data [--tasks detection ovd grounding]

The layout (what `python -m paddlemix.datasets.synthetic --task detection|ovd|grounding` writes, and what the
recipes and eval commands read) is documented in `datasets/synthetic/localization.py`. Every split is read
through the loader its task uses; a missing file or image is named with where to download it.

Exit status: 0 when every task folder present is complete (absent ones are reported as a warning); 1 when a
present folder lacks files or images, or when none is present.
"""

from __future__ import annotations

import argparse
import glob
import os
import sys

from paddlemix.datasets.eval_sets import load_eval_jsonl
from paddlemix.datasets.localization import (
    load_coco_detection,
    load_grounding_eval,
    load_pr1_grounding,
    load_vision_r1,
    load_vlm_r1_jsonl,
)

# task -> (folder under data/, [(relative path, kind, what, where to get it)])
LOCALIZATION_LAYOUTS = {
    "detection": (
        "Detection",
        [
            (
                "Vision-R1-Data",
                "vision_r1",
                "Vision-R1 training data",
                "https://huggingface.co/datasets/JefferyZhan/Vision-R1-Data",
            ),
            (
                "coco/annotations/instances_val2017.json",
                "coco:coco/val2017",
                "COCO 2017 val annotations and images (val2017/)",
                "http://images.cocodataset.org/annotations/annotations_trainval2017.zip and http://images.cocodataset.org/zips/val2017.zip",
            ),
            (
                "odinw/*/valid/annotations_without_background.json",
                "odinw",
                "ODinW subsets",
                "Vision-R1's eval/eval_qwen3_vl/download_odinw.py (github.com/jefferyZhan/Griffon)",
            ),
        ],
    ),
    "ovd": (
        "OVD",
        [
            (
                "ovd_train.jsonl",
                "vlm_r1",
                "VLM-R1-format OVD training jsonl (VLM-R1 did not release its own; D3 data: github.com/shikras/d-cube)",
                "https://github.com/om-ai-lab/VLM-R1 (jsonl format) and https://github.com/om-ai-lab/OVDEval",
            ),
        ],
    ),
    "grounding": (
        "Grounding",
        [
            (
                "refcoco_320k",
                "pr1_train",
                "Perception-R1 grounding training set",
                "https://huggingface.co/datasets/Kangheng/refcoco_320k",
            ),
            (
                "annotations/*.json",
                "pr1_eval:images",
                "Perception-R1 grounding eval jsons (images under images/: COCO train2014)",
                "https://huggingface.co/datasets/Kangheng/PR1-Evaluations and https://huggingface.co/datasets/omlab/VLM-R1/resolve/main/train2014.zip",
            ),
            (
                "counting/*.jsonl",
                "pr1_counting:counting",
                "Perception-R1 counting jsonl (pixmo_count_val540 / test540) and images",
                "https://huggingface.co/datasets/Kangheng/PR1-Evaluations",
            ),
        ],
    ),
}


def load_entry(kind: str, path: str, root: str):
    """The samples of one file or folder of `kind` (images resolved as its task does)."""
    kind, _, images = kind.partition(":")
    if kind == "vision_r1":
        return load_vision_r1(path)
    if kind == "coco":
        return load_coco_detection(path, os.path.join(root, images))
    if kind == "odinw":
        return load_coco_detection(path, os.path.dirname(path), mode="single_pos")
    if kind == "vlm_r1":
        return load_vlm_r1_jsonl(path)
    if kind == "pr1_train":
        return load_pr1_grounding(path)
    if kind == "pr1_eval":
        return load_grounding_eval(path, os.path.join(root, images))
    return load_eval_jsonl(path, os.path.join(root, images), task="counting_boxes")


def check_task(task: str, data_dir: str) -> tuple[bool, bool, list[str]]:
    """(present, complete, report lines) of one task folder."""
    folder, entries = LOCALIZATION_LAYOUTS[task]
    root = os.path.join(data_dir, folder)
    if not os.path.isdir(root):
        lines = [f"{task}: {root} is absent"] + [
            f"  {what}: get it from {where}" for _, _, what, where in entries
        ]
        return False, True, lines
    lines, complete = [f"{task}: {root}"], True
    for pattern, kind, what, where in entries:
        paths = sorted(glob.glob(os.path.join(root, pattern)))
        if not paths:
            lines.append(f"  MISSING {pattern}: {what}; get it from {where}")
            complete = False
            continue
        for path in paths:
            try:
                dataset = load_entry(kind, path, root)
            except (OSError, ValueError, KeyError) as e:
                lines.append(f"  UNREADABLE {os.path.relpath(path, root)}: {e}")
                complete = False
                continue
            skipped = dataset.skipped.count
            lines.append(f"  {os.path.relpath(path, root)}: {len(dataset)} samples, {skipped} missing images")
            if skipped:
                complete = False
                lines.append(f"    images missing ({what}); get them from {where}")
    return True, complete, lines


def main(argv=None) -> int:
    """Check each task folder; print the report; return the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", default="data")
    parser.add_argument(
        "--tasks", nargs="+", default=list(LOCALIZATION_LAYOUTS), choices=list(LOCALIZATION_LAYOUTS)
    )
    args = parser.parse_args(argv)
    present_any, ok = False, True
    for task in args.tasks:
        present, complete, lines = check_task(task, args.data_dir)
        present_any |= present
        ok &= complete
        print("\n".join(lines))
    return 0 if present_any and ok else 1


if __name__ == "__main__":
    sys.exit(main())
