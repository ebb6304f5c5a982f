"""An eval command whose records carry a known answer, for the data-parallel tests (1 vs 2 processes).

    python -m tests.evaluation.dp_worker rec|r1v|detection EVAL FLAGS...
    python -m paddle.distributed.launch --nproc_per_node 2 python -m tests.evaluation.dp_worker rec ...

The model really generates (sharded over the ranks like any eval); the answer stored for each sample is
then replaced by one derived from its ground truth in the model's frame, right for some samples and wrong
for others (decided by the image name), so the scores being compared are neither 0 nor 100.
"""

from __future__ import annotations

import json
import os
import sys
import zlib

from paddlemix.errors import run_main
from paddlemix.evaluation import localization, r1v, rec
from paddlemix.evaluation.cli import r1v_parser, rec_parser, run_cli
from paddlemix.metrics.boxes import CoordFrame, solution_box, to_model_frame
from paddlemix.metrics.detection.vision_r1 import solution_boxes


def right(sample: dict) -> bool:
    """Whether this sample gets the right answer: two samples in three, by a hash of its image name."""
    # the file name, not the path: the path holds pytest's numbered tmp folder, which made the split vary
    return zlib.crc32(os.path.basename(str(sample["image"])).encode()) % 3 != 0


def model_box(box, info) -> list[int]:
    """A box in original pixels as the (Qwen2.5-VL) model answers it: integer pixels of its resized input."""
    frame, size = CoordFrame.QWEN2_5_VL_ABS, info["image_size"]
    return [round(v) for v in to_model_frame(box, frame, size, info["input_size"])]


def wrap_record(make_task, answer):
    """`make_task` whose records hold `answer(sample, info)` as the model output."""

    def build(*args, **kwargs):
        task = make_task(*args, **kwargs)
        record = task.record
        task.record = lambda sample, output, info: record(sample, answer(sample, info), info)
        return task

    return build


def rec_answer(sample, info):
    box = model_box(solution_box(sample["solution"]) if right(sample) else [0, 0, 2, 2], info)
    return f"<think>t</think><answer>[{{'bbox_2d': {box}, 'label': 'x'}}]</answer>"


def r1v_answer(sample, info):
    return f"<answer>{sample['solution'] if right(sample) else -1}</answer>"


def detection_answer(sample, info):
    items = [
        {"bbox_2d": model_box(b, info), "label": name}
        for k, (name, b) in enumerate(solution_boxes(sample["solution"]))
        if right(sample) or k % 2
    ]
    return json.dumps(items)


def main(argv: list[str]) -> None:
    """Install the answers for the command, then run it as its eval command does."""
    command, rest = argv[0], argv[1:]
    if command == "detection":
        localization.eval_task = wrap_record(localization.eval_task, detection_answer)
        localization.run_localization_cli(localization.localization_parser("detection"), rest)
        return
    if command == "rec":
        rec.rec_task = wrap_record(rec.rec_task, rec_answer)
        parser, run = rec_parser(), rec.run_rec
    else:
        r1v.r1v_task = wrap_record(r1v.r1v_task, r1v_answer)
        parser, run = r1v_parser(), r1v.run_r1v
    run_cli(parser, parser.parse_args(rest), run)


if __name__ == "__main__":
    run_main(main, sys.argv[1:])
