"""Segmenters (evaluation/segmenters.py): the box stand-in, and the SAM2 worker protocol with a fake worker."""

from __future__ import annotations

import sys
import textwrap

import numpy as np
import pytest
from PIL import Image

from paddlemix.evaluation.segmenters import (
    BoxMaskSegmenter,
    Sam2Segmenter,
    SegmenterUnavailable,
    build_segmenter,
)


def test_box_mask_is_the_union_of_clipped_boxes():
    image = Image.new("RGB", (10, 8))
    mask = BoxMaskSegmenter().segment(image, [[1, 1, 3, 4], [8, 6, 20, 20]], [[2, 2], [9, 7]])
    assert mask.shape == (8, 10) and mask.dtype == bool
    assert mask.sum() == 3 * 4 + 2 * 2  # x 1..3, y 1..4 inclusive; x 8..9, y 6..7 after clipping
    assert not BoxMaskSegmenter.comparable


FAKE_WORKER = textwrap.dedent(
    """
    import json, sys
    import numpy as np
    from PIL import Image

    def reply(obj):
        print("SAM2WORKER " + json.dumps(obj), flush=True)

    if "--check" in sys.argv:
        reply({"ok": True}); sys.exit(0)
    print("some library noise on stdout", flush=True)
    reply({"ready": True})
    for line in sys.stdin:
        req = json.loads(line)
        if not req["boxes"]:
            reply({"error": "no prompts"}); continue
        img = Image.open(req["image"])
        mask = np.zeros((img.height, img.width), bool)
        for (x, y) in req["points"]:
            mask[int(y), int(x)] = True
        np.save(req["out"], mask)
        reply({"ok": True})
    """
)


def test_sam2_protocol_with_a_fake_worker(tmp_path):
    worker = tmp_path / "fake_worker.py"
    worker.write_text(FAKE_WORKER)
    segmenter = Sam2Segmenter(command=[sys.executable, str(worker)], timeout=60)
    segmenter.check()
    image = Image.new("RGB", (6, 4))
    try:
        mask = segmenter.segment(image, [[0, 0, 5, 3]], [[2, 1]])
        assert mask.shape == (4, 6) and mask.sum() == 1 and mask[1, 2]
        with pytest.raises(RuntimeError, match="no prompts"):
            segmenter.segment(image, [], [])
        # the worker survives a failed sample
        assert segmenter.segment(image, [[0, 0, 5, 3]], [[5, 3]])[3, 5]
    finally:
        segmenter.close()


def test_missing_sam2_is_reported_clearly():
    pytest.importorskip("numpy")
    try:
        import sam2  # noqa: F401

        pytest.skip("sam2 is installed here")
    except ImportError:
        pass
    with pytest.raises(SegmenterUnavailable, match="cannot import SAM2.*pip install"):
        build_segmenter("sam2", timeout=120)


def test_unknown_segmenter():
    with pytest.raises(ValueError, match="known: box, sam2"):
        build_segmenter("sam3")
    assert isinstance(build_segmenter("box"), BoxMaskSegmenter)
    assert np.asarray(build_segmenter("box").segment(Image.new("RGB", (2, 2)), [])).sum() == 0
