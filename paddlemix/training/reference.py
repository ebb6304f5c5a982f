"""The frozen reference policy of the KL term: a second copy of the starting weights that never trains.

With LoRA the reference is instead the policy itself with its adapters switched off (`AdapterFreeLogprobs`):
the base weights never train, so they are the starting policy, and no second copy is loaded.

It is built only when beta > 0. It is loaded in the training dtype, put in eval mode, and every parameter is
marked stop_gradient, so it gets no gradients and no optimizer ever sees it (no optimizer state). Under data
parallelism each rank holds one copy, which its own groups need for their forward passes.
"""

from __future__ import annotations

from paddlemix.models import AutoModelForConditionalGeneration
from paddlemix.peft import adapters_disabled
from paddlemix.training.logprobs import PolicyLogprobs


def build_reference(path: str, dtype: str, attn_implementation: str):
    """The frozen reference model loaded from `path` (the policy's starting checkpoint)."""
    ref = AutoModelForConditionalGeneration.from_pretrained(
        path, dtype=dtype, attn_implementation=attn_implementation
    )
    ref.eval()
    for p in ref.parameters():
        p.stop_gradient = True
    return ref


class AdapterFreeLogprobs(PolicyLogprobs):
    """`PolicyLogprobs` of a LoRA model with its adapters disabled: the starting policy, without a copy."""

    def forward(self, *args, **kwargs):
        """(G, T) float32 log-probs under the base weights; see `completion_logprobs`."""
        with adapters_disabled(self.model):
            return super().forward(*args, **kwargs)
