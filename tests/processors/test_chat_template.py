"""Chat template rendering against transformers' `apply_chat_template` (processor and tokenizer)."""

import jinja2
import pytest
from PIL import Image

from paddlemix.processors.chat_template import load_chat_template, render_chat_template
from paddlemix.testing.tiny_tokenizer import QWEN2_VL_CHAT_TEMPLATE

CHAT_CASES = (
    "no_system",
    "with_system",
    "string_content",
    "multiple_images",
    "add_vision_id",
    "no_generation_prompt",
)


@pytest.mark.parametrize("name", CHAT_CASES)
def test_matches_golden(processor, processor_golden, name):
    """Processor and tokenizer renderings equal transformers' for each golden conversation."""
    case = processor_golden["chat"][name]
    kwargs = {"add_generation_prompt": case["add_generation_prompt"], **case.get("kwargs", {})}
    assert processor.apply_chat_template(case["messages"], **kwargs) == case["expected"]
    assert processor.tokenizer.apply_chat_template(case["messages"], **kwargs) == case["expected"]


@pytest.mark.parametrize("name", CHAT_CASES)
def test_matches_transformers_live(processor, hf_processor, processor_golden, name):
    """The same conversations rendered by the installed transformers, by processor and by tokenizer."""
    case = processor_golden["chat"][name]
    kwargs = {"add_generation_prompt": case["add_generation_prompt"], **case.get("kwargs", {})}
    expected = hf_processor.apply_chat_template(case["messages"], **kwargs)
    assert processor.apply_chat_template(case["messages"], **kwargs) == expected
    assert hf_processor.tokenizer.apply_chat_template(case["messages"], tokenize=False, **kwargs) == expected
    ids = hf_processor.tokenizer.apply_chat_template(
        case["messages"], tokenize=True, return_dict=False, **kwargs
    )
    assert processor.tokenizer.apply_chat_template(case["messages"], tokenize=True, **kwargs) == list(ids)


def test_the_published_template_is_stored(tokenizer_dir):
    """The fixture carries the published Qwen2-VL template in chat_template.json and tokenizer_config.json."""
    assert load_chat_template(tokenizer_dir) == QWEN2_VL_CHAT_TEMPLATE
    assert "You are a helpful assistant." in QWEN2_VL_CHAT_TEMPLATE


def test_batch_of_conversations(processor, processor_golden):
    """A list of conversations renders to a list of prompts."""
    cases = [processor_golden["chat"]["no_system"], processor_golden["chat"]["with_system"]]
    assert processor.apply_chat_template([c["messages"] for c in cases]) == [c["expected"] for c in cases]


def test_image_objects_and_none_keys(processor, processor_golden):
    """Decoded images inside items and None-valued keys do not change the rendering."""
    case = processor_golden["chat"]["no_system"]
    messages = [
        {
            "role": "user",
            "content": [
                {"type": "image", "image": Image.new("RGB", (28, 28))},
                *case["messages"][0]["content"][1:],
            ],
            "name": None,
        }
    ]
    assert processor.apply_chat_template(messages) == case["expected"]


def test_raise_exception_and_sandbox():
    """Templates can abort with raise_exception, and cannot reach Python internals."""
    with pytest.raises(jinja2.exceptions.TemplateError, match="no tools"):
        render_chat_template("{{ raise_exception('no tools') }}", [])
    with pytest.raises(jinja2.exceptions.SecurityError):
        render_chat_template("{{ messages.__class__.__mro__ }}", [])
    assert render_chat_template("{{ x | tojson }}", [], x={"a": "é<"}) == '{"a": "é<"}'


def test_bad_conversation():
    """A conversation must be a list of dicts."""
    with pytest.raises(ValueError, match="list of message dicts"):
        render_chat_template(QWEN2_VL_CHAT_TEMPLATE, "hello")
