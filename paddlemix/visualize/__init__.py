"""Pictures of what a model answered: shapes read from answers, drawn on images, and static eval galleries.

- `shapes.py`: a result record (eval or `paddlemix.infer`) -> its boxes, points and text in original-image
  pixels, through each task's own parser and the frame registry (`metrics.boxes.frame_for_model`);
- `draw.py`: those shapes drawn on the image (prediction and ground truth in two colours);
- `gallery.py`: `--visualize N` of the eval commands, `gallery/index.html` beside its PNGs.
"""
