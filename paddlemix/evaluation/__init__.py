"""Evaluation: the eval commands, and rescoring of saved results. Scores come from each task (`paddlemix.tasks`).

- `rec.py` / `r1v.py`: what `eval/test_rec.py` and `eval/test_r1-v.py` run (flags in `cli.py`); both use
  `runner.py`, which drives the concerns split beside it: `config.py` (settings), `model_loading.py`,
  `generation.py` (one batch through the model), `partial.py` (resuming), `scoring.py` (through the task),
  `results.py` (the results file).
- `ocr.py` / `affordance.py`: `eval/evaluate_ocr.py` and `eval/evaluate_affordance.py` (`eval_aff_r1.sh`), on the
  same runner; the affordance masks come from `segmenters.py` (SAM2 out of process via `sam2_worker.py`, or
  the box stand-in).
- `python -m paddlemix.evaluation.rescore RESULTS.json [--metric fixed|r1v|seed]` recomputes a results file's
  accuracy with no model (so does `eval/test_*.py --rescore`).
"""
