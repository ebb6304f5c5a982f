"""Self-checks a user runs on their own machine: `bash scripts/check_gpu.sh` (see `gpu_check.py`)."""
