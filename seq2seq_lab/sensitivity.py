"""One hyperparameter at a time: how far does each move the validation loss?

Lessons: 00 (SageMaker names batch_size, optimizer_type, learning_rate and the layer counts as
the hyperparameters that matter most for seq2seq: does our scale agree?).

Read the sketch first::

    the defaults, once per seed
    for each hyperparameter in ``around``: each of its values, the rest at the defaults, per seed
    -> compare_settings(...)          # every run one train(), spread over the worker processes
    effects(runs): per (hyperparameter, value) the mean best validation loss over the seeds
                   and its lowest-highest band; the defaults' band is the yardstick

A change whose whole band lies outside the defaults' band moved the loss by more than the seed
does.  ``panels.draw_sensitivity`` draws it; ``widgets.sensitivity.Sensitivity`` trains it live.
"""
from __future__ import annotations

import math
import re
import statistics
from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

from .compare import Setting, compare_settings
from .config import Seq2SeqConfig, format_value
from .history import History
from .presets import preset

DEFAULTS = "defaults"
# The seq2seq hyperparameters SageMaker's documentation calls the most influential; the
# lesson tests that claim, so the chart marks them.
SAGEMAKER_MOST = ("batch_size", "optimizer_type", "learning_rate", "num_layers_encoder",
                  "num_layers_decoder")
_SEED_MARK = " · seed "


def label_of(field: str | None, value, seed: int) -> str:
    """A run's legend label: ``"learning_rate=0.03 · seed 1"``, ``"defaults · seed 0"``."""
    name = DEFAULTS if field is None else f"{field}={format_value(value)}"
    return f"{name}{_SEED_MARK}{seed}"


def setting_of(label: str) -> str:
    """A run's label without its seed: ``"learning_rate=0.03"``, ``"defaults"``."""
    return label.split(_SEED_MARK, 1)[0]


def group_of(label: str) -> tuple[str | None, str]:
    """(hyperparameter, value text) of a label; (None, "defaults") for the defaults."""
    name = setting_of(label)
    if name == DEFAULTS or "=" not in name:
        return None, DEFAULTS
    field, value = name.split("=", 1)
    return field, value


def around_settings(base: Seq2SeqConfig, around: Mapping[str, Sequence],
                    seeds: Iterable[int] = (0, 1, 2), task_options: dict | None = None
                    ) -> list[Setting]:
    """The defaults, then every value of every field in ``around`` with the others at the
    defaults, each once per seed.  A value equal to the default is the defaults: left out."""
    seeds, options = list(seeds), dict(task_options or {})
    settings = [Setting(base, seed, options, label_of(None, None, seed)) for seed in seeds]
    for field, values in around.items():
        for value in values:
            config = base.replace(**{field: value})   # ConfigError names a bad field or value
            if config == base:
                continue
            settings += [Setting(config, seed, options, label_of(field, getattr(config, field),
                                                                   seed)) for seed in seeds]
    return settings


def parse_around(text: str, base: Seq2SeqConfig) -> dict[str, list]:
    """``"learning_rate=0.0003, 0.03; batch_size=16, 128"`` -> ``{field: [values]}``, each value
    checked by the config (a ``ConfigError`` in the learner's words); ValueError if a part has
    no ``name=``."""
    around: dict[str, list] = {}
    for part in (p.strip() for p in text.split(";")):
        if not part:
            continue
        if "=" not in part:
            raise ValueError(part)
        field, values = (s.strip() for s in part.split("=", 1))
        texts = [v for v in re.split(r"[,\s]+", values) if v]
        if not texts:
            raise ValueError(part)
        around[field] = [getattr(base.replace(**{field: v}), field) for v in texts]
    return around


def format_around(around: Mapping[str, Sequence]) -> str:
    return "; ".join(f"{field}={', '.join(format_value(v) for v in values)}"
                     for field, values in around.items())


@dataclass(frozen=True)
class Effect:
    """One group of runs (a hyperparameter at one value, or the defaults) over its seeds."""

    field: str | None
    value: str
    mean: float
    low: float
    high: float
    seeds: int

    def clear_of(self, other: "Effect") -> bool:
        """True when the two bands do not overlap: more than the seed moved the loss."""
        return self.low > other.high or self.high < other.low


def best_val_loss(history: History) -> float:
    """The run's lowest validation loss; a diverged run counts as its first loss (no better
    than it started), so a blow-up reads as "no progress", not as a missing point."""
    finite = [v for v in history.val_loss if math.isfinite(v)]
    if history.diverged or not finite:
        start = history.train_loss[0] if history.train_loss else math.nan
        return min(finite + [start]) if finite else start
    return min(finite)


def effects(histories: Sequence[History]) -> tuple[Effect | None, list[Effect]]:
    """(the defaults, every changed setting) from finished runs, grouped by label."""
    groups: dict[tuple, list[float]] = {}
    for history in histories:
        if history.steps:
            groups.setdefault(group_of(history.label), []).append(best_val_loss(history))
    made = {key: Effect(key[0], key[1], statistics.fmean(v), min(v), max(v), len(v))
            for key, v in groups.items()}
    base = made.pop((None, DEFAULTS), None)
    return base, list(made.values())


def ranked_fields(base: Effect | None, changed: Sequence[Effect]) -> list[str]:
    """Hyperparameters, the one whose values moved the mean loss furthest from the defaults'
    first."""
    reach: dict[str, float] = {}
    for effect in changed:
        distance = abs(effect.mean - base.mean) if base is not None else 0.0
        reach[effect.field] = max(reach.get(effect.field, 0.0), distance)
    return sorted(reach, key=lambda field: -reach[field])


def sensitivity(name: str, around: Mapping[str, Sequence], seeds: Iterable[int] = (0, 1, 2),
                fast: bool | None = None, **kwargs) -> list[History]:
    """Train preset ``name`` and each change of ``around`` over ``seeds``; ``kwargs`` go to
    ``compare_settings`` (callbacks, stop_event, workers)."""
    chosen = preset(name, fast=fast)
    settings = around_settings(chosen.config, around, seeds, chosen.task_options)
    return compare_settings(settings, chosen.task, **kwargs)


__all__ = ["SAGEMAKER_MOST", "Effect", "around_settings", "effects", "parse_around", "ranked_fields",
           "sensitivity"]
