"""The memory a GRPO run will hold, from the checkpoint's config.json and the run's options (no weights loaded).

Parameters are counted exactly from the config (Qwen2-VL, Qwen2.5-VL and Qwen3-VL layouts; `parameter_counts`). What a
rank holds, in bytes (b = 2 for bf16/fp16 weights, 4 for float32; CPU always trains in float32):

- parameters: policy P x b, plus a frozen reference P x b when beta > 0 without LoRA (with LoRA the
  reference is the policy with its adapters off); float32 master weights T x 4 for O2 half precision;
- gradients: T x b (T trainable: all, LoRA adapters only, or without the vision tower with freeze_vision),
  x 4 bytes with --amp_master_grad;
- optimizer: AdamW's two moments, T x 8 (float32);
- activations: one micro-step at a time (one training forward and backward covers its groups): R = P x G
  sequences (P prompts per rank per micro-step, `--per_device_train_batch_size`, G completions each) of S =
  prompt + completion tokens; below G stands for R. Per decoder layer S x G x (8 H + 3 I) x b, plus the eager attention's scores and
  probabilities 2 x heads x S^2 x G x b (flash: none); with --recompute only each layer's input S x G x H x b
  and one layer's full set. Logits of the completion positions G x C x V x 4 x 2 (float32 log-softmax and its
  gradient). The vision tower runs once per prompt over its patches, the same way (x P).
- KV cache of generation (the micro-step's prompts in one call): 2 x layers x kv_heads x head_dim x R x S x b.
- sharding (over `world` ranks): stage1 divides the optimizer state, stage2 also the gradients, stage3 also
  the parameters.

On CPU the process also holds the runtime (Python, Paddle, the tokenizer): `runtime_bytes` measures it in
the running process, so `cpu_training_bytes` is comparable with the peak RSS of a training run
(tests/preflight/test_memory.py checks it within 25%).
"""

from __future__ import annotations

import json
import os
import resource
from dataclasses import dataclass

MIB = 1 << 20
GIB = 1 << 30


def read_model_config(name: str) -> dict:
    """config.json of a checkpoint folder or a hub ID (only that file is fetched for a hub ID)."""
    if os.path.isdir(name):
        path = os.path.join(name, "config.json")
    else:
        from huggingface_hub import hf_hub_download

        path = hf_hub_download(name, "config.json")
    with open(path, encoding="utf-8") as f:
        config = json.load(f)
    text = config.get("text_config")
    if isinstance(text, dict):  # the nested (transformers >= 5) form
        config = {**text, **{k: v for k, v in config.items() if k != "text_config"}}
    return config


@dataclass(frozen=True)
class ParameterCounts:
    """Parameters of a checkpoint, by part."""

    text: int  # embeddings, decoder layers, final norm, and an untied lm_head
    vision: int  # patch embedding, blocks and merger
    layers: int
    hidden: int
    intermediate: int
    heads: int
    kv_heads: int
    vocab: int
    vision_width: int
    vision_depth: int
    vision_heads: int
    vision_mlp: int

    @property
    def total(self) -> int:
        """All parameters."""
        return self.text + self.vision


def _text_parameters(config: dict) -> int:
    """Embeddings, decoder layers, final norm and an untied lm_head of the text decoder."""
    h, inter, n_layers = config["hidden_size"], config["intermediate_size"], config["num_hidden_layers"]
    heads = config["num_attention_heads"]
    kv = config.get("num_key_value_heads", heads)
    vocab = config["vocab_size"]
    if config.get("model_type") == "qwen3_vl":
        # Qwen3: explicit head_dim, no q/k/v bias, an RMSNorm over each head of q and of k.
        d = config.get("head_dim", h // heads)
        attention = h * heads * d + 2 * h * kv * d + heads * d * h + 2 * d
    else:
        kvd = kv * (h // heads)
        attention = (h * h + h) + 2 * (h * kvd + kvd) + h * h
    layer = attention + 3 * h * inter + 2 * h
    return vocab * h + n_layers * layer + h + (0 if config.get("tie_word_embeddings") else vocab * h)


def _vision_parameters(config: dict) -> tuple[int, int, int, int, int]:
    """(parameters, width, depth, heads, mlp width) of the vision tower."""
    v = config["vision_config"]
    merge = v.get("spatial_merge_size", 2) ** 2
    patch_in = (
        v.get("in_chans", v.get("in_channels", 3)) * v.get("temporal_patch_size", 2) * v["patch_size"] ** 2
    )
    kind = config.get("model_type")
    if kind == "qwen3_vl":
        e, mlp, out = v["hidden_size"], v["intermediate_size"], v["out_hidden_size"]
        m = e * merge
        block = 4 * e + (3 * e * e + 3 * e) + (e * e + e) + (e * mlp + mlp) + (mlp * e + e)
        shuffle = m * m + m + m * out + out  # linear_fc1 and linear_fc2 of a merger
        # The final merger normalizes before the 2x2 shuffle (over e); each DeepStack merger after it (over m).
        deepstack = len(v.get("deepstack_visual_indexes", []))
        mergers = (2 * e + shuffle) + deepstack * (2 * m + shuffle)
        # The patch Conv3D has a bias here, and learned positions are interpolated from a table.
        embed = patch_in * e + e + v["num_position_embeddings"] * e
    elif kind == "qwen2_5_vl":
        e, mlp, out = v["hidden_size"], v["intermediate_size"], v["out_hidden_size"]
        block = 2 * e + (3 * e * e + 3 * e) + (e * e + e) + 2 * (e * mlp + mlp) + (mlp * e + e)
        mergers = e + (e * merge) ** 2 + e * merge + e * merge * out + out
        embed = patch_in * e
    else:
        e, out = v["embed_dim"], v["hidden_size"]
        mlp = int(e * v.get("mlp_ratio", 4))
        block = 4 * e + (3 * e * e + 3 * e) + (e * e + e) + (e * mlp + mlp) + (mlp * e + e)
        mergers = 2 * e + (e * merge) ** 2 + e * merge + e * merge * out + out
        embed = patch_in * e
    return embed + v["depth"] * block + mergers, e, v["depth"], v.get("num_heads", 16), mlp


def parameter_counts(config: dict) -> ParameterCounts:
    """Exact parameter counts of a Qwen2-VL / Qwen2.5-VL / Qwen3-VL config.json (`read_model_config`'s form)."""
    vision, e, depth, vision_heads, mlp = _vision_parameters(config)
    h, heads = config["hidden_size"], config["num_attention_heads"]
    return ParameterCounts(
        _text_parameters(config),
        vision,
        config["num_hidden_layers"],
        h,
        config["intermediate_size"],
        heads,
        config.get("num_key_value_heads", heads),
        config["vocab_size"],
        e,
        depth,
        vision_heads,
        mlp,
    )


@dataclass(frozen=True)
class RunShape:
    """What of a run sets its memory: the model's counts and the run's options."""

    counts: ParameterCounts
    num_generations: int
    prompt_tokens: int  # the longest prompt, image tokens included
    completion_tokens: int
    image_patches: int  # vision patches of the largest image (before the 2x2 merge)
    weight_bytes: int  # 2 (bf16/fp16) or 4 (float32)
    master_weights: bool  # O2: float32 master copy beside half-precision weights
    master_grads: bool
    recompute: bool
    flash: bool
    reference: bool  # a separate frozen reference model (beta > 0 without LoRA)
    trainable: int  # trainable parameters
    sharding_stage: int  # 0 (data parallel), 1, 2 or 3
    world: int
    prompts: int = 1  # prompts per rank per micro-step: one forward covers prompts x num_generations rows


def trainable_parameters(
    counts: ParameterCounts, lora_rank: int, lora_targets: int, freeze_vision: bool
) -> int:
    """Trainable parameters: LoRA adapters on the decoder's linear layers, or all (minus the vision tower)."""
    if lora_rank > 0:
        h, i, kvd = counts.hidden, counts.intermediate, counts.kv_heads * (counts.hidden // counts.heads)
        per_layer = {
            "q": h + h,
            "k": h + kvd,
            "v": h + kvd,
            "o": h + h,
            "gate": h + i,
            "up": h + i,
            "down": i + h,
        }
        shapes = list(per_layer.values())[: max(1, min(lora_targets, len(per_layer)))]
        return counts.layers * lora_rank * sum(shapes)
    return counts.text + (0 if freeze_vision else counts.vision)


def budget(shape: RunShape) -> dict[str, int]:
    """Bytes per rank of parameters, gradients, optimizer state, activations and KV cache (module docstring)."""
    c, b, g = shape.counts, shape.weight_bytes, shape.num_generations * shape.prompts
    s = shape.prompt_tokens + shape.completion_tokens
    shard = {
        k: shape.world if shape.sharding_stage >= stage else 1
        for k, stage in (("opt", 1), ("grad", 2), ("par", 3))
    }
    params = c.total * b * (2 if shape.reference else 1) + (
        shape.trainable * 4 if shape.master_weights else 0
    )
    grads = shape.trainable * (4 if shape.master_grads else b)
    optimizer = shape.trainable * 8
    per_layer = s * g * (8 * c.hidden + 3 * c.intermediate) * b
    attention = 0 if shape.flash else 2 * c.heads * s * s * g * b
    if shape.recompute:
        text = c.layers * s * g * c.hidden * b + per_layer + attention
    else:
        text = c.layers * (per_layer + attention)
    p = shape.image_patches
    vision_layer = p * (8 * c.vision_width + 2 * c.vision_mlp) * b + (
        0 if shape.flash else 2 * c.vision_heads * p * p * b
    )
    vision = shape.prompts * (
        (c.vision_depth * p * c.vision_width * b + vision_layer)
        if shape.recompute
        else c.vision_depth * vision_layer
    )
    logits = g * shape.completion_tokens * c.vocab * 4 * 2
    kv = 2 * c.layers * c.kv_heads * (c.hidden // c.heads) * g * s * b
    return {
        "parameters": params // shard["par"],
        "gradients": grads // shard["grad"],
        "optimizer": optimizer // shard["opt"],
        "activations": text + vision + logits,
        "kv_cache": kv,
    }


def runtime_bytes() -> int:
    """The resident memory of this process now (Python, Paddle and the libraries a run imports), in bytes."""
    try:
        with open("/proc/self/statm", encoding="ascii") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def cpu_training_bytes(shape: RunShape, runtime: int) -> int:
    """What CPU training holds at its peak: the runtime plus the budget's parts (float32; no sharding on CPU)."""
    return runtime + sum(budget(shape).values())


def recommendations(shape: RunShape, gpu_bytes: float) -> list[str]:
    """Changes that bring a run under `gpu_bytes` per rank, cheapest first (empty when it fits)."""
    if sum(budget(shape).values()) <= gpu_bytes:
        return []
    tips = []
    if not shape.recompute:
        tips.append(("--recompute", dict(recompute=True)))
    for stage in (1, 2, 3):
        if shape.sharding_stage < stage and shape.world > 1:
            tips.append((f"--sharding stage{stage}", dict(sharding_stage=stage)))
    if shape.prompts > 1:
        tips.append(("--per_device_train_batch_size 1 (more --gradient_accumulation_steps)", dict(prompts=1)))
    tips.append(
        (
            "--num_generations " + str(max(2, shape.num_generations // 2)),
            dict(num_generations=max(2, shape.num_generations // 2)),
        )
    )
    out, current = [], shape
    for flag, change in tips:
        current = RunShape(**{**current.__dict__, **change})
        total = sum(budget(current).values())
        out.append(f"{flag} -> {total / GIB:.1f} GiB")
        if total <= gpu_bytes:
            break
    else:
        out.append("LoRA (--lora_rank 64) trains adapters only: no full gradients or optimizer state")
    return out
