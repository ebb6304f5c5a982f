"""The Qwen2 byte-level BPE tokenizer: a thin wrapper over `tokenizers.Tokenizer` read from a hub directory.

`tokenizer.json` holds the vocabulary, merges, normalizer and pre-tokenizer; `tokenizer_config.json` names
the eos / pad tokens, the padding side and (for Qwen2-VL) the chat template. Ids and decoded text equal
those of transformers' `Qwen2Tokenizer` (checked in tests/processors/test_tokenizer.py).
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from tokenizers import Tokenizer

from paddlemix.errors import CHECKPOINT_FIX, DataError, MissingFileError, read_json
from paddlemix.models.hub import resolve_model_path
from paddlemix.processors.chat_template import (
    TOKENIZER_TEMPLATE_FILES,
    load_chat_template,
    render_chat_template,
)

TOKENIZER_FILE = "tokenizer.json"
TOKENIZER_CONFIG_FILE = "tokenizer_config.json"


def _token_content(token) -> str | None:
    """The text of a token given as a string or as a serialized AddedToken dict."""
    if isinstance(token, dict):
        return token["content"]
    return token


def _as_id_list(ids) -> list[int]:
    """Token ids as a list of ints, from a list, a numpy array or a paddle tensor."""
    if hasattr(ids, "tolist"):
        ids = ids.tolist()
    return [int(i) for i in ids]


class Qwen2Tokenizer:
    """Encodes text to ids, pads batches, decodes ids and renders the chat template."""

    def __init__(
        self,
        tokenizer: Tokenizer,
        eos_token: str = "<|im_end|>",
        pad_token: str = "<|endoftext|>",
        padding_side: str = "left",
        chat_template: str | None = None,
        model_max_length: int = 32768,
    ):
        """Wrap a `tokenizers.Tokenizer`; the eos and pad tokens must be in its vocabulary."""
        if padding_side not in ("left", "right"):
            raise ValueError(f"padding_side must be 'left' or 'right', got {padding_side!r}")
        self._tokenizer = tokenizer
        self.eos_token = eos_token
        self.pad_token = pad_token
        self.padding_side = padding_side
        self.chat_template = chat_template
        self.model_max_length = model_max_length
        for name, token in (("eos_token", eos_token), ("pad_token", pad_token)):
            if tokenizer.token_to_id(token) is None:
                raise ValueError(f"{name} {token!r} is not in the vocabulary")

    @classmethod
    def from_pretrained(cls, path: str) -> Qwen2Tokenizer:
        """Load `tokenizer.json` and `tokenizer_config.json` from the directory (or hub ID) `path`.

        The padding side comes from `tokenizer_config.json`, and is left when the file does not say:
        batched generation needs every prompt to end right before its first generated token.
        """
        path = resolve_model_path(path)
        tokenizer_file = os.path.join(path, TOKENIZER_FILE)
        try:
            tokenizer = Tokenizer.from_file(tokenizer_file)
        except Exception as e:  # the tokenizers library raises a bare Exception for a malformed file
            if not os.path.isfile(tokenizer_file):
                raise MissingFileError("no such file", where=tokenizer_file, fix=CHECKPOINT_FIX) from None
            raise DataError(
                f"not a readable tokenizer file ({e})", where=tokenizer_file, fix=CHECKPOINT_FIX
            ) from None
        config_file = os.path.join(path, TOKENIZER_CONFIG_FILE)
        config = {}
        if os.path.isfile(config_file):
            config = read_json(config_file)
        return cls(
            tokenizer,
            eos_token=_token_content(config.get("eos_token")) or "<|im_end|>",
            pad_token=_token_content(config.get("pad_token")) or "<|endoftext|>",
            padding_side=config.get("padding_side", "left"),
            chat_template=load_chat_template(path, TOKENIZER_TEMPLATE_FILES),
            model_max_length=config.get("model_max_length", 32768),
        )

    @property
    def eos_token_id(self) -> int:
        """Id of the end-of-turn token that stops generation (`<|im_end|>` for the instruct models)."""
        return self._tokenizer.token_to_id(self.eos_token)

    @property
    def pad_token_id(self) -> int:
        """Id used to pad batches (`<|endoftext|>`)."""
        return self._tokenizer.token_to_id(self.pad_token)

    @property
    def special_tokens_map(self) -> dict[str, str]:
        """The named special tokens, passed to chat templates as variables."""
        return {"eos_token": self.eos_token, "pad_token": self.pad_token}

    def __len__(self) -> int:
        """Vocabulary size including added (special) tokens."""
        return self._tokenizer.get_vocab_size(with_added_tokens=True)

    def convert_tokens_to_ids(self, tokens: str | Sequence[str]) -> int | list[int] | None:
        """Id of a token (None if unknown), or the list of ids of a list of tokens."""
        if isinstance(tokens, str):
            return self._tokenizer.token_to_id(tokens)
        return [self._tokenizer.token_to_id(t) for t in tokens]

    def convert_ids_to_tokens(self, ids: int | Sequence[int]) -> str | list[str]:
        """Token string of an id, or the list of token strings of a list of ids."""
        if isinstance(ids, int):
            return self._tokenizer.id_to_token(ids)
        return [self._tokenizer.id_to_token(i) for i in _as_id_list(ids)]

    def encode(self, text: str, add_special_tokens: bool = True) -> list[int]:
        """Ids of `text`; special tokens written in the text map to their ids."""
        return self._tokenizer.encode(text, add_special_tokens=add_special_tokens).ids

    def pad(
        self, sequences: list[list[int]], padding_side: str | None = None
    ) -> tuple[list[list[int]], list[list[int]]]:
        """Pad id lists to the longest with `pad_token_id`; returns (input_ids, attention_mask)."""
        side = padding_side or self.padding_side
        if side not in ("left", "right"):
            raise ValueError(f"padding_side must be 'left' or 'right', got {side!r}")
        longest = max((len(s) for s in sequences), default=0)
        input_ids, attention_mask = [], []
        for ids in sequences:
            n_pad = longest - len(ids)
            if side == "left":
                input_ids.append([self.pad_token_id] * n_pad + list(ids))
                attention_mask.append([0] * n_pad + [1] * len(ids))
            else:
                input_ids.append(list(ids) + [self.pad_token_id] * n_pad)
                attention_mask.append([1] * len(ids) + [0] * n_pad)
        return input_ids, attention_mask

    def __call__(self, text: str | list[str], padding: bool = False, padding_side: str | None = None) -> dict:
        """Encode a string or a batch to `input_ids` and `attention_mask` lists, padded to the longest if asked."""
        texts = [text] if isinstance(text, str) else list(text)
        ids = [enc.ids for enc in self._tokenizer.encode_batch(texts, add_special_tokens=True)]
        if padding:
            input_ids, attention_mask = self.pad(ids, padding_side)
        else:
            input_ids, attention_mask = ids, [[1] * len(x) for x in ids]
        if isinstance(text, str):
            return {"input_ids": input_ids[0], "attention_mask": attention_mask[0]}
        return {"input_ids": input_ids, "attention_mask": attention_mask}

    def decode(self, ids, skip_special_tokens: bool = False) -> str:
        """Text of one id sequence (list, numpy array or paddle tensor)."""
        return self._tokenizer.decode(_as_id_list(ids), skip_special_tokens=skip_special_tokens)

    def batch_decode(self, sequences, skip_special_tokens: bool = False) -> list[str]:
        """Texts of a batch of id sequences (list of lists, 2-D numpy array or 2-D paddle tensor)."""
        if hasattr(sequences, "tolist"):
            sequences = sequences.tolist()
        return self._tokenizer.decode_batch(
            [_as_id_list(s) for s in sequences], skip_special_tokens=skip_special_tokens
        )

    def apply_chat_template(
        self,
        conversation: list[dict],
        add_generation_prompt: bool = True,
        tokenize: bool = False,
        chat_template: str | None = None,
        **template_kwargs,
    ) -> str | list[int]:
        """Render a conversation with the chat template; the ids of the rendering if `tokenize`."""
        template = chat_template or self.chat_template
        if template is None:
            raise ValueError("this tokenizer has no chat template; pass chat_template=")
        text = render_chat_template(
            template,
            conversation,
            add_generation_prompt=add_generation_prompt,
            **{**self.special_tokens_map, **template_kwargs},
        )
        # Like transformers, the rendering already holds its special tokens, so none are added.
        return self.encode(text, add_special_tokens=False) if tokenize else text
