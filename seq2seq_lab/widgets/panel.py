"""``LivePanel``: what ``Lab`` and ``Compare`` share: figure, buttons, status, messages, exports.

Lessons: 01-09, through ``Lab`` (``widgets/lab.py``) and ``Compare`` (``widgets/compare.py``).

Who touches what, so that nothing races (matplotlib and ipywidgets are not thread-safe):

- the kernel's main thread (button clicks) reads controls, starts and stops runs, writes
  ``s2s-message`` and runs exports;
- the training thread (``live.Runner``) only appends to its History, records the finished run
  under ``_lock`` and asks for frames;
- the drawer thread (``live.Drawer``) is the only one that draws, and the only one that writes
  the figure, the progress bar, the status line and the diagnosis, all from copies.
"""
from __future__ import annotations

import html
import threading
import time
from dataclasses import dataclass

import ipywidgets as widgets

from ..config import ConfigError, Seq2SeqConfig
from ..data import Task
from .exports import runs_csv, saved_html, unique_path
from ..history import History
from ..i18n import get_language, t
from .figure import DEFAULT_PANELS, LabFigure, RunView, theme_named
from .live import Drawer, Runner, build_task, snapshot, warm_up
from ..presets import preset as get_preset
from ..presets import preset_names, theme_override
from ..training import train

_PROJECTOR_CSS = ("<style>.s2s-projector .widget-label, .s2s-projector .widget-readout, "
                  ".s2s-projector .widget-toggle-button, .s2s-projector .widget-dropdown select, "
                  ".s2s-projector .widget-text input {font-size: 19px; font-weight: 600; "
                  "line-height: 28px; height: auto}</style>")
_DIAGNOSIS_COLORS = {"good": "#009E73", "diverged": "#D55E00", "overfitting": "#E69F00",
                     "oscillating": "#E69F00", "too_slow": "#0072B2", "underfitting": "#0072B2",
                     "pending": "#999999", "stalled": "#E69F00", "unstable": "#E69F00",
                     "not_learning": "#0072B2", "learning": "#0072B2", "mixed": "#999999"}
# Widgets live until closed (ipywidgets keeps every one), so re-running a lesson cell would
# pile up figures and idle threads; beyond this many, the oldest widget is closed.
MAX_OPEN_PANELS = 12
_open_panels: list["LivePanel"] = []


@dataclass
class RunRecord:
    """One run as a widget keeps it: its number, History, legend label and colour."""

    number: int
    history: History | None
    label: str
    color: str
    pinned: bool = False
    planned: int = 0


class LivePanel:
    """Base of the live widgets; subclasses build their controls, then call ``_build``."""

    ROOT_CLASS = "s2s-panel"

    def __init__(self, *, task, preset, config, seed, task_options, theme, language, max_runs,
                 export_dir, device, panels=DEFAULT_PANELS):
        self.language = language or get_language()
        self._problems: list[str] = []
        self.seed, self.device, self.export_dir = int(seed), device, export_dir
        self.max_runs = max(1, int(max_runs))
        self.train_function = train   # the trainer; tests may put a faulty one here
        self.base_config, self.task_name, self.task_options = self._setup(
            preset, config, task, task_options)
        self.task: Task | None = None
        self._build_task()
        try:
            chosen_theme = theme_named(theme_override() or theme)
        except ValueError as error:   # a typo in theme= is a message, not a traceback
            self._problem(str(error))
            chosen_theme = theme_named("notebook")
        try:
            self.figure = LabFigure(chosen_theme, self.language, panels)
        except (ValueError, TypeError) as error:   # a bad panel is a message, as a bad theme
            self._problem(str(error))
            self.figure = LabFigure(chosen_theme, self.language)
        self._records: list[RunRecord] = []
        self._current: RunRecord | None = None
        self.current: History | None = None      # the History in progress
        self.finished_count = 0
        self._started_at = 0.0
        self._status_text = t("lab_ready", self.language)
        self._message = ""
        self.last_error: BaseException | None = None
        self.last_traceback = ""
        self.question = None   # a tied Question (widgets/question.py): its prediction, beside runs
        self._lock = threading.RLock()
        warm_up()   # first, while no thread of ours runs (see its docstring)
        self.runner = Runner(self._training_failed, self._stopped_before_start)
        self.drawer = Drawer(self._render, self._drawing_failed)
        _open_panels.append(self)
        while len(_open_panels) > MAX_OPEN_PANELS:
            _open_panels[0].close()

    # ---- set-up --------------------------------------------------------------------------
    def _setup(self, preset, config, task, task_options):
        base, task_name, options = Seq2SeqConfig(), "reverse", {}
        if preset is not None:
            try:
                chosen = get_preset(preset)
                base, task_name, options = chosen.config, chosen.task, dict(chosen.task_options)
            except KeyError:
                self._problem(t("lab_no_preset", self.language, name=preset,
                                choices=", ".join(preset_names())))
        task_name = task or task_name
        options = {**options, **(task_options or {})}
        if config is not None:
            try:
                base = config if isinstance(config, Seq2SeqConfig) else base.replace(**dict(config))
            except (ConfigError, TypeError, ValueError) as error:
                reason = error.message(self.language) if isinstance(error, ConfigError) else str(error)
                self._problem(t("lab_bad_config", self.language, reason=reason))
        return base, task_name, options

    def _build_task(self, show: bool = False) -> Task | None:
        """Build the task; a failure becomes a message (now, or when the widget is built)."""
        try:
            self.task = build_task(self.task_name, self.task_options)
        except (ValueError, TypeError) as error:
            self.task = None
            text = t("lab_bad_task", self.language, reason=str(error))
            self._say(text, error=True) if show else self._problem(text)
        return self.task

    def _button(self, key: str, css: str, handler, style: str = "") -> widgets.Button:
        button = widgets.Button(description=t(key, self.language), button_style=style,
                                tooltip=t(f"{key}_help", self.language),
                                layout=widgets.Layout(width="auto", margin="2px 6px 2px 0"))
        button.add_class(css)
        button.on_click(lambda _button: handler())
        return button

    def _build(self, top: list, extra_buttons: list = ()) -> None:
        """Assemble the layout; draw the first (empty) frame, which also warms matplotlib."""
        guarded = self._guarded
        self.train_button = self._button("lab_train", "s2s-train", guarded(self.train), "primary")
        self.stop_button = self._button("lab_stop", "s2s-stop", guarded(self.stop), "warning")
        self.png_button = self._button("lab_export_png", "s2s-export-png", guarded(self.export_png))
        self.csv_button = self._button("lab_export_csv", "s2s-export-csv", guarded(self.export_csv))
        self.progress = widgets.IntProgress(value=0, min=0, max=1,
                                            layout=widgets.Layout(width="220px",
                                                                  margin="0 12px 0 0"))
        self.status = widgets.HTML(html.escape(self._status_text))
        self.status.add_class("s2s-status")
        self.image = widgets.Image(format="png", layout=widgets.Layout(
            width=f"{round(self.figure.theme.width * self.figure.theme.dpi)}px", max_width="100%",
            height="auto"))
        self.image.add_class("s2s-figure")
        self.legend = widgets.HTML("")
        self.legend.add_class("s2s-legend")
        self.legend_labels: list[str] = []   # the runs in the legend now, for tests
        self._legend_costs: list[str] = []
        self.diagnosis = widgets.HTML("")
        self.diagnosis.add_class("s2s-diagnosis")
        self.message_box = widgets.HTML("")
        self.message_box.add_class("s2s-message")
        buttons = widgets.HBox([self.train_button, self.stop_button, *extra_buttons,
                                self.png_button, self.csv_button],
                               layout=widgets.Layout(flex_flow="row wrap"))
        progress = widgets.HBox([self.progress, self.status],
                                layout=widgets.Layout(align_items="center"))
        self.widget = widgets.VBox([*top, buttons, self.message_box, progress, self.image,
                                    self.legend, self.diagnosis])
        self.widget.add_class(self.ROOT_CLASS)
        if self.figure.theme.name == "projector":
            # Read from the back of the room: buttons, slider labels and texts grow with the
            # figure, yet the whole widget fits a 1280x720 projector (compact rows).  The
            # Image keeps its pixel width: stretched to 100% it was scaled up, and blurred.
            for button in buttons.children:
                button.style.font_size, button.style.font_weight = "19px", "bold"
                button.layout.height = "36px"
            self.widget.add_class("s2s-projector")
            # Slider styles have no font size in ipywidgets 8.1, so a style rule scoped to
            # this widget enlarges labels and readouts (``ch`` label widths grow with them).
            self.widget.children = (widgets.HTML(_PROJECTOR_CSS), *self.widget.children)
        self._text_size = "1.25em" if self.figure.theme.name == "projector" else "1em"
        if self._problems:
            self._say(" ".join(self._problems), error=True)
        self.drawer.request(final=True)
        self.drawer.flush(30)

    # ---- public API ----------------------------------------------------------------------
    @property
    def runs(self) -> list[History]:
        """Finished runs (the last ``max_runs``), oldest first."""
        with self._lock:
            return [record.history for record in self._records]

    @property
    def message(self) -> str:
        """The text of the message area (errors and confirmations), without markup."""
        return self._message

    @property
    def frames_drawn(self) -> int:
        return self.drawer.frames

    def stop(self) -> None:
        """Stop the run in progress; it ends within one batch and keeps what it drew."""
        self.runner.stop()

    def wait(self, timeout: float | None = 60.0) -> bool:
        """Wait until no run is in progress and its last frame is drawn; True if so."""
        start = time.monotonic()
        done = self.runner.wait(timeout)
        left = None if timeout is None else max(0.1, timeout - (time.monotonic() - start))
        return done and self.drawer.flush(left if left is not None else 3600)

    def close(self) -> None:
        """Stop training and drawing and close the widgets (for tests and long sessions);
        ``runs`` stay readable."""
        if self in _open_panels:
            _open_panels.remove(self)
        self.runner.stop()
        self.runner.wait(5)
        self.drawer.close()
        if hasattr(self, "widget"):
            _close_tree(self.widget)

    def export_png(self) -> str | None:
        """Save the figure as it is now (sharper than on screen); returns the path."""
        if not self.runs and self.current is None:
            self._say(t("lab_nothing_to_export", self.language))
            return None
        data = self.drawer.call(lambda: self.figure.render(self._views()[0], dpi=150,
                                                           compress_level=6))
        path = unique_path(self.export_dir, self.ROOT_CLASS.removeprefix("s2s-"), ".png")
        path.write_bytes(data)
        self._say_html(saved_html(path, data, "image/png", t("lab_saved", self.language),
                                  t("lab_download", self.language)), f"{path}")
        return str(path)

    def export_csv(self) -> str | None:
        """Save every finished run, one row per batch; returns the path."""
        with self._lock:
            records = [(r.number, snapshot(r.history)) for r in self._records]
        if not records:
            self._say(t("lab_nothing_to_export", self.language))
            return None
        data = runs_csv(records).encode("utf-8")
        path = unique_path(self.export_dir, self.ROOT_CLASS.removeprefix("s2s-"), ".csv")
        path.write_bytes(data)
        self._say_html(saved_html(path, data, "text/csv", t("lab_saved", self.language),
                                  t("lab_download", self.language)), f"{path}")
        return str(path)

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)

    def _show_starting(self) -> None:
        """Say "starting…" at once, from the click's own thread: until the first batch ends
        nothing else changes (building the model, and on a kernel's first run torch's one-time
        imports, ~3 s), and a learner who sees no reaction presses Train again."""
        text = t("lab_starting", self.language)
        with self._lock:
            self._status_text = text
        self.progress.value, self.progress.bar_style = 0, "info"
        self.status.value = self._sized(html.escape(text))

    # ---- runs (called from the training thread) -------------------------------------------
    def _begin(self, record: RunRecord) -> None:
        if self.question is not None:
            self.question.run_started(record.number)
        with self._lock:
            self._current = record
            self._started_at = time.perf_counter()
        # No frame yet: there is nothing new to draw until the first batch, and a frame now
        # would delay that first point by a frame's time.

    def _finish(self, record: RunRecord, note: str = "") -> None:
        """Record a finished run, then ask for the final frame."""
        history = record.history
        with self._lock:
            for older in self._records:
                older.history.model = None   # only the newest model is kept: memory stays flat
            self._records.append(record)
            self._trim()
            self.finished_count += 1
            self._current, self.current = None, None
            self._status_text = self._finished_text(record, note)
        if self.question is not None:     # a replay from the cache has no _begin
            self.question.run_started(record.number)
        self.drawer.request(final=True)

    def _trim(self) -> None:
        """Keep at most ``max_runs`` records, dropping the oldest unpinned ones first."""
        while len(self._records) > self.max_runs:
            unpinned = next((r for r in self._records if not r.pinned), self._records[0])
            self._records.remove(unpinned)

    def _stopped_before_start(self) -> None:
        with self._lock:
            if self._current is None:
                self._status_text = t("lab_stopped_before_start", self.language)
        self.drawer.request(final=True)

    def _abandon(self) -> None:
        with self._lock:
            self._current, self.current = None, None
            if self._status_text == t("lab_starting", self.language):
                self._status_text = t("lab_ready", self.language)   # the message says why
        self.drawer.request(final=True)

    def _finished_text(self, record: RunRecord, note: str) -> str:
        history, lang = record.history, self.language
        text = t("lab_finished", lang, number=record.number, steps=history.steps,
                 seconds=history.wall_time)
        if history.diverged:
            text += t("lab_end_diverged", lang, step=history.diverged_step)
        elif history.stopped_by_user:
            text += t("lab_end_stopped", lang)
        elif history.stopped_early:
            text += t("lab_end_early", lang)
        return text + note

    # ---- drawing (drawer thread only) ----------------------------------------------------
    def _views(self) -> tuple[list[RunView], RunRecord | None]:
        raise NotImplementedError  # each widget decides which runs to show

    def _render(self) -> None:
        views, newest = self._views()
        self.image.value = self.figure.render(views, legends=False)
        self._show_legend(views)
        with self._lock:
            running, started, status = self._current, self._started_at, self._status_text
        current = next((v for v in views if v.role == "current"), None)
        if running is not None:
            steps = current.history.steps if current else 0
            epochs = current.history.epochs if current else 0.0
            self.progress.max = max(1, running.planned)
            self.progress.value = min(steps, self.progress.max)
            self.progress.bar_style = "info"
            status = t("lab_progress", self.language, number=running.number, step=steps,
                       total=running.planned, epoch=epochs,
                       epochs=running.history.config.max_num_epochs if running.history else "?",
                       seconds=time.perf_counter() - started)
        elif current is not None:
            history = current.history
            self.progress.max = max(1, current.planned_steps, history.steps)
            self.progress.value = history.steps
            self.progress.bar_style = ("danger" if history.diverged else
                                       "warning" if history.stopped_by_user else "success")
        self.status.value = self._sized(html.escape(status))
        self.diagnosis.value = self._sized(self._diagnosis_html(
            [v for v in views if v.role in ("current", "member")], views, running is not None))
        if self.question is not None:
            self.question.render_tie()

    def _show_legend(self, views: list[RunView]) -> None:
        """The figure's legend as HTML under the image: runs (colour swatch and what differed),
        then the key of line styles.  Drawing it with matplotlib cost a third of each frame."""
        entries = self.figure.legend_entries(views)
        labels = [label for label, _, _ in entries]
        # Each run's cost beside its name: its number of weights (lessons 06-08 compare model
        # sizes) and, once it has ended, its wall time and speed, so compute is part of every
        # comparison.  Only at the end: a cost that changed every frame would redraw the legend.
        costs = [self._cost(view.history) for view in views]
        if (labels, costs) == (self.legend_labels, self._legend_costs) and self.legend.value:
            return
        size = self._text_size
        runs = "".join(
            f'<span style="white-space:nowrap;margin-right:18px">'
            f'<span style="display:inline-block;width:26px;height:0;vertical-align:middle;'
            f'border-top:{4 if strong else 3}px solid {color};opacity:{1 if strong else 0.6}">'
            f"</span> {html.escape(label)}"
            + (f' <span style="color:#666">({html.escape(cost)})</span>' if cost else "")
            + "</span> " for (label, color, strong), cost in zip(entries, costs))
        marks = ("──", "- ● -", "○", "✖")
        key = " &nbsp; ".join(f"{mark} {html.escape(name)}"
                              for mark, name in zip(marks, self.figure.style_key(views)))
        self.legend.value = (f'<div style="font-size:{size};line-height:1.6">{runs}</div>'
                             f'<div style="font-size:{size};color:#555">{key}</div>')
        self.legend_labels, self._legend_costs = labels, costs

    def _cost(self, history: History) -> str:
        """"60,206 weights, 4.1 s, 39 steps/s" (the time and speed once the run has ended)."""
        parts = []
        if history.num_parameters:
            parts.append(t("legend_weights", self.language, count=history.num_parameters))
        if history.wall_time > 0 and history.steps:
            parts.append(t("legend_cost", self.language, seconds=history.wall_time,
                           rate=history.steps_per_second))
        return ", ".join(parts)

    def _diagnosis_html(self, views: list[RunView], shown: list[RunView] = (),
                        training: bool = False) -> str:
        """A verdict per judged run: "so far" while it trains, its advice checked against the
        other runs on the figure (``shown``: ghosts in the Lab, the other members in Compare)."""
        if not views:
            return ""
        from ..diagnose import diagnose  # pure, no torch: imported when first needed
        lines = []
        for view in views:
            history = view.history
            ended = history.diverged or history.stopped_early or history.stopped_by_user
            verdict = diagnose(history, language=self.language,
                               planned_steps=view.planned_steps or None,
                               in_progress=training and not ended,
                               others=[other.history for other in shown if other is not view])
            # The bar takes the run's own colour, so each card pairs with its curve (coloured
            # by the verdict, a learner paired lesson 02's cards with the wrong curves); the
            # verdict's colour marks its kind, in a tag (black text reads on every such colour).
            kind = verdict.kind
            tag = (f'<span class="s2s-verdict" style="background:'
                   f'{_DIAGNOSIS_COLORS.get(kind, "#999999")};color:#000;border-radius:3px;'
                   f'padding:0 5px;margin-right:6px;font-size:0.85em">'
                   f'{html.escape(t(f"diagnose_kind_{kind}", self.language))}</span>')
            prefix = f"<b>{html.escape(view.label)}</b>: " if len(views) > 1 else ""
            lines.append(
                f'<div style="border-left:4px solid {view.color};padding:2px 8px;margin:2px 0">'
                f"{tag}{prefix}{html.escape(verdict.message)} "
                f"<i>{html.escape(verdict.next_step)}</i></div>")
        return "".join(lines)

    def _sized(self, markup: str) -> str:
        if not markup or self._text_size == "1em":
            return markup
        return f'<div style="font-size:{self._text_size};line-height:1.4">{markup}</div>'

    # ---- messages and faults ---------------------------------------------------------------
    def _problem(self, text: str) -> None:
        self._problems.append(text)

    def _say(self, text: str, error: bool = False) -> None:
        self._message = text
        if not text:
            self.message_box.value = ""
            return
        color = "#D55E00" if error else "#333333"
        self.message_box.value = self._sized(
            f'<span style="color:{color}">{html.escape(text)}</span>')

    def _say_html(self, markup: str, text: str) -> None:
        self._message = text
        self.message_box.value = markup

    def _training_failed(self, error: BaseException, traceback_text: str) -> None:
        """An exception inside training: a short message, the details kept for a teacher."""
        self.last_error, self.last_traceback = error, traceback_text
        reason = error.message(self.language) if isinstance(error, ConfigError) else str(error)
        self._say(t("lab_training_error", self.language, kind=type(error).__name__,
                    reason=reason[:300]), error=True)

    def _drawing_failed(self, error: BaseException) -> None:
        self.last_error = error
        self._say(t("lab_drawing_error", self.language, kind=type(error).__name__,
                    reason=str(error)[:300]), error=True)

    def _guarded(self, handler):
        """A click handler that turns any exception into a message instead of a traceback."""
        def run(*args):
            try:
                return handler(*args)
            except Exception as error:  # noqa: BLE001 - the notebook never shows a traceback
                self.last_error = error
                self._say(t("lab_widget_error", self.language, kind=type(error).__name__,
                            reason=str(error)[:300]), error=True)
                return None
        return run


def _close_tree(widget) -> None:
    """Close a widget and everything inside it (their comms and kernel-side state)."""
    for child in getattr(widget, "children", ()):
        _close_tree(child)
    widget.close()
