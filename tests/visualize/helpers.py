"""Reading a written gallery back: its entries (picture, score, question, answer, image path) and the
colours of its pictures, for the gallery tests of every eval command."""

from __future__ import annotations

import math
import os
from html.parser import HTMLParser

import numpy as np
from PIL import Image

from paddlemix.visualize.draw import PRED_COLOR, TRUTH_COLOR


class Page(HTMLParser):
    """The entries of a gallery page: each entry's image source and texts (score, question, answer, path)."""

    def __init__(self):
        super().__init__()
        self.entries, self.images, self.rows = 0, [], []
        self._field = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "div" and attrs.get("class") == "entry":
            self.entries += 1
            self.rows.append({"question": "", "answer": "", "score": "", "path": ""})
        if tag == "img":
            self.images.append(attrs["src"])
        if tag == "p" and self.rows:
            self._field = {"score": "score", "path": "path"}.get(attrs.get("class"), "text")

    def handle_endtag(self, tag):
        if tag == "p":
            self._field = None

    def handle_data(self, data):
        if not self.rows or self._field is None:
            return
        row = self.rows[-1]
        if self._field == "text":
            # "<b>question</b> ..." and "<b>answer</b> <code>...</code>": the bold word names the field
            if data in ("question", "answer", "parsed", "truth"):
                self._field = data
            return
        if self._field in row:
            row[self._field] += data


def open_gallery(path) -> Page:
    """Parse index.html (entry texts stripped); every picture it shows must exist beside it."""
    page = Page()
    with open(path, encoding="utf-8") as f:
        page.feed(f.read())
    page.rows = [{k: v.strip() for k, v in row.items()} for row in page.rows]
    folder = os.path.dirname(path)
    for src in page.images:
        assert os.path.isfile(os.path.join(folder, src)), src
        Image.open(os.path.join(folder, src)).verify()
    return page


def colours(path) -> tuple[bool, bool]:
    """Whether a picture shows the prediction colour and the ground-truth colour."""
    arr = np.asarray(Image.open(path).convert("RGB")).reshape(-1, 3)
    return bool((arr == PRED_COLOR).all(1).any()), bool((arr == TRUTH_COLOR).all(1).any())


def box_drawn_at(path, box, image_width: int, color=PRED_COLOR) -> bool:
    """Whether `color` lies on all four edges of `box` (original pixels of an image `image_width` wide) in a
    gallery picture: at a quarter, half and three quarters along each edge, within a pixel of rounding."""
    arr = np.asarray(Image.open(path).convert("RGB"))
    scale = arr.shape[1] / image_width  # the gallery shrinks large pictures; the band below adds height only
    x1, y1, x2, y2 = (v * scale for v in box)

    def hit(x, y):
        ys = slice(max(0, math.floor(y) - 1), math.ceil(y) + 2)
        xs = slice(max(0, math.floor(x) - 1), math.ceil(x) + 2)
        return bool((arr[ys, xs] == color).all(-1).any())

    along = (0.25, 0.5, 0.75)
    edges = [(x1 + t * (x2 - x1), y) for t in along for y in (y1, y2)]
    edges += [(x, y1 + t * (y2 - y1)) for t in along for x in (x1, x2)]
    return all(hit(x, y) for x, y in edges)


def edge_share(path, box, color, band: int = 2) -> float:
    """The smallest share, over the four edges of `box` (pixels of the picture at `path`), of positions along
    the edge where `color` lies within `band` pixels across it: 1.0 for an unbroken outline, about half for a
    dashed one, 0 for one hidden under another."""
    arr = np.asarray(Image.open(path).convert("RGB"))
    hit = (arr == color).all(-1)
    h, w = hit.shape
    x1, y1, x2, y2 = (round(v) for v in box)
    inner = slice(x1 + 2 * band + 1, x2 - 2 * band), slice(y1 + 2 * band + 1, y2 - 2 * band)  # corners apart

    def rows(y):
        return hit[max(0, y - band) : min(h, y + band + 1), inner[0]].any(0)

    def cols(x):
        return hit[inner[1], max(0, x - band) : min(w, x + band + 1)].any(1)

    return float(min(rows(y1).mean(), rows(y2).mean(), cols(x1).mean(), cols(x2).mean()))


def label_tag(path, color, size: int = 10, share: float = 0.65) -> bool:
    """Whether the picture at `path` holds a `size` x `size` square at least `share` of `color`: a label tag
    (white letters on the colour fill about 75%), not an outline (a 3-px corner fills 51%)."""
    hit = (np.asarray(Image.open(path).convert("RGB")) == color).all(-1).astype(np.int64)
    s = np.pad(hit.cumsum(0).cumsum(1), ((1, 0), (1, 0)))
    sums = s[size:, size:] - s[:-size, size:] - s[size:, :-size] + s[:-size, :-size]
    return bool((sums >= share * size * size).any())
