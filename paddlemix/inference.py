"""Ask a checkpoint one task's question about images, and read its answer the way training and eval do.

    from paddlemix.inference import InferConfig, Predictor
    predictor = Predictor(InferConfig(model_path="Qwen/Qwen2.5-VL-3B-Instruct"))
    [prediction] = predictor.predict(["cat.jpg"], task="rec", query="the cat on the left")
    prediction.answers[0].shapes.boxes      # [([x1, y1, x2, y2] in original pixels, "answer")]

The command line is `python -m paddlemix.infer` (`infer.py`). What is shared, not copied:
- the checkpoint through the eval's loader (`evaluation.model_loading`), so whatever it loads (hub IDs,
  training checkpoints) loads here;
- the prompt is the task's eval template (`tasks.sample_messages(sample, "eval")`), the bytes test_rec and
  the other evals send; `--query` fills its `{Question}` as the datasets do (REC wraps the expression in
  VLM-R1's sentence, detection lists the categories in Vision-R1's COCO query, affordance lower-cases);
  `--prompt` sends free text instead and is still parsed as the task's answer;
- generation through the eval's `generate_texts` (greedy by default, stop ids of `models.runtime`);
- the answer is read by `visualize.shapes`, the tasks' own parsers and frame mapping; the frame comes from
  the model type through `metrics.boxes.frame_for_model` (Qwen2-VL 0-1000, Qwen2.5-VL input pixels).
Each image is its own prompt (a batch); affordance images are resized to 840x840 first, as its eval does.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from PIL import Image

from paddlemix.config import ConfigError
from paddlemix.datasets.affordance import RESIZE, seed_question
from paddlemix.datasets.images import BadImageError, open_image
from paddlemix.datasets.localization import COCO_QUERY
from paddlemix.datasets.synthetic.rec import PROBLEM_TEMPLATE
from paddlemix.errors import DataError, MissingFileError
from paddlemix.evaluation.generation import encode_batch, generate_texts
from paddlemix.evaluation.model_loading import load_model_and_processor
from paddlemix.metrics.affordance import read_answer, to_original
from paddlemix.metrics.boxes import coord_frame, frame_for_model, input_size_from_grid
from paddlemix.models.runtime import stop_token_ids
from paddlemix.tasks import build_messages, canonical_name, get_task, sample_messages
from paddlemix.visualize.draw import draw_answer
from paddlemix.visualize.shapes import Shapes, answer_shapes

# How `--query` becomes the sample field the task's eval template reads (default: the query as is).
QUERY_FORMS = {
    "rec": lambda q: PROBLEM_TEMPLATE.format(caption=q),
    "detection": lambda q: COCO_QUERY.format(categories=q),
    "affordance": seed_question,
}
NO_QUERY = ("ocr",)  # tasks whose template takes no question


@dataclass
class InferConfig:
    """The checkpoint and generation settings (the eval loader's field names, so its loader reads them)."""

    model_path: str
    dtype: str = "float32"  # bfloat16 / float16 fall back to float32 on CPU with a warning
    attn_implementation: str | None = None
    min_pixels: int | None = None  # None: the checkpoint's preprocessor config
    max_pixels: int | None = None
    seed: int = 42
    max_new_tokens: int = 256
    do_sample: bool = False
    temperature: float = 1.0
    num_return_sequences: int = 1
    coord_frame: str | None = None  # None: from the model type

    def __post_init__(self):
        """Reject settings that cannot run, naming the flag."""
        for name in ("max_new_tokens", "num_return_sequences"):
            if getattr(self, name) < 1:
                raise ConfigError(f"--{name} must be >= 1, got {getattr(self, name)}")
        if self.num_return_sequences > 1 and not self.do_sample:
            raise ConfigError("--num_return_sequences > 1 needs --do_sample (greedy answers are all equal)")
        if self.temperature <= 0:
            raise ConfigError(f"--temperature must be > 0, got {self.temperature}")


@dataclass
class Answer:
    """One generated answer: the raw text, its result record (frame facts), and what it says in pixels."""

    model_output: str
    record: dict
    shapes: Shapes

    def to_json(self) -> dict:
        """The machine-readable form: raw text, boxes with labels, points, text."""
        return {
            "model_output": self.model_output,
            "boxes": [{"box": [round(v, 2) for v in b], "label": label} for b, label in self.shapes.boxes],
            "points": [[round(float(v), 2) for v in p] for p in self.shapes.points],
            "text": self.shapes.text,
            "coord_frame": self.record.get("coord_frame"),
            "image_size": self.record.get("image_size"),
        }


@dataclass
class Prediction:
    """The answers for one image."""

    image: str
    task: str
    prompt: str
    answers: list[Answer] = field(default_factory=list)

    def to_json(self) -> dict:
        """The machine-readable record `--json` prints."""
        return {
            "image": self.image,
            "task": self.task,
            "prompt": self.prompt,
            "answers": [a.to_json() for a in self.answers],
        }

    def draw(self, index: int = 0, mask=None) -> Image.Image:
        """The image with answer `index` drawn on it (a mask tinted in when given)."""
        return draw_answer(open_image(self.image), self.answers[index].shapes, mask=mask)


def task_prompt(task: str, query: str | None = None, prompt: str | None = None) -> str:
    """The prompt text sent for `task`: `prompt` as is, else the task's eval template filled with `query`."""
    task = canonical_name(task)
    if prompt is not None:
        return prompt
    if query is None and task not in NO_QUERY:
        raise ConfigError(f"--task {task} needs --query (what to look for) or --prompt (free text)")
    template = get_task(task).prompt("eval")
    question = QUERY_FORMS.get(task, str)(query) if query is not None else ""
    return sample_messages({"task": task, template.field: question}, "eval")[0]["content"][-1]["text"]


class Predictor:
    """A loaded checkpoint that answers task questions about images (see the module docstring)."""

    def __init__(self, cfg: InferConfig, model=None, processor=None):
        """Load `cfg.model_path` through the eval's loader (or use the `model` and `processor` given)."""
        self.cfg = cfg
        if model is None:
            model, processor = load_model_and_processor(cfg)
        self.model, self.processor = model, processor
        self.model_type = model.config.model_type
        self.frame = coord_frame(cfg.coord_frame) if cfg.coord_frame else frame_for_model(self.model_type)
        self.eos = stop_token_ids(model, processor, cfg.model_path)

    def predict(
        self, images: list[str], task: str, query: str | None = None, prompt: str | None = None
    ) -> list[Prediction]:
        """One `Prediction` per image path, each with `num_return_sequences` answers."""
        task = canonical_name(task)
        text = task_prompt(task, query, prompt)
        chat = self.processor.apply_chat_template(build_messages(text), add_generation_prompt=True)
        originals = [_open(path) for path in images]
        seen = [
            im.resize((RESIZE, RESIZE), Image.BILINEAR) if task == "affordance" else im for im in originals
        ]
        inputs, kept, rejected = encode_batch(self.processor, [chat] * len(seen), seen)
        if rejected:
            pos, error = rejected[0]
            raise DataError(f"the processor cannot take this image: {error}", where=images[pos])
        cfg = self.cfg
        texts = generate_texts(
            self.model,
            self.processor,
            inputs,
            cfg.max_new_tokens,
            self.eos,
            do_sample=cfg.do_sample,
            temperature=cfg.temperature,
            num_return_sequences=cfg.num_return_sequences,
        )
        grids = inputs["image_grid_thw"].numpy().tolist()
        out = []
        for i, path in enumerate(images):
            prediction = Prediction(image=path, task=task, prompt=text)
            for output in texts[i * cfg.num_return_sequences : (i + 1) * cfg.num_return_sequences]:
                record = self.record(task, output, grids[i], seen[i].size, originals[i].size)
                prediction.answers.append(Answer(output, record, answer_shapes(task, record)))
            out.append(prediction)
        return out

    def record(self, task: str, output: str, grid, seen_size, original_size) -> dict:
        """The result record of one answer, with the frame facts the eval records carry."""
        record = {
            "task": task,
            "model_output": output,
            "image_size": list(seen_size),
            "image_grid_thw": [int(v) for v in grid],
            "input_size": list(input_size_from_grid(grid, self.processor.image_processor.patch_size)),
            "coord_frame": self.frame.value,
            "model_type": self.model_type,
        }
        if task == "affordance":
            record.update(bboxes=[], points=[], failure=None)
            try:
                boxes, points = read_answer(output)
                args = (self.frame.value, seen_size, record["input_size"], original_size)
                record["bboxes"] = [to_original(b, *args) for b in boxes]
                record["points"] = [to_original(p, *args) for p in points]
            except ValueError as err:
                record["failure"] = str(err)
            record["image_size"] = list(original_size)
        return record


def _open(path: str) -> Image.Image:
    """The RGB image at `path`; a missing or corrupt file is a user error naming it."""
    try:
        return open_image(path)
    except BadImageError as e:
        if str(e).startswith("missing"):
            raise MissingFileError("no such image", where=path) from None
        raise DataError(str(e), where=path) from None
