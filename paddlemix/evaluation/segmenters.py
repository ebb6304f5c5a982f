"""Mask segmenters for the affordance eval: turn predicted (box, point) pairs into one mask of the image.

Affordance-R1 prompts SAM2 (`facebook/sam2-hiera-large`, `SAM2ImagePredictor`) with each predicted box and
point on the *original* image, keeps the highest-scoring mask of each multimask output and ORs them. Two
segmenters share one interface, `segment(image, boxes, points) -> bool (H, W)`, boxes and points in
original-image pixels:

- `Sam2Segmenter`: the seed's, run out of process, because SAM2 is a PyTorch model and needs its own
  environment (torch + `pip install 'git+https://github.com/facebookresearch/sam2.git'` + the weights).
  It starts `sam2_worker.py` with the Python you name (`--sam2_python`) and speaks JSON lines with it;
  `check()` says clearly what is missing before any sample is scored.
- `BoxMaskSegmenter`: no weights; the mask is the union of the predicted boxes. Its numbers are NOT
  comparable with the published ones (`comparable = False`, and the eval labels its results so).
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import tempfile
import threading
from collections.abc import Sequence
from typing import Protocol

import numpy as np

from paddlemix.errors import UserError

SAM2_MODEL = "facebook/sam2-hiera-large"
WORKER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "sam2_worker.py")
REPLY_PREFIX = "SAM2WORKER "  # worker replies start with this; anything else on its stdout is library noise
SAM2_INSTALL = (
    "install it into that Python's environment: pip install torch "
    "'git+https://github.com/facebookresearch/sam2.git' (the weights come from the Hugging Face hub), "
    "or evaluate with --segmenter box (not comparable to the published numbers)"
)


class Segmenter(Protocol):
    """Predicted boxes and points (original pixels) -> one boolean mask of the image."""

    name: str
    comparable: bool  # whether its gIoU / cIoU can be set beside Affordance-R1's published numbers

    def segment(self, image, boxes: Sequence[Sequence[int]], points: Sequence[Sequence[int]]) -> np.ndarray:
        """The OR of the masks of each (box, point) pair: bool (H, W) of the image."""
        ...


class SegmenterUnavailable(UserError, RuntimeError):
    """The segmenter cannot run here (SAM2 not installed, worker failed to start)."""

    def __init__(self, what: str):
        super().__init__(what, fix=None)


class BoxMaskSegmenter:
    """The weight-free stand-in: each box filled, OR-ed. Its results are labelled not comparable."""

    name = "box"
    comparable = False

    def segment(self, image, boxes, points=()) -> np.ndarray:
        """The union of the boxes clipped to the image (points are ignored).

        A box [x1, y1, x2, y2] covers pixels x1..x2 and y1..y2 inclusive, the +1 convention of Affordance-R1's
        box IoU and of its ground-truth boxes.
        """
        width, height = image.size
        mask = np.zeros((height, width), dtype=bool)
        for box in boxes:
            x1, y1, x2, y2 = (int(round(float(v))) for v in box)
            x1, x2 = sorted((x1, x2))
            y1, y2 = sorted((y1, y2))
            mask[max(y1, 0) : max(y2 + 1, 0), max(x1, 0) : max(x2 + 1, 0)] = True
        return mask

    def close(self) -> None:
        """Nothing to release."""


class Sam2Segmenter:
    """SAM2 in a separate process (`sam2_worker.py`), prompted as Affordance-R1's eval prompts it."""

    name = "sam2"
    comparable = True

    def __init__(
        self,
        model: str = SAM2_MODEL,
        python: str | None = None,
        device: str = "cuda",
        timeout: float = 600.0,
        command: Sequence[str] | None = None,
    ):
        """`python`: the interpreter with torch and sam2 (default: this one); `command` replaces the worker."""
        self.python = python or sys.executable
        self.command = (
            list(command) if command else [self.python, WORKER, "--model", model, "--device", device]
        )
        self.timeout = timeout
        self._proc: subprocess.Popen | None = None
        self._lines: queue.Queue = queue.Queue()
        self._tmp = tempfile.TemporaryDirectory(prefix="sam2_")

    def check(self) -> None:
        """Raise SegmenterUnavailable, saying what is missing, unless the worker can import SAM2."""
        try:
            done = subprocess.run(
                [*self.command, "--check"], capture_output=True, text=True, timeout=self.timeout
            )
        except (OSError, subprocess.TimeoutExpired) as err:
            raise SegmenterUnavailable(f"cannot run the SAM2 worker {self.command[0]!r}: {err}") from err
        reply = _reply(done.stdout)
        if done.returncode != 0 or reply is None or "error" in reply:
            detail = (
                (reply or {}).get("error") or done.stderr.strip()[-500:] or f"exit code {done.returncode}"
            )
            raise SegmenterUnavailable(f"SAM2 is not usable with {self.python}: {detail}; {SAM2_INSTALL}")

    def _start(self) -> subprocess.Popen:
        """The running worker, started (and waited on until its model is loaded) on first use."""
        if self._proc is None or self._proc.poll() is not None:
            self._proc = subprocess.Popen(
                self.command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1
            )
            self._lines = queue.Queue()
            # A thread reads stdout, so a silent worker times out instead of blocking the eval forever.
            threading.Thread(target=_pump, args=(self._proc.stdout, self._lines), daemon=True).start()
            reply = self._read()
            if "error" in reply:
                self.close()
                raise SegmenterUnavailable(f"the SAM2 worker did not start: {reply['error']}; {SAM2_INSTALL}")
        return self._proc

    def _read(self) -> dict:
        """The worker's next reply line (library noise skipped), within the timeout."""
        while True:
            try:
                line = self._lines.get(timeout=self.timeout)
            except queue.Empty:
                self.close()
                raise SegmenterUnavailable(
                    f"the SAM2 worker gave no answer in {self.timeout:.0f} s"
                ) from None
            if line is None:
                code = self._proc.wait()
                self._proc = None
                raise SegmenterUnavailable(f"the SAM2 worker exited (code {code})")
            reply = _reply(line)
            if reply is not None:
                return reply

    def segment(self, image, boxes, points) -> np.ndarray:
        """SAM2's best mask for each (box, point), OR-ed; RuntimeError if the worker reports a failure."""
        proc = self._start()
        image_path = os.path.join(self._tmp.name, "image.png")
        mask_path = os.path.join(self._tmp.name, "mask.npy")
        image.convert("RGB").save(image_path)
        request = {
            "image": image_path,
            "boxes": [[float(v) for v in b] for b in boxes],
            "points": [[float(v) for v in p] for p in points],
            "out": mask_path,
        }
        proc.stdin.write(json.dumps(request) + "\n")
        proc.stdin.flush()
        reply = self._read()
        if "error" in reply:
            raise RuntimeError(f"SAM2 failed on this sample: {reply['error']}")
        return np.load(mask_path).astype(bool)

    def close(self) -> None:
        """Stop the worker."""
        if self._proc is not None:
            if self._proc.poll() is None:
                self._proc.stdin.close()
                try:
                    self._proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self._proc.kill()
            self._proc = None


def _pump(stream, lines: queue.Queue) -> None:
    """Copy a worker's stdout lines into a queue; None marks its end."""
    for line in stream:
        lines.put(line)
    lines.put(None)


def _reply(text: str) -> dict | None:
    """The last worker reply in `text`, or None."""
    found = None
    for line in text.splitlines():
        if line.startswith(REPLY_PREFIX):
            found = json.loads(line[len(REPLY_PREFIX) :])
    return found


SEGMENTERS = {"box": BoxMaskSegmenter, "sam2": Sam2Segmenter}


def build_segmenter(name: str, **kwargs) -> Segmenter:
    """A segmenter by name ("sam2" or "box"); SAM2 is checked at once, so a missing install fails early."""
    if name not in SEGMENTERS:
        raise ValueError(f"unknown segmenter {name!r}; known: {', '.join(SEGMENTERS)}")
    segmenter = SEGMENTERS[name](**kwargs)
    if isinstance(segmenter, Sam2Segmenter):
        segmenter.check()
    return segmenter
