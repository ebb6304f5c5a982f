"""Evaluate a checkpoint on OCR with Perception-R1's PageOCR metrics, or rescore: `paddlemix.evaluation.ocr`.

python eval/evaluate_ocr.py --model_path M --anno_dir D --image_dir I [--test_datasets en_page_ocr]
python eval/evaluate_ocr.py --rescore logs/ocr_results_en_page_ocr_m_r1_100.json
"""

from paddlemix.errors import run_main
from paddlemix.evaluation.cli import run_cli
from paddlemix.evaluation.ocr import fill_defaults, ocr_parser, run_ocr


def main(argv=None) -> None:
    """Parse the flags and run the OCR eval (or `--rescore`)."""
    parser = ocr_parser()
    run_cli(parser, fill_defaults(parser.parse_args(argv)), run_ocr)


if __name__ == "__main__":
    run_main(main)
