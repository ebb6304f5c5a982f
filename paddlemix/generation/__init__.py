"""Generation with a KV cache: greedy and sampled decoding, G rollouts per encoded prompt."""

from .mixin import GenerationMixin, GenerationOutput

__all__ = ["GenerationMixin", "GenerationOutput"]
