"""LoRA adapters in Hugging Face PEFT's layout: `adapter_config.json` + `adapter_model.safetensors`.

    save_peft_adapters(model, "adapter", config, base_model_name_or_path="Qwen2-VL-2B-Instruct")
    # torch: PeftModel.from_pretrained(Qwen2VLForConditionalGeneration.from_pretrained(base), "adapter")
    load_peft_adapters(model, "adapter")       # back into a Paddle model (adds the LoRA layers)

PEFT names a tensor `base_model.model.<torch module path>.lora_A.weight` (r, in) and `...lora_B.weight`
(out, r). The torch module paths are those of transformers >= 4.52, which nests the decoder and the vision
tower under `model.` (`model.language_model.layers.N...`, `model.visual...`); the hub checkpoint keys, and
this package's names, are `model.layers.N...` and `visual...`. `target_modules` lists the adapted modules by
full path, so PEFT adapts exactly them and never the vision tower's like-named projections.
"""

from __future__ import annotations

import json
import os

import paddle
from safetensors import safe_open
from safetensors.paddle import save_file

from paddlemix.file_modes import honour_umask
from paddlemix.models.checkpoint import package_module_path, torch_module_path
from paddlemix.peft.lora import LoraConfig, apply_lora, lora_layers

ADAPTER_CONFIG = "adapter_config.json"
ADAPTER_WEIGHTS = "adapter_model.safetensors"
PREFIX = "base_model.model."


def save_peft_adapters(
    model, path: str, config: LoraConfig, base_model_name_or_path: str | None = None
) -> None:
    """Write the LoRA adapters (and only them) in PEFT's layout; fully trained vision weights are refused."""
    layers = lora_layers(model)
    if not layers:
        raise ValueError("the model has no LoRA adapters")
    if not (config.freeze_vision_tower and config.freeze_merger):
        raise ValueError(
            "PEFT's layout here holds LoRA adapters only; with the vision tower or merger trained in full, "
            "export the merged model (paddlemix.peft.save_merged) instead"
        )
    os.makedirs(path, exist_ok=True)
    tensors = {}
    for name, layer in layers.items():
        key = PREFIX + torch_module_path(name)
        # .T is a strided view in Paddle 3; safetensors needs packed memory.
        tensors[f"{key}.lora_A.weight"] = layer.lora_A.detach().T.contiguous()
        tensors[f"{key}.lora_B.weight"] = layer.lora_B.detach().T.contiguous()
    save_file(tensors, os.path.join(path, ADAPTER_WEIGHTS), metadata={"format": "pt"})
    honour_umask(os.path.join(path, ADAPTER_WEIGHTS))
    adapter_config = {
        "peft_type": "LORA",
        "task_type": None,
        "base_model_name_or_path": base_model_name_or_path or getattr(model, "name_or_path", None),
        "r": config.rank,
        "lora_alpha": config.alpha,
        "lora_dropout": config.dropout,
        "target_modules": [torch_module_path(n) for n in layers],
        "bias": "none",
        "fan_in_fan_out": False,
        "use_rslora": False,
        "use_dora": False,
        "modules_to_save": None,
        "inference_mode": True,
        "init_lora_weights": True,
    }
    with open(os.path.join(path, ADAPTER_CONFIG), "w") as f:
        json.dump(adapter_config, f, indent=2)


def read_adapter_config(path: str) -> LoraConfig:
    """The LoraConfig of a PEFT adapter directory; variants this package does not compute are an error."""
    with open(os.path.join(path, ADAPTER_CONFIG)) as f:
        cfg = json.load(f)
    if cfg.get("peft_type") != "LORA":
        raise ValueError(f"{path}: peft_type {cfg.get('peft_type')!r} is not LORA")
    for flag in ("use_rslora", "use_dora", "fan_in_fan_out"):
        if cfg.get(flag):
            raise ValueError(f"{path}: {flag}=true is not supported")
    if cfg.get("bias", "none") != "none" or cfg.get("modules_to_save"):
        raise ValueError(f"{path}: only LoRA A/B weights are supported (bias='none', no modules_to_save)")
    targets = cfg.get("target_modules") or []
    if isinstance(targets, str):
        raise ValueError(f"{path}: a regex target_modules is not supported; list the modules")
    return LoraConfig(
        rank=int(cfg["r"]),
        alpha=float(cfg["lora_alpha"]),
        dropout=float(cfg.get("lora_dropout", 0.0)),
        target_modules=tuple(sorted({t.rsplit(".", 1)[-1] for t in targets})),
    )


def load_peft_adapters(model, path: str) -> LoraConfig:
    """Add the adapters of a PEFT directory to a base model (freezing the rest); returns their config."""
    config = read_adapter_config(path)
    with safe_open(os.path.join(path, ADAPTER_WEIGHTS), framework="np") as f:
        tensors = {k: f.get_tensor(k) for k in f.keys()}
    modules = {}
    for key, value in tensors.items():
        if not key.startswith(PREFIX) or not key.endswith((".lora_A.weight", ".lora_B.weight")):
            raise ValueError(f"{path}: unexpected tensor {key}")
        module, which = key[len(PREFIX) :].rsplit(".", 2)[:2]
        modules.setdefault(package_module_path(module), {})[which] = value
    apply_lora(model, config)
    layers = lora_layers(model)
    if set(layers) != set(modules):
        extra, missing = sorted(set(modules) - set(layers)), sorted(set(layers) - set(modules))
        raise ValueError(
            f"{path}: adapters for {extra[:3]} match no target; targets without adapters {missing[:3]}"
        )
    for name, layer in layers.items():
        for which, param in (("lora_A", layer.lora_A), ("lora_B", layer.lora_B)):
            value = modules[name][which].T
            if list(value.shape) != list(param.shape):
                raise ValueError(
                    f"{path}: {name}.{which} has shape {list(value.shape)[::-1]} (stored), expected {list(param.shape)[::-1]}"
                )
            param.set_value(paddle.to_tensor(value).astype(param.dtype))
    return config
