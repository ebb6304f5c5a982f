"""The synthetic scenes: deterministic by seed, and their answers true of the drawn images."""

import random
import re

import numpy as np
import pytest

from paddlemix.datasets.synthetic.counting import counting_solution, draw_counting_scene
from paddlemix.datasets.synthetic.geometry import KINDS, draw_geometry_problem
from paddlemix.datasets.synthetic.rec import COLORS, SHAPES, draw_rec_scene, rec_problem


def test_same_seed_same_pixels_other_seed_other_pixels():
    a, n_a = draw_counting_scene(random.Random(3))
    b, n_b = draw_counting_scene(random.Random(3))
    c, _ = draw_counting_scene(random.Random(4))
    assert n_a == n_b and a.tobytes() == b.tobytes() and a.tobytes() != c.tobytes()


def test_counting_scene_counts_and_solution_format():
    counts = [draw_counting_scene(random.Random(i), min_items=3, max_items=10)[1] for i in range(20)]
    assert all(1 <= n <= 10 for n in counts) and len(set(counts)) > 3
    assert counting_solution(7) == "<answer> 7 </answer>"  # spaced as in clevr_cogen_a_train


@pytest.mark.parametrize("seed", range(25))
def test_rec_expression_and_box(seed):
    img, caption, box = draw_rec_scene(random.Random(seed))
    words = caption.split()
    assert words[0] == "the" and any(s in words for s in SHAPES) and any(c in words for c in COLORS)
    x1, y1, x2, y2 = box
    assert 0 <= x1 < x2 <= img.width and 0 <= y1 < y2 <= img.height
    # The box is tight: the target's color fills the box's middle, and the box edges touch painted pixels.
    color = next(COLORS[c] for c in COLORS if c in words)
    pixels = np.asarray(img).astype(int)
    cx, cy = int((x1 + x2) / 2), int((y1 + y2) / 2 + (y2 - y1) / 6)  # a bit low: inside triangles too
    assert np.abs(pixels[cy, cx] - color).sum() < 30
    region = np.abs(pixels[int(y1) : int(y2), int(x1) : int(x2)] - color).sum(axis=2) < 30
    assert region[0].any() or region[:, 0].any()
    assert region[-1].any() and region.any(axis=0)[[0, -1]].all()
    assert rec_problem(caption).endswith(f"describes: {caption}.")


@pytest.mark.parametrize("kind", KINDS)
def test_geometry_answers_are_right(kind):
    for seed in range(10):
        img, question, answer = draw_geometry_problem(random.Random(seed), kind=kind)
        numbers = [float(x) for x in re.findall(r"= (\d+\.\d)", question)]
        if kind == "triangle_angle":
            assert answer == f"{180 - numbers[0] - numbers[1]:g}°"
        elif kind == "isosceles_base":
            assert float(answer[:-1]) * 2 + numbers[0] == 180
        elif kind == "supplementary":
            assert answer == f"{180 - numbers[0]:g}°"
        else:
            assert float(answer) ** 2 == pytest.approx(
                numbers[1] ** 2 + numbers[2] ** 2
            )  # angle C = 90.0 first
        assert np.asarray(img).min() < 100  # something is drawn


def test_board_scenes_are_resized_to_one_token_a_square():
    # The quickstart's boards are never a multiple of the 28-px token, so the processor always resizes them;
    # with its max_pixels every 3x3 board becomes 84x84, and each box lies inside its square.
    import random

    from paddlemix.datasets.synthetic.board import draw_board_scene
    from paddlemix.processors.image_processor import smart_resize
    from paddlemix.quickstart.one_box import BOARD_MAX_PIXELS

    for i in range(30):
        img, objects = draw_board_scene(random.Random(i))
        w, h = img.size
        assert w == h and w % 28 != 0
        assert smart_resize(h, w, max_pixels=BOARD_MAX_PIXELS) == (84, 84)
        assert 2 <= len(objects) <= 3 and len({o.color for o in objects}) == len(objects)
        cell = w // 3
        for o in objects:
            row, col = divmod(o.cell, 3)
            x1, y1, x2, y2 = o.box
            assert col * cell <= x1 < x2 <= (col + 1) * cell and row * cell <= y1 < y2 <= (row + 1) * cell
            # the shape is painted inside its box, in its own colour
            cx, cy = (x1 + x2) // 2, (y1 + y2 - 2) // 2 + 2
            assert img.getpixel((cx, cy)) != img.getpixel((col * cell, row * cell))


def test_board_square_is_readable_from_the_tiny_vision_tower(tmp_path):
    # The tint is how a model of two layers can say where an object is: the random tiny vision tower's output
    # for the object's token must tell its square linearly (57% held out with the light tint and objects
    # filling 80% of a square, which left SFT image-blind; chance is 11%).
    import random

    import numpy as np
    import paddle

    from paddlemix.datasets.synthetic.board import draw_board_scene
    from paddlemix.models import AutoModelForConditionalGeneration
    from paddlemix.processors.image_processor import Qwen2VLImageProcessor
    from paddlemix.quickstart.one_box import BOARD_MAX_PIXELS
    from paddlemix.quickstart.pipeline import copy_tiny_model

    model_dir = copy_tiny_model(str(tmp_path / "m"), "qwen2_5_vl", max_pixels=BOARD_MAX_PIXELS)
    model = AutoModelForConditionalGeneration.from_pretrained(model_dir)
    model.eval()
    processor = Qwen2VLImageProcessor.from_pretrained(model_dir)
    features, squares = [], []
    for i in range(240):
        img, (obj,) = draw_board_scene(random.Random(i), min_objects=1, max_objects=1)
        inputs = processor([img])
        with paddle.no_grad():
            tokens = model.visual(
                paddle.to_tensor(inputs["pixel_values"]), paddle.to_tensor(inputs["image_grid_thw"])
            ).numpy()
        assert tokens.shape[0] == 9
        features.append(tokens[obj.cell])
        squares.append(obj.cell)
    x = np.c_[np.array(features), np.ones(len(features))]
    y = np.array(squares)
    w, *_ = np.linalg.lstsq(x[:180], np.eye(9)[y[:180]], rcond=None)
    assert ((x[180:] @ w).argmax(1) == y[180:]).mean() >= 0.9
