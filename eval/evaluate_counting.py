"""Evaluate a checkpoint on counting, Perception-R1's command line (`paddlemix.evaluation.localization`).

python eval/evaluate_counting.py --model_path M --anno_dir D --image_dir I [--batch_size 32] [--max_new_tokens N]
python eval/evaluate_counting.py --rescore logs/counting_results_....json [--metric fixed|pr1]
"""

from paddlemix.errors import run_main
from paddlemix.evaluation.localization import localization_parser, run_localization_cli


def main(argv=None) -> None:
    """Parse PR1's flags and run the counting eval (or `--rescore`)."""
    run_localization_cli(localization_parser("counting"), argv)


if __name__ == "__main__":
    run_main(main)
