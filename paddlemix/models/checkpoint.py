"""Load and save checkpoints in the Hugging Face hub layout, with no conversion step.

Reading streams tensor by tensor from `model.safetensors` or from the shards named by
`model.safetensors.index.json`, so host memory peaks near one copy of the weights. Paddle stores Linear weights
as (in, out) and the hub as (out, in); the transpose happens here and nowhere else. Writing produces the same
layout back (safetensors with `format: pt` metadata, sharded with an index when large), so a trained policy can
be served by any HF-compatible engine.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import re
import shutil

import paddle
import paddle.nn as nn
from safetensors import SafetensorError, safe_open
from safetensors.paddle import save_file

from paddlemix.errors import UserError
from paddlemix.file_modes import honour_umask

from .hub import resolve_model_path

WEIGHTS_NAME = "model.safetensors"
INDEX_NAME = "model.safetensors.index.json"

# In-memory module paths of transformers >= 4.52, which some exports write instead of the published keys.
_KEY_RENAMES = [
    (re.compile(r"^model\.language_model\."), "model."),
    (re.compile(r"^model\.visual\."), "visual."),
    (re.compile(r"^language_model\.model\."), "model."),
    (re.compile(r"^language_model\.lm_head\."), "lm_head."),
]


# (package prefix, transformers >= 4.52 module prefix): the torch module paths, which Qwen3-VL's published
# checkpoints and PEFT adapters use as names.
_TORCH_PATHS = (("model.", "model.language_model."), ("visual.", "model.visual."))


def torch_module_path(name: str) -> str:
    """`model.layers.0.self_attn.q_proj` -> `model.language_model.layers.0.self_attn.q_proj`."""
    for ours, theirs in _TORCH_PATHS:
        if name.startswith(ours):
            return theirs + name[len(ours) :]
    return name


def package_module_path(name: str) -> str:
    """The inverse of `torch_module_path`."""
    for ours, theirs in _TORCH_PATHS:
        if name.startswith(theirs):
            return ours + name[len(theirs) :]
    return name


class CheckpointError(UserError, ValueError):
    """A checkpoint directory that cannot be loaded; the message names the file and key."""


def hub_key_to_param(key: str) -> str:
    """Map a checkpoint key to this package's parameter name (identical for the published layout)."""
    for pattern, repl in _KEY_RENAMES:
        key = pattern.sub(repl, key)
    return key


def checkpoint_files(path: str) -> tuple[list[str], dict | None]:
    """Return the safetensors files of a checkpoint directory and its index's weight_map (None if unsharded)."""
    index_path = os.path.join(path, INDEX_NAME)
    single = os.path.join(path, WEIGHTS_NAME)
    if os.path.isfile(index_path):
        with open(index_path) as f:
            weight_map = json.load(f).get("weight_map")
        if not isinstance(weight_map, dict) or not weight_map:
            raise CheckpointError(f"{index_path}: no 'weight_map' in the index")
        files = sorted(set(weight_map.values()))
        for name in files:
            if not os.path.isfile(os.path.join(path, name)):
                users = sorted(k for k, v in weight_map.items() if v == name)
                raise CheckpointError(
                    f"missing shard {name} in {path}: {INDEX_NAME} maps {len(users)} tensors to it "
                    f"(e.g. {users[0]})"
                )
        return [os.path.join(path, n) for n in files], weight_map
    if os.path.isfile(single):
        return [single], None
    if not os.path.isdir(path):
        raise CheckpointError(f"checkpoint directory {path} does not exist")
    raise CheckpointError(f"no {WEIGHTS_NAME} or {INDEX_NAME} in {path}")


def linear_weight_names(model: nn.Layer) -> set:
    """Names of the parameters stored transposed relative to the hub: the weights of nn.Linear layers."""
    return {
        f"{name}.weight" if name else "weight"
        for name, layer in model.named_sublayers()
        if isinstance(layer, nn.Linear)
    }


@contextlib.contextmanager
def open_weights(file: str):
    """`safe_open` a weight file; a truncated or corrupt one is a CheckpointError that names the file."""
    try:
        handle = safe_open(file, framework="paddle")
    except (SafetensorError, OSError) as e:
        raise CheckpointError(
            f"not a readable safetensors file ({e})", where=file, fix="download or copy it again"
        ) from e
    with handle as f:
        yield f


def read_tensor(f, file: str, key: str):
    """Tensor `key` of an open weight file; a read failure is a CheckpointError naming the file and tensor."""
    try:
        return f.get_tensor(key)
    except (SafetensorError, OSError, ValueError) as e:
        raise CheckpointError(
            f"tensor {key} cannot be read ({e})", where=file, fix="download or copy it again"
        ) from e


def load_checkpoint(model: nn.Layer, path: str, ignore_keys: tuple = ()) -> None:
    """Copy every tensor of a hub checkpoint into `model`, checking names and shapes."""
    files, weight_map = checkpoint_files(path)
    params = dict(model.named_parameters())
    transposed = linear_weight_names(model)
    loaded, unexpected = set(), []
    for file in files:
        with open_weights(file) as f:
            for key in f.keys():
                name = hub_key_to_param(key)
                if name in ignore_keys:
                    continue
                if name not in params:
                    unexpected.append(key)
                    continue
                param = params[name]
                shape = list(f.get_slice(key).get_shape())
                expected = list(param.shape)[::-1] if name in transposed else list(param.shape)
                if shape != expected:
                    raise CheckpointError(
                        f"tensor {key} has shape {shape}, the model expects {expected}",
                        where=file,
                        fix="is this checkpoint for this model's config.json?",
                    )
                tensor = read_tensor(f, file, key)
                if name in transposed:
                    tensor = tensor.T
                param.set_value(tensor.astype(param.dtype))
                del tensor
                loaded.add(name)
    missing = sorted(set(params) - loaded)
    if missing:
        where = f"{INDEX_NAME} has no entry for" if weight_map is not None else f"{WEIGHTS_NAME} lacks"
        raise CheckpointError(f"{path}: {where} {len(missing)} tensors the model needs, e.g. {missing[:5]}")
    if unexpected:
        raise CheckpointError(f"{path}: {len(unexpected)} tensors match no parameter, e.g. {unexpected[:5]}")


_BYTES = {"float32": 4, "bfloat16": 2, "float16": 2, "float64": 8}


def dtype_name(dtype) -> str:
    """'float32' for paddle.float32 (and for 'float32')."""
    return str(dtype).replace("paddle.", "")


def _parse_size(size) -> int:
    if isinstance(size, int):
        return size
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([KMG]?B)\s*", str(size).upper())
    if not m:
        raise ValueError(f"max_shard_size {size!r} is not like '5GB' or '500MB'")
    return int(float(m.group(1)) * {"B": 1, "KB": 2**10, "MB": 2**20, "GB": 2**30}[m.group(2)])


def save_checkpoint(model: nn.Layer, path: str, dtype=None, max_shard_size="5GB") -> None:
    """Write the model's weights as hub-layout safetensors (sharded with an index above max_shard_size).

    Keys are the model's `hub_key(name)` when it has one (the published names), else the parameter names.
    """
    os.makedirs(path, exist_ok=True)
    for stale in (WEIGHTS_NAME, INDEX_NAME):
        with contextlib.suppress(FileNotFoundError):
            os.remove(os.path.join(path, stale))
    limit = _parse_size(max_shard_size)
    hub_key = getattr(model, "hub_key", str)
    transposed = linear_weight_names(model)
    params = dict(model.named_parameters())
    names = sorted(params)
    shards, current, size = [], [], 0
    for name in names:
        nbytes = params[name].numel().item() * _BYTES[dtype or dtype_name(params[name].dtype)]
        if current and size + nbytes > limit:
            shards.append(current)
            current, size = [], 0
        current.append(name)
        size += nbytes
    shards.append(current)
    weight_map, total = {}, 0
    for i, shard in enumerate(shards):
        fname = WEIGHTS_NAME if len(shards) == 1 else f"model-{i + 1:05d}-of-{len(shards):05d}.safetensors"
        tensors = {}
        for name in shard:
            key = hub_key(name)
            t = params[name].detach()
            if name in transposed:
                # .T is a strided view in Paddle 3; safetensors needs packed memory.
                t = t.T.contiguous()
            if dtype is not None:
                t = t.astype(dtype)
            tensors[key] = t
            total += t.numel().item() * _BYTES[dtype_name(t.dtype)]
            weight_map[key] = fname
        save_file(tensors, os.path.join(path, fname), metadata={"format": "pt"})
        honour_umask(os.path.join(path, fname))
        del tensors
    if len(shards) > 1:
        with open(os.path.join(path, INDEX_NAME), "w") as f:
            json.dump(
                {"metadata": {"total_size": total}, "weight_map": weight_map}, f, indent=2, sort_keys=True
            )


@contextlib.contextmanager
def default_dtype(dtype):
    """Create parameters directly in `dtype`, so a bf16 model never exists as a float32 copy."""
    old = paddle.get_default_dtype()
    paddle.set_default_dtype(dtype)
    try:
        yield
    finally:
        paddle.set_default_dtype(old)


class PretrainedModel(nn.Layer):
    """`from_pretrained` / `save_pretrained` for a model class with a `config_class`."""

    config_class = None

    def tied_keys(self) -> tuple:
        """Checkpoint keys that are ignored on load because the model ties them to another weight."""
        return ()

    def hub_key(self, name: str) -> str:
        """The checkpoint key that `save_pretrained` writes for parameter `name` (the same name by default)."""
        return name

    @classmethod
    def from_pretrained(cls, path: str, dtype: str | None = None, **config_overrides):
        """Load a checkpoint folder or hub ID (`models/hub.py`); `dtype` defaults to the checkpoint's `torch_dtype`."""
        path = resolve_model_path(path)
        config = cls.config_class.from_pretrained(path, **config_overrides)
        dtype = dtype or config.torch_dtype or "float32"
        with default_dtype(dtype):
            model = cls(config)
        load_checkpoint(model, path, ignore_keys=model.tied_keys())
        model.name_or_path = path
        model.eval()
        return model

    def save_pretrained(self, path: str, dtype: str | None = None, max_shard_size="5GB") -> None:
        """Write config.json and safetensors weights in the hub layout (plus the source's generation config)."""
        weights_dtype = dtype or dtype_name(next(iter(self.parameters())).dtype)
        dataclasses.replace(self.config, torch_dtype=weights_dtype).save_pretrained(path)
        save_checkpoint(self, path, dtype=dtype, max_shard_size=max_shard_size)
        src = getattr(self, "name_or_path", None)
        gen = os.path.join(src, "generation_config.json") if src else None
        if gen and os.path.isfile(gen) and os.path.abspath(src) != os.path.abspath(path):
            shutil.copy(gen, os.path.join(path, "generation_config.json"))
