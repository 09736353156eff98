"""``Sensitivity``: one click trains the defaults and each hyperparameter changed on its own,
over a few seeds; a row per change fills in live (``sensitivity.py`` has the method).

Lessons: 00 (which hyperparameters move the validation loss most, at our scale?).

It is a ``Compare`` whose settings are not one field's values but "each field alone": its
text box reads ``learning_rate=0.0003, 0.03; batch_size=16, 128`` (a bad name or value is
reported in plain words, in the widget), a second box the seeds.  Training, Stop, the status
line and the exports are Compare's.
"""
from __future__ import annotations

import html
import re
import statistics
import threading

import ipywidgets as widgets

from ..compare import compare_settings
from ..config import ConfigError
from ..i18n import t
from ..sensitivity import (around_settings, effects, format_around, parse_around, ranked_fields,
                           setting_of)
from ..training import total_steps
from .compare import Compare, _seed_value
from .figure import RUN_COLORS
from .panel import RunRecord

MAX_RUNS = 48   # settings x seeds in one click: more would keep a class waiting minutes


class Sensitivity(Compare):
    """Train the defaults and every value of ``around`` (one field changed at a time) for each
    of ``seeds``; the ``sensitivity`` panel draws a row per change against the defaults.

    :param around: ``{field: [values]}``, each field changed alone from the defaults
    :param seeds: the seeds every setting is trained with (the bars span them)
    Other parameters as for ``Compare``.
    """

    ROOT_CLASS = "s2s-sensitivity"   # its own: its boxes read differently from Compare's

    def __init__(self, around: dict, seeds=(0, 1, 2), task: str | None = None, *,
                 preset: str | None = None, config=None, task_options: dict | None = None,
                 theme: str = "notebook", language: str | None = None, max_runs: int = 200,
                 export_dir: str = "runs", device: str | None = None,
                 panels=("sensitivity",)):
        self._around, self._seeds = around, tuple(seeds)   # read by _value_controls
        super().__init__("sensitivity", (), task, preset=preset, config=config, seed=0,
                         task_options=task_options, theme=theme, language=language,
                         max_runs=max_runs, export_dir=export_dir, device=device, panels=panels)

    def _value_controls(self, values) -> list:
        """Two boxes instead of Compare's one: the changes (each field alone) and the seeds."""
        self.values_box = widgets.Text(
            value=format_around(self._around),
            description=t("sensitivity_values", self.language),
            style={"description_width": "initial"}, continuous_update=False,
            layout=widgets.Layout(width="760px"))
        self.values_box.add_class("s2s-param-sensitivity")
        self.seeds_box = widgets.Text(
            value=", ".join(str(s) for s in self._seeds),
            description=t("sensitivity_seeds", self.language),
            style={"description_width": "initial"}, continuous_update=False,
            layout=widgets.Layout(width="200px"))
        self.seeds_box.add_class("s2s-param-seeds")
        return [widgets.HBox([self.values_box, self.seeds_box])]

    def _runs_to_warm(self, values) -> int:
        return 2   # a click trains many settings: a worker per core

    def read_values(self):
        """The settings to train (defaults first), or None and a message in the widget."""
        self.values_box.remove_class("s2s-invalid")
        problem = None
        try:
            seeds = []
            for text in (s for s in re.split(r"[,;\s]+", self.seeds_box.value.strip()) if s):
                seed = _seed_value(text, self.language)
                if seed not in seeds:
                    seeds.append(seed)
            if not seeds:
                raise ValueError(self.seeds_box.value)
            around = parse_around(self.values_box.value, self.base_config)
            settings = around_settings(self.base_config, around, seeds, self.task_options)
            if len(settings) > MAX_RUNS:
                problem = t("compare_too_many", self.language, limit=MAX_RUNS,
                            count=len(settings))
        except ConfigError as error:
            problem = error.message(self.language)
        except ValueError as error:
            problem = t("sensitivity_bad", self.language, part=str(error) or error.args)
        if problem is not None:
            self.values_box.add_class("s2s-invalid")
            self._say(t("lab_cannot_train", self.language, reason=problem), error=True)
            return None
        return settings

    def _job(self, settings: list, stop: threading.Event) -> None:
        first = self.finished_count + 1
        members = [RunRecord(first + i, None, s.label, RUN_COLORS[i % len(RUN_COLORS)],
                             planned=total_steps(s.config, self.task))
                   for i, s in enumerate(settings)]
        train_all = self._compare_function or compare_settings
        self._train_members(members, stop, lambda callbacks: train_all(
            settings, self.task_name, callbacks=callbacks, stop_event=stop, device=self.device))

    # ---- drawing -----------------------------------------------------------------------
    def _show_legend(self, views) -> None:
        """One entry per setting, not per run: 30 runs' names and costs buried the chart.
        Each says its seeds so far and their mean time; no key of line styles (no lines)."""
        groups: dict[str, list] = {}
        for view in views:
            groups.setdefault(setting_of(view.label), []).append(view.history)
        entries = []
        for name, histories in groups.items():
            done = [h for h in histories if h.wall_time > 0]
            cost = t("sensitivity_cost", self.language, seeds=len(done),
                     weights=histories[0].num_parameters,
                     seconds=statistics.fmean(h.wall_time for h in done) if done else 0.0)
            entries.append(f'<span style="white-space:nowrap;margin-right:18px">'
                           f"{html.escape(name)} <span style=\"color:#666\">({html.escape(cost)})"
                           f"</span></span> ")
        value = f'<div style="font-size:{self._text_size};line-height:1.6">{"".join(entries)}</div>'
        if value != self.legend.value:
            self.legend.value = value
        self.legend_labels = list(groups)

    def _diagnosis_html(self, views, shown=(), training: bool = False) -> str:
        """The chart's reading in one sentence: which changes moved the loss beyond the seeds'
        range (ranked), which stayed within it."""
        if training or not views:
            return ""
        base, changed = effects([v.history for v in views])
        if base is None or not changed:
            return ""
        order = ranked_fields(base, changed)
        beyond = [f for f in order if any(e.clear_of(base) for e in changed if e.field == f)]
        within = [f for f in order if f not in beyond]
        none = t("sensitivity_none", self.language)
        text = t("sensitivity_verdict", self.language, beyond=", ".join(beyond) or none,
                 within=", ".join(within) or none, seeds=base.seeds)
        return (f'<div style="border-left:4px solid #009E73;padding:4px 10px">'
                f"{html.escape(text)}</div>")


__all__ = ["Sensitivity"]
