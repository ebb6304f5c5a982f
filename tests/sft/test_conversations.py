"""Conversation jsonl as SFT data: the record shapes read, malformed records are one-line file:line errors."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from PIL import Image

from paddlemix.config import ConfigError
from paddlemix.errors import DataError
from paddlemix.sft.conversations import load_conversations
from paddlemix.sft.trainer import SFTTrainer
from tests.sft.test_sft_trainer import sft_config

RECORDS = [
    # LLaMA-Factory sharegpt: string content, <image> placeholders, `images`.
    {
        "messages": [
            {"role": "user", "content": "<image>How many cubes?"},
            {"role": "assistant", "content": "<answer> 3 </answer>"},
        ],
        "images": ["a.png"],
    },
    # LLaVA / VLM-R1: from/value, `image`, a system turn.
    {
        "conversations": [
            {"from": "system", "value": "Answer briefly."},
            {"from": "human", "value": "<image>\nWhat color?"},
            {"from": "gpt", "value": "red"},
        ],
        "image": "b.png",
    },
    # Qwen / OpenAI parts with the path inside the image part; two turns, the last answer is the target.
    {
        "messages": [
            {
                "role": "user",
                "content": [{"type": "image", "image": "a.png"}, {"type": "text", "text": "Hi"}],
            },
            {"role": "assistant", "content": [{"type": "text", "text": "Hello"}]},
            {"role": "user", "content": [{"type": "text", "text": "Count."}]},
            {"role": "assistant", "content": [{"type": "text", "text": "2"}]},
        ]
    },
]


@pytest.fixture()
def conversation_file(tmp_path):
    """Three records of the three shapes, with two small images under tmp_path."""
    for name, color in (("a.png", (200, 10, 10)), ("b.png", (10, 10, 200))):
        Image.new("RGB", (56, 56), color).save(tmp_path / name)
    path = tmp_path / "sft.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in RECORDS) + "\n")
    return str(path)


def test_record_shapes(conversation_file, tmp_path):
    samples = list(load_conversations(conversation_file, str(tmp_path)))
    assert [s["solution"] for s in samples] == ["<answer> 3 </answer>", "red", "2"]
    assert [s["images"] for s in samples] == [[str(tmp_path / n)] for n in ("a.png", "b.png", "a.png")]
    assert samples[0]["messages"] == [
        {"role": "user", "content": [{"type": "image"}, {"type": "text", "text": "How many cubes?"}]}
    ]
    assert [m["role"] for m in samples[1]["messages"]] == ["system", "user"]
    assert samples[1]["messages"][1]["content"][1] == {"type": "text", "text": "\nWhat color?"}
    assert [m["role"] for m in samples[2]["messages"]] == [
        "user",
        "assistant",
        "user",
    ]  # earlier turns: context
    assert [s["source"] for s in samples] == [f"{conversation_file}:{i}" for i in (1, 2, 3)]


def test_trainer_trains_on_the_last_assistant_turn(conversation_file, tmp_path):
    cfg = sft_config(
        conversation_file,
        str(tmp_path / "out"),
        conversations=True,
        image_root=str(tmp_path),
        per_device_train_batch_size=3,
        gradient_accumulation_steps=1,
        max_steps=1,
    )
    trainer = SFTTrainer(cfg)
    seqs, drops = trainer.sequences(0)
    assert len(seqs) == 3 and not drops
    tokenizer = trainer.processor.tokenizer
    pad = "<|image_pad|>"
    texts = {}
    for x in seqs:
        ids, mask = x["input_ids"].numpy()[0], x["mask"].numpy()[0]
        text = tokenizer.decode(ids.tolist())
        texts[tokenizer.decode(ids[1:][mask > 0].tolist())] = text.replace(pad * text.count(pad), pad)
    # The loss covers exactly the last answer and its end token; the prompt is the chat template's rendering.
    assert texts["red<|im_end|>"] == (
        "<|im_start|>system\nAnswer briefly.<|im_end|>\n<|im_start|>user\n<|vision_start|><|image_pad|>"
        "<|vision_end|>\nWhat color?<|im_end|>\n<|im_start|>assistant\nred<|im_end|>"
    )
    assert texts["2<|im_end|>"].endswith(
        "Hi<|im_end|>\n<|im_start|>assistant\nHello<|im_end|>\n<|im_start|>user\nCount.<|im_end|>\n"
        "<|im_start|>assistant\n2<|im_end|>"
    )
    assert "<answer> 3 </answer><|im_end|>" in texts
    assert np.isfinite(trainer.train_step()["loss"])


BAD = [
    ("{not json", "not valid JSON"),  # a broken line
    ("[1, 2]", "must be a JSON object"),  # a list, not a record
    ('{"image": "a.png"}', "exactly one of 'messages' or 'conversations'"),  # no turns
    ('{"messages": [], "images": ["a.png"]}', "non-empty list of turns"),  # empty turns
    (
        '{"messages": [{"role": "robot", "content": "<image>x"}], "images": ["a.png"]}',
        "turn 1 has role 'robot'",
    ),  # unknown role
    (
        '{"messages": [{"role": "user", "content": "<image>x"}], "images": ["a.png"]}',
        "last turn must be the assistant",
    ),  # no answer
    (
        '{"messages": [{"role": "user", "content": "<image><image>x"}, {"role": "assistant", "content": "y"}], '
        '"images": ["a.png"]}',
        "more <image> placeholders than the 1 listed",
    ),  # placeholders outnumber images
    (
        '{"messages": [{"role": "user", "content": "x"}, {"role": "assistant", "content": "y"}], '
        '"images": ["a.png"]}',
        "1 image\\(s\\) listed but 0 placed",
    ),  # an image without a placeholder
    (
        '{"messages": [{"role": "user", "content": "x"}, {"role": "assistant", "content": "y"}]}',
        "no image",
    ),  # text only
    (
        '{"messages": [{"role": "user", "content": "<image>x"}, {"role": "assistant", "content": 5}], '
        '"images": ["a.png"]}',
        "turn 2 needs 'content'",
    ),  # a number as content
    (
        '{"messages": [{"role": "user", "content": "<image>x"}, {"role": "assistant", "content": " "}], '
        '"images": ["a.png"]}',
        "answer .* is empty",
    ),  # an empty answer
    (
        '{"messages": [{"role": "user", "content": "<image>x"}, {"role": "assistant", "content": "y"}], '
        '"images": [3]}',
        "'images' must be a path or a list of paths",
    ),  # a number as image path
]


@pytest.mark.parametrize("line, message", BAD)
def test_malformed_records_name_file_and_line(tmp_path, line, message):
    good = json.dumps(RECORDS[0])
    path = tmp_path / "sft.jsonl"
    path.write_text(f"{good}\n\n{line}\n")  # the bad record is on line 3 (blank lines count)
    with pytest.raises(DataError, match=f"^{re.escape(str(path))}:3: .*{message}"):
        load_conversations(str(path), str(tmp_path))


def test_json_list_errors_name_the_record(tmp_path):
    path = tmp_path / "sft.json"
    path.write_text(json.dumps([RECORDS[0], {"messages": "hi"}]))
    with pytest.raises(
        DataError, match=f"^{re.escape(str(path))}: record 2: 'messages' must be a non-empty list"
    ):
        load_conversations(str(path), str(tmp_path))


@pytest.mark.parametrize(
    "flags, message",
    [
        ({"task": "rec"}, "--task has no effect with --conversations"),  # no task template is used
        ({"target_format": "vision_r1_json"}, "not --conversations"),  # needs detection samples
    ],
)
def test_conversation_config_errors(conversation_file, tmp_path, flags, message):
    with pytest.raises(ConfigError, match=message):
        sft_config(
            conversation_file, str(tmp_path / "out"), conversations=True, image_root=str(tmp_path), **flags
        )


def test_a_file_whose_images_are_all_missing_is_one_error(conversation_file, tmp_path):
    with pytest.raises(DataError, match="no usable record: all 3 have bad images .*missing"):
        load_conversations(conversation_file, str(tmp_path / "elsewhere"))
