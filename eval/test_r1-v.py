"""Evaluate a checkpoint on SuperCLEVR counting or GeoQA, or rescore saved results: `paddlemix.evaluation.r1v`.

    python eval/test_r1-v.py --model_name "Qwen2.5-VL-3B-Instruct" --method r1 \
        --model_path Qwen/Qwen2.5-VL-3B-Instruct --data_root data/Counting \
        --image_root data/Counting/superclevr_200 --test_datasets superclevr_test200_counting_problems \
        --batch_size 32 --steps 500 --seed 42
    python eval/test_r1-v.py --rescore logs/r1-v_results_geoqa_test_prompts_qwen2.5-vl-3b-instruct_r1_500.json
"""

from paddlemix.errors import run_main
from paddlemix.evaluation.cli import r1v_parser, run_cli
from paddlemix.evaluation.r1v import run_r1v


def main(argv=None) -> None:
    """Parse the seed's flags and run the counting / geometry eval (or `--rescore`)."""
    parser = r1v_parser()
    run_cli(parser, parser.parse_args(argv), run_r1v)


if __name__ == "__main__":
    run_main(main)
