"""``Lab``: sliders for chosen hyperparameters, Train and Stop, and curves that grow live.

Lessons: 01-09 (each lesson's widget cell is one line, e.g.
``Lab(preset="default", params=["learning_rate"])``); ``Compare`` is in ``compare.py``.

What a learner does and what happens:

- moves sliders (built from the config's metadata by ``controls.py``); nothing trains until
  Train is pressed (or on release, with ``auto_run=True``);
- presses Train: the controls are read *once* into a validated ``Seq2SeqConfig``, and
  ``train()`` runs in a daemon thread (``live.Runner``), so the notebook stays usable and Stop
  works at any moment; a Train during a run stops that run first;
- watches the figure (``widgets/figure.py``) redraw a few times a second from copies of the live
  History (``live.Drawer``), earlier runs faded behind it and labelled with what differed, and
  the plain-language diagnosis (``diagnose.py``) under it;
- presses Train again with the same settings: the result is replayed from a bounded cache
  (training is deterministic for a config and seed, so retraining would draw the same curves).

Every fault becomes a short message in the widget (``s2s-message``): a value the config rejects,
a task that cannot be built, an exception inside training.  Earlier runs stay on the figure.
The shared machinery (figure, buttons, status, exports) is :class:`LivePanel`.
"""
from __future__ import annotations

import difflib
import functools
import html
import json
import threading
from pathlib import Path
import traceback

import ipywidgets as widgets

from ..config import ConfigError, Seq2SeqConfig, format_value
from ..data import TASK_OPTION_FIELDS, task_option_value
from .controls import STOPS_CSS, control_value, label_width, make_control, make_task_control
from .data_file import DataFileRow
from ..i18n import t
from .figure import RUN_COLORS, RunView
from .live import ResultCache, build_task, snapshot
from .panel import LivePanel, RunRecord
from ..training import total_steps


# A projector slider's width per stop (see ``Lab.__init__``).
PROJECTOR_PX_PER_STOP = 45


class Lab(LivePanel):
    """Train one run at a time with the chosen ``params`` on sliders; see the module docstring.

    :param params: names to show as controls: any field of ``Seq2SeqConfig``, or a task
        option of ``make_task`` (``seq_len``, ``train_size``, ``noise``, ...:
        ``data.TASK_OPTION_FIELDS``), which rebuilds the task for the run
    :param task: task name (default: the preset's, else ``"reverse"``)
    :param preset: a name from ``presets.py``: its config, task and task options are the base
    :param config: overrides of the base config (a dict, or a whole ``Seq2SeqConfig``)
    :param seed: seed of every run (weights, batch order)
    :param text_params: fields shown as a text box instead (any value may be typed)
    :param auto_run: train when a control is released, without pressing Train
    :param theme: ``"notebook"`` or ``"projector"`` (large fonts, thick lines)
    :param language: ``"en"`` or ``"ko"`` (default: ``set_language`` or the locale)
    :param max_ghosts: earlier runs kept on the figure besides pinned ones
    :param max_runs: finished runs kept in ``lab.runs`` (and in the CSV export)
    :param cache_size: finished runs kept for instant replay
    :param export_dir: folder for the PNG and CSV exports
    :param panels: the figure's panels, by name or as ``(name, options)``: ``loss``,
        ``accuracy``, ``learning_rate``, ``gradient_norm``, ``attention``, ``range_test``,
        ``grid``, ``bands`` (``panels.py``; default: loss and accuracy)
    :param locked: names among ``params`` shown but not changeable (a teacher's fixed setting)

    With ``task="pairs"`` a data-file row (``data_file.py``) takes the learner's own file by
    path or upload.  ``share()`` / ``Lab.from_share(text)`` and ``save_setup()`` /
    ``Lab.from_setup_file(path)`` carry the set-up (``setups.py``); ``code()`` gives the lines
    that train the latest run again outside the widget.
    """

    ROOT_CLASS = "s2s-lab"

    def __init__(self, params=("learning_rate",), task: str | None = None, *,
                 preset: str | None = None, config: dict | Seq2SeqConfig | None = None,
                 seed: int = 0, task_options: dict | None = None, text_params=(),
                 auto_run: bool = False, theme: str = "notebook", language: str | None = None,
                 max_ghosts: int = 5, max_runs: int = 100, cache_size: int = 32,
                 export_dir: str = "runs", device: str | None = None,
                 panels=("loss", "accuracy"), locked=()):
        self._panels = (panels,) if isinstance(panels, str) else tuple(panels)
        super().__init__(task=task, preset=preset, config=config, seed=seed,
                         task_options=task_options, theme=theme, language=language,
                         max_runs=max_runs, export_dir=export_dir, device=device,
                         panels=panels)
        self.max_ghosts = max(0, int(max_ghosts))
        self.cache = ResultCache(cache_size)
        self.auto_run = auto_run
        self._clear_mark = 0      # runs up to this number are hidden by Clear (unless pinned)
        self._base: RunRecord | None = None   # the first run since Clear: always on the figure
        self._settings: dict[int, tuple] = {}  # run number -> its ResultCache key (its setting)
        self.controls: dict[str, widgets.Widget] = {}
        params = [params] if isinstance(params, str) else list(params)
        text_params = [text_params] if isinstance(text_params, str) else list(text_params)
        fields = Seq2SeqConfig.fields()
        known = [*fields, *TASK_OPTION_FIELDS]
        width = label_width([n for n in params + text_params if n in known])
        for name in dict.fromkeys(params + text_params):  # keeps order, drops repeats
            if name not in known:
                self._problem(ConfigError("unknown_field", name, name=name,
                                          hint=_hint(name, known, self.language))
                              .message(self.language))
                continue
            if name in TASK_OPTION_FIELDS:
                control = make_task_control(name, self._task_option(name),
                                            text=name in text_params, language=self.language,
                                            width=width)
            else:
                control = make_control(name, getattr(self.base_config, name),
                                       text=name in text_params, language=self.language,
                                       width=width)
            if auto_run:
                control.observe(self._guarded(self._auto_train), names="value")
            self.controls[name] = control

        self.data_row = None
        top = []
        if self.task_name == "pairs":
            self.data_row = DataFileRow(self.task_options.get("path", ""),
                                        self.task_options.get("tokens", "char"),
                                        export_dir, self.language,
                                        lambda text, error: self._say(text, error=error), width)
            top.append(self.data_row.widget)
        lockable = {**self.controls, **(self.data_row.controls if self.data_row else {})}
        locked = [locked] if isinstance(locked, str) else list(locked)
        self.locked = tuple(name for name in locked if name in lockable)
        for name in locked:
            if name in lockable:
                lockable[name].disabled = True   # shown, so the learner sees the value
                if name == "path":
                    self.data_row.upload.disabled = True
            else:
                self._problem(t("lab_locked_unknown", self.language, name=name))

        self.pin_button = self._button("lab_pin", "s2s-pin", self._guarded(self.pin))
        self.clear_button = self._button("lab_clear", "s2s-clear", self._guarded(self.clear))
        self.share_button = self._button("lab_share", "s2s-share", self._guarded(self.share))
        self.code_button = self._button("lab_code", "s2s-code", self._guarded(self.code))
        for control in self.controls.values():
            control.layout.margin = "2px 24px 2px 0"   # ipywidgets 8.1's Layout has no gap
            if self.figure.theme.name == "projector" and isinstance(
                    control, (widgets.SelectionSlider, widgets.IntSlider, widgets.FloatSlider,
                              widgets.Dropdown)):
                # The projector's larger font widens the label (its width is in ``ch``):
                # at a fixed 420 px the slider's track, or the dropdown's box, shrank to
                # nothing.  The label's width plus room for the track and the readout; a
                # slider of stops gets ~45 px a stop, so each of a dozen learning rates is a
                # target a teacher can hit in front of a class (300 px left 12 stops ~10 px).
                track = 300
                if isinstance(control, widgets.SelectionSlider):
                    track = max(track, PROJECTOR_PX_PER_STOP * len(control.options) + 100)
                control.layout.width = f"calc({control.style.description_width} + {track}px)"
        stops_css = [widgets.HTML(STOPS_CSS)] if any(
            isinstance(control, widgets.SelectionSlider) for control in self.controls.values()
        ) else []
        controls = widgets.Box([*stops_css, *self.controls.values()],
                               layout=widgets.Layout(display="flex", flex_flow="row wrap"))
        self._build([*top, controls], extra_buttons=[self.pin_button, self.clear_button,
                                                     self.share_button, self.code_button])

    # ---- public API ------------------------------------------------------------------
    def train(self) -> bool:
        """Read the controls and start a run (stopping one in progress); False if the
        settings were rejected (the reason is in ``lab.message``)."""
        config = self.read_config()
        options = self.read_task_options(config) if config is not None else None
        if config is None or options is None:
            return False
        task = build_task(self.task_name, options)   # built (and cached) by read_task_options
        self._say("")
        # An own data file is part of the setting: edited since, its old result is not replayed.
        # The identity the task was read with, not a second look at the file, which an edit
        # between the two would have changed.
        key = ResultCache.key(config, self.task_name, {**options, "file": task.source_file},
                              self.seed, str(self.device))
        cached = self.cache.get(key)
        self._show_starting()
        self.runner.start(functools.partial(self._job, config, key, cached, task, options))
        return True

    def read_config(self) -> Seq2SeqConfig | None:
        """The controls' values as a validated config; None (and a message) if one is bad."""
        for control in self.controls.values():
            control.remove_class("s2s-invalid")
        values = {name: control_value(control) for name, control in self.controls.items()
                  if name not in TASK_OPTION_FIELDS}
        try:
            return self.base_config.replace(**values)
        except ConfigError as error:
            if error.field in self.controls:
                self.controls[error.field].add_class("s2s-invalid")
            self._say(t("lab_cannot_train", self.language, reason=error.message(self.language)),
                      error=True)
            return None

    def read_task_options(self, config: Seq2SeqConfig | None = None) -> dict | None:
        """The widget's task options with the task-option controls' values; None (and a
        message beside the control) if a value is rejected or the task cannot be built.
        With ``config``, an own data file's length limits are the config's
        ``max_seq_len_source`` / ``max_seq_len_target``: the rows the run may use."""
        name = None
        if self.data_row is not None:
            self.data_row.path.remove_class("s2s-invalid")
        try:
            options = self._control_options()
            if self.task_name == "pairs" and config is not None:
                options.update(max_seq_len_source=config.max_seq_len_source,
                               max_seq_len_target=config.max_seq_len_target)
            build_task(self.task_name, options)
        except _BadOption as bad:
            self.controls[bad.name].add_class("s2s-invalid")
            self._say(t("lab_bad_task", self.language, reason=str(bad.error)), error=True)
            return None
        except (ValueError, TypeError) as error:
            for option in [n for n in self.controls if n in TASK_OPTION_FIELDS]:
                self.controls[option].add_class("s2s-invalid")
            if self.data_row is not None:
                self.data_row.path.add_class("s2s-invalid")   # the file is the likely culprit
            reason = error.message(self.language) if hasattr(error, "message") else str(error)
            self._say(t("lab_bad_task", self.language, reason=reason), error=True)
            return None
        return options

    def _control_options(self) -> dict:
        """The task options as the controls set them now (the widget's own, the data-file
        row's, the task-option controls'); :class:`_BadOption` names a rejected control."""
        options = dict(self.task_options)
        if self.data_row is not None:
            options.update(self.data_row.options())
        for name, control in self.controls.items():
            if name in TASK_OPTION_FIELDS:
                try:
                    options[name] = task_option_value(name, control_value(control))
                except ValueError as error:
                    raise _BadOption(name, error) from None
        return options

    def setup(self) -> "Setup | None":
        """The widget's set-up now: task and options, the controls' values over the base
        config, seed, which controls are shown and locked, and the panels; None (and the
        reason in the widget) while a control holds a value that cannot be used, so a share
        never silently leaves a change out."""
        from ..setups import Setup
        config = self.read_config()
        if config is None:
            return None
        try:
            options = self._control_options()
        except _BadOption as bad:
            self.controls[bad.name].add_class("s2s-invalid")
            self._say(t("lab_bad_task", self.language, reason=str(bad.error)), error=True)
            return None
        return Setup.from_config(config, self.task_name, options, self.seed,
                                 params=tuple(self.controls), locked=self.locked,
                                 panels=_json_panels(self._panels))

    def share(self) -> str | None:
        """This set-up as a short text for a slide or a chat (shown in the widget too);
        ``Lab.from_share(text)`` opens the same Lab.  A data file is named, not included."""
        setup = self.setup()
        if setup is None:
            return None      # the reason is in the widget
        text = setup.to_text()
        self._say_html(self._sized(
            f"{html.escape(t('lab_shared', self.language))}<br>"
            f'<code class="s2s-share-text" style="user-select:all;word-break:break-all">'
            f"{html.escape(text)}</code>"), f"{t('lab_shared', self.language)}\n{text}")
        return text

    def save_setup(self, path: str | None = None) -> str | None:
        """Write the set-up as a JSON file (under ``export_dir`` unless ``path`` is given);
        never over an existing file.  ``Lab.from_setup_file(path)`` opens it."""
        from .exports import unique_path
        setup = self.setup()
        if setup is None:
            return None      # the reason is in the widget
        target = path or unique_path(self.export_dir, "setup", ".json")
        written = setup.save(target)
        self._say(f"{t('lab_saved', self.language)} {written}")
        return str(written)

    @classmethod
    def from_share(cls, text: str, **kwargs) -> "Lab":
        """The Lab a ``share()`` text describes; ``kwargs`` (theme, language, export_dir, ...)
        are the viewer's own.  A damaged, tampered or too new text opens a default Lab that
        says why; loading runs no code and reads no file the text names."""
        from ..setups import Setup
        return cls._open(Setup.from_text, text, kwargs)

    @classmethod
    def from_setup_file(cls, path, **kwargs) -> "Lab":
        """The Lab a ``save_setup()`` JSON file describes (as ``from_share``)."""
        from ..setups import Setup
        return cls._open(Setup.load, path, kwargs)

    @classmethod
    def _open(cls, read, source, kwargs) -> "Lab":
        from ..setups import SetupError
        try:
            setup = read(source)
        except SetupError as error:
            lab = cls(**kwargs)
            lab._say(t("lab_bad_share", lab.language, reason=error.message(lab.language)),
                     error=True)
            return lab
        return cls._from_setup(setup, kwargs)

    @classmethod
    def _from_setup(cls, setup, kwargs) -> "Lab":
        options = dict(setup.task_options)
        named = options.get("path", "") if setup.task == "pairs" else ""
        if named:
            # The file a share names is not opened while loading (a share could name any file
            # on the viewer's machine): the path waits in its field until Train is pressed.
            options["path"] = ""
        if setup.panels:
            kwargs = {"panels": setup.panels, **kwargs}
        lab = cls(params=setup.params, task=setup.task, config=setup.seq2seq_config(),
                  seed=setup.seed, task_options=options, locked=setup.locked, **kwargs)
        if named and lab.data_row is not None:
            lab.task_options["path"] = named
            lab.data_row.path.value = named
            lab._say(t("data_named_by_share", lab.language, path=named))
        return lab

    def code(self) -> str | None:
        """The lines that train the latest run again outside the widget (same History), or the
        controls' settings if nothing has run yet; shown in the widget too."""
        from ..setups import run_code
        with self._lock:
            record = self._records[-1] if self._records else None
        if record is not None:
            run = record.history
            text = run_code(run.config, run.task, self._run_options(run), run.seed)
            intro = t("lab_code_intro", self.language, number=record.number)
        else:
            setup = self.setup()
            if setup is None:
                return None      # the reason is in the widget
            text = setup.code()
            intro = t("lab_code_settings", self.language)
        self._say_html(self._sized(
            f"{html.escape(intro)}"
            f'<pre class="s2s-code-text" style="user-select:all;margin:4px 0">'
            f"{html.escape(text)}</pre>"), f"{intro}\n{text}")
        return text

    def _run_options(self, run) -> dict:
        """The task options a run was trained with, less those make_task would choose anyway
        (so the exported lines stay few, and still build the very same task)."""
        options = dict(run.task_options)
        keep = {name: options[name] for name in ("path", "tokens") if name in options}
        try:
            defaults = build_task(run.task, keep).options
        except (ValueError, TypeError):
            return options      # the file has changed or gone: write every option out
        return {**keep, **{name: value for name, value in options.items()
                           if name not in keep and defaults.get(name) != value}}

    def pin(self) -> None:
        """Keep the last finished run on the figure until Clear is pressed twice."""
        with self._lock:
            record = self._records[-1] if self._records else None
            if record is None:
                self._say(t("lab_nothing_to_pin", self.language))
                return
            record.pinned = True
        self._say(t("lab_pinned", self.language, number=record.number))
        self.drawer.request(final=True)

    def clear(self) -> None:
        """Take earlier runs off the figure (pinned ones stay until a second Clear); they stay
        in ``lab.runs`` and in the CSV export."""
        with self._lock:
            visible = [r for r in self._records if r.number > self._clear_mark and not r.pinned]
            if visible:
                self._clear_mark = self._records[-1].number
                count = len(visible)
            else:
                count = sum(r.pinned for r in self._records)
                for record in self._records:
                    record.pinned = False
                self._clear_mark = self._records[-1].number if self._records else 0
            self._base = None     # the next run is the one later runs are compared with
        self._say(t("lab_cleared", self.language, count=count))
        self.drawer.request(final=True)

    # ---- the training thread ---------------------------------------------------------
    def _job(self, config: Seq2SeqConfig, key: tuple, cached, task, options: dict,
             stop: threading.Event) -> None:
        number = self.finished_count + 1
        label = self._label(config, options)
        planned = total_steps(config, task)
        color = self._color(key)
        with self._lock:
            self._settings[number] = key
        if cached is not None:
            cached.label = label
            self._finish(RunRecord(number, cached, label, color, planned=planned),
                         t("lab_end_cached", self.language))
            return
        record = RunRecord(number, None, label, color, planned=planned)
        recorder = _Recorder(self, record)
        self._begin(record)
        try:
            history = self.train_function(config, task=task, seed=self.seed,
                                          callbacks=[recorder], stop_event=stop,
                                          device=self.device)
        except Exception as error:  # noqa: BLE001 - shown in the widget, run kept if it drew
            self._training_failed(error, traceback.format_exc())
            if record.history is not None and record.history.train_loss:
                record.history.label = label
                self._finish(record, t("lab_end_error", self.language))
            else:
                self._abandon()
            return
        history.label = label
        record.history = history
        if not history.stopped_by_user:
            self.cache.put(key, history)
        self._finish(record)

    def _label(self, config: Seq2SeqConfig, options: dict) -> str:
        changed = config.diff(self.base_config)
        changed.update({name: value for name, value in options.items()
                        if name in self.controls and name in TASK_OPTION_FIELDS
                        and value != self._task_option(name)})
        if self.data_row is not None:   # another file or tokens: named by the file's own name
            for name in ("path", "tokens"):
                if options.get(name) != self.task_options.get(name, options.get(name)):
                    changed[name] = (Path(options[name]).name if name == "path"
                                     else options[name])
        label = ", ".join(f"{name}={format_value(value)}" for name, value in changed.items())
        return label or t("lab_base_label", self.language)

    def _task_option(self, name: str):
        """Task option ``name`` as the widget's task has it (make_task's default if unset)."""
        if name in self.task_options:
            return self.task_options[name]
        if self.task is not None:
            return self.task.options[name]
        return TASK_OPTION_FIELDS[name]["slider"][0]   # the task failed; its message says why

    def _finish(self, record: RunRecord, note: str = "") -> None:
        with self._lock:
            if self._base is None:
                self._base = record
        super()._finish(record, note)

    def _color(self, setting: tuple) -> str:
        """A colour no run beside it on the figure has; a replay keeps its ghost's colour.

        Cycling the palette by run number gave run 8 the colour of run 1 while both were on
        the figure; the colour now depends on what is shown when the run starts."""
        with self._lock:
            beside = self._earlier_shown(None, setting)
            same = [r for r in self._records
                    if self._settings.get(r.number) == setting and r.number > self._clear_mark]
        used = {r.color for r in beside}
        if same and same[-1].color not in used:
            return same[-1].color
        free = [color for color in RUN_COLORS if color not in used]
        return free[0] if free else RUN_COLORS[len(beside) % len(RUN_COLORS)]

    def _auto_train(self, change) -> None:
        if change.get("new") != change.get("old"):
            self.train()

    # ---- what the drawer draws ---------------------------------------------------------
    def _views(self) -> tuple[list[RunView], RunRecord | None]:
        """The runs ``_earlier_shown`` keeps as ghosts, then the newest run (in progress or
        just finished) in full colour; histories are copies (``snapshot``)."""
        with self._lock:
            records, current = list(self._records), self._current
        newest = current or (records[-1] if records and records[-1].number > self._clear_mark
                             else None)
        with self._lock:
            shown = self._earlier_shown(newest, self._settings.get(newest.number) if newest
                                        else None)
            # Distinct colours even where a hidden ghost came back (a replay removed a newer
            # one): the newest keeps its colour, then the older runs in order.
            used = {newest.color} if newest is not None else set()
            for record in shown:
                if record.color in used:
                    free = [c for c in RUN_COLORS if c not in used]
                    record.color = free[0] if free else record.color
                used.add(record.color)
        views = [RunView(snapshot(r.history), f"#{r.number} {r.label}", r.color,
                         "pinned" if r.pinned else "ghost", r.planned) for r in shown]
        if newest is not None and newest.history is not None:
            views.append(RunView(snapshot(newest.history), f"#{newest.number} {newest.label}",
                                 newest.color, "current", newest.planned))
        return views, newest

    def _earlier_shown(self, newest: RunRecord | None, setting: tuple | None) -> list[RunRecord]:
        """The finished runs drawn beside ``newest`` (whose setting is ``setting``), oldest
        first: pinned runs, the base run (the first since Clear), and the latest run of each
        other setting, at most ``max_ghosts`` of them and never more than the palette has
        colours.  One ghost per setting: a replay of a cached setting replaces that setting's
        ghost instead of filling a second slot with the same curves.  Call under ``_lock``."""
        records = [r for r in self._records if r is not newest]
        pinned = [r for r in records if r.pinned]
        taken = {self._settings.get(r.number) for r in pinned} | {setting}
        base = self._base
        if base is None or base is newest or base.pinned or base.number <= self._clear_mark \
                or self._settings.get(base.number) in taken:
            base = None
        else:
            taken.add(self._settings.get(base.number))
        ghosts: list[RunRecord] = []
        for record in reversed(records):   # newest first: a setting's latest run is its ghost
            key = self._settings.get(record.number)
            if record.pinned or record is base or record.number <= self._clear_mark or key in taken:
                continue
            taken.add(key)
            ghosts.append(record)
        room = len(RUN_COLORS) - 1 - len(pinned) - (base is not None)
        ghosts = ghosts[:max(0, min(self.max_ghosts, room))]
        return sorted(pinned + ghosts + ([base] if base else []), key=lambda r: r.number)


class _Recorder:
    """The training callback: remembers the live History and asks the drawer for a frame.
    Runs in the training thread, so it only stores a reference and sets a flag."""

    def __init__(self, lab: Lab, record: RunRecord):
        self.lab, self.record = lab, record

    def on_batch_end(self, history) -> None:
        if self.record.history is None:
            self.record.history = history
            self.lab.current = history
            # The first point is drawn at once, not after the throttle's pause that the
            # previous frame set: the learner sees that Train did something.
            self.lab.drawer.request(final=True)
            return
        self.lab.drawer.request()

    on_evaluation_end = on_batch_end

    def on_run_end(self, history) -> None:
        self.record.history = history


def _json_panels(panels) -> tuple:
    """Panels as a set-up keeps them: names, or [name, options] with JSON-able options."""
    out = []
    for panel in panels:
        if isinstance(panel, str):
            out.append(panel)
        elif isinstance(panel, (tuple, list)) and len(panel) == 2 and isinstance(panel[1], dict):
            try:     # options a text can carry; a result object (range_test's) cannot travel
                out.append([panel[0], json.loads(json.dumps(panel[1]))])
            except (TypeError, ValueError):
                out.append(panel[0])
    return tuple(out)


class _BadOption(ValueError):
    """A task-option control whose value is rejected: its name and the reason."""

    def __init__(self, name: str, error: ValueError):
        super().__init__(str(error))
        self.name, self.error = name, error


def _hint(name: str, fields, language: str) -> str:
    close = difflib.get_close_matches(name, list(fields), n=1, cutoff=0.5)
    return t("did_you_mean", language, suggestion=close[0]) if close else ""


__all__ = ["Lab"]
