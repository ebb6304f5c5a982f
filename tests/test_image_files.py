"""One image reader for training, eval and inference (paddlemix/image_files.py): EXIF orientation honoured."""

from __future__ import annotations

import numpy as np
from PIL import Image

from paddlemix.datasets.images import open_image
from paddlemix.image_files import image_size
from paddlemix.processors.image_processor import load_image


def _rotated_jpeg(path) -> np.ndarray:
    """A 40x20 JPEG stored sideways with EXIF orientation 6 (turn 90 degrees clockwise to view)."""
    pixels = np.zeros((20, 40, 3), dtype=np.uint8)
    pixels[:, :10] = (250, 10, 10)  # a red band on the left of the stored image
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.fromarray(pixels).save(path, exif=exif, quality=95)
    return pixels


def test_training_and_inference_read_the_same_upright_pixels(tmp_path):
    path = str(tmp_path / "sideways.jpg")
    _rotated_jpeg(path)
    train, infer = np.asarray(open_image(path)), np.asarray(load_image(path))
    assert train.shape == (40, 20, 3)  # upright: 20 wide, 40 high
    np.testing.assert_array_equal(train, infer)
    assert train[:10, :, 0].mean() > 200 and train[-10:, :, 0].mean() < 50  # the band is now on top
    assert image_size(path) == (20, 40)  # the header-only size agrees with the decoded one
