"""Evaluate a checkpoint on detection, Perception-R1's command line (`paddlemix.evaluation.localization`).

python eval/evaluate_detection.py --model_path M --anno_dir coco_val2017.json --image_dir IMAGES/ [--batch_size 32] [--max_new_tokens N]
python eval/evaluate_detection.py --rescore logs/detection_results_....json [--metric fixed|vision_r1|pr1|ovdeval]
"""

from paddlemix.errors import run_main
from paddlemix.evaluation.localization import localization_parser, run_localization_cli


def main(argv=None) -> None:
    """Parse PR1's flags and run the detection eval (or `--rescore`)."""
    run_localization_cli(localization_parser("detection"), argv)


if __name__ == "__main__":
    run_main(main)
