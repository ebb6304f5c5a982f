"""Rendering of Hugging Face chat templates (Jinja2), the way transformers' `apply_chat_template` renders them.

Same sandboxed environment (`trim_blocks`, `lstrip_blocks`, `loopcontrols`), the same helpers
(`raise_exception`, `strftime_now`, a non-escaping `tojson`) and the same variables
(`messages`, `add_generation_prompt`, `tools`, `documents`, the special tokens and any extra keyword).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from datetime import datetime
from functools import lru_cache

import jinja2
import jinja2.ext
import numpy as np
from jinja2.sandbox import ImmutableSandboxedEnvironment


def _raise_exception(message: str):
    """Let a template abort rendering with `message`."""
    raise jinja2.exceptions.TemplateError(message)


def _tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False) -> str:
    """JSON without Jinja's HTML escaping, as transformers' templates expect."""
    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)


def _strftime_now(format: str) -> str:
    """The current local time formatted with `format` (used by templates that print today's date)."""
    return datetime.now().strftime(format)


@lru_cache
def compile_chat_template(template: str) -> jinja2.Template:
    """Compile a chat template once; templates come from checkpoints, so they run sandboxed."""
    env = ImmutableSandboxedEnvironment(
        trim_blocks=True, lstrip_blocks=True, extensions=[jinja2.ext.loopcontrols]
    )
    env.filters["tojson"] = _tojson
    env.globals["raise_exception"] = _raise_exception
    env.globals["strftime_now"] = _strftime_now
    return env.from_string(template)


def _plain(value):
    """Rebuild `value` from JSON types; other objects (images, arrays) become inert "<TypeName>" strings.

    Messages often carry decoded images; the sandbox does not know which of their methods are unsafe, and
    templates only test whether media keys are present, so transformers renders the same placeholders.
    """
    if value is None or type(value) in (str, int, float, bool):
        return value
    # Subclasses (str enums, numpy scalars) carry extra methods, so they go back to the base type.
    if isinstance(value, str):
        return str.__str__(value)
    if isinstance(value, int):
        return int.__int__(value)
    if isinstance(value, float):
        return float.__float__(value)
    if isinstance(value, Mapping):
        return {_plain(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, tuple):
        return tuple(_plain(v) for v in value)
    if isinstance(value, np.generic):
        return _plain(value.item())
    return f"<{type(value).__name__}>"


def _plain_messages(messages) -> list[dict]:
    """Plain copies of the messages without None-valued keys, which templates handle as absent."""
    if not isinstance(messages, (list, tuple)) or not all(isinstance(m, Mapping) for m in messages):
        raise ValueError("a conversation must be a list of message dicts with 'role' and 'content'")
    return [{k: v for k, v in _plain(message).items() if v is not None} for message in messages]


def render_chat_template(
    template: str,
    messages: list[dict],
    add_generation_prompt: bool = False,
    tools: list[dict] | None = None,
    documents: list[dict] | None = None,
    **template_kwargs,
) -> str:
    """Render one conversation; `template_kwargs` (special tokens, `add_vision_id`, ...) become template variables."""
    return compile_chat_template(template).render(
        messages=_plain_messages(messages),
        tools=_plain(tools),
        documents=_plain(documents),
        add_generation_prompt=add_generation_prompt,
        **_plain(template_kwargs),
    )


PROCESSOR_TEMPLATE_FILES = ("chat_template.jinja", "chat_template.json", "tokenizer_config.json")
TOKENIZER_TEMPLATE_FILES = ("tokenizer_config.json", "chat_template.jinja", "chat_template.json")


def load_chat_template(path: str, files: tuple[str, ...] = PROCESSOR_TEMPLATE_FILES) -> str | None:
    """The chat template from the first of `files` under directory `path` that has one, else None."""
    for name in files:
        file = os.path.join(path, name)
        if not os.path.isfile(file):
            continue
        with open(file, encoding="utf-8") as f:
            if name.endswith(".jinja"):
                return f.read()
            template = json.load(f).get("chat_template")
        if template is not None:
            return template
    return None
