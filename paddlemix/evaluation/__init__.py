"""Evaluation: the metrics shared with the rewards (`metrics/`) and the rescoring of saved results.

`python -m paddlemix.evaluation.rescore RESULTS.json [--metric fixed|r1v|seed]` recomputes a results file's
accuracy with no model.
"""
