"""transformers' Qwen2-VL / Qwen2.5-VL / Qwen3-VL processors as the reference for processor parity tests and fixtures.

`AutoProcessor.from_pretrained` also builds Qwen2-VL's video processor, which requires torchvision. These
subclasses of transformers' own processors leave the video processor out and pin the PIL image backend
(the one transformers picks when torchvision is absent), so all text and image handling runs transformers'
code unchanged. Needs torch and transformers: import it only from tools and from tests guarded by
`pytest.importorskip("transformers")`.
"""

from transformers import Qwen2_5_VLProcessor, Qwen2VLProcessor, Qwen3VLProcessor
from transformers.models.qwen2_vl.image_processing_pil_qwen2_vl import smart_resize as hf_smart_resize
from transformers.processing_utils import ProcessorMixin

__all__ = ["hf_smart_resize", "load_reference_processor"]


def _init_without_video(self, image_processor=None, tokenizer=None, chat_template=None, **kwargs):
    """transformers' Qwen2-VL processor `__init__` minus the video processor."""
    self.image_token = "<|image_pad|>"
    self.video_token = "<|video_pad|>"
    self.image_token_id = tokenizer.convert_tokens_to_ids(self.image_token)
    self.video_token_id = tokenizer.convert_tokens_to_ids(self.video_token)
    ProcessorMixin.__init__(self, image_processor, tokenizer, chat_template=chat_template)


class ImagesOnlyQwen2VLProcessor(Qwen2VLProcessor):
    """transformers' `Qwen2VLProcessor` without a video processor."""

    __init__ = _init_without_video


class ImagesOnlyQwen2_5_VLProcessor(Qwen2_5_VLProcessor):
    """transformers' `Qwen2_5_VLProcessor` without a video processor."""

    __init__ = _init_without_video


class ImagesOnlyQwen3VLProcessor(Qwen3VLProcessor):
    """transformers' `Qwen3VLProcessor` without a video processor."""

    __init__ = _init_without_video


REFERENCE_PROCESSORS = {
    "qwen2_vl": ImagesOnlyQwen2VLProcessor,
    "qwen2_5_vl": ImagesOnlyQwen2_5_VLProcessor,
    "qwen3_vl": ImagesOnlyQwen3VLProcessor,
}


def load_reference_processor(path: str, qwen2_5: bool = False, model_type: str | None = None, **kwargs):
    """transformers' processor for the hub directory `path` (PIL image backend); kwargs override the config."""
    cls = REFERENCE_PROCESSORS[model_type or ("qwen2_5_vl" if qwen2_5 else "qwen2_vl")]
    return cls.from_pretrained(path, backend="pil", **kwargs)
