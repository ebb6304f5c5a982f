"""Evaluation: the metrics shared with the rewards (`metrics/`), the eval commands, and rescoring of saved results.

- `rec.py` / `r1v.py`: what `eval/test_rec.py` and `eval/test_r1-v.py` run (flags in `cli.py`); both use
  `runner.py`, which does batched greedy generation, resuming, skipping bad images and writing results.
- `python -m paddlemix.evaluation.rescore RESULTS.json [--metric fixed|r1v|seed]` recomputes a results file's
  accuracy with no model (so does `eval/test_*.py --rescore`).
"""
