"""Typed configs: a dataclass of section dataclasses, filled from defaults, then a YAML file, then the command line.

A config is a top-level dataclass whose fields are sections (themselves dataclasses), e.g.

    @dataclass
    class TrainConfig:
        model: ModelConfig = field(default_factory=ModelConfig)
        grpo: GRPOConfig = field(default_factory=GRPOConfig)

Each field is declared with `opt(default, "what it does")`: the one place it is documented, which `--help`
prints. Field names are unique across sections, so the command line stays flat, as the seed's scripts
write it (`--learning_rate 1e-6`); `--grpo.beta 0` names the section explicitly.

    cfg = load_config(TrainConfig, ["--config", "run.yaml", "--beta", "0", "--do_train"])

- YAML: sections as mappings (`grpo: {beta: 0.0}`) or flat keys (`beta: 0.0`), or both.
- Values: `--name value` or `--name=value`; a bool flag alone means True and also takes True/False/1/0;
  a list field takes several values (`--reward_funcs accuracy format`) or one comma-separated string.
- An unknown key or flag is an error that lists the known ones; a value of the wrong type names its flag.
- Validation lives in the dataclasses' `__post_init__` (per section, then across sections on the top
  level), so an object built in Python is checked exactly like one loaded from the command line.
- An option that would have no effect is an error, whatever its value: the checks ask which fields the YAML
  or the command line set (`is_set`), not whether a value differs from the default. One exception: a command-line flag that switches a
  feature off (`--save_strategy no`) over a YAML that configures that feature (`save_steps: 100`). That is
  what users do, so the YAML's options of the switched-off feature are dropped with a one-line warning. A
  section declares these in `SWITCHES` (`Switch`). Options set beside the switch in the same source (both in
  the YAML, or both on the command line) stay an error.
"""

from __future__ import annotations

import contextvars
import dataclasses
import logging
import sys
import types
import typing
from collections.abc import Callable, Sequence
from typing import Any

import yaml

from paddlemix.config.flag_aliases import translate_flags
from paddlemix.errors import UserError

logger = logging.getLogger(__name__)

_TRUE = {"true", "1", "yes", "y", "on"}
_FALSE = {"false", "0", "no", "n", "off"}


class ConfigError(UserError, ValueError):
    """A config that cannot be built; the message names the key or flag at fault."""


# The flat names the YAML and the command line set, while `build_config` builds the sections from them.
_GIVEN: contextvars.ContextVar[frozenset | None] = contextvars.ContextVar("given_options", default=None)


def is_set(section, *names: str) -> bool:
    """Whether the user set any of the fields `names` of `section` (in the YAML or on the command line).

    "No effect" checks ask this, not whether the value differs from the default: `--advantage_epsilon 1e-4`
    given beside `--scale_rewards none` is as ineffective as `2e-4`. A section built directly in Python has
    no record of what was given; there a field counts as set when it differs from its default.
    """
    given = _GIVEN.get()
    if given is not None:
        return any(name in given for name in names)
    fields = {f.name: f for f in dataclasses.fields(section)}
    for name in names:
        f = fields[name]
        default = f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default
        if getattr(section, name) != default:
            return True
    return False


@dataclasses.dataclass(frozen=True)
class Switch:
    """Flags that can switch a feature off, and the options that feature reads (no effect once it is off)."""

    flags: tuple[str, ...]  # the flags whose command-line value may switch the feature off
    off: Callable[[dict], bool]  # whether the feature is off, given flat name -> coerced value
    options: tuple[str, ...]  # the options of the feature
    feature: str  # names the feature in the warning, e.g. "saving"


def opt(default: Any = dataclasses.MISSING, doc: str = "", *, factory=None):
    """A documented dataclass field: `x: int = opt(3, "what x does")`; lists/dicts use `factory=`."""
    if factory is not None:
        return dataclasses.field(default_factory=factory, metadata={"doc": doc})
    return dataclasses.field(default=default, metadata={"doc": doc})


def section(cls):
    """A section field of a top-level config, built from its defaults."""
    return dataclasses.field(default_factory=cls, metadata={"section": True})


def _sections(cls) -> dict[str, type]:
    """name -> section dataclass of a top-level config class."""
    hints = typing.get_type_hints(cls)
    return {f.name: hints[f.name] for f in dataclasses.fields(cls) if dataclasses.is_dataclass(hints[f.name])}


def field_index(cls) -> dict[str, tuple[str, dataclasses.Field, Any]]:
    """Flat field name -> (section name, field, type) over all sections; duplicate names are an error."""
    index: dict[str, tuple[str, dataclasses.Field, Any]] = {}
    for sec_name, sec_cls in _sections(cls).items():
        hints = typing.get_type_hints(sec_cls)
        for f in dataclasses.fields(sec_cls):
            if f.name in index:
                raise ConfigError(f"field {f.name!r} is in both {index[f.name][0]!r} and {sec_name!r}")
            index[f.name] = (sec_name, f, hints[f.name])
    return index


def _unwrap_optional(tp) -> tuple[Any, bool]:
    """(inner type, allows None) for `X | None` / `Optional[X]`."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(args) == 1 and len(typing.get_args(tp)) == 2:
            return args[0], True
    return tp, False


def coerce(value: Any, tp, name: str) -> Any:
    """`value` (a YAML value or a command-line string) converted to the field type `tp`."""
    inner, nullable = _unwrap_optional(tp)
    if value is None or (nullable and isinstance(value, str) and value.lower() in ("none", "null")):
        if nullable:
            return None
        raise ConfigError(f"--{name} cannot be None")
    origin = typing.get_origin(inner)
    if origin in (list, tuple, Sequence):
        (item_tp,) = typing.get_args(inner)[:1] or (str,)
        items = value if isinstance(value, (list, tuple)) else [value]
        # "a,b" and "a b" (several command-line words) both give [a, b].
        flat = [
            p.strip()
            for v in items
            for p in (v.split(",") if isinstance(v, str) else [v])
            if not isinstance(p, str) or p.strip()
        ]
        return [coerce(v, item_tp, name) for v in flat]
    if inner is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        if isinstance(value, str) and value.lower() in _TRUE | _FALSE:
            return value.lower() in _TRUE
        raise ConfigError(f"--{name} takes True or False, got {value!r}")
    if inner in (int, float):
        if isinstance(value, bool):
            raise ConfigError(f"--{name} takes a number, got {value!r}")
        try:
            number = (
                float(value) if inner is float else int(str(value), 0) if isinstance(value, str) else value
            )
        except ValueError:
            raise ConfigError(
                f"--{name} takes {'a number' if inner is float else 'an integer'}, got {value!r}"
            ) from None
        if inner is int and isinstance(number, float):
            if not number.is_integer():
                raise ConfigError(f"--{name} takes an integer, got {value!r}")
            number = int(number)
        return inner(number)
    if inner is str:
        if isinstance(value, (dict, list)):
            raise ConfigError(f"--{name} takes a string, got {value!r}")
        return str(value)
    return value


def _read_yaml(path: str) -> dict:
    """The mapping in a YAML config file."""
    try:
        with open(path, encoding="utf-8") as f:
            data = yaml.safe_load(f) or {}
    except FileNotFoundError:
        raise ConfigError(f"--config {path}: no such file") from None
    except IsADirectoryError:
        raise ConfigError(f"--config {path}: a directory, not a YAML file") from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else path
        problem = getattr(e, "problem", None) or str(e)
        raise ConfigError(f"not valid YAML ({problem})", where=where) from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of config fields, got {type(data).__name__}")
    return data


def _yaml_values(cls, data: dict, path: str) -> dict[str, Any]:
    """Flat name -> raw value from a YAML mapping (sections as nested mappings, or flat keys)."""
    index, sections = field_index(cls), _sections(cls)
    values: dict[str, Any] = {}
    for key, value in data.items():
        if key in sections:
            if not isinstance(value, dict):
                raise ConfigError(f"{path}: section {key!r} must be a mapping, got {value!r}")
            for sub, sub_value in value.items():
                if sub not in index or index[sub][0] != key:
                    known = sorted(n for n, (s, _, _) in index.items() if s == key)
                    raise ConfigError(f"{path}: unknown key {key}.{sub}; {key} has: {', '.join(known)}")
                values[sub] = sub_value
        elif key in index:
            values[key] = value
        else:
            raise ConfigError(f"{path}: unknown key {key!r}; known: {', '.join(sorted([*sections, *index]))}")
    return values


def _cli_values(cls, argv: list[str]) -> dict[str, Any]:
    """Flat name -> raw value (string, list of strings or True) from command-line arguments."""
    index = field_index(cls)
    values: dict[str, Any] = {}
    i = 0
    while i < len(argv):
        arg = argv[i]
        if not arg.startswith("--"):
            raise ConfigError(f"unexpected argument {arg!r}: options are written --name value")
        name, eq, inline = arg[2:].partition("=")
        if "." in name:
            sec, _, name = name.partition(".")
            if name in index and index[name][0] != sec:
                raise ConfigError(f"--{sec}.{name}: {name} belongs to section {index[name][0]!r}")
        if name not in index:
            raise ConfigError(f"unknown option --{name}; run with --help for the options")
        tp = index[name][2]
        inner, _ = _unwrap_optional(tp)
        is_list = typing.get_origin(inner) in (list, tuple, Sequence)
        i += 1
        if eq:
            values[name] = inline
            continue
        taken = []
        while i < len(argv) and not argv[i].startswith("--") and (is_list or not taken):
            taken.append(argv[i])
            i += 1
        if not taken:
            if inner is bool:
                values[name] = True
                continue
            raise ConfigError(f"--{name} needs a value")
        values[name] = taken if is_list else taken[0]
    return values


def split_config_flag(argv: Sequence[str]) -> tuple[str | None, list[str]]:
    """(`--config` path or None, the other arguments)."""
    argv = list(argv)
    path = None
    for i, arg in enumerate(argv):
        if arg == "--config" or arg.startswith("--config="):
            if arg == "--config":
                if i + 1 >= len(argv):
                    raise ConfigError("--config needs a YAML file")
                path = argv[i + 1]
                del argv[i : i + 2]
            else:
                path = arg.partition("=")[2]
                del argv[i]
            break
    return path, argv


def build_config(cls, values: dict[str, Any]):
    """An instance of the top-level config `cls` from flat name -> raw value; unknown names are an error."""
    index = field_index(cls)
    per_section: dict[str, dict[str, Any]] = {name: {} for name in _sections(cls)}
    for name, raw in values.items():
        if name not in index:
            raise ConfigError(f"unknown option {name!r}")
        sec, _, tp = index[name]
        per_section[sec][name] = coerce(raw, tp, name)
    token = _GIVEN.set(frozenset(values))
    try:
        built = {sec: _sections(cls)[sec](**kw) for sec, kw in per_section.items()}
        return cls(**built)
    except ConfigError:
        raise
    except (ValueError, TypeError) as e:
        raise ConfigError(str(e)) from e
    finally:
        _GIVEN.reset(token)


def switches(cls) -> list[Switch]:
    """The `SWITCHES` declared by a top-level config class and its sections."""
    return [s for c in (cls, *_sections(cls).values()) for s in getattr(c, "SWITCHES", ())]


def drop_switched_off(cls, yaml_values: dict, cli_values: dict, path: str) -> dict[str, Any]:
    """The merged values without the YAML's options of features the command line switched off (warned)."""
    index = field_index(cls)
    values = {**yaml_values, **cli_values}
    coerced = {}
    for name, (_, f, tp) in index.items():
        if name in values:
            coerced[name] = coerce(values[name], tp, name)
        else:
            coerced[name] = f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default
    for switch in switches(cls):
        given = [flag for flag in switch.flags if flag in cli_values]
        if not given or not switch.off(coerced):
            continue
        for name in switch.options:
            if name not in yaml_values or name in cli_values:
                continue
            f = index[name][1]
            default = f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default
            del values[name]
            if coerced[name] != default:
                flags = " ".join(f"--{flag} {cli_values[flag]}" for flag in given)
                logger.warning(
                    "%s: ignoring %s: %r; %s on the command line switches %s off",
                    path,
                    name,
                    yaml_values[name],
                    flags,
                    switch.feature,
                )
    return values


def _translated_flags(cls, argv: list[str]) -> list[str]:
    """argv with the seeds' and trl's flags in our names (`flag_aliases.py`); every flag that cannot be
    accepted is named in one ConfigError."""
    translated, unknown, refused = translate_flags(argv, list(field_index(cls)))
    if unknown or refused:
        parts = [f"unknown option{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}"] if unknown else []
        raise ConfigError("; ".join(parts + refused), fix="run with --help for the options")
    return translated


def load_config(cls, argv: Sequence[str] | None = None, yaml_path: str | None = None):
    """Defaults ← YAML (`--config file.yaml` in argv, or `yaml_path`) ← command-line overrides.

    YAML options of a feature a command-line flag switches off are dropped with a warning (`Switch`).
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    path, rest = split_config_flag(argv)
    path = path or yaml_path
    rest = _translated_flags(cls, rest)
    yaml_values = _yaml_values(cls, _read_yaml(path), path) if path else {}
    cli_values = _cli_values(cls, rest)
    return build_config(cls, drop_switched_off(cls, yaml_values, cli_values, path or ""))


def config_to_dict(cfg) -> dict[str, dict[str, Any]]:
    """The config as nested plain data (section -> field -> value), e.g. to write beside a checkpoint."""
    return dataclasses.asdict(cfg)


def help_text(cls, prog: str) -> str:
    """Usage: every option with its section, type, default and documentation."""
    lines = [f"usage: {prog} [--config FILE.yaml] [--name value ...]", ""]
    for sec_name, sec_cls in _sections(cls).items():
        lines.append(f"{sec_name}: {(sec_cls.__doc__ or '').strip().splitlines()[0]}")
        hints = typing.get_type_hints(sec_cls)
        for f in dataclasses.fields(sec_cls):
            default = f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default
            tp = getattr(hints[f.name], "__name__", str(hints[f.name]).replace("typing.", ""))
            lines.append(f"  --{f.name} ({tp}, default {default!r})  {f.metadata.get('doc', '')}")
        lines.append("")
    return "\n".join(lines)
