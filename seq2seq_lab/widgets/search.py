"""``Search``: a hyperparameter search you start with a button and watch fill in, trial by
trial; trials other machines add to the same study appear too (``search.py`` does the
searching, ``search_plots.py`` the drawing).

Lessons: 09 (grid, random, quasi-random, TPE and Hyperband side by side; a class-wide study).

Controls: the strategy (the five of ``search.STRATEGIES``), the budget (in trials of the
preset's length; the search counts it in batches), the space as text
(``learning_rate=0.001:1; rnn_cell_type=rnn, gru, lstm``, the CLI's ``--space``), the storage (an SQLite file, or
``postgresql://user:password@host:5432/db`` for a class; the password is shown masked) and the
study's name.  Start runs ``search()`` in the training thread (``live.Runner``), Stop sets its
stop event (the running trial ends within a batch), Refresh re-reads the study.  Anything
wrong (a typo in the space, a wrong password, a server that does not answer) is a message in
the widget, never a traceback.

Threads as in ``panel.py``: the search thread only records trials and asks for frames; the
drawer thread alone draws (``search_plots.search_png``) and writes the status line.
"""
from __future__ import annotations

import atexit
import html
import re
import secrets
import threading
import time
import weakref
from pathlib import Path

import ipywidgets as widgets

from ..config import format_value
from ..i18n import t
from ..search import (DEFAULT_DATABASE, STRATEGIES, Dimension, SearchError, build_space,
                      mask_url, search)
from ..search_plots import finished, search_png
from ..training import total_steps
from .live import build_task
from .panel import LivePanel

MAX_TRIALS = 60        # the budget slider's end: a minute or two of trials, not an afternoon
# After its first search an idle widget re-reads its study this often, so trials that other
# machines finish (a class-wide study) appear without a click; one small query each time.
WATCH_SECONDS = 5.0
_WATCHING: "weakref.WeakSet[Search]" = weakref.WeakSet()   # widgets whose watcher runs


@atexit.register
def _end_watchers() -> None:
    """End every watcher when the kernel exits, and let a study read in flight finish: a
    daemon thread killed inside the database driver can abort the process ("terminate called
    without an active exception", seen once)."""
    searches = list(_WATCHING)
    for search in searches:
        search._closed.set()
    for search in searches:
        if search._watcher is not None:
            search._watcher.join(timeout=WATCH_SECONDS)


def parse_space(text: str) -> dict:
    """``"learning_rate=0.001:1; rnn_cell_type=rnn, gru, lstm; batch_size"`` -> the space
    ``search()`` takes: ``low:high`` (or ``low..high``) a range, ``a, b, c`` those values, a
    bare name the field's own range: the CLI's ``--space`` syntax, one part per flag.
    ValueError naming the part that is neither."""
    space: dict = {}
    for part in (p.strip() for p in re.split(r"[;\n]", text)):
        if not part:
            continue
        if "=" not in part:
            if not re.fullmatch(r"\w+", part):
                raise ValueError(part)
            space[part] = None
            continue
        name, values = (s.strip() for s in part.split("=", 1))
        if not re.fullmatch(r"\w+", name) or not values:
            raise ValueError(part)
        if ".." in values or ":" in values:
            bounds = [v.strip() for v in re.split(r"\.\.|:", values)]
            if len(bounds) != 2 or not all(bounds):
                raise ValueError(part)
            space[name] = tuple(_value(v) for v in bounds)
        else:
            space[name] = [_value(v) for v in re.split(r"[,\s]+", values) if v]
    if not space:
        raise ValueError(text)
    return space


def _value(text: str):
    """A typed value as a number where it is one, true/false as booleans, else the text."""
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def format_space(space: dict) -> str:
    """The space as the text box shows it (``parse_space`` reads it back)."""
    parts = []
    for name, spec in space.items():
        if spec is None:
            parts.append(name)
        elif isinstance(spec, tuple):
            parts.append(f"{name}={format_value(spec[0])}:{format_value(spec[1])}")
        else:
            parts.append(f"{name}={', '.join(format_value(v) for v in spec)}")
    return "; ".join(parts)


class Search(LivePanel):
    """Start a search, watch its trials, Stop it; see other machines' trials in one study.

    :param space: ``{field: (low, high) | [values] | None}`` (``search.build_space``)
    :param strategy: grid, random, quasi_random, tpe or hyperband (a dropdown)
    :param budget: trials of ``trial_batches`` batches each (a slider; spent in batches, so a
        pruned or diverged trial leaves room for more)
    :param preset, task, config, task_options: every trial's settings (the preset's
        ``max_num_batches`` is a trial's length)
    :param seed: the study's seed (its sampler's and every trial's training seed)
    :param storage: an SQLite file (default ``seq2seq_lab_search.db`` here) or a URL
    :param study_name: default ``<task>_<strategy>_<4 letters>``, new for each widget: type a
        shared name (and storage) to join a class's study
    """

    ROOT_CLASS = "s2s-search"

    def __init__(self, space: dict | None = None, strategy: str = "random", budget: int = 12, *,
                 preset: str | None = None, task: str | None = None, config=None,
                 task_options: dict | None = None, seed: int = 0, storage: str | None = None,
                 study_name: str | None = None, theme: str = "notebook",
                 language: str | None = None, export_dir: str = "runs", device: str | None = None):
        LivePanel.__init__(self, task=task, preset=preset, config=config, seed=seed,
                           task_options=task_options, theme=theme, language=language,
                           max_runs=1, export_dir=export_dir, device=device)
        lang = self.language
        self.result = None                 # the last search's SearchResult
        self.trials: list = []             # every trial of the study, as last read
        self._dimensions: list[Dimension] = []
        self._spent = 0
        self._running_trial: int | None = None
        self._searching = False
        self._stopped = False
        self._tag = secrets.token_hex(2)
        self._storage = str(storage or DEFAULT_DATABASE)
        self._matplotlib_figure = None
        self._this_run: list = []          # this worker's finished trials, with Histories
        self._study = None                 # the study re-read after each trial (load_search)
        self._closed = threading.Event()   # ends the watcher (close)
        self._watcher: threading.Thread | None = None
        self.trial_batches = self.base_config.max_num_batches or (
            total_steps(self.base_config, self.task) if self.task is not None else 1)
        if strategy not in STRATEGIES:
            self._problem(SearchError("search_unknown_strategy", name=strategy,
                                      choices=", ".join(STRATEGIES), hint="").message(lang))
            strategy = "random"
        label = {"description_width": "initial"}
        self.strategy_box = widgets.Dropdown(options=list(STRATEGIES), value=strategy,
                                             description=t("search_strategy", lang), style=label,
                                             layout=widgets.Layout(width="230px"))
        self.strategy_box.add_class("s2s-param-strategy")
        self.budget_slider = widgets.IntSlider(value=max(1, min(int(budget), MAX_TRIALS)), min=1,
                                               max=MAX_TRIALS, description=t("search_budget", lang),
                                               style=label, continuous_update=False,
                                               layout=widgets.Layout(width="360px"))
        self.budget_slider.add_class("s2s-param-budget")
        self.budget_note = widgets.HTML("")
        self.space_box = widgets.Text(value=format_space(space or {"learning_rate": None}),
                                      description=t("search_space", lang), style=label,
                                      continuous_update=False, layout=widgets.Layout(width="760px"))
        self.space_box.add_class("s2s-param-space")
        self.storage_box = widgets.Text(value=mask_url(self._storage),
                                        description=t("search_storage", lang), style=label,
                                        continuous_update=False,
                                        layout=widgets.Layout(width="470px"))
        self.storage_box.add_class("s2s-param-storage")
        self._study_typed = study_name is not None
        self.study_box = widgets.Text(value=study_name or self._default_study(strategy),
                                      description=t("search_study", lang), style=label,
                                      continuous_update=False, layout=widgets.Layout(width="280px"))
        self.study_box.add_class("s2s-param-study")
        self.strategy_box.observe(self._strategy_changed, names="value")
        self.study_box.observe(self._study_changed, names="value")
        self.budget_slider.observe(lambda _change: self._show_budget(), names="value")
        self._show_budget()
        self.refresh_button = self._button("search_refresh", "s2s-refresh",
                                           self._guarded(self.refresh))
        self._status_text = t("search_ready", lang)
        self._build([widgets.HBox([self.strategy_box, self.budget_slider, self.budget_note],
                                  layout=widgets.Layout(align_items="center",
                                                        flex_flow="row wrap")),
                     self.space_box,
                     widgets.HBox([self.storage_box, self.study_box],
                                  layout=widgets.Layout(flex_flow="row wrap"))],
                    extra_buttons=[self.refresh_button])
        self.train_button.description = t("search_start", lang)
        self.train_button.tooltip = t("search_start_help", lang)
        self.csv_button.layout.display = "none"   # a study's trials: result.to_csv, or the CLI

    # ---- controls ------------------------------------------------------------------------
    def _default_study(self, strategy: str) -> str:
        return f"{self.task_name}_{strategy}_{self._tag}"

    def _strategy_changed(self, change) -> None:
        if not self._study_typed:
            self.study_box.value = self._default_study(change["new"])
            self._study_typed = False

    def _study_changed(self, change) -> None:
        self._study_typed = change["new"] != self._default_study(self.strategy_box.value)

    def _show_budget(self) -> None:
        trials = self.budget_slider.value
        self.budget_note.value = html.escape(t("search_budget_note", self.language, trials=trials,
                                               batches=self.trial_batches,
                                               total=trials * self.trial_batches))

    @property
    def budget(self) -> int:
        """The budget in batches, as ``search()`` counts it."""
        return self.budget_slider.value * self.trial_batches

    def storage_url(self) -> str:
        """What the storage box names, with the password the box hides: typing a masked URL
        back (``user:***@``) keeps the password typed before."""
        typed = self.storage_box.value.strip() or DEFAULT_DATABASE
        if typed != mask_url(self._storage):
            self._storage = typed
        if "://" not in self._storage:
            Path(self._storage).expanduser().parent.mkdir(parents=True, exist_ok=True)
        shown = mask_url(self._storage)
        if self.storage_box.value != shown:
            self.storage_box.value = shown
        return self._storage

    def read_settings(self) -> dict | None:
        """The search to run, or None and a message in the widget."""
        self.space_box.remove_class("s2s-invalid")
        try:
            space = parse_space(self.space_box.value)
        except ValueError as error:
            return self._refuse(t("search_bad_space", self.language, part=str(error)), self.space_box)
        try:
            self._dimensions = build_space(space, self.base_config)
        except SearchError as error:
            return self._refuse(error.message(self.language), self.space_box)
        if self.task is None and self._build_task(show=True) is None:
            return None
        return dict(space=space, strategy=self.strategy_box.value, budget=self.budget,
                    storage=self.storage_url(), study_name=self.study_box.value.strip() or None)

    def _refuse(self, reason: str, box=None):
        if box is not None:
            box.add_class("s2s-invalid")
        self._say(t("search_cannot_start", self.language, reason=reason), error=True)
        return None

    # ---- actions ---------------------------------------------------------------------------
    def train(self) -> None:
        """Start (the button): run the search in the background thread."""
        settings = self.read_settings()
        if settings is None:
            return
        self._say("")
        self._show_starting()
        with self._lock:
            self._status_text = t("search_opening", self.language)
        self.runner.start(lambda stop: self._job(settings, stop))

    start = train

    def refresh(self) -> None:
        """Read the study again (trials other machines finished) and redraw."""
        if self.result is None:
            self._say(t("search_no_study_yet", self.language))
            return
        self._reread()
        self._say(t("search_refreshed", self.language, study=self.result.study_name,
                    total=len(self.trials)))
        self.drawer.request(final=True)

    def _job(self, settings: dict, stop: threading.Event) -> None:
        number = self.finished_count + 1
        if self.question is not None:
            self.question.run_started(number)
        started = time.perf_counter()
        with self._lock:
            self._searching, self._stopped, self._spent = True, False, 0
            self._started_at, self._this_run, self._study = started, [], None
            self._settings = settings
        try:
            result = search(settings["space"], settings["strategy"], budget=settings["budget"],
                            task=self.task_name, task_options=self.task_options,
                            base=self.base_config, seed=self.seed, storage=settings["storage"],
                            study_name=settings["study_name"], callbacks=[_Watch(self)],
                            stop_event=stop, trial_batches=self.trial_batches)
        except SearchError as error:
            with self._lock:
                self._searching = False
                self._status_text = t("search_ready", self.language)
            self._say(t("search_cannot_start", self.language, reason=error.message(self.language)),
                      error=True)
            self.drawer.request(final=True)
            return
        except BaseException:
            with self._lock:
                self._searching = False
            self.drawer.request(final=True)
            raise
        self.result = result
        self._reread()
        seconds = time.perf_counter() - started
        with self._lock:
            self._searching, self._running_trial = False, None
            self.finished_count += 1
            self._status_text = (
                t("search_stopped", self.language, trials=len(result.trials), seconds=seconds)
                if stop.is_set() else
                t("search_done", self.language, trials=len(result.trials), seconds=seconds,
                  study=result.study_name, total=len(self.trials)))
        if self.question is not None:
            self.question.run_started(number)
        self.drawer.request(final=True)
        if self._watcher is None:
            self._watcher = threading.Thread(target=self._watch, name="seq2seq-lab-watch",
                                             daemon=True)
            _WATCHING.add(self)
            self._watcher.start()

    def _watch(self) -> None:
        """While no search runs here, re-read the study every WATCH_SECONDS and redraw when
        another machine added or finished a trial.  A server away for a moment is asked
        again next time: the widget keeps what it showed."""
        while not self._closed.wait(WATCH_SECONDS):
            if self._searching or self.result is None:
                continue
            before = [(trial.number, trial.state) for trial in self.trials]
            try:
                self._reread()
            except Exception:   # noqa: BLE001 - a lost connection; the next read may work
                continue
            if [(trial.number, trial.state) for trial in self.trials] != before:
                with self._lock:
                    self._status_text = t("search_others_finished", self.language,
                                          study=self.result.study_name, total=len(self.trials))
                self.drawer.request(final=True)

    def close(self) -> None:
        self._closed.set()
        super().close()

    def _reread(self) -> None:
        """Every trial of the study, from storage (other workers' too)."""
        result = self.result or self._study
        if result is None:
            return
        trials = result.all_trials()
        dims = [Dimension.from_dict(d) for d in result.settings["space"]]
        with self._lock:
            # This worker's own trials keep their Histories.
            mine = {trial.number: trial for trial in self._this_run}
            self.trials = [mine.get(trial.number, trial) for trial in trials]
            self._dimensions = dims

    # ---- the search's events (search thread) -----------------------------------------------
    def _trial_started(self, number: int) -> None:
        if self._study is None:
            # The study exists once its first trial starts: open it for re-reading.
            from ..search import default_study_name, load_search
            settings = self._settings
            name = settings["study_name"] or default_study_name(self.task_name,
                                                                settings["strategy"])
            self._study = load_search(settings["storage"], name)
            self._reread()
        with self._lock:
            self._running_trial = number
        self.drawer.request()

    def _trial_ended(self, trial) -> None:
        with self._lock:
            self._spent += trial.batches
            self._running_trial = None
            self._this_run.append(trial)
        # Every trial of the study, other machines' among them, after each of ours.
        self._reread()
        self.drawer.request()

    # ---- drawing (drawer thread) -------------------------------------------------------------
    def _views(self):
        return [], None

    @property
    def runs(self) -> list:
        """The trials this widget's searches trained, with their Histories."""
        return [trial.history for trial in (self.result.trials if self.result else ())
                if trial.history is not None]

    def _render(self) -> None:
        with self._lock:
            trials, dims = list(self.trials), list(self._dimensions)
            live = list(self._this_run)
            searching, running, spent = self._searching, self._running_trial, self._spent
            started, status = self._started_at, self._status_text
        # While searching: the study as last read, and this worker's trials since.
        if searching:
            known = {trial.number for trial in live}
            trials = [trial for trial in trials if trial.number not in known] + live
        if self._matplotlib_figure is None:
            from matplotlib.figure import Figure
            self._matplotlib_figure = Figure()
        self.image.value = search_png(trials, dims, theme=self.figure.theme,
                                      language=self.language, planned=self.trial_batches,
                                      figure=self._matplotlib_figure)
        self.progress.max = max(1, self.budget)
        if searching:
            self.progress.value = min(spent, self.progress.max)
            self.progress.bar_style = "info"
            if running is not None:
                status = t("search_running", self.language, number=running, done=spent,
                           budget=self.budget, seconds=time.perf_counter() - started)
        elif trials:
            self.progress.value = self.progress.max if not self._stopped else self.progress.value
            self.progress.bar_style = "success"
        self.status.value = self._sized(html.escape(status))
        self.legend.value = ""
        if self.question is not None:
            self.question.render_tie()

    def export_png(self) -> str | None:
        """Save the figure as it is now (sharper than on screen); returns the path."""
        if not self.trials:
            self._say(t("lab_nothing_to_export", self.language))
            return None
        from ..widgets.exports import saved_html, unique_path
        data = self.drawer.call(lambda: search_png(
            self.trials, self._dimensions, theme=self.figure.theme, language=self.language,
            planned=self.trial_batches, compress_level=6))
        path = unique_path(self.export_dir, "search", ".png")
        path.write_bytes(data)
        self._say_html(saved_html(path, data, "image/png", t("lab_saved", self.language),
                                  t("lab_download", self.language)), f"{path}")
        return str(path)


def searches_table(*searches):
    """The searches side by side (``Search`` widgets or ``SearchResult``s): strategy, trials
    (pruned, diverged), batches spent, different values tried per dimension, the best score and
    its settings.  A widget not started yet is a row that says so."""
    from IPython.display import HTML
    from ..search_plots import best_of
    heads = ["strategy", "trials", "pruned", "diverged", "batches", "values tried", "best val. loss",
             "best settings"]
    rows = []
    for item in searches:
        result = getattr(item, "result", item) if not hasattr(item, "all_trials") else item
        if result is None:
            name = getattr(item, "strategy_box", None)
            rows.append([name.value if name is not None else "?", t("search_ready")] + [""] * 6)
            continue
        trials = [trial for trial in result.trials if trial.state in ("complete", "pruned")]
        # Every dimension, a grid's listed values too: "learning_rate: 4" is the grid's point.
        names = [d["name"] for d in result.settings["space"]]
        tried = ", ".join(f"{name}: {len({trial.params.get(name) for trial in trials})}"
                          for name in names)
        best = best_of(trials)
        rows.append([result.settings["strategy"], len(trials),
                     sum(trial.state == "pruned" for trial in trials),
                     sum(trial.diverged for trial in trials), result.batches_spent, tried,
                     f"{best.value:.3f}" if best else "-",
                     ", ".join(f"{k}={format_value(v)}" for k, v in best.params.items())
                     if best else "-"])
    cells = "".join(f"<th style='text-align:left;padding:2px 10px'>{html.escape(h)}</th>"
                    for h in heads)
    body = "".join("<tr>" + "".join(f"<td style='padding:2px 10px'>{html.escape(str(c))}</td>"
                                    for c in row) + "</tr>" for row in rows)
    return HTML(f"<table class='s2s-search-table'><tr>{cells}</tr>{body}</table>")


class _Watch:
    """The search's callback: tells the widget when a trial starts, learns (each evaluation
    redraws its curve) and ends."""

    def __init__(self, panel: Search):
        self.panel = panel

    def on_trial_start(self, number: int, params: dict) -> None:
        self.panel._trial_started(number)

    def on_evaluation_end(self, history) -> None:
        self.panel.drawer.request()

    def on_trial_end(self, trial) -> None:
        self.panel._trial_ended(trial)


__all__ = ["Search", "format_space", "parse_space", "searches_table"]
