"""Several seeds of a few presets, trained together and drawn as bands.

Lessons: 06 (a big model with and without regularisation, over 3 seeds: is the pull-back
bigger than what a seed changes?).

One run can mislead: near the edge of a regime the seed alone (initial weights, batch order,
dropout) can decide what a curve does.  So a lesson's claim is shown the way its test checks
it, over seeds::

    runs = train_seeds({"plain": "lesson_06_overfit", "regularised": "lesson_06_regularised"},
                       seeds=[0, 1, 2])
    bands(runs)          # validation and training loss: mean line, min-max band per preset

``train_seeds`` is ``compare`` once per preset (each run one ``train()``, spread over the
worker processes); ``bands`` draws with ``panels.draw_bands`` on its own Agg figure and
returns a PNG a notebook shows (no pyplot, as everywhere in the library).
"""
from __future__ import annotations

from typing import Iterable, Mapping, Sequence

from matplotlib.figure import Figure

from .compare import compare
from .history import History
from .panels import RUN_COLORS, RunView, draw_bands, look_for
from .plots import to_png
from .presets import preset


def train_seeds(presets: Mapping[str, str] | Sequence[str], seeds: Iterable[int] = (0, 1, 2),
                fast: bool | None = None) -> list[History]:
    """Every preset once per seed.  ``presets``: ``{legend label: preset name}``, or preset
    names (then each is its own label); each History's ``label`` is its preset's label."""
    seeds = list(seeds)
    named = dict(presets) if isinstance(presets, Mapping) else {name: name for name in presets}
    runs = []
    for label, name in named.items():
        chosen = preset(name, fast=fast)
        histories = compare(chosen.config, task=chosen.task, task_options=chosen.task_options,
                            seeds=seeds)
        for history in histories:
            history.label = label
        runs.extend(histories)
    return runs


def bands(runs: Sequence[History], metrics: Sequence[str] = ("val_loss", "train_loss"), *,
          theme: str = "notebook", language: str | None = None):
    """One panel per metric: for each setting (runs of one config), its mean over the seeds
    and the band from the lowest to the highest seed.  Returns an ``IPython.display.Image``."""
    from IPython.display import Image

    look = look_for(theme, language)
    colors = {}
    views = []
    for history in runs:
        color = colors.setdefault(history.config, RUN_COLORS[len(colors) % len(RUN_COLORS)])
        views.append(RunView(history, history.label, color, "member"))
    figure = Figure(figsize=(look.theme.width, look.theme.height), dpi=look.theme.dpi,
                    layout="constrained")
    for i, metric in enumerate(metrics):
        draw_bands(figure.add_subplot(1, len(metrics), i + 1), views, metric=metric,
                   theme=look, language=language)
    return Image(to_png(figure, dpi=look.theme.dpi))


__all__ = ["bands", "train_seeds"]
