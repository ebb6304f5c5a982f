"""Evaluate a checkpoint on VLM-R1 jsonl, each accuracy method's mean: `paddlemix.evaluation.vlm_r1`.

python eval/evaluate_vlm_r1.py --model_path M --data_file_paths a.jsonl:b.jsonl --image_folders A:B \
    [--reward_method m1:m2] [--task_type gui] [--llm_judge_url URL]
"""

from paddlemix.errors import run_main
from paddlemix.evaluation.vlm_r1 import main

if __name__ == "__main__":
    run_main(main)
