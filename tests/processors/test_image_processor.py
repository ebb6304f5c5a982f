"""Image preprocessing: smart_resize sizes, bit-exact pixel values, input types, config overrides, bad input."""

import json

import numpy as np
import pytest
from PIL import Image

from paddlemix.processors import Qwen2VLImageProcessor, smart_resize


@pytest.fixture(scope="module")
def image_processor(tokenizer_dir) -> Qwen2VLImageProcessor:
    """The tiny directory's image processor (min_pixels 3136, max_pixels 9408)."""
    return Qwen2VLImageProcessor.from_pretrained(tokenizer_dir)


def test_smart_resize_matches_golden(processor_golden):
    """Sizes (or the aspect-ratio refusal) equal transformers' smart_resize on edge cases."""
    for *args, expected in processor_golden["smart_resize"]:
        if expected == "error":
            with pytest.raises(ValueError, match="aspect ratio"):
                smart_resize(*args)
        else:
            assert list(smart_resize(*args)) == expected, args


def test_smart_resize_matches_transformers_live():
    """A sweep of sizes and budgets against the installed transformers."""
    pytest.importorskip("transformers")
    from paddlemix.testing.hf_reference import hf_smart_resize

    rng = np.random.default_rng(0)
    for _ in range(2000):
        h, w = (int(x) for x in rng.integers(1, 3000, size=2))
        if max(h, w) / min(h, w) > 200:
            continue
        min_pixels = int(rng.choice([784, 3136, 200704]))
        max_pixels = min_pixels * int(rng.choice([1, 4, 64, 4096]))
        factor = int(rng.choice([28, 32]))
        assert smart_resize(h, w, factor, min_pixels, max_pixels) == hf_smart_resize(
            h, w, factor, min_pixels, max_pixels
        )


def test_output_layout(image_processor, processor_arrays):
    """One image gives (gh*gw, 3*2*14*14) float32 rows and grid (1, gh, gw) int64; frames are duplicates."""
    out = image_processor([processor_arrays["image/img_56x84"]])
    assert out["pixel_values"].shape == (4 * 6, 1176) and out["pixel_values"].dtype == np.float32
    assert out["image_grid_thw"].tolist() == [[1, 4, 6]] and out["image_grid_thw"].dtype == np.int64
    rows = out["pixel_values"].reshape(-1, 3, 2, 14, 14)
    np.testing.assert_array_equal(rows[:, :, 0], rows[:, :, 1])


def test_patch_order(image_processor, processor_arrays):
    """Row r holds the patch at merge window (r // 4) and position (r % 4) inside it, channel-major."""
    image = processor_arrays["image/img_56x84"]  # no resize: 56x84 is already a multiple of 28
    out = image_processor([image])["pixel_values"].reshape(-1, 3, 2, 14, 14)[:, :, 0]
    pixels = (image.astype(np.float64) / 255).astype(np.float32)
    mean = np.array(image_processor.image_mean, dtype=np.float32)
    std = np.array(image_processor.image_std, dtype=np.float32)
    normalized = ((pixels - mean) / std).transpose(2, 0, 1)
    grid_w = 84 // 14
    for row in range(out.shape[0]):
        window, inner = divmod(row, 4)
        wy, wx = divmod(window, grid_w // 2)
        y, x = 2 * wy + inner // 2, 2 * wx + inner % 2
        np.testing.assert_array_equal(out[row], normalized[:, 14 * y : 14 * y + 14, 14 * x : 14 * x + 14])


def test_input_types_agree(image_processor, processor_arrays, tmp_path):
    """PIL, HWC array, CHW array and a PNG path of the same pixels give the same output."""
    image = processor_arrays["image/img_100x61"]
    path = tmp_path / "img.png"
    Image.fromarray(image).save(path)
    inputs = [
        Image.fromarray(image),
        image,
        image.transpose(2, 0, 1),
        str(path),
        path,
        image.astype(np.float32),
    ]
    outs = [image_processor([x]) for x in inputs]
    for out in outs[1:]:
        np.testing.assert_array_equal(out["pixel_values"], outs[0]["pixel_values"])
        np.testing.assert_array_equal(out["image_grid_thw"], outs[0]["image_grid_thw"])


@pytest.mark.parametrize("mode", ["RGBA", "LA", "L", "P", "P_transparent"])
def test_color_modes_match_transformers_live(
    image_processor, hf_processor, processor_arrays, assert_same, mode
):
    """Grayscale, palette and transparent images convert to RGB exactly as transformers converts them."""
    rgb = processor_arrays["image/img_100x61"]
    alpha = processor_arrays["image/img_56x84"][:, :, 0]
    rgba = Image.fromarray(np.dstack([rgb[:56, :61], alpha[:, :61]]), "RGBA")
    if mode == "P_transparent":
        image = rgba.convert("RGB").convert("P")
        image.info["transparency"] = 0
    else:
        image = rgba.convert(mode)
    expected = hf_processor.image_processor(images=[image], return_tensors="np")
    out = image_processor([image])
    assert_same(out["pixel_values"], expected["pixel_values"], f"{mode} pixel_values")
    assert_same(out["image_grid_thw"], expected["image_grid_thw"], f"{mode} image_grid_thw")


def test_file_path_matches_transformers_live(
    image_processor, hf_processor, processor_arrays, assert_same, tmp_path
):
    """A JPEG path is decoded like transformers' load_image (EXIF transpose, then RGB)."""
    path = str(tmp_path / "img.jpg")
    Image.fromarray(processor_arrays["image/img_150x120"]).save(path, quality=90)
    expected = hf_processor.image_processor(images=[path], return_tensors="np")
    assert_same(image_processor([path])["pixel_values"], expected["pixel_values"], "jpeg pixel_values")


def test_from_pretrained_reads_config_and_overrides(tokenizer_dir, tmp_path):
    """Config values are read; keyword arguments win; the hub `size` dict is understood; typos are errors."""
    processor = Qwen2VLImageProcessor.from_pretrained(tokenizer_dir)
    assert (processor.min_pixels, processor.max_pixels, processor.patch_size, processor.merge_size) == (
        3136,
        9408,
        14,
        2,
    )
    assert processor.rescale_factor == 1 / 255 and processor.resample == 3
    overridden = Qwen2VLImageProcessor.from_pretrained(tokenizer_dir, min_pixels=784, max_pixels=12845056)
    assert (overridden.min_pixels, overridden.max_pixels) == (784, 12845056)
    assert overridden.get_number_of_image_patches(150, 120) == (140 // 14) * (112 // 14)

    (tmp_path / "preprocessor_config.json").write_text(
        json.dumps({"size": {"shortest_edge": 1000, "longest_edge": 5000}})
    )
    from_size = Qwen2VLImageProcessor.from_pretrained(str(tmp_path))
    assert (from_size.min_pixels, from_size.max_pixels) == (1000, 5000)
    with pytest.raises(TypeError, match="max_pixel"):
        Qwen2VLImageProcessor.from_pretrained(tokenizer_dir, max_pixel=1)
    with pytest.raises(ValueError, match="min_pixels <= max_pixels"):
        Qwen2VLImageProcessor(min_pixels=5000, max_pixels=4000)


def test_corrupt_file(image_processor, tmp_path):
    """A file that is not an image is reported with its name."""
    path = tmp_path / "corrupt.png"
    path.write_bytes(b"this is not a png" * 20)
    with pytest.raises(ValueError, match=r"corrupt\.png.*corrupt or truncated"):
        image_processor([str(path)])


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_truncated_file(image_processor, processor_arrays, tmp_path, fmt):
    """A file cut short is reported with its name rather than decoded partially."""
    path = tmp_path / f"truncated.{fmt.lower()}"
    Image.fromarray(processor_arrays["image/img_150x120"]).save(path, format=fmt)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match=rf"truncated\.{fmt.lower()}.*corrupt or truncated"):
        image_processor([str(path)])


def test_missing_file(image_processor, tmp_path):
    """A path that does not exist is reported as such."""
    with pytest.raises(ValueError, match="not found"):
        image_processor([str(tmp_path / "missing.jpg")])


@pytest.mark.parametrize(("height", "width"), [(20, 100), (100, 27), (1, 1)])
def test_tiny_image(image_processor, height, width):
    """Sides below 28 px (one merged token) are refused with the size in the message."""
    with pytest.raises(
        ValueError, match=rf"image 0 is {height}x{width} pixels; both sides must be at least 28 px"
    ):
        image_processor([Image.new("RGB", (width, height))])


def test_extreme_aspect_ratio(image_processor):
    """Aspect ratios above 200 are refused; exactly 200 is accepted."""
    image_processor([np.zeros((28, 5600, 3), dtype=np.uint8)])
    with pytest.raises(ValueError, match=r"image 1 is 28x5628 pixels; its aspect ratio 201.0 exceeds 200"):
        image_processor([np.zeros((56, 56, 3), dtype=np.uint8), np.zeros((28, 5628, 3), dtype=np.uint8)])


@pytest.mark.parametrize(
    ("image", "message"),
    [
        (np.full((56, 56, 3), 0.5, dtype=np.float32), "integer pixel values in 0..255"),
        (np.zeros((56, 56, 5), dtype=np.uint8), "channel axis"),
        (np.zeros((2, 56, 56, 3), dtype=np.uint8), "2 or 3 dimensions"),
        (12, "PIL image, a numpy array or a file path"),
    ],
)
def test_bad_arrays(image_processor, image, message):
    """Arrays the processor cannot interpret are refused with the reason."""
    with pytest.raises(ValueError, match=message):
        image_processor([image])
