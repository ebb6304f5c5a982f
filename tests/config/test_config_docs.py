"""docs/config.md is the reference generated from the config dataclasses, and it is current."""

import os

import pytest

from paddlemix.config.docs import main, train_config_markdown
from paddlemix.config.loader import field_index
from paddlemix.rl.grpo.config import TrainConfig

DOC_PATH = os.path.join(
    os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "docs", "config.md"
)


def test_config_reference_is_current():
    with open(DOC_PATH, encoding="utf-8") as f:
        assert f.read() == train_config_markdown(), (
            f"stale docs/config.md: run python -m paddlemix.config.docs {DOC_PATH}"
        )


def test_every_flag_is_documented():
    text = train_config_markdown()
    for name, (_, field, _) in field_index(TrainConfig).items():
        assert f"`--{name}`" in text
        assert field.metadata.get("doc"), f"--{name} has no documentation"


def test_writes_and_checks_the_path_it_is_given(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # nothing may land in the working directory
    target = tmp_path / "out" / "reference.md"
    with pytest.raises(SystemExit):
        main(["--check", str(target)])  # missing: stale
    main([str(target)])
    assert target.read_text(encoding="utf-8") == train_config_markdown()
    main(["--check", str(target)])
    assert os.listdir(tmp_path) == ["out"]
