"""Evaluate a checkpoint on affordance grounding (gIoU, cIoU, P@50, P@50:95), or rescore.

    python eval/evaluate_affordance.py --model_path M --test_data_path DATA [--segmenter sam2|box]
    python eval/evaluate_affordance.py --rescore logs/affordance_results_reasonaff_test_m_r1_100.json

See `paddlemix.evaluation.affordance`; `eval/eval_aff_r1.sh MODEL_PATH DATA` wraps this.
"""

from paddlemix.errors import run_main
from paddlemix.evaluation.affordance import affordance_parser, fill_defaults, run_affordance
from paddlemix.evaluation.cli import run_cli


def main(argv=None) -> None:
    """Parse the flags and run the affordance eval (or `--rescore`)."""
    parser = affordance_parser()
    args = fill_defaults(parser.parse_args(argv))
    run_cli(parser, args, lambda cfg: run_affordance(cfg, args))


if __name__ == "__main__":
    run_main(main)
