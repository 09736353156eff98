"""Named settings shared by lessons and their tests, so both use the very same values.

Lessons: each lesson names its presets; its test trains the same preset and checks the claim
the lesson makes from it.

A preset is hyperparameters (a ``Seq2SeqConfig``) plus the task it trains on.  Fast mode
(``SEQ2SEQ_LAB_FAST=1``, read once by :func:`preset`) only shrinks the data and epochs so
headless notebook checks finish quickly; it never changes a hyperparameter a lesson is about.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field

from .config import Seq2SeqConfig


@dataclass(frozen=True)
class Preset:
    """A lesson's settings: the config, the task and its options, and why they were chosen."""

    name: str
    config: Seq2SeqConfig
    task: str = "reverse"
    task_options: dict = field(default_factory=dict)
    why: str = ""

    def train_kwargs(self) -> dict:
        """``train(**preset.train_kwargs(), seed=...)``."""
        return dict(config=self.config, task=self.task, task_options=dict(self.task_options))


# name -> (config overrides, task, task options, why)
_PRESETS: dict[str, tuple[dict, str, dict, str]] = {
    "default": ({}, "reverse", {},
                "the default lesson run: a 64-unit GRU learns to reverse digit strings of "
                "length 4-8 in a few seconds on 2 cores"),
}

FAST_ENV = "SEQ2SEQ_LAB_FAST"


def fast_mode() -> bool:
    """True when ``SEQ2SEQ_LAB_FAST`` is set to 1 (headless notebook checks)."""
    return os.environ.get(FAST_ENV, "") not in ("", "0", "false")


def preset(name: str, fast: bool | None = None) -> Preset:
    """The preset ``name``; ``fast`` (default: the environment) trims epochs and data."""
    if name not in _PRESETS:
        raise KeyError(f"no preset {name!r}; presets: {', '.join(_PRESETS)}")
    overrides, task, options, why = _PRESETS[name]
    config = Seq2SeqConfig(**overrides)
    if fast_mode() if fast is None else fast:
        config = config.replace(max_num_epochs=min(config.max_num_epochs, 2),
                                min_num_epochs=min(config.min_num_epochs, 2))
        options = {**options, "train_size": min(options.get("train_size", 2000), 500),
                   "val_size": min(options.get("val_size", 500), 200)}
    return Preset(name, config, task, options, why)


def preset_names() -> tuple[str, ...]:
    return tuple(_PRESETS)
