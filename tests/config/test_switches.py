"""A command-line flag that switches a feature off drops the YAML's options of that feature, with a warning.

Options set beside the switch in the same source (both in the YAML, or both on the command line) stay an
error: there the user wrote both, and one of them is a mistake.
"""

from __future__ import annotations

import logging

import pytest
import yaml

from paddlemix.config import ConfigError
from paddlemix.rl.grpo.config import load_train_config

BASE = {"model_name_or_path": "m", "dataset_name": "d.json", "image_root": "imgs", "output_dir": "out"}


def _load(tmp_path, yaml_values: dict, flags: list[str]):
    path = tmp_path / "run.yaml"
    path.write_text(yaml.safe_dump({**BASE, **yaml_values}))
    return load_train_config(["--config", str(path), *flags])


@pytest.mark.parametrize(
    "yaml_values, flags, read, expected, warned",
    [
        # saving switched off: the YAML's cadence and limit go back to their defaults
        (
            {"save_steps": 100, "save_total_limit": 2},
            ["--save_strategy", "no"],
            lambda c: (c.trainer.save_strategy, c.trainer.save_steps, c.trainer.save_total_limit),
            ("no", 500, None),
            ["save_steps: 100", "save_total_limit: 2", "--save_strategy no"],
        ),
        # VisualDL switched off: its folder is dropped
        (
            {"logging_dir": "logs"},
            ["--report_to", "none"],
            lambda c: c.trainer.logging_dir,
            None,
            ["logging_dir: 'logs'", "--report_to none"],
        ),
        # a step count given on the command line replaces the YAML's epoch count
        (
            {"num_train_epochs": 3},
            ["--max_steps", "10"],
            lambda c: (c.trainer.max_steps, c.trainer.num_train_epochs),
            (10, 1.0),
            ["num_train_epochs: 3", "--max_steps 10"],
        ),
        # one update per rollout: the clip settings of a μ > 1 YAML go
        (
            {"num_iterations": 2, "epsilon": 0.3, "epsilon_high": 0.4, "save_steps": 100},
            ["--num_iterations", "1"],
            lambda c: (c.grpo.epsilon, c.grpo.epsilon_high),
            (0.2, None),
            ["epsilon: 0.3", "epsilon_high: 0.4", "--num_iterations 1"],
        ),
        # half precision switched off: its level and master grads go
        (
            {"bf16": True, "fp16_opt_level": "O2", "amp_master_grad": True},
            ["--bf16", "False"],
            lambda c: (c.model.bf16, c.model.fp16_opt_level, c.model.amp_master_grad),
            (False, "O1", False),
            ["fp16_opt_level: 'O2'", "amp_master_grad: True", "--bf16 False"],
        ),
        # sharding switched off: its degree goes
        (
            {"sharding": "stage1", "sharding_parallel_degree": 2},
            ["--sharding", ""],
            lambda c: (c.distributed.sharding, c.distributed.sharding_parallel_degree),
            ("", -1),
            ["sharding_parallel_degree: 2"],
        ),
    ],
)
def test_command_line_switch_off_warns_and_drops(
    tmp_path, caplog, yaml_values, flags, read, expected, warned
):
    with caplog.at_level(logging.WARNING, logger="paddlemix.config.loader"):
        cfg = _load(tmp_path, yaml_values, flags)
    assert read(cfg) == expected
    lines = [r.getMessage() for r in caplog.records]
    for text in warned:
        assert any(text in line and "run.yaml" in line for line in lines), (text, lines)
    assert all("\n" not in line for line in lines)


def test_a_yaml_value_equal_to_the_default_is_dropped_silently(tmp_path, caplog):
    with caplog.at_level(logging.WARNING, logger="paddlemix.config.loader"):
        cfg = _load(tmp_path, {"save_steps": 500}, ["--save_strategy", "no"])
    assert cfg.trainer.save_strategy == "no" and not caplog.records


@pytest.mark.parametrize(
    "yaml_values, flags, message",
    [
        # both in the YAML
        ({"save_strategy": "no", "save_steps": 100}, [], "no effect with --save_strategy no"),
        # both on the command line
        ({}, ["--save_strategy", "no", "--save_steps", "100"], "no effect with --save_strategy no"),
        # the switch in the YAML, the option on the command line: the user asked for it there
        ({"save_strategy": "no"}, ["--save_steps", "100"], "no effect with --save_strategy no"),
        # VisualDL off and its folder, both in the YAML
        ({"report_to": "none", "logging_dir": "x"}, [], "logging_dir has no effect"),
    ],
)
def test_same_source_stays_an_error(tmp_path, yaml_values, flags, message):
    with pytest.raises(ConfigError, match=message):
        _load(tmp_path, yaml_values, flags)


def test_the_switch_on_the_command_line_keeps_a_feature_that_is_on(tmp_path):
    cfg = _load(tmp_path, {"save_steps": 100}, ["--save_strategy", "steps"])
    assert cfg.trainer.save_steps == 100
