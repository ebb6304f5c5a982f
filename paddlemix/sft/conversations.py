"""Conversation files as SFT data (`--conversations`): the chat records LLaMA-Factory, LLaVA and Qwen use.

A .jsonl (one record a line) or a .json list of records, each one of:

    {"messages": [{"role": "user", "content": "<image>How many cubes?"},
                  {"role": "assistant", "content": "<answer> 3 </answer>"}],
     "images": ["scenes/0001.png"]}                                          (LLaMA-Factory sharegpt)
    {"conversations": [{"from": "human", "value": "<image>\\nHow many?"}, {"from": "gpt", "value": "3"}],
     "image": "scenes/0001.png"}                                             (LLaVA, VLM-R1)
    {"messages": [{"role": "user", "content": [{"type": "image", "image": "scenes/0001.png"},
                                               {"type": "text", "text": "How many?"}]},
                  {"role": "assistant", "content": [{"type": "text", "text": "3"}]}]}   (Qwen / OpenAI parts)

Roles: system, user (human), assistant (gpt). Images are `<image>` placeholders in string content, matched
in order with the record's `images` (or `image`), or image parts in list content; paths are relative to
`--image_root` (absolute paths are kept). Every record needs at least one image.

The target is the last turn, which must be the assistant's; the turns before it, earlier assistant turns
included, are the prompt, rendered with the model's chat template. The loss is on that last turn (plus the
prompt's text with `--loss_on_prompt`). LLaMA-Factory also trains on earlier assistant turns; here a
multi-turn record teaches its last answer only.

A malformed record stops loading with a one-line `DataError` naming `file:line` (`file: record N` for a
.json list) and what is wrong.
"""

from __future__ import annotations

import json
import os

from paddlemix.datasets.dataset import SampleDataset
from paddlemix.datasets.images import SkippedImages, filter_samples
from paddlemix.errors import DataError, MissingFileError
from paddlemix.training.data import PromptEncoder

ROLES = {"system": "system", "user": "user", "human": "user", "assistant": "assistant", "gpt": "assistant"}
IMAGE_PLACEHOLDER = "<image>"
CONVERSATION_SUFFIXES = (".json", ".jsonl")
_FIX = "see paddlemix/sft/conversations.py for the record shapes"


class _Bad(Exception):
    """What is wrong with the record being read (turned into a DataError with its file and line)."""


def _text_parts(text: str, images: list, n_seen: int) -> tuple[list[dict], int]:
    """String content as chat parts: each `<image>` becomes the record's next image; returns (parts, count)."""
    parts = []
    pieces = text.split(IMAGE_PLACEHOLDER)
    for i, piece in enumerate(pieces):
        if i > 0:
            if n_seen >= len(images):
                raise _Bad(f"more {IMAGE_PLACEHOLDER} placeholders than the {len(images)} listed image(s)")
            parts.append({"type": "image", "path": images[n_seen]})
            n_seen += 1
        if piece:
            parts.append({"type": "text", "text": piece})
    return parts, n_seen


def _list_parts(items: list, images: list, n_seen: int) -> tuple[list[dict], int]:
    """List content (`{"type": "text" | "image", ...}` parts) as chat parts; returns (parts, images used)."""
    parts = []
    for item in items:
        if not isinstance(item, dict):
            raise _Bad(f"a content part must be an object, got {json.dumps(item)[:80]}")
        kind = item.get("type")
        if kind == "text" and isinstance(item.get("text"), str):
            sub, n_seen = _text_parts(item["text"], images, n_seen)
            parts.extend(sub)
        elif kind == "image" or "image" in item:
            path = item.get("image")
            if path is None:
                if n_seen >= len(images):
                    raise _Bad(f"more image parts than the {len(images)} listed image(s)")
                path, n_seen = images[n_seen], n_seen + 1
            if not isinstance(path, str):
                raise _Bad(f"an image part's path must be a string, got {json.dumps(path)[:80]}")
            parts.append({"type": "image", "path": path})
        else:
            raise _Bad(f"a content part must be a text or image part, got {json.dumps(item)[:80]}")
    return parts, n_seen


def _turns(record: dict) -> list:
    """The record's list of turns, from `messages` or `conversations`."""
    if not isinstance(record, dict):
        raise _Bad(f"a record must be a JSON object, got {type(record).__name__}")
    keys = [k for k in ("messages", "conversations") if k in record]
    if len(keys) != 1:
        raise _Bad("a record needs exactly one of 'messages' or 'conversations'")
    turns = record[keys[0]]
    if not isinstance(turns, list) or not turns:
        raise _Bad(f"'{keys[0]}' must be a non-empty list of turns")
    return turns


def _listed_images(record: dict) -> list:
    """The record's `images` (or `image`) as a list of paths."""
    listed = record.get("images", record.get("image", []))
    listed = [listed] if isinstance(listed, str) else listed
    if not isinstance(listed, list) or not all(isinstance(p, str) for p in listed):
        raise _Bad("'images' must be a path or a list of paths")
    return listed


def parse_record(record, image_root: str | None) -> dict:
    """One record as an SFT sample: `messages` (the prompt), `solution` (the last assistant turn), `images`."""
    turns = _turns(record)
    listed = _listed_images(record)
    messages, n_seen = [], 0
    for number, turn in enumerate(turns, 1):
        if not isinstance(turn, dict):
            raise _Bad(f"turn {number} must be an object")
        role = ROLES.get(turn.get("role", turn.get("from")))
        if role is None:
            raise _Bad(
                f"turn {number} has role {turn.get('role', turn.get('from'))!r}; known: {sorted(ROLES)}"
            )
        content = turn.get("content", turn.get("value"))
        if isinstance(content, str):
            parts, n_seen = _text_parts(content, listed, n_seen)
        elif isinstance(content, list):
            parts, n_seen = _list_parts(content, listed, n_seen)
        else:
            raise _Bad(f"turn {number} needs 'content' (or 'value'): a string or a list of parts")
        if role != "user" and any(p["type"] == "image" for p in parts):
            raise _Bad(f"turn {number}: only user turns may hold images")
        messages.append({"role": role, "content": parts})
    if messages[-1]["role"] != "assistant":
        raise _Bad("the last turn must be the assistant's answer (the SFT target)")
    if n_seen < len(listed):
        raise _Bad(f"{len(listed)} image(s) listed but {n_seen} placed ({IMAGE_PLACEHOLDER} or image parts)")
    paths = [p["path"] for m in messages for p in m["content"] if p["type"] == "image"]
    if not paths:
        raise _Bad("no image: SFT conversations need at least one")
    root = image_root or ""
    paths = [p if os.path.isabs(p) else os.path.abspath(os.path.join(root, p)) for p in paths]
    # The chat template renders `{"type": "image"}`; the paths travel in `images`, in the same order.
    prompt = [
        {
            "role": m["role"],
            "content": [{"type": "image"} if p["type"] == "image" else p for p in m["content"]],
        }
        for m in messages[:-1]
    ]
    answer = "".join(p["text"] for p in messages[-1]["content"])
    if not answer.strip():
        raise _Bad("the assistant's answer (the last turn) is empty")
    return {
        "messages": prompt,
        "solution": answer,
        "images": paths,
        "image": paths[-1],
    }


def _records(path: str):
    """(where, record) of each record in a .jsonl or a .json list; a line that is not JSON is a DataError."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    if path.endswith(".jsonl"):
        for number, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                yield f"{path}:{number}", json.loads(line)
            except json.JSONDecodeError as e:
                raise DataError(f"not valid JSON ({e.msg})", where=f"{path}:{number}", fix=_FIX) from None
        return
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise DataError(f"not valid JSON ({e.msg})", where=f"{path}:{e.lineno}:{e.colno}", fix=_FIX) from None
    if not isinstance(data, list):
        raise DataError("a .json conversation file must hold a list of records", where=path, fix=_FIX)
    for number, record in enumerate(data, 1):
        yield f"{path}: record {number}", record


def load_conversations(path: str, image_root: str | None = None, check: str = "exists") -> SampleDataset:
    """The SFT samples of a conversation file (see the module docstring); bad images are skipped and counted."""
    if not os.path.isfile(path):
        raise MissingFileError("no such conversation file", where=path, fix="check --dataset_name")
    if not path.endswith(CONVERSATION_SUFFIXES):
        raise DataError("a conversation file is a .jsonl or a .json list", where=path)
    samples = []
    for where, record in _records(path):
        try:
            sample = parse_record(record, image_root)
        except _Bad as e:
            raise DataError(str(e), where=where, fix=_FIX) from None
        samples.append({**sample, "source": where})
    skipped = SkippedImages()
    kept = filter_samples(samples, check, skipped, path)
    if not kept:
        detail = f"all {len(samples)} have bad images ({skipped.breakdown()})" if samples else "no records"
        raise DataError(
            f"no usable record: {detail}", where=path, fix="check --image_root and the image files"
        )
    return SampleDataset(kept, os.path.basename(path), skipped)


class ConversationEncoder(PromptEncoder):
    """Encodes a conversation sample's own prompt turns instead of a task template."""

    def messages(self, sample: dict) -> list[dict]:
        """The turns before the target, as the record gave them."""
        return sample["messages"]
