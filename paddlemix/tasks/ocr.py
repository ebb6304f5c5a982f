"""OCR (Perception-R1's PageOCR task): read out the text of an image.

- data: Perception-R1's OCR json (`image`, `conversations[1].value`), a plain jsonl (`image`, `text`), or a
  Hugging Face folder (`image`, `text`); see `datasets/ocr.py`. A .json file is also a REC annotation file
  by its suffix, so name the task for one (`--task ocr`); a folder whose name holds "ocr" resolves alone;
- prompt: Perception-R1's eval prompt, `"<image>\\nOCR this image: "` with its literal "<image>" text (its
  json files and `evaluate_ocr.py` send it beside the image item), one template for training and eval;
  no thinking, as Perception-R1 found thinking does not help perception;
- rewards: `accuracy` -> `ocr_edit_distance`; also `ocr_f1`. Perception-R1 never released its OCR reward:
  both are our own design (`rewards/ocr.py`);
- scoring (`evaluate_ocr.py`, `--rescore`): "fixed" is the mean normalised edit distance x 100 (lower is
  better; Perception-R1's 8.0 -> 3.5 on PageOCR en); the other numbers of its table (F1, BLEU, METEOR,
  precision, recall, x 100) are dataset metrics too (`metrics/text.py`).
"""

from __future__ import annotations

from paddlemix.datasets.ocr import load_ocr, load_ocr_hf
from paddlemix.metrics.text import mean_ocr_metrics, ocr_metrics, ocr_text
from paddlemix.tasks.r1v import is_hf_folder
from paddlemix.tasks.registry import register_task
from paddlemix.tasks.task import DataFormat, PromptTemplate, Task

# Perception-R1 `eval/evaluate_ocr.py` (and its OCR json's human turn): the prompt text, byte for byte.
OCR_TEMPLATE = "<image>\nOCR this image: "
OCR_SUFFIXES = (".json", ".jsonl")
METRIC_KEYS = {"fixed": "edit_dist", "edit_dist": "edit_dist", "f1": "f_measure", "precision": "precision"}
METRIC_KEYS.update({"recall": "recall", "bleu": "bleu", "meteor": "meteor"})


def result_metrics(result: dict) -> dict:
    """A result's per-sample OCR metrics: stored by the eval, else computed from its output."""
    if isinstance(result.get("metrics"), dict):
        return result["metrics"]
    return ocr_metrics(ocr_text(result["model_output"]), str(result["ground_truth"]))


def dataset_metric(key: str):
    """The dataset metric that averages the per-sample `key` (x 100); METEOR is NaN when unavailable."""

    def metric(results: list[dict], **_) -> float:
        """Mean of the per-sample value over the results, x 100."""
        value = mean_ocr_metrics([result_metrics(r) for r in results])[key]
        return float("nan") if value == "unavailable" else value * 100

    return metric


def _load_file(path: str, image_root: str | None = None, task: str = "ocr", **_):
    """OCR samples of a json / jsonl file."""
    return load_ocr(path, image_root, task)


def _load_folder(path: str, task: str = "ocr", split: str = "train", **_):
    """OCR samples of a Hugging Face folder."""
    return load_ocr_hf(path, task, split)


OCR = register_task(
    Task(
        name="ocr",
        prompts={
            "train": PromptTemplate(OCR_TEMPLATE, thinking=False),
            "eval": PromptTemplate(OCR_TEMPLATE, thinking=False),
        },
        rewards={"accuracy": "ocr_edit_distance"},
        other_rewards=("ocr_f1",),
        scorers={},
        dataset_metrics={name: dataset_metric(key) for name, key in METRIC_KEYS.items()},
        formats=(
            DataFormat("OCR json / jsonl", lambda p: p.endswith(OCR_SUFFIXES), _load_file, ("ocr",)),
            DataFormat("OCR Hugging Face folder", is_hf_folder, _load_folder, ("ocr",)),
        ),
        default_rewards=("ocr_edit_distance",),
    )
)
