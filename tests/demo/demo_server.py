"""The demo on the tiny checkpoints with a known answer, for the browser test.

    python -m tests.demo.demo_server --model_path M --compare_model_path M2 --port P

The model really runs; its text is then replaced by a box in the model's frame (the middle of the image),
so the page has something to draw. The box is computed from the batch's real image grid.
"""

from __future__ import annotations

import sys

from paddlemix import inference
from paddlemix.demo.__main__ import main
from paddlemix.errors import run_main


def boxed(generate_texts):
    """`generate_texts` whose answers are replaced by the middle half of the input image."""

    def generate(model, processor, inputs, max_new_tokens, eos, **sampling):
        generate_texts(model, processor, inputs, max_new_tokens, eos, **sampling)
        out = []
        for _t, h, w in inputs["image_grid_thw"].numpy().tolist():
            if model.config.model_type == "qwen2_vl":
                box = [250, 250, 750, 750]
            else:
                box = [w * 14 // 4, h * 14 // 4, w * 14 * 3 // 4, h * 14 * 3 // 4]
            out.append(f"<think>here</think><answer>[{{'bbox_2d': {box}, 'label': 'thing'}}]</answer>")
        return out

    return generate


if __name__ == "__main__":
    inference.generate_texts = boxed(inference.generate_texts)
    run_main(main, sys.argv[1:])
