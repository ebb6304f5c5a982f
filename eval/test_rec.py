"""Evaluate a checkpoint on REC (RefCOCO/+/g, RefGTA), or rescore saved results: `paddlemix.evaluation.rec`.

    python eval/test_rec.py --model_name "Qwen2.5-VL-3B-Instruct" --method r1 \
        --model_path Qwen/Qwen2.5-VL-3B-Instruct --data_root data/REC/rec_jsons_processed \
        --image_root data/REC --test_datasets refcoco_val refcocop_val refcocog_val \
        --batch_size 32 --sample_num 500 --steps 300 --seed 42
    python eval/test_rec.py --rescore logs/rec_results_refcoco_val_qwen2.5-vl-3b-instruct_r1_300.json
    python eval/test_rec.py --rescore rec_results_refcoco_val_qwen2_5vl_3b_instruct_r1_600.json --metric vlm_r1
"""

from paddlemix.errors import run_main
from paddlemix.evaluation.cli import rec_parser, run_cli
from paddlemix.evaluation.rec import run_rec


def main(argv=None) -> None:
    """Parse the seed's flags and run the REC eval (or `--rescore`)."""
    parser = rec_parser()
    run_cli(parser, parser.parse_args(argv), run_rec, eval_metrics=("fixed", "vlm_r1"))


if __name__ == "__main__":
    run_main(main)
