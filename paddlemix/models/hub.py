"""Model names to local checkpoint folders: a local path as given, or a hub ID fetched once into the standard cache.

Every `from_pretrained` (models, configs, processors) and `runtime.stop_token_ids` call `resolve_model_path`,
so the trainer and both eval commands take `--model_path Qwen/Qwen2-VL-2B-Instruct` as the seed's scripts do.

- A local file or folder of that name wins.
- Otherwise `Org/Name` is a hub ID. By default it comes from Hugging Face through `huggingface_hub`'s
  `snapshot_download`: the standard cache (`HF_HUB_CACHE`, `HF_HOME`), mirrors through `HF_ENDPOINT`, and
  `HF_HUB_OFFLINE=1` for cache-only runs. These variables are read at each call, not at import, so they can be
  set after `huggingface_hub` was imported.
- `PADDLEMIX_HUB=modelscope` takes it from ModelScope instead (`pip install modelscope`).
- Only the files a checkpoint needs are fetched (`MODEL_FILES`): configs, tokenizer, chat template, weights.
"""

from __future__ import annotations

import functools
import logging
import os
import re

from paddlemix.errors import MissingFileError

logger = logging.getLogger("paddlemix.models")

HUB_ENV = "PADDLEMIX_HUB"
HUBS = ("huggingface", "modelscope")
# What from_pretrained reads, plus the slow-tokenizer files a saved policy carries for other engines.
MODEL_FILES = [
    "config.json",
    "generation_config.json",
    "preprocessor_config.json",
    "tokenizer.json",
    "tokenizer_config.json",
    "vocab.json",
    "merges.txt",
    "special_tokens_map.json",
    "chat_template.json",
    "chat_template.jinja",
    "*.safetensors",
    "model.safetensors.index.json",
]
# The hub's own rule for `Org/Name`: letters, digits, `-`, `_`, `.`; no `--` or `..`; at most 96 characters.
_REPO_ID = re.compile(r"[A-Za-z0-9][\w.-]{0,95}/[A-Za-z0-9][\w.-]{0,95}")


class ModelNotFound(MissingFileError):
    """A model name that is neither a local path nor a hub ID we can fetch; the message says what to do."""


def is_hub_id(name: str) -> bool:
    """Whether `name` has the form of a hub ID `Org/Name`."""
    return bool(_REPO_ID.fullmatch(name)) and "--" not in name and ".." not in name


def _true(value: str | None) -> bool:
    return (value or "").strip().upper() in {"1", "ON", "YES", "TRUE"}


def hf_cache_dir() -> str | None:
    """The Hugging Face hub cache named by the environment now (`HF_HUB_CACHE`, else `HF_HOME`/hub)."""
    if os.environ.get("HF_HUB_CACHE"):
        return os.path.expanduser(os.environ["HF_HUB_CACHE"])
    if os.environ.get("HF_HOME"):
        return os.path.join(os.path.expanduser(os.environ["HF_HOME"]), "hub")
    return None


def hf_offline() -> bool:
    """Whether `HF_HUB_OFFLINE` (or `TRANSFORMERS_OFFLINE`) asks for cache-only runs."""
    return _true(os.environ.get("HF_HUB_OFFLINE")) or _true(os.environ.get("TRANSFORMERS_OFFLINE"))


def resolve_model_path(name: str) -> str:
    """A local folder (or file) holding the checkpoint `name`: the path itself, or the hub snapshot of that ID."""
    if os.path.exists(name):
        return name
    if not is_hub_id(name):
        raise ModelNotFound(f"{name}: no such file or folder, and not a hub model ID of the form Org/Name")
    hub = os.environ.get(HUB_ENV, "huggingface").strip().lower() or "huggingface"
    if hub not in HUBS:
        raise ModelNotFound(f"{HUB_ENV}={hub!r} is not a known hub; use one of {', '.join(HUBS)}")
    if hub == "modelscope":
        return _from_modelscope(name)
    return _from_huggingface(name, hf_cache_dir(), hf_offline(), os.environ.get("HF_ENDPOINT") or None)


@functools.cache
def _from_huggingface(repo_id: str, cache_dir: str | None, offline: bool, endpoint: str | None) -> str:
    """The local snapshot of `repo_id`, downloading what is missing unless offline (once per process)."""
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import GatedRepoError, LocalEntryNotFoundError, RepositoryNotFoundError

    where = cache_dir or "the default Hugging Face cache"
    fetch = f"download it with `hf download {repo_id}` (older: `huggingface-cli download {repo_id}`)"
    try:
        path = snapshot_download(
            repo_id,
            cache_dir=cache_dir,
            local_files_only=offline,
            allow_patterns=MODEL_FILES,
            endpoint=endpoint,
        )
    except GatedRepoError:
        raise ModelNotFound(
            f"{repo_id}: the model is gated; accept its terms on the hub and log in with `hf auth login`"
        ) from None
    except RepositoryNotFoundError:
        raise ModelNotFound(
            f"{repo_id}: no such local folder, and no such model on {endpoint or 'huggingface.co'}"
        ) from None
    except LocalEntryNotFoundError:
        if offline:
            raise ModelNotFound(
                f"{repo_id}: no such local folder, and not in {where} while HF_HUB_OFFLINE is set; "
                f"{fetch} where there is network, or pass the path of a downloaded copy"
            ) from None
        raise ModelNotFound(
            f"{repo_id}: no such local folder, not in {where}, and {endpoint or 'huggingface.co'} cannot be "
            f"reached; {fetch}, set HF_ENDPOINT to a mirror, or set {HUB_ENV}=modelscope"
        ) from None
    logger.info("%s resolved to %s", repo_id, path)
    return path


@functools.cache
def _from_modelscope(model_id: str) -> str:
    """The local ModelScope snapshot of `model_id` (its own cache, `MODELSCOPE_CACHE`)."""
    try:
        from modelscope import snapshot_download
    except ImportError:
        raise ModelNotFound(
            f"{model_id}: {HUB_ENV}=modelscope needs the modelscope package: `pip install modelscope` "
            f"(or unset {HUB_ENV} to download from Hugging Face)"
        ) from None
    path = snapshot_download(model_id, allow_patterns=MODEL_FILES)
    logger.info("%s resolved to %s (ModelScope)", model_id, path)
    return path
