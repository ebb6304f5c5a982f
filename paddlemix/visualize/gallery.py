"""Eval galleries: `--visualize N` writes `gallery/index.html` and one PNG per shown sample, no server needed.

    python eval/test_rec.py ... --visualize 16 --visualize_select worst
    python eval/test_rec.py --rescore logs/rec_results_....json --visualize 16   # when the images are reachable

Each entry shows the image with the prediction (solid red) and the ground truth (dashed green, drawn on top,
so a right answer shows both) drawn by `draw.py`, the question, the raw answer, the parsed result and the
sample's score (`shapes.sample_score`: IoU, one-image AP, edit distance, correct). `select` picks the first N
results, the N worst or best by that score (ties in result order), or N at random with a fixed seed.

Small images (the quickstart's boards are 120-162 px) are enlarged by a whole factor, nearest neighbour, to
at least MIN_SIDE on the short side before drawing: boxes and labels are readable and the original pixels
stay sharp squares.
"""

from __future__ import annotations

import html
import json
import logging
import math
import os
import random
from dataclasses import dataclass

from paddlemix.datasets.images import BadImageError, open_image
from paddlemix.visualize.draw import PRED_COLOR, TRUTH_COLOR, draw_answer
from paddlemix.visualize.shapes import SampleScore, answer_shapes, sample_score, truth_shapes

logger = logging.getLogger("paddlemix.visualize")

SELECTIONS = ("first", "worst", "best", "random")
MAX_SIDE = 640  # pictures larger than this are shrunk in the gallery, after drawing
MIN_SIDE = 320  # images with a shorter side are enlarged (whole factor) to at least this, before drawing

ENTRY_WIDTH = 340  # px, at least: an entry is as wide as its picture
# long paths and answers wrap inside their entry
STYLE = (
    "body{font-family:sans-serif;margin:1em}.entry{display:inline-block;vertical-align:top;"
    "margin:6px;padding:6px;border:1px solid #ccc}.entry img{max-width:100%}.score{font-weight:bold}"
    "code{white-space:pre-wrap;word-break:break-all}.entry p{overflow-wrap:anywhere}"
    ".path{color:#888;font-size:small;word-break:break-all}"
    ".key{display:inline-block;width:2em;height:0;vertical-align:middle;margin:0 .3em}"
)
PRED_CSS, TRUTH_CSS = (f"rgb{color}".replace(" ", "") for color in (PRED_COLOR, TRUTH_COLOR))
LEGEND = (
    f"<span class='key' style='border-top:3px solid {PRED_CSS}'></span>"
    f"<span style='color:{PRED_CSS}'>prediction</span>, "
    f"<span class='key' style='border-top:3px dashed {TRUTH_CSS}'></span>"
    f"<span style='color:{TRUTH_CSS}'>ground truth</span> (dashed, drawn on top: a right answer shows both)"
)


@dataclass
class Entry:
    """One result to show: its record and the image file it was asked about."""

    image: str
    result: dict


def select(entries: list[Entry], task: str, n: int, how: str = "first", seed: int = 0) -> list[Entry]:
    """`n` of `entries`: the first, the worst or best by the task's per-sample score, or random (seeded)."""
    if how not in SELECTIONS:
        raise ValueError(f"--visualize_select must be one of {SELECTIONS}, got {how!r}")
    if how == "first":
        return entries[:n]
    if how == "random":
        return random.Random(seed).sample(entries, min(n, len(entries)))
    if not entries:
        return []
    scores = [sample_score(task, e.result) for e in entries]
    # worst = lowest for higher-is-better scores; the sort is stable either way, so ties keep result order
    ascending = (how == "worst") == scores[0].higher_is_better
    order = sorted(range(len(entries)), key=lambda i: scores[i].value, reverse=not ascending)
    return [entries[i] for i in order[:n]]


def enlargement(size: tuple[int, int]) -> int:
    """The whole factor that brings an image of `size` (w, h) to MIN_SIDE on its short side (1: large enough),
    at most what keeps its long side within MAX_SIDE (a thin strip is not blown up to be shrunk again)."""
    w, h = size
    wanted = math.ceil(MIN_SIDE / max(1, min(w, h)))
    return max(1, min(wanted, MAX_SIDE // max(1, w, h)))


def _question(result: dict) -> str:
    """The question of a result as text (test_r1-v stores the input record)."""
    q = result.get("question", "")
    if isinstance(q, dict):
        q = q.get("question") or q.get("problem") or json.dumps(q, ensure_ascii=False)
    return str(q)


def _parsed(shapes) -> str:
    """The parsed answer, as the gallery lists it."""
    parts = [f"{label}: [{', '.join(f'{v:.1f}' for v in box)}]" for box, label in shapes.boxes]
    parts += [f"point ({x:.1f}, {y:.1f})" for x, y in shapes.points]
    if shapes.text:
        parts.append(shapes.text)
    return "; ".join(parts) or "(nothing parsed)"


def _score_text(score: SampleScore) -> str:
    """`IoU 0.734` and friends."""
    return f"{score.name} {score.value:.3f}"


def write_gallery(folder: str, entries: list[Entry], task: str, title: str) -> str:
    """Draw each entry into `folder` and write `folder/index.html`; returns its path."""
    os.makedirs(folder, exist_ok=True)
    rows, unreadable = [], 0
    for i, entry in enumerate(entries):
        try:
            image = open_image(entry.image)
        except BadImageError as e:
            unreadable += 1
            logger.warning("gallery: %s", e)
            continue
        pred, truth = answer_shapes(task, entry.result), truth_shapes(task, entry.result)
        picture = draw_answer(image, pred, truth, scale=enlargement(image.size))
        if max(picture.size) > MAX_SIDE:
            picture.thumbnail((MAX_SIDE, MAX_SIDE))
        name = f"{i:04d}.png"
        picture.save(os.path.join(folder, name))
        score = sample_score(task, entry.result)
        rows.append(
            # as wide as its picture, so the picture is shown at its own pixels and the text wraps beside it
            f"<div class='entry' style='width:{max(ENTRY_WIDTH, picture.size[0])}px'>"
            f"<img src='{name}' alt='sample {i}'>"
            f"<p class='score'>{html.escape(_score_text(score))}</p>"
            f"<p><b>question</b> {html.escape(_question(entry.result))}</p>"
            f"<p><b>answer</b> <code>{html.escape(str(entry.result.get('model_output', '')))}</code></p>"
            f"<p><b>parsed</b> {html.escape(_parsed(pred))}</p>"
            f"<p><b>truth</b> {html.escape(_parsed(truth))}</p>"
            f"<p class='path'>{html.escape(entry.image)}</p>"
            "</div>"
        )
    note = f"<p>{unreadable} image(s) could not be read.</p>" if unreadable else ""
    page = (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title><style>{STYLE}</style></head><body>"
        f"<h1>{html.escape(title)}</h1><p>{len(rows)} samples; {LEGEND}</p>"
        f"{note}{''.join(rows)}</body></html>"
    )
    path = os.path.join(folder, "index.html")
    with open(path, "w", encoding="utf-8") as f:
        f.write(page)
    return path


def gallery_folder(results_path: str) -> str:
    """Where the gallery of a results file goes: `gallery/<results file stem>/` beside it."""
    stem = os.path.splitext(os.path.basename(results_path))[0]
    return os.path.join(os.path.dirname(os.path.abspath(results_path)), "gallery", stem)


def results_gallery(
    results_path: str, entries: list[Entry], task: str, n: int, how: str = "first", seed: int = 0
) -> str:
    """Select `n` entries of a results file and write its gallery; returns the index.html path."""
    chosen = select(entries, task, n, how, seed)
    title = f"{os.path.basename(results_path)}: {how} {len(chosen)}"
    path = write_gallery(gallery_folder(results_path), chosen, task, title)
    print(f"Gallery of {len(chosen)} samples: {path}")
    return path
