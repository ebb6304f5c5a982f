"""Qwen2-VL image preprocessing: smart resize, rescale, normalize and patch flattening.

The arithmetic follows transformers' PIL backend (`Qwen2VLImageProcessorPil`, which `AutoImageProcessor`
picks when torchvision is absent) step by step and dtype by dtype, so `pixel_values` agree bit for bit:
PIL bicubic resize on uint8, rescale in float64 then cast to float32, normalize in float32.
Qwen2.5-VL uses the same image processor; Qwen3-VL's (`Qwen3VLImageProcessor`) differs only in its defaults.
"""

import math
import os
from dataclasses import dataclass, fields

import numpy as np
from PIL import Image

from paddlemix.errors import read_json
from paddlemix.image_files import read_rgb
from paddlemix.models.hub import resolve_model_path

OPENAI_CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
HALF = (0.5, 0.5, 0.5)
OPENAI_CLIP_STD = (0.26862954, 0.26130258, 0.27577711)
PREPROCESSOR_CONFIG_NAME = "preprocessor_config.json"
MAX_ASPECT_RATIO = 200


def smart_resize(
    height: int, width: int, factor: int = 28, min_pixels: int = 56 * 56, max_pixels: int = 14 * 14 * 4 * 1280
) -> tuple[int, int]:
    """Return (height, width) divisible by `factor`, with area in [min_pixels, max_pixels], near the aspect ratio."""
    if max(height, width) / min(height, width) > MAX_ASPECT_RATIO:
        raise ValueError(
            f"absolute aspect ratio must be smaller than {MAX_ASPECT_RATIO}, "
            f"got {max(height, width) / min(height, width)}"
        )
    # Python's round() rounds halves to even (70/28 = 2.5 -> 2); transformers relies on the same.
    h_bar = round(height / factor) * factor
    w_bar = round(width / factor) * factor
    if h_bar * w_bar > max_pixels:
        beta = math.sqrt((height * width) / max_pixels)
        h_bar = max(factor, math.floor(height / beta / factor) * factor)
        w_bar = max(factor, math.floor(width / beta / factor) * factor)
    elif h_bar * w_bar < min_pixels:
        beta = math.sqrt(min_pixels / (height * width))
        h_bar = math.ceil(height * beta / factor) * factor
        w_bar = math.ceil(width * beta / factor) * factor
    return h_bar, w_bar


def load_image(path: str) -> Image.Image:
    """Open an image file as RGB, applying its EXIF orientation; a damaged file raises ValueError naming it."""
    if not os.path.isfile(path):
        raise ValueError(f"image file not found: {path!r}")
    try:
        return read_rgb(path)
    # Pillow reports damaged files with many exception types (OSError, SyntaxError, EOFError, struct.error).
    except Exception as err:
        raise ValueError(
            f"cannot decode image file {path!r}: the file is corrupt or truncated ({err})"
        ) from err


def _pil_to_rgb(image: Image.Image) -> np.ndarray:
    """(H, W, 3) uint8 from a PIL image, compositing transparency onto white as transformers does."""
    if "A" in image.getbands() or image.info.get("transparency") is not None:
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return np.array(Image.alpha_composite(white, rgba).convert("RGB"))
    return np.array(image.convert("RGB"))


def _array_to_rgb(array: np.ndarray) -> np.ndarray:
    """(H, W, 3) uint8 from a (H, W), (C, H, W) or (H, W, C) array with C in {1, 3, 4} and values 0..255."""
    if array.ndim == 2:
        array = array[:, :, None]
    elif array.ndim != 3:
        raise ValueError(f"an image array must have 2 or 3 dimensions, got shape {array.shape}")
    # Channels-first wins when both ends could be channels, as in transformers' infer_channel_dimension_format.
    elif array.shape[0] in (1, 3, 4):
        array = np.moveaxis(array, 0, -1)
    elif array.shape[-1] not in (1, 3, 4):
        raise ValueError(
            f"cannot find the channel axis (1, 3 or 4 channels) of an image array of shape {array.shape}"
        )
    if array.dtype != np.uint8:
        if not (np.all(array >= 0) and np.all(array <= 255) and np.array_equal(array, np.round(array))):
            raise ValueError(
                f"image arrays must hold integer pixel values in 0..255 (got dtype {array.dtype}, "
                f"range [{array.min()}, {array.max()}]); convert [0, 1] floats with (x * 255).round()"
            )
        array = array.astype(np.uint8)
    channels = array.shape[-1]
    if channels == 1:
        return np.repeat(array, 3, axis=-1)
    if channels == 4:
        alpha = array[..., 3:4] / 255
        return np.round(alpha * array[..., :3] + (1 - alpha) * 255).astype(np.uint8)
    return array


def to_rgb_array(image) -> np.ndarray:
    """(H, W, 3) uint8 from a PIL image, a numpy array or a file path."""
    if isinstance(image, (str, os.PathLike)):
        return np.array(load_image(os.fspath(image)))
    if isinstance(image, Image.Image):
        return _pil_to_rgb(image)
    if isinstance(image, np.ndarray):
        return _array_to_rgb(image)
    raise ValueError(
        f"an image must be a PIL image, a numpy array or a file path, got {type(image).__name__}"
    )


def flatten_images(images) -> list:
    """A flat list of images from one image, a list of images, or a list of per-sample lists."""
    if images is None:
        return []
    if isinstance(images, (list, tuple)):
        return [img for item in images for img in (item if isinstance(item, (list, tuple)) else [item])]
    return [images]


@dataclass
class Qwen2VLImageProcessor:
    """Turns images into flattened vision patches `pixel_values` and their grid `image_grid_thw`."""

    min_pixels: int = 56 * 56  # fewest pixels an image keeps after resizing
    max_pixels: int = (
        28 * 28 * 1280
    )  # most pixels an image keeps after resizing (transformers' class default)
    patch_size: int = 14  # side of a ViT patch
    temporal_patch_size: int = 2  # frames per patch; a still image is repeated to fill them
    merge_size: int = 2  # the merger joins merge_size x merge_size patches into one LLM token
    image_mean: tuple = OPENAI_CLIP_MEAN
    image_std: tuple = OPENAI_CLIP_STD
    do_resize: bool = True
    do_rescale: bool = True
    do_normalize: bool = True
    do_convert_rgb: bool = True  # always on: images become 3-channel RGB (transparency composited on white)
    resample: int = 3  # PIL resampling filter, 3 = bicubic
    rescale_factor: float = 1 / 255

    def __post_init__(self):
        """Validate the configuration."""
        self.image_mean = tuple(float(m) for m in self.image_mean)
        self.image_std = tuple(float(s) for s in self.image_std)
        if len(self.image_mean) != 3 or len(self.image_std) != 3:
            raise ValueError("image_mean and image_std must have 3 values (one per RGB channel)")
        if not 0 < self.min_pixels <= self.max_pixels:
            raise ValueError(
                f"need 0 < min_pixels <= max_pixels, got {self.min_pixels} and {self.max_pixels}"
            )
        if not self.do_convert_rgb:
            raise ValueError("do_convert_rgb=False is not supported: the vision tower expects 3-channel RGB")

    @classmethod
    def from_pretrained(cls, path: str, **overrides) -> "Qwen2VLImageProcessor":
        """Read `preprocessor_config.json` from the directory (or hub ID) `path`; keyword arguments override it."""
        config_file = os.path.join(resolve_model_path(path), PREPROCESSOR_CONFIG_NAME)
        config = read_json(config_file)
        # Newer hub files carry the pixel budget as size={"shortest_edge", "longest_edge"}; min/max_pixels win.
        size = config.get("size") or {}
        values = {"min_pixels": size.get("shortest_edge"), "max_pixels": size.get("longest_edge")}
        known = {f.name for f in fields(cls)}
        values.update({k: v for k, v in config.items() if k in known})
        unknown = set(overrides) - known
        if unknown:
            raise TypeError(f"unknown image processor options {sorted(unknown)}; known: {sorted(known)}")
        values.update(overrides)
        return cls(**{k: v for k, v in values.items() if v is not None})

    @property
    def factor(self) -> int:
        """Resized sides are multiples of this many pixels (one merged token)."""
        return self.patch_size * self.merge_size

    def resized_size(self, height: int, width: int) -> tuple[int, int]:
        """(height, width) an image of this size is resized to."""
        if not self.do_resize:
            return height, width
        return smart_resize(height, width, self.factor, self.min_pixels, self.max_pixels)

    def get_number_of_image_patches(self, height: int, width: int) -> int:
        """Number of vision patches (rows of pixel_values) for an image of this size."""
        resized_height, resized_width = self.resized_size(height, width)
        return (resized_height // self.patch_size) * (resized_width // self.patch_size)

    def _check_size(self, index: int, height: int, width: int) -> None:
        """Reject images the vision tower cannot take, with the reason."""
        if min(height, width) < self.factor:
            raise ValueError(
                f"image {index} is {height}x{width} pixels; both sides must be at least {self.factor} px "
                f"(patch_size {self.patch_size} x merge_size {self.merge_size})"
            )
        ratio = max(height, width) / min(height, width)
        if ratio > MAX_ASPECT_RATIO:
            raise ValueError(
                f"image {index} is {height}x{width} pixels; its aspect ratio {ratio:.1f} exceeds {MAX_ASPECT_RATIO}"
            )

    def _patchify(self, image: np.ndarray) -> np.ndarray:
        """(grid_h * grid_w, 3 * temporal_patch_size * patch_size**2) rows from a (3, H, W) float32 image.

        Rows run over merge windows in raster order and, inside a window, over its merge_size**2 patches,
        so that the merger can join consecutive rows; each row is (channel, frame, y, x) with the image
        repeated over temporal_patch_size frames.
        """
        channels, height, width = image.shape
        p, m, t = self.patch_size, self.merge_size, self.temporal_patch_size
        grid_h, grid_w = height // p, width // p
        patches = image.reshape(channels, grid_h // m, m, p, grid_w // m, m, p)
        patches = patches.transpose(1, 4, 2, 5, 0, 3, 6)  # (gh/m, gw/m, m, m, C, p, p)
        patches = np.broadcast_to(patches[:, :, :, :, :, None], (*patches.shape[:5], t, p, p))
        return patches.reshape(grid_h * grid_w, channels * t * p * p)

    def preprocess_one(self, image, index: int = 0) -> tuple[np.ndarray, tuple[int, int, int]]:
        """Patches (num_patches, 1176) float32 and grid (t, h, w) of one image."""
        rgb = to_rgb_array(image)
        height, width = rgb.shape[:2]
        self._check_size(index, height, width)
        if self.do_resize:
            resized_height, resized_width = self.resized_size(height, width)
            resized = Image.fromarray(rgb).resize(
                (resized_width, resized_height), resample=Image.Resampling(self.resample)
            )
            rgb = np.array(resized)
        elif height % self.factor or width % self.factor:
            raise ValueError(
                f"image {index} is {height}x{width}; with do_resize=False sides must be multiples of {self.factor}"
            )
        pixels = np.moveaxis(rgb, -1, 0)  # (3, H, W)
        if self.do_rescale:
            # transformers upcasts to float64 before scaling and casts to float32 afterwards.
            pixels = (pixels.astype(np.float64) * self.rescale_factor).astype(np.float32)
        else:
            pixels = pixels.astype(np.float32)
        if self.do_normalize:
            mean = np.array(self.image_mean, dtype=np.float32)[:, None, None]
            std = np.array(self.image_std, dtype=np.float32)[:, None, None]
            pixels = (pixels - mean) / std
        patches = self._patchify(pixels)
        return patches, (1, pixels.shape[1] // self.patch_size, pixels.shape[2] // self.patch_size)

    def __call__(self, images) -> dict:
        """`pixel_values` (num_patches, 1176) float32 and `image_grid_thw` (num_images, 3) int64 as numpy."""
        images = flatten_images(images)
        if not images:
            raise ValueError("no images were given")
        all_patches, grids = [], []
        for index, image in enumerate(images):
            patches, grid = self.preprocess_one(image, index)
            all_patches.append(patches)
            grids.append(grid)
        return {
            "pixel_values": np.concatenate(all_patches, axis=0),
            "image_grid_thw": np.array(grids, dtype=np.int64),
        }

    preprocess = __call__


@dataclass
class Qwen3VLImageProcessor(Qwen2VLImageProcessor):
    """Qwen3-VL's preprocessing: Qwen2-VL's steps with 16 px patches (resized sides multiples of 32) and
    mean = std = 0.5; the published pixel budget is `size: {shortest_edge: 65536, longest_edge: 16777216}`."""

    min_pixels: int = 65536
    max_pixels: int = 16777216
    patch_size: int = 16
    image_mean: tuple = HALF
    image_std: tuple = HALF
