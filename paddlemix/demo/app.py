"""The Gradio page of the demo: an Ask tab over one checkpoint, and a Compare tab over two.

Both tabs call `Predictor.predict` (the task's eval prompt, the task's parser, original-pixel boxes) and
`Prediction.draw`, the same path as `python -m paddlemix.infer --draw`.
"""

from __future__ import annotations

import json

from paddlemix.inference import Predictor
from paddlemix.tasks import list_tasks

DEMO_TASKS = ("rec", "grounding", "detection", "counting", "counting_boxes", "geometry", "ocr", "affordance")


def answer(predictor: Predictor, image: str | None, task: str, query: str, prompt: str):
    """(drawn image, raw answer, parsed JSON) for one upload; a ValueError says what is missing."""
    if not image:
        raise ValueError("upload an image first")
    [prediction] = predictor.predict([image], task, query.strip() or None, prompt.strip() or None)
    parsed = prediction.answers[0].to_json()
    return prediction.draw(), prediction.answers[0].model_output, json.dumps(parsed, indent=1)


def build_app(predictor: Predictor, compare: Predictor | None = None, labels=("model", "compared")):
    """The gr.Blocks page; the Compare tab is there when a second checkpoint is given."""
    import gradio as gr

    tasks = [t for t in DEMO_TASKS if t in list_tasks()]

    def run(predictor_, image, task, query, prompt):
        try:
            return answer(predictor_, image, task, query, prompt)
        except ValueError as e:
            raise gr.Error(str(e)) from None

    with gr.Blocks(title="R1-MLLM on Paddle: look at the model") as app:
        gr.Markdown(
            "Ask a checkpoint about an image; the answer is parsed and drawn as the task's eval reads it."
        )
        with gr.Tab("Ask"):
            with gr.Row():
                with gr.Column():
                    image = gr.Image(type="filepath", label="image", elem_id="ask_image")
                    task = gr.Dropdown(tasks, value="rec", label="task", elem_id="ask_task")
                    query = gr.Textbox(label="query (what to look for, or the question)", elem_id="ask_query")
                    prompt = gr.Textbox(
                        label="free prompt (instead of the task's template)", elem_id="ask_prompt"
                    )
                    go = gr.Button("Run", variant="primary", elem_id="ask_run")
                with gr.Column():
                    drawn = gr.Image(type="pil", label="answer drawn", elem_id="ask_drawn")
                    raw = gr.Textbox(label="raw answer", elem_id="ask_raw")
                    parsed = gr.Code(label="parsed", language="json")
            go.click(lambda *a: run(predictor, *a), [image, task, query, prompt], [drawn, raw, parsed])
        if compare is not None:
            with gr.Tab("Compare"):
                with gr.Row():
                    c_image = gr.Image(type="filepath", label="image", elem_id="cmp_image")
                    with gr.Column():
                        c_task = gr.Dropdown(tasks, value="rec", label="task")
                        c_query = gr.Textbox(label="query", elem_id="cmp_query")
                        c_prompt = gr.Textbox(label="free prompt")
                        c_go = gr.Button("Compare", variant="primary", elem_id="cmp_run")
                with gr.Row():
                    with gr.Column():
                        a_drawn = gr.Image(type="pil", label=labels[0], elem_id="cmp_a")
                        a_raw = gr.Textbox(label=f"{labels[0]}: raw answer")
                    with gr.Column():
                        b_drawn = gr.Image(type="pil", label=labels[1], elem_id="cmp_b")
                        b_raw = gr.Textbox(label=f"{labels[1]}: raw answer")

            def both(image_, task_, query_, prompt_):
                a = run(predictor, image_, task_, query_, prompt_)
                b = run(compare, image_, task_, query_, prompt_)
                return a[0], a[1], b[0], b[1]

            c_go.click(both, [c_image, c_task, c_query, c_prompt], [a_drawn, a_raw, b_drawn, b_raw])
    return app
