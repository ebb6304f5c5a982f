"""LoRA for the models' Linear layers, applied from outside the model classes.

    config = LoraConfig(rank=8, alpha=16)
    names = apply_lora(model, config)          # model.layers.N.self_attn.q_proj, ... (the adapted modules)
    with adapters_disabled(model):             # the base model, e.g. GRPO's frozen reference
        ref_logits = model(**inputs).logits
    save_merged(model, "exported")             # a plain hub-layout checkpoint with W + s * A @ B

A `LoraLinear` takes over the base layer's own `weight` and `bias` parameters (no copy), so the base weights
keep their checkpoint names (`model.layers.0.self_attn.q_proj.weight`) and the adapters sit beside them
(`...q_proj.lora_A`, `...q_proj.lora_B`). Paddle stores Linear weights (in, out), so the update is
`y = x @ W + b + s * dropout(x) @ A @ B` with A: (in, r), B: (r, out), s = alpha / r; PEFT's layout stores
the transposes (paddlemix/peft/peft_format.py). B starts at zero, so a freshly adapted model is the base model.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math

import paddle
import paddle.nn as nn

from paddlemix.models.linear import Linear

# The text decoder's projections; the vision tower's Linears are never adapted (VLM-R1 and R1-V do the same).
DEFAULT_TARGET_MODULES = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")
# Module path prefixes: the text decoder's layers, and the vision tower's merger and tower.
TEXT_LAYERS = "model.layers."
VISION = "visual."
MERGER = ("visual.merger.", "visual.deepstack_merger_list.")  # Qwen3-VL's DeepStack mergers project too


@dataclasses.dataclass
class LoraConfig:
    """What to adapt and how; `rank=0` means no LoRA."""

    rank: int = 8  # r, the inner dimension of A (in, r) and B (r, out)
    alpha: float = 16.0  # the update is scaled by alpha / rank
    dropout: float = 0.0  # dropout on the adapter's input, training mode only
    target_modules: tuple = DEFAULT_TARGET_MODULES  # last names of the text decoder's Linears to adapt
    freeze_vision_tower: bool = True  # False: the vision tower (without its merger) trains in full
    freeze_merger: bool = True  # False: the merger (vision -> text projection) trains in full

    def __post_init__(self):
        """Validate the values."""
        if isinstance(self.target_modules, str):
            self.target_modules = tuple(t.strip() for t in self.target_modules.split(",") if t.strip())
        self.target_modules = tuple(self.target_modules)
        if self.rank < 0:
            raise ValueError(f"lora rank must be >= 0, got {self.rank}")
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"lora dropout must be in [0, 1), got {self.dropout}")
        if self.rank and not self.target_modules:
            raise ValueError("lora target_modules is empty")

    @property
    def scaling(self) -> float:
        """s = alpha / rank."""
        return self.alpha / self.rank


def _adopt(cls, base: nn.Linear):
    """An instance of `cls` (a Linear subclass) that owns base's weight and bias parameters.

    nn.Linear.__init__ would allocate a fresh (in, out) weight; for a 7B model that is a transient copy of
    every adapted matrix, so the layer is initialised as a bare Layer and handed the existing parameters.
    """
    layer = cls.__new__(cls)
    nn.Layer.__init__(layer)
    layer._dtype = base._dtype
    layer._weight_attr = getattr(base, "_weight_attr", None)
    layer._bias_attr = getattr(base, "_bias_attr", None)
    layer.name = getattr(base, "name", None)
    layer.weight = base.weight
    layer.bias = base.bias
    layer.training = base.training
    return layer


class LoraLinear(Linear):
    """A Linear with a low-rank update: x @ W + b + s * dropout(x) @ A @ B; W and b are the base layer's."""

    @classmethod
    def wrap(cls, base: nn.Linear, rank: int, alpha: float, dropout: float) -> LoraLinear:
        """Adapt `base` in place of itself; A is uniform(+-1/sqrt(in)) as in PEFT, B is zero."""
        layer = _adopt(cls, base)
        fan_in, fan_out = base.weight.shape
        layer.rank, layer.scaling = rank, alpha / rank
        bound = 1.0 / math.sqrt(fan_in)
        layer.lora_A = layer.create_parameter(
            [fan_in, rank],
            dtype=base.weight.dtype,
            default_initializer=nn.initializer.Uniform(-bound, bound),
        )
        layer.lora_B = layer.create_parameter(
            [rank, fan_out], dtype=base.weight.dtype, default_initializer=nn.initializer.Constant(0.0)
        )
        layer.lora_dropout = nn.Dropout(dropout) if dropout > 0 else None
        layer.merged = False
        layer.disabled = False
        return layer

    def delta_weight(self) -> paddle.Tensor:
        """s * A @ B: (in, out), what merging adds to W."""
        return paddle.matmul(self.lora_A, self.lora_B) * self.scaling

    def forward(self, x: paddle.Tensor) -> paddle.Tensor:
        """x: (..., in) -> (..., out)."""
        out = super().forward(x)
        if self.merged or self.disabled:
            return out
        h = self.lora_dropout(x) if self.lora_dropout is not None else x
        return out + paddle.matmul(paddle.matmul(h, self.lora_A), self.lora_B) * self.scaling


def lora_layers(model: nn.Layer) -> dict[str, LoraLinear]:
    """The adapted modules by name, in model order."""
    return {name: layer for name, layer in model.named_sublayers() if isinstance(layer, LoraLinear)}


def _set_sublayer(model: nn.Layer, name: str, layer: nn.Layer) -> None:
    """Replace the sublayer at dotted path `name`."""
    *path, last = name.split(".")
    parent = model
    for part in path:
        parent = getattr(parent, part)
    setattr(parent, last, layer)


def target_names(model: nn.Layer, target_modules) -> list[str]:
    """Names of the text decoder's Linears whose last name is in target_modules; unknown targets are an error."""
    names, seen = [], set()
    for name, layer in model.named_sublayers():
        last = name.rsplit(".", 1)[-1]
        if name.startswith(TEXT_LAYERS) and isinstance(layer, nn.Linear) and last in target_modules:
            names.append(name)
            seen.add(last)
    missing = [t for t in target_modules if t not in seen]
    if missing:
        known = sorted(
            {
                n.rsplit(".", 1)[-1]
                for n, layer in model.named_sublayers()
                if n.startswith(TEXT_LAYERS) and isinstance(layer, nn.Linear)
            }
        )
        raise ValueError(f"lora target_modules {missing} match no Linear of the text decoder; known: {known}")
    return names


def apply_lora(model: nn.Layer, config: LoraConfig) -> list[str]:
    """Adapt the target Linears in place and freeze the rest (see `LoraConfig`); returns the adapted names."""
    if lora_layers(model):
        raise ValueError("the model already has LoRA adapters")
    names = target_names(model, config.target_modules)
    for name in names:
        base = dict(model.named_sublayers())[name]
        _set_sublayer(model, name, LoraLinear.wrap(base, config.rank, config.alpha, config.dropout))
    for pname, param in model.named_parameters():
        in_tower = pname.startswith(VISION) and not pname.startswith(MERGER)
        param.stop_gradient = not (
            pname.endswith((".lora_A", ".lora_B"))
            or (in_tower and not config.freeze_vision_tower)
            or (pname.startswith(MERGER) and not config.freeze_merger)
        )
    return names


def trainable_state_dict(model: nn.Layer) -> dict[str, paddle.Tensor]:
    """The parameters that train (adapters, plus the vision tower or merger when unfrozen), by name."""
    return {name: p for name, p in model.named_parameters() if not p.stop_gradient}


@contextlib.contextmanager
def adapters_disabled(model: nn.Layer):
    """Inside the block the model computes as its base (the adapters are skipped); GRPO's reference."""
    layers = list(lora_layers(model).values())
    if any(layer.merged for layer in layers):
        raise ValueError("adapters are merged into the weights; unmerge them before disabling")
    for layer in layers:
        layer.disabled = True
    try:
        yield model
    finally:
        for layer in layers:
            layer.disabled = False


@paddle.no_grad()
def merge_adapters(model: nn.Layer) -> None:
    """W += s * A @ B in every adapted layer (the forward then skips the adapters)."""
    for layer in lora_layers(model).values():
        if not layer.merged:
            layer.weight.set_value(layer.weight + layer.delta_weight().astype(layer.weight.dtype))
            layer.merged = True


@paddle.no_grad()
def unmerge_adapters(model: nn.Layer) -> None:
    """W -= s * A @ B: the inverse of `merge_adapters`, up to rounding."""
    for layer in lora_layers(model).values():
        if layer.merged:
            layer.weight.set_value(layer.weight - layer.delta_weight().astype(layer.weight.dtype))
            layer.merged = False


def merge_and_unload(model: nn.Layer) -> nn.Layer:
    """Merge the adapters for good and put plain Linears back: the model is then a base model again."""
    merge_adapters(model)
    for name, layer in lora_layers(model).items():
        _set_sublayer(model, name, _adopt(Linear, layer))
    return model


@contextlib.contextmanager
def merged_and_unloaded(model: nn.Layer):
    """Inside the block the model is a plain base model with merged weights; afterwards it is exactly as before.

    The adapted weights are copied to host memory and restored from there, so exporting during training
    does not accumulate the rounding of merge + unmerge.
    """
    layers = lora_layers(model)
    if any(layer.merged for layer in layers.values()):
        raise ValueError("adapters are already merged")
    saved = {name: layer.weight.detach().cpu().clone() for name, layer in layers.items()}
    merge_and_unload(model)
    try:
        yield model
    finally:
        with paddle.no_grad():
            for name, layer in layers.items():
                layer.weight.set_value(saved[name].to(layer.weight.place))
                layer.merged = False
                _set_sublayer(model, name, layer)


def save_merged(model: nn.Layer, path: str, dtype: str | None = None) -> None:
    """Write the merged model in the hub layout with the model's `save_pretrained` (loads in transformers)."""
    with merged_and_unloaded(model):
        model.save_pretrained(path, dtype=dtype)
