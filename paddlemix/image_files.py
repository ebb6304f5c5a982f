"""Reading an image file as every stage sees it: decoded fully, EXIF orientation applied, RGB.

Training (`datasets.images.open_image`), eval and inference (`processors.image_processor.load_image`) all
read images through `read_rgb`, so a rotated JPEG gives the same pixels, and the same size, in all three;
the training loader used to ignore the EXIF orientation that the processor honoured.
`image_size` gives the (w, h) the same reading would have, from the header only.
"""

from __future__ import annotations

from PIL import Image, ImageOps

# EXIF orientations 5-8 turn the image by 90 or 270 degrees: width and height swap.
_EXIF_ORIENTATION = 0x0112
_SWAPPING_ORIENTATIONS = (5, 6, 7, 8)


def read_rgb(path: str) -> Image.Image:
    """The image at `path`, every pixel decoded, turned upright by its EXIF orientation, as RGB.

    Raises what Pillow raises for a missing or damaged file (OSError, SyntaxError, ValueError, ...).
    """
    with Image.open(path) as image:
        image.load()  # decodes every pixel, which is what catches a truncated file
        return ImageOps.exif_transpose(image).convert("RGB")


def image_size(path: str) -> tuple[int, int]:
    """(w, h) of the upright image at `path`, read from its header (no pixel is decoded)."""
    with Image.open(path) as image:
        w, h = image.size
        orientation = image.getexif().get(_EXIF_ORIENTATION, 1)
    return (h, w) if orientation in _SWAPPING_ORIENTATIONS else (w, h)
