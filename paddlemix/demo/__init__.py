"""The web demo: `python -m paddlemix.demo --model_path M [--compare_model_path M2] [--port 7860]`.

`app.py` builds the Gradio page (upload an image, pick a task, type a query, see the drawn answer and the raw
text; a Compare tab runs two checkpoints side by side on the same input) over `paddlemix.inference`;
`__main__.py` is the command line. Gradio comes with `pip install -e .[demo]`.
"""
