"""The task registry: names and aliases, which task a dataset or results file is, loading, scoring."""

from __future__ import annotations

import os

import pytest

from paddlemix.datasets.synthetic import write_layouts
from paddlemix.tasks import (
    DataFormat,
    PromptTemplate,
    Task,
    get_task,
    list_tasks,
    load_task_samples,
    register_task,
    registry,
    resolve_results_task,
    resolve_task,
    task_of,
)


@pytest.fixture
def clean_registry(monkeypatch):
    """Tasks registered by a test are gone after it."""
    monkeypatch.setattr(registry, "_TASKS", dict(registry._TASKS))
    monkeypatch.setattr(registry, "_ALIASES", dict(registry._ALIASES))


def test_the_seed_tasks_are_registered():
    assert {"counting", "geometry", "rec"} <= set(list_tasks()) and list_tasks() == sorted(list_tasks())
    assert get_task("geoqa") is get_task("geometry")  # R1-V's name, an alias
    with pytest.raises(ValueError, match=f"registered: {', '.join(list_tasks())}$"):
        get_task("segmentation")


def test_each_task_maps_the_seed_reward_names():
    assert get_task("rec").rewards == {"accuracy": "rec_iou", "format": "rec_format"}
    for name in ("counting", "geometry"):
        assert get_task(name).rewards == {"accuracy": "math_accuracy", "format": "think_format"}


RESOLVE_CASES = [
    # (dataset_name, task given, expected task)
    ("configs/data/rec.yaml", None, "rec"),  # a data yaml
    ("data/REC/rec_jsons_processed/refcoco_train.json", None, "rec"),  # one annotation file
    ("data/REC/refgta.jsonl", None, "rec"),  # jsonl too
    ("data/Counting/clevr_cogen_a_train", None, "counting"),  # R1-V's counting folder
    ("data/GEO/GEOQA_R1V_Train_8K", None, "geometry"),  # R1-V's GeoQA folder
    ("data/GEO/GEOQA_R1V_Train_8K/", None, "geometry"),  # a trailing slash
    ("data/my_set", "counting", "counting"),  # a name that says nothing, with --task
    ("data/GEO/GEOQA_R1V_Train_8K", "geoqa", "geometry"),  # the alias
]


@pytest.mark.parametrize("path, task, expected", RESOLVE_CASES)
def test_resolve_task(path, task, expected):
    assert resolve_task(path, task) == expected


def test_a_folder_no_name_decides_lists_the_candidates():
    with pytest.raises(
        ValueError,
        match=r"could be affordance, counting, counting_direct, detection, geometry, grounding, ocr .*pass --task",
    ):
        resolve_task("data/my_set")


def test_a_name_matching_two_tasks_is_ambiguous():
    with pytest.raises(ValueError, match="could be counting, geometry "):
        resolve_task("data/geo_counting")


def test_a_task_that_does_not_read_the_file_is_an_error():
    with pytest.raises(ValueError, match="--task counting does not read configs/data/rec.yaml.*rec"):
        resolve_task("configs/data/rec.yaml", "counting")
    with pytest.raises(
        ValueError, match="does not read data/GEO.*counting, counting_direct, detection, geometry, grounding"
    ):
        resolve_task("data/GEO/GEOQA_R1V_Train_8K", "rec")


def test_results_task_from_ground_truths():
    assert resolve_results_task([3, 4]) == "counting"
    assert resolve_results_task(["140°"]) == "geometry"
    assert resolve_results_task([[0, 0, 1, 1]]) == "rec"
    assert resolve_results_task([3, "4"], task="geoqa") == "geometry"
    with pytest.raises(ValueError, match="tasks that fit: none"):
        resolve_results_task([3, "4"])


def test_a_sample_without_task_names_the_fix():
    with pytest.raises(ValueError, match="no 'task' field.*task=\\[...\\]"):
        task_of({"solution": 3})


def test_load_task_samples_carries_the_task(tmp_path, monkeypatch):
    monkeypatch.setenv("PADDLEMIX_DATA_CACHE", str(tmp_path / "cache"))
    root = str(tmp_path / "data")
    write_layouts(root, n=4, n_eval=1, seed=0)
    counting = load_task_samples(os.path.join(root, "Counting", "clevr_cogen_a_train"))
    geometry = load_task_samples(os.path.join(root, "GEO", "GEOQA_R1V_Train_8K"))
    annotations = os.path.join(root, "REC", "rec_jsons_processed", "refcoco_train.json")
    rec = load_task_samples(annotations, image_root=os.path.join(root, "REC"))
    assert {s["task"] for s in counting} == {"counting"}
    assert {s["task"] for s in geometry} == {"geometry"}
    assert {s["task"] for s in rec} == {"rec"} and len(rec) > 0
    with pytest.raises(ValueError, match="--image_root is required"):
        load_task_samples(annotations)


def test_registering_a_task_needs_no_other_tasks_code(clean_registry):
    # A dataset-level metric (COCO mAP's shape): the number comes from all results at once.
    def mean_score(results, **_):
        return 100 * sum(r["score"] for r in results) / len(results)

    toy = register_task(
        Task(
            name="toy",
            prompts={"train": PromptTemplate("{Question}?")},
            rewards={"accuracy": "digit_share"},
            scorers={"fixed": lambda r, **_: r["score"] > 0.5},
            dataset_metrics={"map": mean_score},
            formats=(DataFormat("toy file", lambda p: p.endswith(".toy"), lambda p, **_: [p]),),
        )
    )
    assert "toy" in list_tasks() and resolve_task("a.toy") == "toy"
    results = [{"score": 0.9}, {"score": 0.2}]
    assert toy.score(results, "fixed").value == 50.0  # the per-sample mean
    scores = toy.score(results, "map")
    assert scores.value == pytest.approx(55.0) and scores.verdicts is None
    with pytest.raises(ValueError, match="it scores: fixed, map"):
        toy.score(results, "r1v")
    with pytest.raises(ValueError, match="already registered"):
        register_task(Task(name="toy", prompts={}, rewards={}, scorers={}))
    with pytest.raises(ValueError, match="already registered"):
        register_task(Task(name="other", prompts={}, rewards={}, scorers={}, aliases=("geoqa",)))
