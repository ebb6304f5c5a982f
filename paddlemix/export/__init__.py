"""Every training checkpoint is a model: load one for eval or inference, or export it.

- `load_trained_model(path)`: a hub-layout folder, a full `checkpoint-N` (the policy in the hub layout) or a
  LoRA `checkpoint-N` (`trainable.safetensors` only: the base model from its trainer_state, the adapters
  applied and merged), as a plain model. The evals' `--model_path` goes through it.
- `python -m paddlemix.export --checkpoint DIR --out DIR`: the merged model in the hub layout (transformers
  loads it), plus, for LoRA, the adapters in PEFT's layout in `DIR/peft_adapter` (`__main__.py`).
"""

from paddlemix.export.checkpoint_model import TrainedCheckpoint, load_trained_model, read_trained_checkpoint

__all__ = ["TrainedCheckpoint", "load_trained_model", "read_trained_checkpoint"]
