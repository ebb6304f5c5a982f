"""Typed dataclass configs loaded as defaults ← YAML ← command line; see `loader.py`."""

from paddlemix.config.loader import (
    ConfigError,
    Switch,
    build_config,
    config_to_dict,
    field_index,
    help_text,
    is_set,
    load_config,
    opt,
    section,
)

__all__ = [
    "ConfigError",
    "Switch",
    "build_config",
    "config_to_dict",
    "field_index",
    "help_text",
    "is_set",
    "load_config",
    "opt",
    "section",
]
