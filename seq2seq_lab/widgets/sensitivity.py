"""``Sensitivity``: one click trains the defaults and each hyperparameter changed on its own,
over a few seeds; a row per change fills in live (``sensitivity.py`` has the method).

Lessons: 00 (which hyperparameters move the validation loss most, at our scale?).

It is a ``Compare`` whose settings are not one field's values but "each field alone": its
text box reads ``learning_rate=0.0003, 0.03; batch_size=16, 128`` (a bad name or value is
reported in plain words, in the widget), a second box the seeds.  Training, Stop, the status
line and the exports are Compare's.
"""
from __future__ import annotations

import functools
import re
import threading
import traceback

import ipywidgets as widgets

from ..compare import compare_settings
from ..config import ConfigError
from ..i18n import t
from ..sensitivity import around_settings, format_around, parse_around
from ..training import resolve_device, total_steps
from .compare import Compare, _MemberRecorder, _seed_value
from .figure import RUN_COLORS
from .panel import LivePanel, RunRecord

MAX_RUNS = 48   # settings x seeds in one click: more would keep a class waiting minutes


class Sensitivity(Compare):
    """Train the defaults and every value of ``around`` (one field changed at a time) for each
    of ``seeds``; the ``sensitivity`` panel draws a row per change against the defaults.

    :param around: ``{field: [values]}``, each field changed alone from the defaults
    :param seeds: the seeds every setting is trained with (the bars span them)
    Other parameters as for ``Compare``.
    """

    ROOT_CLASS = "s2s-compare"

    def __init__(self, around: dict, seeds=(0, 1, 2), task: str | None = None, *,
                 preset: str | None = None, config=None, task_options: dict | None = None,
                 theme: str = "notebook", language: str | None = None, max_runs: int = 200,
                 export_dir: str = "runs", device: str | None = None,
                 panels=("sensitivity",)):
        LivePanel.__init__(self, task=task, preset=preset, config=config, seed=0,
                           task_options=task_options, theme=theme, language=language,
                           max_runs=max_runs, export_dir=export_dir, device=device,
                           panels=panels)
        self.param = "sensitivity"
        self._members = []
        self._compare_function = None
        self.values_box = widgets.Text(
            value=format_around(around), description=t("sensitivity_values", self.language),
            style={"description_width": "initial"}, continuous_update=False,
            layout=widgets.Layout(width="760px"))
        self.values_box.add_class("s2s-param-sensitivity")
        self.seeds_box = widgets.Text(
            value=", ".join(str(s) for s in seeds), description=t("sensitivity_seeds", self.language),
            style={"description_width": "initial"}, continuous_update=False,
            layout=widgets.Layout(width="200px"))
        self.seeds_box.add_class("s2s-param-seeds")
        self._build([widgets.HBox([self.values_box, self.seeds_box])])
        if resolve_device(device).type == "cpu":
            from ..parallel import pool
            pool.warm(2)

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
        with self._lock:
            self._members = members
        self._begin(members[0])
        recorder = _MemberRecorder(self, {m.label: m for m in members})
        with self._lock:
            self._recorder = recorder
        train_all = self._compare_function or compare_settings
        try:
            histories = train_all(settings, self.task_name, callbacks=[recorder],
                                  stop_event=stop, device=self.device)
        except Exception as error:  # noqa: BLE001 - shown in the widget
            self._training_failed(error, traceback.format_exc())
            histories = [m.history for m in members]
        for member, history in zip(members, histories):
            if history is not None:
                history.label = member.label
                member.history = history
        self._finish_all([m for m in members if m.history is not None and m.history.steps])


__all__ = ["Sensitivity"]
