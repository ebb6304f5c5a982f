"""docs/config.md is the reference generated from the config dataclasses, and it is current."""

from paddlemix.config.docs import DOC_PATH, train_config_markdown
from paddlemix.config.loader import field_index
from paddlemix.rl.grpo.config import TrainConfig


def test_config_reference_is_current():
    with open(DOC_PATH, encoding="utf-8") as f:
        assert f.read() == train_config_markdown(), (
            "stale docs/config.md: run python -m paddlemix.config.docs"
        )


def test_every_flag_is_documented():
    text = train_config_markdown()
    for name, (_, field, _) in field_index(TrainConfig).items():
        assert f"`--{name}`" in text
        assert field.metadata.get("doc"), f"--{name} has no documentation"
