"""The shared config sections: task resolution through the registry, as ConfigErrors that list the tasks."""

from __future__ import annotations

import pytest

from paddlemix.config import ConfigError
from paddlemix.training.config import DataConfig, resolve_task


@pytest.mark.parametrize(
    "dataset, task, expected",
    [
        ("data/rec.yaml", None, "rec"),  # a REC data yaml
        ("data/REC/refcoco_train.jsonl", None, "rec"),  # a REC record file
        ("data/rec.json", "rec", "rec"),  # given and consistent
        ("data/Counting/clevr_cogen_a_train", None, "counting"),  # a Hugging Face folder without "geo"
        ("data/GEO/GEOQA_R1V_Train_8K/", None, "geometry"),  # "geo" in the folder name, trailing slash
        ("data/GEO/GEOQA_R1V_Train_8K", "counting", "counting"),  # an explicit task wins over the name
    ],
)
def test_resolve_task(dataset, task, expected):
    assert resolve_task(dataset, task) == expected


@pytest.mark.parametrize(
    "dataset, task, message",
    [
        ("data/rec.yaml", "counting", "the tasks that do: rec"),  # REC files hold REC samples only
        (
            "data/Counting/x",
            "rec",
            "the tasks that do: affordance, counting, counting_direct, detection, geometry, grounding, ocr",
        ),  # rec needs a REC file
        (
            "data/Counting/x",
            "segmentation",
            "unknown task 'segmentation'; registered: ",
        ),  # unknown task, the known ones listed
        (
            "data/Counting/x",
            None,
            "it could be affordance, counting, counting_direct, detection, geometry, grounding, ocr",
        ),  # a name that decides nothing
    ],
)
def test_resolve_task_errors(dataset, task, message):
    with pytest.raises(ConfigError, match=message):
        resolve_task(dataset, task)


def test_data_config_reports_the_resolved_task():
    assert DataConfig(dataset_name="d/geoqa").resolved_task == "geometry"
    with pytest.raises(ConfigError, match="--image_root is required"):
        DataConfig(dataset_name="rec.json")
