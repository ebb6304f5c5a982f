"""TR-DPO's reference syncing (`--sync_ref_model`): every `ref_model_sync_steps` optimizer steps,

    ref ← α · policy + (1 − α) · ref,       α = ref_model_mixup_alpha

as trl's `SyncRefModelCallback`, so the KL anchors to a reference that trails the policy.
"""

from __future__ import annotations

import paddle


@paddle.no_grad()
def mix_into_reference(policy: paddle.nn.Layer, reference: paddle.nn.Layer, alpha: float) -> None:
    """Set each reference parameter to alpha · the policy's + (1 − alpha) · its own (same names and shapes)."""
    if not 0.0 < alpha <= 1.0:
        raise ValueError(f"alpha must be in (0, 1], got {alpha}")
    source = dict(policy.named_parameters())
    for name, target in reference.named_parameters():
        if name not in source or source[name].shape != target.shape:
            raise ValueError(f"the reference's parameter {name!r} has no policy parameter of its shape")
        mixed = alpha * source[name].astype("float32") + (1.0 - alpha) * target.astype("float32")
        target.set_value(mixed.astype(target.dtype))


def due(step: int, every: int) -> bool:
    """Whether optimizer step `step` (1-based, just applied) syncs."""
    return step % every == 0
