"""What a task is: the one record that says how its samples load, prompt, reward, score and aggregate.

A task is a `Task` registered by name (`registry.py`); rec, counting and geometry are one file each beside
this one. Everything downstream dispatches on `sample["task"]` through the registry, never on the shape of a
solution: the `accuracy`/`format` rewards look up `Task.rewards`, the eval and `--rescore` look up
`Task.scorers` and `Task.aggregate`, the prompts come from `Task.prompts`, and the training data from
`Task.formats`.

Scoring a dataset has two shapes, both behind `Task.score(results, metric)`:
- per sample (rec, counting, geometry): a scorer says whether one result is right, and the dataset's number
  is the percentage of right ones (`mean_percent`, computed as R1-V does so the floats match its files);
- over the whole dataset (COCO mAP, say): set `Task.dataset_metrics[metric]` to a function of all the
  results at once; its value is the dataset's number, and per-sample scorers, if any, still mark each result.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

# One result record of a results file -> is it right (`correct`)? Keyword options: see `Task.score`.
Scorer = Callable[..., bool]
# All result records of a dataset -> the dataset's number (e.g. COCO mAP in percent).
DatasetMetric = Callable[..., float]


def mean_percent(verdicts: Sequence[bool]) -> float:
    """Percent correct, computed as R1-V does (count / n * 100) so the floats match its files."""
    if not verdicts:
        raise ValueError("no results to score")
    return sum(verdicts) / len(verdicts) * 100


@dataclass(frozen=True)
class PromptTemplate:
    """One prompt of a task: a template whose `{Question}` is filled with the sample field `field`."""

    template: str
    field: str = "problem"
    thinking: bool = True  # whether the prompt asks for <think> </think> before the answer


@dataclass(frozen=True)
class DataFormat:
    """A training-data format a task reads: how to recognise a `--dataset_name` of it, and how to load it.

    `matches(path)` says whether the path is of this format at all (a suffix, a folder). Several tasks may
    read the same format (R1-V's counting and geometry sets are both Hugging Face folders); `name_hints`
    then tell them apart by the folder's name, and a path that fits none or several is an error listing them.
    """

    name: str
    matches: Callable[[str], bool]
    load: Callable[..., object]  # (path, task=, image_root=, split=, seed=) -> SampleDataset
    name_hints: tuple[str, ...] = ()  # lower-case substrings of the folder/file name that mean this task

    def hinted(self, path: str) -> bool:
        """Whether the base name of `path` holds one of the hints (always True without hints)."""
        if not self.name_hints:
            return True
        base = os.path.basename(os.path.normpath(path)).lower()
        return any(hint in base for hint in self.name_hints)


@dataclass(frozen=True)
class Scores:
    """A dataset's score: its number (percent) and each result's verdict (None for dataset-only metrics)."""

    value: float
    verdicts: list[bool] | None


@dataclass(frozen=True)
class Task:
    """Everything the toolkit knows about one task, declared in one place (see the module docstring)."""

    name: str
    prompts: dict[str, PromptTemplate]  # mode ("train" | "eval" | "baseline" ...) -> template
    rewards: dict[str, str]  # generic reward name ("accuracy", "format") -> this task's registered reward
    scorers: dict[str, Scorer]  # metric ("fixed" ours, "r1v", "seed" published) -> per-result scorer
    formats: tuple[DataFormat, ...] = ()  # training-data formats this task reads
    is_ground_truth: Callable[[object], bool] | None = None  # recognises its ground truth in an untagged file
    dataset_metrics: dict[str, DatasetMetric] = field(default_factory=dict)  # metric -> whole-dataset number
    other_rewards: tuple[str, ...] = ()  # task-specific rewards that also score its samples, beyond `rewards`
    default_rewards: tuple[str, ...] = ("accuracy", "format")  # the `reward_funcs` its recipes use
    aliases: tuple[str, ...] = ()  # other names accepted for it (on the command line, in old files)

    def prompt(self, mode: str) -> PromptTemplate:
        """The prompt of `mode`; an error listing this task's modes otherwise."""
        if mode not in self.prompts:
            raise ValueError(f"task {self.name!r} has no {mode!r} prompt; it has: {', '.join(self.prompts)}")
        return self.prompts[mode]

    def reward(self, generic: str) -> str:
        """The registered reward this task uses for a generic name such as "accuracy"."""
        if generic not in self.rewards:
            raise ValueError(
                f"task {self.name!r} has no {generic!r} reward; it maps: {', '.join(sorted(self.rewards))}"
            )
        return self.rewards[generic]

    def uses_reward(self, name: str) -> bool:
        """Whether the registered reward `name` scores this task's samples (else it returns None for them)."""
        return name in self.rewards.values() or name in self.other_rewards

    @property
    def metrics(self) -> tuple[str, ...]:
        """The metrics this task can be scored with."""
        return tuple(dict.fromkeys([*self.scorers, *self.dataset_metrics]))

    def score(self, results: list[dict], metric: str = "fixed", **options) -> Scores:
        """The dataset's number under `metric` and each result's verdict.

        options are passed to the scorers (rec reads `coord_frame` and `rec_method`; others ignore them).
        """
        if metric not in self.metrics:
            raise ValueError(
                f"metric {metric!r} has no scorer for task {self.name!r}; it scores: {', '.join(self.metrics)}"
            )
        if not results:
            raise ValueError("no results to score")
        scorer = self.scorers.get(metric)
        verdicts = [bool(scorer(r, **options)) for r in results] if scorer else None
        if metric in self.dataset_metrics:
            return Scores(float(self.dataset_metrics[metric](results, **options)), verdicts)
        return Scores(mean_percent(verdicts), verdicts)
