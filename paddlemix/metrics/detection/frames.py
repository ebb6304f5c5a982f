"""Detections from the model's coordinate frame to original-image pixels, through `metrics.boxes`.

`boxes.to_original_frame` does the rescale (Qwen2.5-VL: x * w / input_w; Qwen2-VL: x * w / 1000) and clamps
to the image. Before that, a box more than HUGE_FACTOR times its frame's extent away from the frame is
malformed: clamping it would turn a runaway number such as 1e12 into a full-image box. After clamping, a box
left with no area (it lay outside the image) is malformed too.
"""

from __future__ import annotations

from collections.abc import Sequence

from paddlemix.metrics.boxes import CoordFrame, coord_frame, to_original_frame
from paddlemix.metrics.detection.parse import Box, Detection, valid_box

HUGE_FACTOR = 4.0  # a coordinate beyond [-4x, 5x] the frame's extent is a runaway number, not a box


def frame_extent(frame, image_size=None, input_size=None) -> tuple[float, float] | None:
    """The (w, h) the model's coordinates span in `frame`, or None when it is unknown."""
    frame = coord_frame(frame)
    if frame is CoordFrame.QWEN2_VL_NORM1000:
        return 1000.0, 1000.0
    if frame is CoordFrame.QWEN2_5_VL_ABS and input_size is not None:
        in_h, in_w = (float(v) for v in input_size)
        return in_w, in_h
    if frame is CoordFrame.ORIGINAL and image_size is not None:
        w, h = (float(v) for v in image_size)
        return w, h
    return None


def box_to_original(box: Sequence[float] | None, frame, image_size=None, input_size=None) -> Box | None:
    """One model-frame box in original pixels (clamped), or None if it is malformed, huge or empty."""
    box = valid_box(list(box)) if box is not None else None
    if box is None:
        return None
    extent = frame_extent(frame, image_size, input_size)
    if extent is not None:
        w, h = extent
        lo_x, hi_x, lo_y, hi_y = (
            -HUGE_FACTOR * w,
            (1 + HUGE_FACTOR) * w,
            -HUGE_FACTOR * h,
            (1 + HUGE_FACTOR) * h,
        )
        if not (
            lo_x <= box[0] <= hi_x
            and lo_x <= box[2] <= hi_x
            and lo_y <= box[1] <= hi_y
            and lo_y <= box[3] <= hi_y
        ):
            return None
    return valid_box(to_original_frame(box, frame, image_size, input_size))


def to_original_detections(
    items: Sequence[Detection], frame, image_size=None, input_size=None
) -> list[Detection]:
    """Each detection's box mapped into original pixels; malformed ones keep box None and their label."""
    return [Detection(box_to_original(d.box, frame, image_size, input_size), d.label) for d in items]
