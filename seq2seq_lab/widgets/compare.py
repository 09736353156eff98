"""``Compare``: one click trains several values of one hyperparameter together, drawn live.

Lessons: 01 (learning rates side by side), 02, 04, 05 and 07 (whichever setting a lesson
compares); the one-run-at-a-time widget is ``Lab`` in ``lab.py``.

``Compare(param="learning_rate", values=[1e-4, 1e-3, 1e-2, 0.1])`` shows the values in a text
box (so a learner can type others, and a bad one is reported in plain words), Train, Stop and
one figure in which every value's curves grow together, one colour each, with one shared
legend.  Training is ``compare()`` (``compare.py``), which batches the values into one model
where their shapes allow, dealt to worker processes, one per core (``workers.py``), so eight
values cost about three lone runs, not eight.
"""
from __future__ import annotations

import functools
import re
import threading
import time
import traceback

import ipywidgets as widgets

from ..config import ConfigError, Seq2SeqConfig, format_value
from ..i18n import t
from .figure import RUN_COLORS, RunView
from .live import snapshot
from .panel import LivePanel, RunRecord
from ..training import resolve_device, total_steps

MAX_VALUES = 8  # more lines than this are unreadable in one figure (and slow on 2 cores)


class Compare(LivePanel):
    """Train every value of ``param`` together; the latest comparison fills the figure.

    :param param: the config field to vary
    :param values: its values (editable in the widget); other parameters as for ``Lab``
    """

    ROOT_CLASS = "s2s-compare"

    def __init__(self, param: str = "learning_rate", values=(1e-4, 1e-3, 1e-2, 0.1),
                 task: str | None = None, *, preset: str | None = None,
                 config: dict | Seq2SeqConfig | None = None, seed: int = 0,
                 task_options: dict | None = None, theme: str = "notebook",
                 language: str | None = None, max_runs: int = 100, export_dir: str = "runs",
                 device: str | None = None, torch_threads: int | None = 1,
                 panels=("loss", "accuracy")):
        super().__init__(task=task, preset=preset, config=config, seed=seed,
                         task_options=task_options, theme=theme, language=language,
                         max_runs=max_runs, export_dir=export_dir, device=device,
                         torch_threads=torch_threads, panels=panels)
        self.param = param
        self._members: list[RunRecord] = []     # the comparison on the figure
        self._compare_function = None           # compare(); tests may replace it
        fields = Seq2SeqConfig.fields()
        if param not in fields:
            self._problem(ConfigError("unknown_field", param, name=param, hint="")
                          .message(self.language))
        meta = fields.get(param, {})
        self.values_box = widgets.Text(
            value=", ".join(format_value(v) for v in values),
            description=t("compare_values", self.language, name=param),
            tooltip=t("compare_values_help", self.language) + " " + meta.get(self.language, ""),
            style={"description_width": "initial"}, continuous_update=False,
            layout=widgets.Layout(width="560px"))
        self.values_box.add_class(f"s2s-param-{param}")
        self._build([self.values_box])
        if resolve_device(device).type == "cpu":
            # Start the workers now: each imports torch (~2 s) while the learner reads.
            from ..parallel import pool
            pool.warm(len(values))

    # ---- public API ------------------------------------------------------------------
    def train(self) -> bool:
        """Parse the values and train them together (stopping a comparison in progress)."""
        configs = self.read_configs()
        if configs is None or (self.task is None and self._build_task(show=True) is None):
            return False
        self._say("")
        self._show_starting()
        self.runner.start(functools.partial(self._job, configs))
        return True

    def read_configs(self) -> list[Seq2SeqConfig] | None:
        """One validated config per distinct value in the text box; None and a message if a
        value is rejected."""
        self.values_box.remove_class("s2s-invalid")
        texts = [v for v in re.split(r"[,;\s]+", self.values_box.value.strip()) if v]
        problem = None
        if not texts:
            example = "0.001, 0.01, 0.1"
            problem = t("compare_no_values", self.language, name=self.param, example=example)
        elif len(texts) > MAX_VALUES:
            problem = t("compare_too_many", self.language, limit=MAX_VALUES, count=len(texts))
        configs: list[Seq2SeqConfig] = []
        if problem is None:
            try:
                for text in texts:
                    config = self.base_config.replace(**{self.param: text})
                    if config not in configs:
                        configs.append(config)
            except ConfigError as error:
                problem = error.message(self.language)
        if problem is not None:
            self.values_box.add_class("s2s-invalid")
            self._say(t("lab_cannot_train", self.language, reason=problem), error=True)
            return None
        return configs

    # ---- the training thread ---------------------------------------------------------
    def _job(self, configs: list[Seq2SeqConfig], stop: threading.Event) -> None:
        first = self.finished_count + 1
        members = [RunRecord(first + i, None, f"{self.param}={format_value(getattr(c, self.param))}",
                             RUN_COLORS[i % len(RUN_COLORS)], planned=total_steps(c, self.task))
                   for i, c in enumerate(configs)]
        by_config = {c: m for c, m in zip(configs, members)}
        with self._lock:
            self._members = members
        self._begin(members[0])
        recorder = _MemberRecorder(self, by_config)
        compare = self._compare_function
        if compare is None:
            from ..compare import compare
        try:
            values = [getattr(c, self.param) for c in configs]
            histories = compare(self.base_config, vary={self.param: values}, task=self.task,
                                seed=self.seed, callbacks=[recorder], stop_event=stop,
                                device=self.device)
        except Exception as error:  # noqa: BLE001 - shown in the widget
            self._training_failed(error, traceback.format_exc())
            histories = [m.history for m in members]
        for member, history in zip(members, histories):
            if history is not None:
                history.label = member.label
                member.history = history
        done = [m for m in members if m.history is not None and m.history.steps]
        self._finish_all(done)

    def _finish_all(self, done: list[RunRecord]) -> None:
        with self._lock:
            for older in self._records:
                older.history.model = None
            self._records.extend(done)
            self._trim()
            self.finished_count += len(done)
            self._current, self.current = None, None
            self._members = done or self._members
            if done:
                steps = max(m.history.steps for m in done)
                seconds = max(m.history.wall_time for m in done)
                key = "compare_finished" if len(done) > 1 else "compare_finished_one"
                self._status_text = t(key, self.language, count=len(done),
                                      first=done[0].number, last=done[-1].number, steps=steps,
                                      seconds=seconds)
                if any(m.history.stopped_by_user for m in done):
                    self._status_text += t("lab_end_stopped", self.language)
            else:
                # Stopped (or failed) before any member finished a batch: nothing to record,
                # but the status must not keep saying "starting" or "training".
                self._status_text = t("lab_stopped_before_start", self.language)
        self.drawer.request(final=True)

    # ---- drawing -----------------------------------------------------------------------
    def _views(self):
        with self._lock:
            members, running = list(self._members), self._current
        views = [RunView(snapshot(m.history), m.label, m.color, "member", m.planned)
                 for m in members if m.history is not None]
        return views, running

    def _render(self) -> None:
        super()._render()
        with self._lock:
            members, running, started = list(self._members), self._current, self._started_at
        if not members:
            return
        if running is None:
            finished = any(m.history is not None and m.history.steps for m in members)
            self.progress.max, self.progress.value = 1, int(finished)
            self.progress.bar_style = "success" if finished else "warning"
            return
        steps = [m.history.steps if m.history is not None else 0 for m in members]
        total = max(m.planned for m in members)
        self.progress.max = max(1, sum(m.planned for m in members))
        self.progress.value = min(sum(steps), self.progress.max)
        self.status.value = t("compare_progress", self.language, count=len(members),
                              step=max(steps), total=total,
                              seconds=time.perf_counter() - started)


class _MemberRecorder:
    """Callback for ``compare``: each call carries one member's History; find its record by
    the member's config."""

    def __init__(self, panel: Compare, by_config: dict):
        self.panel, self.by_config = panel, by_config

    def on_batch_end(self, history) -> None:
        member = self.by_config.get(history.config)
        if member is not None and member.history is None:
            member.history = history
            self.panel.current = history
            self.panel.drawer.request(final=True)   # first points at once (see widgets.py)
            return
        self.panel.drawer.request()

    on_evaluation_end = on_batch_end
    on_run_end = on_batch_end
