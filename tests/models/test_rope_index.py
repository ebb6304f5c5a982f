"""M-RoPE position ids: the worked example, left-padding invariance and decoding continuity."""

from __future__ import annotations

import numpy as np
import pytest

from paddlemix.models import get_rope_index

IMG = 9


def test_worked_example_from_the_docstring():
    # a b <image 2x3 merged = grid 1x4x6> c
    ids = np.array([[1, 2] + [IMG] * 6 + [3]])
    pos, delta = get_rope_index(ids, [[1, 4, 6]], image_token_id=IMG)
    np.testing.assert_array_equal(
        pos.numpy()[:, 0],
        [
            [0, 1, 2, 2, 2, 2, 2, 2, 5],
            [0, 1, 2, 2, 2, 3, 3, 3, 5],
            [0, 1, 2, 3, 4, 2, 3, 4, 5],
        ],
    )
    assert delta.numpy().tolist() == [[6 - 9]]


def test_left_padding_does_not_shift_positions():
    row = [1, 2] + [IMG] * 4 + [3, 4]
    alone, d_alone = get_rope_index(np.array([row]), [[1, 4, 4]], image_token_id=IMG)
    padded = np.array([[0, 0, 0] + row, [5] * 3 + row])
    mask = np.array([[0, 0, 0] + [1] * 8, [1] * 11])
    pos, deltas = get_rope_index(padded, [[1, 4, 4], [1, 4, 4]], mask, image_token_id=IMG)
    np.testing.assert_array_equal(pos.numpy()[:, 0, 3:], alone.numpy()[:, 0])
    assert (pos.numpy()[:, 0, :3] == 0).all()
    assert deltas.numpy()[0, 0] == d_alone.numpy()[0, 0]
    # The second row's 3 extra text tokens push everything by 3 but keep the delta.
    np.testing.assert_array_equal(pos.numpy()[:, 1, 3:], alone.numpy()[:, 0] + 3)
    assert deltas.numpy()[1, 0] == d_alone.numpy()[0, 0]


def test_two_images_in_one_sample_take_grids_in_order():
    ids = np.array([[1] + [IMG] * 2 + [2] + [IMG] * 6])
    pos, _ = get_rope_index(ids, [[1, 2, 4], [1, 6, 4]], image_token_id=IMG)
    p = pos.numpy()[:, 0]
    np.testing.assert_array_equal(p[:, 1:3], [[1, 1], [1, 1], [1, 2]])  # 1x2 merged
    assert p[0, 3] == 3  # after max(1, 2) = 2
    np.testing.assert_array_equal(p[1, 4:10], [4, 4, 5, 5, 6, 6])  # 3x2 merged rows


def test_text_only_is_plain_positions():
    pos, delta = get_rope_index(np.array([[5, 6, 7]]), None, image_token_id=IMG)
    np.testing.assert_array_equal(pos.numpy(), np.broadcast_to(np.arange(3), (3, 1, 3)))
    assert delta.numpy()[0, 0] == 0


def test_mismatched_grid_is_a_clear_error():
    ids = np.array([[1] + [IMG] * 5 + [2]])
    with pytest.raises(ValueError, match="5 vision tokens does not match grid"):
        get_rope_index(ids, [[1, 4, 4]], image_token_id=IMG)
    with pytest.raises(ValueError, match="more vision placeholder runs"):
        get_rope_index(ids, None, image_token_id=IMG)
