"""Synthetic data in the seed's formats and layouts, drawn with PIL, deterministic by seed.

`python -m paddlemix.datasets.synthetic --task counting --out DIR --n 64 --seed 0` writes it; see
`writers.py` for the layouts and `counting.py`, `rec.py`, `geometry.py`, `ocr.py`, `affordance.py` for the
scenes.
"""

from paddlemix.datasets.synthetic.affordance import draw_affordance_scene, write_affordance_layout
from paddlemix.datasets.synthetic.counting import draw_counting_scene
from paddlemix.datasets.synthetic.geometry import draw_geometry_problem
from paddlemix.datasets.synthetic.ocr import draw_ocr_line, write_ocr_layout
from paddlemix.datasets.synthetic.rec import draw_rec_scene
from paddlemix.datasets.synthetic.writers import (
    WRITERS,
    write_counting_layout,
    write_geometry_layout,
    write_layouts,
    write_rec_layout,
    write_tarball,
)

__all__ = [
    "WRITERS",
    "draw_affordance_scene",
    "draw_counting_scene",
    "draw_geometry_problem",
    "draw_ocr_line",
    "draw_rec_scene",
    "write_counting_layout",
    "write_geometry_layout",
    "write_affordance_layout",
    "write_layouts",
    "write_ocr_layout",
    "write_rec_layout",
    "write_tarball",
]
