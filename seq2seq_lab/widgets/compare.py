"""``Compare``: one click trains several values of one hyperparameter together, drawn live.

Lessons: 01 (learning rates side by side), 02, 04, 05 and 07 (whichever setting a lesson
compares); the one-run-at-a-time widget is ``Lab`` in ``lab.py``.

``Compare(param="learning_rate", values=[1e-4, 1e-3, 1e-2, 0.1])`` shows the values in a text
box (so a learner can type others, and a bad one is reported in plain words), Train, Stop and
one figure in which every value's curves grow together, one colour each, with one shared
legend.  Training is ``compare()`` (``compare.py``): each value is one ``train()`` in a worker
process, one per core (``parallel/``), so on 2 cores eight values take about the time of four
lone runs (BENCHMARKS.md).
"""
from __future__ import annotations

import functools
import html
import re
import threading
import time
import traceback

import ipywidgets as widgets

from ..config import ConfigError, Seq2SeqConfig, format_value
from ..data import TASK_OPTION_FIELDS, task_option_value
from ..i18n import t
from .figure import RUN_COLORS, RunView
from .live import build_task, snapshot
from .panel import LivePanel, RunRecord
from ..training import resolve_device, total_steps

MAX_VALUES = 8  # more lines than this are unreadable in one figure (and slow on 2 cores)
SEED = "seed"   # ``Compare(param="seed", values=[0, 1, 2])``: one setting, runs that differ by chance


def _seed_value(text: str, language: str) -> int:
    """A seed typed in the values box: a whole number >= 0 (ValueError in plain words)."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise ValueError(t("compare_bad_seed", language, value=text))
    return value


class Compare(LivePanel):
    """Train every value of ``param`` together; the latest comparison fills the figure.

    :param param: the config field to vary, a task option of ``make_task`` (``seq_len``,
        ``train_size``, ``noise``, ...: ``data.TASK_OPTION_FIELDS``), or ``"seed"`` (the same
        setting trained from several seeds: how much of a difference is chance)
    :param values: its values (editable in the widget); other parameters as for ``Lab``
    """

    ROOT_CLASS = "s2s-compare"

    def __init__(self, param: str = "learning_rate", values=(1e-4, 1e-3, 1e-2, 0.1),
                 task: str | None = None, *, preset: str | None = None,
                 config: dict | Seq2SeqConfig | None = None, seed: int = 0,
                 task_options: dict | None = None, theme: str = "notebook",
                 language: str | None = None, max_runs: int = 100, export_dir: str = "runs",
                 device: str | None = None,
                 panels=("loss", "accuracy")):
        super().__init__(task=task, preset=preset, config=config, seed=seed,
                         task_options=task_options, theme=theme, language=language,
                         max_runs=max_runs, export_dir=export_dir, device=device,
                         panels=panels)
        self.param = param
        self._members: list[RunRecord] = []     # the comparison on the figure
        self._compare_function = None           # compare(); tests may replace it
        self._build(self._value_controls(values))
        if resolve_device(device).type == "cpu":
            # Start the workers now: each imports torch (~2 s) while the learner reads.
            from ..parallel import pool
            pool.warm(self._runs_to_warm(values))

    def _value_controls(self, values) -> list:
        """The boxes above the buttons that say what to train: one text box of ``param``'s
        values (``Sensitivity`` has its own)."""
        param = self.param
        fields = Seq2SeqConfig.fields()
        if param not in fields and param not in TASK_OPTION_FIELDS and param != SEED:
            self._problem(ConfigError("unknown_field", param, name=param, hint="")
                          .message(self.language))
        meta = fields.get(param) or TASK_OPTION_FIELDS.get(param) or \
            {language: t("compare_seed_help", language) for language in ("en", "ko")}
        # The values it was given: the example an emptied box's message offers (a fixed
        # "0.001, 0.01, 0.1" was offered for optimizer_type too).
        self._example = ", ".join(format_value(v) for v in values)
        self.values_box = widgets.Text(
            value=self._example,
            description=t("compare_values", self.language, name=param),
            tooltip=t("compare_values_help", self.language) + " " + meta.get(self.language, ""),
            style={"description_width": "initial"}, continuous_update=False,
            layout=widgets.Layout(width="560px"))
        self.values_box.add_class(f"s2s-param-{param}")
        return [self.values_box]

    def _runs_to_warm(self, values) -> int:
        return len(values)

    # ---- public API ------------------------------------------------------------------
    @property
    def latest(self) -> list:
        """The finished runs of the comparison on the figure (the last Train), in the order of
        its values; ``runs`` keeps earlier comparisons too."""
        with self._lock:
            return [m.history for m in self._members if m.history is not None and m.history.steps]

    def train(self) -> bool:
        """Parse the values and train them together (stopping a comparison in progress)."""
        if self.task is None and self._build_task(show=True) is None:
            return False
        values = self.read_values()
        if values is None:
            return False
        self._say("")
        self._show_starting()
        self.runner.start(functools.partial(self._job, values))
        return True

    def read_values(self) -> list | None:
        """The distinct values in the text box, each checked (by the config, or, for a task
        option, by building the task with it); None and a message if one is rejected."""
        self.values_box.remove_class("s2s-invalid")
        texts = [v for v in re.split(r"[,;\s]+", self.values_box.value.strip()) if v]
        problem = None
        if not texts:
            problem = t("compare_no_values", self.language, name=self.param,
                        example=self._example or "0.001, 0.01, 0.1")
        elif len(texts) > MAX_VALUES:
            problem = t("compare_too_many", self.language, limit=MAX_VALUES, count=len(texts))
        values: list = []
        if problem is None:
            try:
                for text in texts:
                    if self.param == SEED:
                        value = _seed_value(text, self.language)
                    elif self.param in TASK_OPTION_FIELDS:
                        value = task_option_value(self.param, text)
                        self._member_task(value)   # too few distinct examples: say so now
                    else:
                        value = getattr(self.base_config.replace(**{self.param: text}), self.param)
                    if value not in values:
                        values.append(value)
            except ConfigError as error:
                problem = error.message(self.language)
            except ValueError as error:   # the task option's own words
                problem = str(error)
        if problem is not None:
            self.values_box.add_class("s2s-invalid")
            self._say(t("lab_cannot_train", self.language, reason=problem), error=True)
            return None
        return values

    def _member_task(self, value):
        """The task a member trains on: the widget's own, or, when ``param`` is a task
        option, the task built with ``value`` for it (a ValueError if it cannot be)."""
        if self.param not in TASK_OPTION_FIELDS:
            return self.task
        return build_task(self.task_name, {**self.task_options, self.param: value})

    # ---- the training thread ---------------------------------------------------------
    def _job(self, values: list, stop: threading.Event) -> None:
        first = self.finished_count + 1
        is_task_option = self.param in TASK_OPTION_FIELDS
        members = []
        for i, value in enumerate(values):
            config = self.base_config if is_task_option or self.param == SEED else \
                self.base_config.replace(**{self.param: value})
            members.append(RunRecord(first + i, None, f"{self.param}={format_value(value)}",
                                     RUN_COLORS[i % len(RUN_COLORS)],
                                     planned=total_steps(config, self._member_task(value))))
        compare = self._compare_function
        if compare is None:
            from ..compare import compare
        # A task option is varied by name: compare() builds each member's task from the
        # task's name and options (a ready-made Task cannot vary).
        task = dict(task=self.task_name, task_options=self.task_options) if is_task_option \
            else dict(task=self.task)
        self._train_members(members, stop, lambda callbacks: compare(
            self.base_config, vary={self.param: values}, seed=self.seed, callbacks=callbacks,
            stop_event=stop, device=self.device, **task))

    def _train_members(self, members: list[RunRecord], stop: threading.Event,
                       train_all) -> None:
        """Show ``members`` as the comparison, train them with ``train_all(callbacks)`` (one
        History per member, in order; ``Sensitivity`` passes its own), record what came back
        and finish.  A fault in training is shown in the widget."""
        with self._lock:
            self._members = members
        self._begin(members[0])
        recorder = _MemberRecorder(self, {m.label: m for m in members})
        with self._lock:
            self._recorder = recorder
        try:
            histories = train_all([recorder])
        except Exception as error:  # noqa: BLE001 - shown in the widget
            self._training_failed(error, traceback.format_exc())
            histories = [m.history for m in members]
        for member, history in zip(members, histories):
            if history is not None:
                history.label = member.label
                member.history = history
        self._finish_all([m for m in members if m.history is not None and m.history.steps])

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
                # From Train to the end, as the learner waited: the members' own times leave
                # out the ones that waited for a free core (7.9 s said for a 12 s comparison).
                seconds = time.perf_counter() - self._started_at
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
        self.progress.max = max(1, sum(m.planned for m in members))
        self.progress.value = min(sum(steps), self.progress.max)
        now = time.perf_counter()
        clock = getattr(self, "_recorder", None)
        ended = clock.ended if clock is not None else {}
        begun = clock.begun if clock is not None else {}
        # The member to report is the one holding the comparison up: the least advanced of
        # those training now, else the next to start.  The furthest member's step said
        # "160/160" for 10 s while a 256-unit member was still at step 55.
        unfinished = [m for m in members if m.number not in ended]
        training = [m for m in unfinished if m.number in begun]
        shown = min(training, key=lambda m: m.history.steps / max(1, m.planned)) if training \
            else (unfinished or members)[0]
        shown_steps = shown.history.steps if shown.history is not None else 0
        self.status.value = self._sized(html.escape(t(
            "compare_progress", self.language, done=len(members) - len(unfinished),
            count=len(members), number=shown.number, label=shown.label, step=shown_steps,
            total=shown.planned, member_seconds=now - begun.get(shown.number, now),
            seconds=now - started)))


class _MemberRecorder:
    """Callback for ``compare``: each call carries one member's History; find its record by
    the History's label (``seq_len=10``: members that vary a task option share one config).
    Also notes when each member began and ended, for the status line."""

    def __init__(self, panel: Compare, by_label: dict):
        self.panel, self.by_label = panel, by_label
        self.begun: dict[int, float] = {}   # member number -> when its first batch ended
        self.ended: dict[int, float] = {}

    def on_batch_end(self, history) -> None:
        member = self.by_label.get(history.label)
        if member is not None and member.history is None:
            member.history = history
            self.begun.setdefault(member.number, time.perf_counter())
            self.panel.current = history
            self.panel.drawer.request(final=True)   # first points at once (see widgets.py)
            return
        self.panel.drawer.request()

    on_evaluation_end = on_batch_end

    def on_run_end(self, history) -> None:
        member = self.by_label.get(history.label)
        if member is not None:
            self.ended.setdefault(member.number, time.perf_counter())
        self.on_batch_end(history)
