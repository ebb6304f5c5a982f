"""Tiny random Qwen3-VL checkpoints in the published hub layout, made with transformers (torch CPU).

`build_tiny_qwen3_vl(name, out_dir)` writes the nested `config.json` as the published Qwen3-VL checkpoints
carry it (`text_config` with `rope_scaling: {mrope_section, mrope_interleaved}` and `rope_theta`,
`vision_config`), `model.safetensors` with the published keys (`model.language_model.*`, `model.visual.*`),
the tiny tokenizer with Qwen3-VL's chat template, its `preprocessor_config.json` (patch 16, mean = std = 0.5,
the pixel budget as `size`) and `generation_config.json`. transformers and torch are needed only to build.
"""

from __future__ import annotations

import json
import os

from .tiny_tokenizer import SPECIAL_TOKEN_IDS, TINY_VOCAB_SIZE, build_tiny_tokenizer

# The chat template published with Qwen3-VL-*-Instruct (no default system turn).
QWEN3_VL_CHAT_TEMPLATE = (
    "{%- if tools %}\n    {{- '<|im_start|>system\\n' }}\n    {%- if messages[0].role == 'system' %}\n"
    "        {%- if messages[0].content is string %}\n            {{- messages[0].content }}\n"
    "        {%- else %}\n            {%- for content in messages[0].content %}\n"
    "                {%- if 'text' in content %}\n                    {{- content.text }}\n"
    "                {%- endif %}\n            {%- endfor %}\n        {%- endif %}\n"
    "        {{- '\\n\\n' }}\n    {%- endif %}\n"
    '    {{- "# Tools\\n\\nYou may call one or more functions to assist with the user query.\\n\\nYou are provided '
    'with function signatures within <tools></tools> XML tags:\\n<tools>" }}\n'
    '    {%- for tool in tools %}\n        {{- "\\n" }}\n        {{- tool | tojson }}\n    {%- endfor %}\n'
    '    {{- "\\n</tools>\\n\\nFor each function call, return a json object with function name and arguments within '
    '<tool_call></tool_call> XML tags:\\n<tool_call>\\n{\\"name\\": <function-name>, \\"arguments\\": '
    '<args-json-object>}\\n</tool_call><|im_end|>\\n" }}\n'
    "{%- else %}\n    {%- if messages[0].role == 'system' %}\n        {{- '<|im_start|>system\\n' }}\n"
    "        {%- if messages[0].content is string %}\n            {{- messages[0].content }}\n"
    "        {%- else %}\n            {%- for content in messages[0].content %}\n"
    "                {%- if 'text' in content %}\n                    {{- content.text }}\n"
    "                {%- endif %}\n            {%- endfor %}\n        {%- endif %}\n"
    "        {{- '<|im_end|>\\n' }}\n    {%- endif %}\n{%- endif %}\n"
    "{%- set image_count = namespace(value=0) %}\n{%- set video_count = namespace(value=0) %}\n"
    "{%- for message in messages %}\n"
    '    {%- if message.role == "user" %}\n'
    "        {{- '<|im_start|>' + message.role + '\\n' }}\n"
    "        {%- if message.content is string %}\n            {{- message.content }}\n"
    "        {%- else %}\n            {%- for content in message.content %}\n"
    "                {%- if content.type == 'image' or 'image' in content or 'image_url' in content %}\n"
    "                    {%- set image_count.value = image_count.value + 1 %}\n"
    "                    {%- if add_vision_id %}Picture {{ image_count.value }}: {% endif -%}\n"
    "                    <|vision_start|><|image_pad|><|vision_end|>\n"
    "                {%- elif content.type == 'video' or 'video' in content %}\n"
    "                    {%- set video_count.value = video_count.value + 1 %}\n"
    "                    {%- if add_vision_id %}Video {{ video_count.value }}: {% endif -%}\n"
    "                    <|vision_start|><|video_pad|><|vision_end|>\n"
    "                {%- elif 'text' in content %}\n                    {{- content.text }}\n"
    "                {%- endif %}\n            {%- endfor %}\n        {%- endif %}\n"
    "        {{- '<|im_end|>\\n' }}\n"
    '    {%- elif message.role == "assistant" %}\n'
    "        {{- '<|im_start|>' + message.role + '\\n' }}\n"
    "        {%- if message.content is string %}\n            {{- message.content }}\n"
    "        {%- else %}\n            {%- for content_item in message.content %}\n"
    "                {%- if 'text' in content_item %}\n                    {{- content_item.text }}\n"
    "                {%- endif %}\n            {%- endfor %}\n        {%- endif %}\n"
    "        {{- '<|im_end|>\\n' }}\n"
    '    {%- elif message.role == "tool" %}\n'
    '        {%- if loop.first or (messages[loop.index0 - 1].role != "tool") %}\n'
    "            {{- '<|im_start|>user' }}\n        {%- endif %}\n"
    "        {{- '\\n<tool_response>\\n' }}\n"
    "        {%- if message.content is string %}\n            {{- message.content }}\n"
    "        {%- else %}\n            {%- for content in message.content %}\n"
    "                {%- if 'text' in content %}\n                    {{- content.text }}\n"
    "                {%- endif %}\n            {%- endfor %}\n        {%- endif %}\n"
    "        {{- '\\n</tool_response>' }}\n"
    '        {%- if loop.last or (messages[loop.index0 + 1].role != "tool") %}\n'
    "            {{- '<|im_end|>\\n' }}\n        {%- endif %}\n"
    "    {%- endif %}\n{%- endfor %}\n"
    "{%- if add_generation_prompt %}\n    {{- '<|im_start|>assistant\\n' }}\n{%- endif %}\n"
)

# The Thinking models' template opens a reasoning block in the generation prompt.
QWEN3_VL_THINKING_CHAT_TEMPLATE = QWEN3_VL_CHAT_TEMPLATE.replace(
    "{{- '<|im_start|>assistant\\n' }}\n{%- endif %}\n",
    "{{- '<|im_start|>assistant\\n<think>\\n' }}\n{%- endif %}\n",
)

# Small enough that the tests' 56-140 px images are resized (up to multiples of 32 px) rather than refused.
TINY_MIN_PIXELS = 64 * 64
TINY_MAX_PIXELS = 16777216

_TEXT = {
    "vocab_size": TINY_VOCAB_SIZE,
    "bos_token_id": SPECIAL_TOKEN_IDS["<|endoftext|>"],
    "eos_token_id": SPECIAL_TOKEN_IDS["<|im_end|>"],
    "pad_token_id": SPECIAL_TOKEN_IDS["<|endoftext|>"],
    "hidden_size": 64,
    "intermediate_size": 96,
    "num_hidden_layers": 3,
    "num_attention_heads": 8,
    "num_key_value_heads": 2,
    "head_dim": 16,  # not hidden / heads (8), as in the published 4B
    "hidden_act": "silu",
    "rms_norm_eps": 1e-6,
    "rope_theta": 5000000.0,
    "rope_scaling": {"rope_type": "default", "mrope_section": [4, 2, 2], "mrope_interleaved": True},
    "max_position_embeddings": 4096,
    "attention_bias": False,
    "model_type": "qwen3_vl_text",
    "dtype": "float32",
}

_VISION = {
    "depth": 3,
    "hidden_size": 32,
    "intermediate_size": 48,
    "num_heads": 2,
    "out_hidden_size": 64,
    "in_channels": 3,
    "patch_size": 16,
    "spatial_merge_size": 2,
    "temporal_patch_size": 2,
    "hidden_act": "gelu_pytorch_tanh",
    "num_position_embeddings": 16,  # a 4 x 4 table, resampled up and down to the test grids
    "deepstack_visual_indexes": [0, 2],
    "model_type": "qwen3_vl",
}

# name -> (tie_word_embeddings, text overrides, vision overrides)
QWEN3_TINY_CONFIGS = {
    "qwen3_vl_tied": (True, {}, {}),
    "qwen3_vl_untied": (
        False,
        {"num_hidden_layers": 2},
        {"deepstack_visual_indexes": [1], "num_position_embeddings": 36},
    ),
}


def tiny_qwen3_vl_config(name: str) -> dict:
    """The nested `config.json` of a tiny Qwen3-VL checkpoint, in the published form."""
    tied, text, vision = QWEN3_TINY_CONFIGS[name]
    return {
        "architectures": ["Qwen3VLForConditionalGeneration"],
        "model_type": "qwen3_vl",
        "image_token_id": SPECIAL_TOKEN_IDS["<|image_pad|>"],
        "video_token_id": SPECIAL_TOKEN_IDS["<|video_pad|>"],
        "vision_start_token_id": SPECIAL_TOKEN_IDS["<|vision_start|>"],
        "vision_end_token_id": SPECIAL_TOKEN_IDS["<|vision_end|>"],
        "tie_word_embeddings": tied,
        "text_config": {**_TEXT, **text, "tie_word_embeddings": tied},
        "vision_config": {**_VISION, **vision},
    }


def qwen3_vl_preprocessor_config(
    min_pixels: int = TINY_MIN_PIXELS, max_pixels: int = TINY_MAX_PIXELS
) -> dict:
    """The `preprocessor_config.json` of the published Qwen3-VL image processor, with the given pixel budget."""
    return {
        "do_convert_rgb": True,
        "do_normalize": True,
        "do_rescale": True,
        "do_resize": True,
        "image_mean": [0.5, 0.5, 0.5],
        "image_processor_type": "Qwen2VLImageProcessorFast",
        "image_std": [0.5, 0.5, 0.5],
        "merge_size": 2,
        "patch_size": 16,
        "processor_class": "Qwen3VLProcessor",
        "resample": 3,
        "rescale_factor": 1 / 255,
        "size": {"longest_edge": max_pixels, "shortest_edge": min_pixels},
        "temporal_patch_size": 2,
    }


def build_tiny_qwen3_vl(name: str, out_dir: str, seed: int = 0, init_std: float = 0.08) -> str:
    """Write a random tiny Qwen3-VL checkpoint (weights from transformers, published config) to out_dir."""
    import torch
    import transformers

    cfg = tiny_qwen3_vl_config(name)
    std = {"initializer_range": init_std}
    hf_config = transformers.Qwen3VLConfig.from_dict(
        {
            **cfg,
            **std,
            "text_config": {**cfg["text_config"], **std},
            "vision_config": {**cfg["vision_config"], **std},
        }
    )
    torch.manual_seed(seed)
    model = transformers.Qwen3VLForConditionalGeneration(hf_config).eval()
    # transformers initialises biases to zero and norms to one; random values let the parity tests see them.
    with torch.no_grad():
        for pname, p in model.named_parameters():
            if pname.endswith("bias") or "norm" in pname or "pos_embed" in pname:
                p.add_(torch.randn_like(p) * init_std)
    os.makedirs(out_dir, exist_ok=True)
    model.save_pretrained(out_dir)
    with open(os.path.join(out_dir, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2, sort_keys=True)
    eos = [SPECIAL_TOKEN_IDS["<|im_end|>"], SPECIAL_TOKEN_IDS["<|endoftext|>"]]
    with open(os.path.join(out_dir, "generation_config.json"), "w") as f:
        gen = {"bos_token_id": eos[1], "pad_token_id": eos[1], "eos_token_id": eos, "do_sample": True}
        json.dump({**gen, "top_k": 20, "top_p": 0.8, "temperature": 0.7}, f, indent=2, sort_keys=True)
    build_tiny_tokenizer(
        out_dir, chat_template=QWEN3_VL_CHAT_TEMPLATE, preprocessor_config=qwen3_vl_preprocessor_config()
    )
    return out_dir
