"""Hyperparameter search on Optuna: grid, random, quasi-random, TPE and Hyperband, one study
per search, stored at a URL so that a whole class can search together.

Lessons: 09 (search instead of trying values by hand; a class-wide study on PostgreSQL).

Read the sketch first; the real code below adds the details (budget, pruning, divergence,
workers that die, storage errors)::

    study = optuna study at ``storage`` (SQLite file here, or PostgreSQL for a class)
    while batches spent + one trial's batches <= budget:
        trial = study.ask()                              # the strategy's sampler picks values
        history = train(base + trial's values, max_num_batches=trial_batches)
            at each evaluation: trial.report(val_loss)   # Hyperband may stop the run here
        study.tell(trial, best val loss)                 # diverged: DIVERGED_VALUE, marked

Everything statistical is Optuna's (its samplers, pruner, storage and heartbeats); this module
only turns config metadata into a search space and counts the budget.  The budget is in
training batches, not trials, so that strategies compare on equal compute: a pruned trial
costs only the batches it trained.  Each call counts its own budget: in a shared study every
worker (a learner's laptop) spends its own.
"""
from __future__ import annotations

import csv
import dataclasses
import difflib
import json
import math
import os
import re
import secrets
import threading
import time
import warnings
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from .config import ConfigError, Seq2SeqConfig, format_value
from .data import TASK_OPTION_FIELDS, task_option_value
from .history import History
from .i18n import t
from .training import as_config, resolve_task, total_steps, train

# Optuna (and SQLAlchemy under it) is imported inside the functions that use it: it belongs to
# the ``lab`` extra, and ``import seq2seq_lab`` must not pay for it or need it.

STRATEGIES = ("grid", "random", "quasi_random", "tpe", "hyperband")
DEFAULT_SPACE = ("learning_rate", "rnn_num_hidden", "rnn_cell_type")
DEFAULT_DATABASE = "seq2seq_lab_search.db"    # in the working directory: one laptop, no server
# A diverged trial is a result, told to Optuna as this loss: a NaN or an exception would fail
# the trial and the sampler would suggest the same values again (optuna #2864).  A run that
# does not diverge scores its best validation loss, which starts near ln(vocabulary size),
# 2.6-3.7 for our tasks, and falls; so a diverged one ranks last, yet stays a finite number
# that any storage, CSV or plot takes.  ``diverged`` in its user attributes marks it.
DIVERGED_VALUE = 100.0
# Grid search needs finite values: a field's ``widget_values`` inside the range (the "nice"
# slider stops), otherwise this many points, evenly spread (geometrically on a log scale).
# Three, because a grid's cost multiplies per dimension: 3 fields x 3 points is 27 trials,
# a whole lesson's budget.
GRID_POINTS = 3
# TPE models the trials so far after this many random ones; Optuna's 10 would leave it little
# to model in a lesson's 20-30 trials.
TPE_STARTUP_TRIALS = 5
HYPERBAND_REDUCTION = 3    # Li et al. 2018's eta: each rung keeps the best third
# Heartbeats: a running trial writes one every HEARTBEAT_INTERVAL seconds; one silent for
# GRACE_FACTOR times as long belongs to a dead worker (laptop closed, kernel killed), and the
# next worker to start a trial fails it and queues a retry.  Generous, because too short a
# grace fails live trials (optuna #4234); a trial of ours takes seconds to a minute.
HEARTBEAT_INTERVAL = 20
GRACE_FACTOR = 3
MAX_RETRY = 2
# Fields the search sets itself: every trial trains exactly ``trial_batches`` batches.
SET_BY_SEARCH = ("max_num_batches", "max_num_epochs", "min_num_epochs",
                 "checkpoint_frequency_num_batches")
TASK_DIMENSIONS = ("seq_len", "train_size", "noise")   # task options worth searching
# The range searched when only a field's name is given, where its valid range (up to 4096
# units, 10^6 steps) is far wider than a toy task in seconds can use: (low, high, log).
# Sizes and scales are searched on a log scale: 8 -> 16 units matters as much as 128 -> 256.
SEARCH_RANGES: dict[str, tuple] = {
    "batch_size": (8, 256, True),
    "rnn_num_hidden": (8, 256, True),
    "num_embed_source": (4, 128, True),
    "num_embed_target": (4, 128, True),
    "num_layers_encoder": (1, 4, False),
    "num_layers_decoder": (1, 4, False),
    "weight_decay": (1e-5, 0.1, True),
    "clip_gradient": (0.1, 20.0, True),
    "weight_init_scale": (0.1, 5.0, True),
    "lr_step_size": (10, 500, True),
    "lr_warmup_steps": (0, 100, False),
    "plateau_reduce_lr_threshold": (1, 10, False),
    "early_stopping_patience": (1, 10, False),
    "max_seq_len_source": (4, 100, False),
    "max_seq_len_target": (4, 100, False),
}
_SETTINGS = "seq2seq_lab"   # the study user attribute that holds the search's settings


class SearchError(ValueError):
    """A search that cannot run as asked; the message names what is wrong (never a password).

    Rendered in the current language when made; ``field`` names the hyperparameter at fault,
    if any, so a widget can show the message beside it.
    """

    def __init__(self, key: str, field_name: str | None = None, **values):
        self.key, self.field, self.values = key, field_name, values
        super().__init__(t(key, **values))

    def message(self, language: str | None = None) -> str:
        return t(self.key, language, **self.values)


# ---- the search space ------------------------------------------------------------------
@dataclass(frozen=True)
class Dimension:
    """One searched hyperparameter: a float or int range (maybe log-scaled) or choices."""

    name: str
    kind: str                     # "float", "int" or "categorical"
    low: float | None = None
    high: float | None = None
    log: bool = False
    choices: tuple = ()
    task_option: bool = False     # a make_task option (seq_len, ...), not a config field

    def suggest(self, trial) -> Any:
        if self.kind == "categorical":
            return trial.suggest_categorical(self.name, list(self.choices))
        if self.kind == "int":
            return trial.suggest_int(self.name, int(self.low), int(self.high), log=self.log)
        return trial.suggest_float(self.name, self.low, self.high, log=self.log)

    def grid_values(self) -> list:
        """The finite values a grid tries (see GRID_POINTS)."""
        if self.kind == "categorical":
            return list(self.choices)
        meta = {} if self.task_option else Seq2SeqConfig.fields()[self.name]
        stops = [v for v in meta.get("widget_values") or () if self.low <= v <= self.high]
        if len(stops) >= 2:
            return stops
        if self.log:
            points = [self.low * (self.high / self.low) ** (i / (GRID_POINTS - 1))
                      for i in range(GRID_POINTS)]
        else:
            points = [self.low + (self.high - self.low) * i / (GRID_POINTS - 1)
                      for i in range(GRID_POINTS)]
        if self.kind == "int":
            return sorted({int(round(p)) for p in points})
        return [float(f"{p:.3g}") for p in points]

    def to_dict(self) -> dict:
        """As stored with the study (JSON), without the fields left at their defaults."""
        return {k: v for k, v in dataclasses.asdict(self).items()
                if v is not None and v is not False and v != ()}

    @classmethod
    def from_dict(cls, values: dict) -> "Dimension":
        return cls(**{**values, "choices": tuple(values.get("choices", ()))})


def build_space(space=None, base: Seq2SeqConfig | None = None) -> list[Dimension]:
    """Dimensions from ``{name: (low, high) | [values] | None}``, a list of names, or one name.

    ``(low, high)`` is a range (log-scaled where the field is), ``[values]`` exactly those
    values, ``None`` the field's default range: SEARCH_RANGES, else its slider stops
    (``widget_values``), else its valid range; choices for choice and true/false fields.
    """
    base = base or Seq2SeqConfig()
    space = DEFAULT_SPACE if space is None else space
    items = list(space.items()) if isinstance(space, dict) else [
        (name, None) for name in ([space] if isinstance(space, str) else space)]
    if not items:
        raise SearchError("search_empty_space")
    return [_dimension(name, spec, base) for name, spec in items]


def _dimension(name: str, spec, base: Seq2SeqConfig) -> Dimension:
    fields = Seq2SeqConfig.fields()
    if name in SET_BY_SEARCH:
        raise SearchError("search_set_by_search", name, name=name)
    if name not in fields and name not in TASK_DIMENSIONS:
        known = sorted(set(fields) - set(SET_BY_SEARCH) | set(TASK_DIMENSIONS))
        close = difflib.get_close_matches(name, known, n=1, cutoff=0.5)
        raise SearchError("unknown_field", name, name=name,
                          hint=t("did_you_mean", suggestion=close[0]) if close else "")
    task_option = name in TASK_DIMENSIONS
    meta = TASK_OPTION_FIELDS[name] if task_option else fields[name]
    kind = meta["type"]
    checked = (lambda v: task_option_value(name, v)) if task_option else (
        lambda v: getattr(base.replace(**{name: v}), name))
    choices = (False, True) if kind is bool else (None if task_option else meta["choices"])
    if isinstance(spec, (list, tuple)) and not spec:
        raise SearchError("search_no_values", name, name=name)
    if choices is not None or isinstance(spec, list):   # choices, or values given one by one
        if spec is not None and not isinstance(spec, (list, tuple)):
            raise SearchError("search_bad_spec", name, name=name, value=spec)
        values = [_checked(name, checked, v) for v in (choices if spec is None else spec)]
        return Dimension(name, "categorical", choices=tuple(dict.fromkeys(values)),
                         task_option=task_option)
    if spec is None:
        if task_option:
            low, high, log = *meta["slider"][:2], False
        elif name in SEARCH_RANGES:
            low, high, log = SEARCH_RANGES[name]
        elif meta["widget_values"]:
            low, high, log = min(meta["widget_values"]), max(meta["widget_values"]), meta["log"]
        else:
            low, high, log = meta["low"], meta["high"], meta["log"]
    elif isinstance(spec, tuple) and len(spec) == 2:
        low, high = (_checked(name, checked, v) for v in spec)
        log = SEARCH_RANGES.get(name, (0, 0, meta.get("log", False)))[2]
        if low == high:
            raise SearchError("search_empty_range", name, name=name, low=format_value(low),
                              high=format_value(high))
        if low > high:
            raise SearchError("search_inverted_range", name, name=name, low=format_value(low),
                              high=format_value(high))
        log = log and low > 0   # a range from 0 cannot be log-scaled: searched evenly instead
    else:
        raise SearchError("search_bad_spec", name, name=name, value=spec)
    return Dimension(name, "int" if kind is int else "float", low, high, log,
                     task_option=task_option)


def _checked(name: str, check, value):
    """``value`` as the field's type, inside its valid range, or a SearchError that says so."""
    try:
        return check(value)
    except (ConfigError, ValueError) as error:
        raise SearchError("search_bad_bound", name, name=name, reason=str(error)) from None


# ---- storage: a URL, its errors, and a password that never shows --------------------------
def mask_url(url: str) -> str:
    """The URL with its password replaced by ``***``: ``postgresql://user:***@host/db``."""
    return re.sub(r"(://[^/:@]*:)[^@/]*@", r"\1***@", url)


def storage_url(storage: str | os.PathLike | None) -> str:
    """A storage URL: None is DEFAULT_DATABASE in the working directory, a plain path an
    SQLite file, anything with ``://`` is used as it is."""
    if storage is None:
        storage = DEFAULT_DATABASE
    storage = os.fspath(storage)
    if "://" not in storage:
        return "sqlite:///" + str(Path(storage).resolve())
    return storage


def open_storage(storage: str | os.PathLike | None = None,
                 heartbeat_interval: int = HEARTBEAT_INTERVAL):
    """Optuna's RDBStorage at ``storage``, with heartbeats and retries of dead workers' trials,
    or a SearchError naming what is wrong (the URL shown with its password masked)."""
    import optuna
    import sqlalchemy
    from sqlalchemy import exc

    url = storage_url(storage)
    shown, password = mask_url(url), _password(url)
    scheme = url.split("://", 1)[0].split("+", 1)[0].lower()
    if scheme not in ("sqlite", "postgresql", "mysql"):
        raise SearchError("search_bad_url", url=shown)
    engine_url = url
    if url.lower().startswith("postgresql://"):
        # SQLAlchemy 2.1 reads a bare postgresql:// as psycopg 3; we ship psycopg2-binary.
        engine_url = "postgresql+psycopg2://" + url.split("://", 1)[1]
    if scheme == "sqlite":
        engine_kwargs: dict = {"creator": lambda: _sqlite_connection(engine_url)}
    else:
        # Small pools that survive idle disconnects: pre-ping replaces a connection the server
        # dropped (optuna #5600); a whole class of pools must stay under PostgreSQL's 100
        # connections (#1347): each worker needs one, plus one for its heartbeat thread.
        engine_kwargs = {"pool_pre_ping": True, "pool_size": 2, "max_overflow": 1,
                         "pool_recycle": 1800}
        if scheme == "postgresql":
            engine_kwargs["connect_args"] = {"connect_timeout": 10}
    for attempt in range(3):
        try:
            with _quiet():
                callback = optuna.storages.RetryHeartbeatStaleTrialCallback(max_retry=MAX_RETRY)
                return optuna.storages.RDBStorage(
                    engine_url, engine_kwargs=engine_kwargs,
                    heartbeat_interval=int(heartbeat_interval),
                    grace_period=int(heartbeat_interval * GRACE_FACTOR),
                    heartbeat_stale_trial_callback=callback)
        except (exc.IntegrityError, exc.ProgrammingError):
            # Workers starting together race to create the tables (optuna #1092): the loser
            # finds them made and opens them on the next try.
            if attempt == 2:
                raise
        except (exc.ArgumentError, exc.NoSuchModuleError):
            raise SearchError("search_bad_url", url=shown) from None
        except ImportError as error:      # a driver that is not installed (mysql, ...)
            raise SearchError("search_storage_failed", url=shown, reason=str(error)) from None
        except (exc.OperationalError, exc.InterfaceError) as error:
            raise storage_error(error, url) from None
        except sqlalchemy.exc.SQLAlchemyError as error:
            raise SearchError("search_storage_failed", url=shown,
                              reason=_hide(str(getattr(error, "orig", error)), password)) from None


def _sqlite_connection(url: str):
    """One laptop's study file, opened for two workers and for speed."""
    import sqlite3
    path = url.split("///", 1)[1] if "///" in url else ":memory:"
    # A second worker waits up to 30 s for the lock instead of failing (optuna #820); the
    # heartbeat thread shares the pool, so connections cross threads.
    connection = sqlite3.connect(path, timeout=30, check_same_thread=False)
    # Write-ahead log: readers do not block the writer.  synchronous=NORMAL: a commit does
    # not wait for the disk (each took 11 ms here, ~15 a trial, as long as a tiny trial's
    # training); the file stays consistent, and a power cut loses at most the last trials.
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    return connection


def storage_error(error: Exception, url: str) -> SearchError:
    """The SearchError for a database that would not let us in, in words a learner can act
    on: server unreachable, wrong password, no such database."""
    reason = _hide(str(getattr(error, "orig", None) or error).strip(), _password(url))
    shown = mask_url(url)
    user = re.match(r"[^:]+://([^:@/]*)", url)
    database = url.rsplit("/", 1)[-1].split("?", 1)[0]
    lowered = reason.lower()
    if "password authentication failed" in lowered or ("role" in lowered and "does not exist"
                                                       in lowered):
        return SearchError("search_wrong_password", url=shown, user=user.group(1) if user else "")
    if "database" in lowered and "does not exist" in lowered:
        return SearchError("search_no_database", url=shown, database=database)
    if any(sign in lowered for sign in ("connection refused", "could not connect",
                                        "could not translate host", "timeout expired",
                                        "no route to host", "network is unreachable",
                                        "server closed the connection")):
        return SearchError("search_unreachable", url=shown, reason=reason.splitlines()[0])
    return SearchError("search_storage_failed", url=shown, reason=reason.splitlines()[0])


def _password(url: str) -> str | None:
    match = re.search(r"://[^/:@]*:([^@/]*)@", url)
    return match.group(1) if match else None


def _hide(text: str, password: str | None) -> str:
    return text.replace(password, "***") if password else text


@contextmanager
def _quiet():
    """Optuna's per-trial INFO lines and "experimental" warnings off while we run: the CLI and
    widgets say what happened in their own words.  Restored after, for the caller's code."""
    import optuna
    before = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            yield
    finally:
        optuna.logging.set_verbosity(before)


# ---- trials and results --------------------------------------------------------------------
@dataclass
class SearchTrial:
    """One trial as stored: its values, its score, what it cost.  ``history`` only for the
    trials this call trained (others ran on other machines)."""

    number: int
    state: str                     # complete, pruned, fail, running, waiting (lower case)
    params: dict
    value: float | None            # best validation loss; DIVERGED_VALUE if it diverged
    batches: int = 0
    diverged: bool = False
    retry_of: int | None = None    # the trial a dead worker left, that this one re-runs
    intermediate: dict = field(default_factory=dict)   # batches -> validation loss
    history: History | None = field(default=None, repr=False)

    @classmethod
    def from_frozen(cls, trial, history: History | None = None) -> "SearchTrial":
        attrs = trial.user_attrs
        return cls(trial.number, trial.state.name.lower(), dict(trial.params), trial.value,
                   attrs.get("batches", 0), attrs.get("diverged", False),
                   trial.system_attrs.get("failed_trial"), dict(trial.intermediate_values),
                   history)


@dataclass
class SearchResult:
    """What a search did (``trials``: this call's, with their Histories) and what its study
    holds (``all_trials()``, ``best_*``: every worker's)."""

    study: Any = field(repr=False)
    storage: str                   # the URL, password masked
    study_name: str
    settings: dict
    budget: int = 0
    batches_spent: int = 0
    trials: list[SearchTrial] = field(default_factory=list)

    def all_trials(self) -> list[SearchTrial]:
        local = {trial.number: trial.history for trial in self.trials}
        return [SearchTrial.from_frozen(trial, local.get(trial.number))
                for trial in self.study.get_trials(deepcopy=False)]

    def ranked(self) -> list[SearchTrial]:
        """Complete trials, best (lowest validation loss) first."""
        return sorted((t_ for t_ in self.all_trials() if t_.state == "complete"),
                      key=lambda t_: t_.value)

    @property
    def best_trial(self) -> SearchTrial | None:
        ranked = self.ranked()
        return ranked[0] if ranked else None

    @property
    def best_params(self) -> dict | None:
        best = self.best_trial
        return None if best is None else best.params

    @property
    def best_value(self) -> float | None:
        best = self.best_trial
        return None if best is None else best.value

    @property
    def best_config(self) -> Seq2SeqConfig | None:
        """The config that trained the best trial: ``train(best_config, ...)`` repeats it."""
        best = self.best_trial
        return None if best is None else _trial_config(self.settings, best.params)[0]

    def table(self, top: int = 10) -> str:
        """The best ``top`` trials as a text table, under a count of every trial's state."""
        every = self.all_trials()
        states = {}
        for trial in every:
            states[trial.state] = states.get(trial.state, 0) + 1
        names = [d["name"] for d in self.settings["space"]]
        heads = ["rank", "trial", "val_loss", "batches", *names]
        rows = [[str(rank), str(trial.number),
                 "diverged" if trial.diverged else f"{trial.value:.4f}", str(trial.batches),
                 *(format_value(trial.params.get(name, "")) for name in names)]
                for rank, trial in enumerate(self.ranked()[:top], 1)]
        widths = [max(len(x) for x in column) for column in zip(heads, *rows)]
        summary = t("search_summary", study=self.study_name,
                    strategy=self.settings["strategy"], trials=len(every),
                    states=", ".join(f"{n} {s}" for s, n in sorted(states.items())) or "-")
        lines = [summary, "  ".join(h.ljust(w) for h, w in zip(heads, widths)),
                 "  ".join("-" * w for w in widths)]
        lines += ["  ".join(x.ljust(w) for x, w in zip(row, widths)) for row in rows]
        return "\n".join(lines)

    def to_csv(self, path: str | os.PathLike) -> None:
        """Every trial, one row each: number, state, val_loss, batches, diverged, values."""
        names = [d["name"] for d in self.settings["space"]]
        with open(path, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["trial", "state", "val_loss", "batches", "diverged", "retry_of",
                             *names])
            for trial in self.all_trials():
                writer.writerow([trial.number, trial.state, trial.value, trial.batches,
                                 int(trial.diverged), trial.retry_of,
                                 *(trial.params.get(name, "") for name in names)])


# ---- the study: created once with its settings, then joined -------------------------------
def _settings(space, strategy, task, task_options, base, seed, trial_batches) -> dict:
    """The settings a study is created with, as JSON, so every worker trains the same way."""
    from .data import Task
    if isinstance(task, Task):
        task, task_options = task.name, {**task.options, **(task_options or {})}
    base_config = as_config(base)
    dims = build_space(space, base_config)
    task_options = dict(task_options or {})
    if trial_batches is None:
        trial_batches = base_config.max_num_batches or total_steps(
            base_config, resolve_task(task, task_options))
    if isinstance(trial_batches, bool) or not isinstance(trial_batches, int) or trial_batches < 1:
        raise SearchError("search_bad_trial_batches", value=trial_batches)
    settings = dict(strategy=strategy, space=[d.to_dict() for d in dims], task=task,
                    task_options=task_options, base=base_config.diff(), seed=seed,
                    trial_batches=trial_batches)
    return json.loads(json.dumps(settings))     # tuples as lists: as a stored copy reads back


def _check_strategy(strategy) -> None:
    if strategy not in STRATEGIES:
        close = difflib.get_close_matches(str(strategy), STRATEGIES, n=1, cutoff=0.5)
        raise SearchError("search_unknown_strategy", name=strategy, choices=", ".join(STRATEGIES),
                          hint=t("did_you_mean", suggestion=close[0]) if close else "")


def _sampler_and_pruner(settings: dict, seed: int):
    import optuna
    strategy, dims = settings["strategy"], [Dimension.from_dict(d) for d in settings["space"]]
    pruner = optuna.pruners.NopPruner()
    if strategy == "grid":
        sampler = optuna.samplers.GridSampler({d.name: d.grid_values() for d in dims}, seed=seed)
    elif strategy == "quasi_random":
        sampler = optuna.samplers.QMCSampler(qmc_type="sobol", scramble=True, seed=seed,
                                             warn_independent_sampling=False)
    elif strategy == "tpe":
        sampler = optuna.samplers.TPESampler(seed=seed, n_startup_trials=TPE_STARTUP_TRIALS)
    else:
        # Random: Hyperband as Li et al. published it (random configurations, weak ones stopped
        # early), so that beside plain random search the lesson shows what pruning alone saves.
        sampler = optuna.samplers.RandomSampler(seed=seed)
        if strategy == "hyperband":
            every = Seq2SeqConfig.from_dict(settings["base"]).checkpoint_frequency_num_batches
            pruner = optuna.pruners.HyperbandPruner(
                min_resource=min(every, settings["trial_batches"]),
                max_resource=settings["trial_batches"], reduction_factor=HYPERBAND_REDUCTION)
    return sampler, pruner


def _open_study(storage, study_name: str, settings: dict, given: dict | None = None,
                heartbeat_interval: int = HEARTBEAT_INTERVAL, wait: float = 10.0):
    """(storage, the study's settings, created): the study ``study_name``, created with
    ``settings`` if it does not exist.  Exactly one caller creates it (the database refuses a
    second study of one name, so workers starting together cannot make two); the others load
    it, and a setting in ``given`` that differs from the study's is a SearchError."""
    import optuna
    rdb = open_storage(storage, heartbeat_interval)
    created = False
    try:
        study_id = rdb.get_study_id_from_name(study_name)
    except KeyError:
        try:
            with _quiet():
                study_id = rdb.create_new_study([optuna.study.StudyDirection.MINIMIZE],
                                                study_name)
            rdb.set_study_user_attr(study_id, _SETTINGS, settings)
            created = True
        except optuna.exceptions.DuplicatedStudyError:
            study_id = rdb.get_study_id_from_name(study_name)
    # The creator writes the settings just after the study: a worker that loaded it in
    # between waits for them (a few milliseconds).
    deadline = time.monotonic() + wait
    while (stored := rdb.get_study_user_attrs(study_id).get(_SETTINGS)) is None:
        if time.monotonic() > deadline:
            raise SearchError("search_foreign_study", study=study_name,
                              url=mask_url(storage_url(storage)))
        time.sleep(0.1)
    for name, value in (given or {}).items():
        if stored.get(name) != value:
            raise SearchError("search_study_differs", name, study=study_name, name=name,
                              stored=_show(stored.get(name)), given=_show(value))
    return rdb, stored, created


def _show(value) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _trial_config(settings: dict, params: dict) -> tuple[Seq2SeqConfig, dict]:
    """(config, task options) of a trial: the study's base with the trial's values, trained
    for exactly ``trial_batches`` batches."""
    options, values = dict(settings["task_options"]), dict(settings["base"])
    for dim in settings["space"]:
        if dim["name"] in params:
            (options if dim.get("task_option") else values)[dim["name"]] = params[dim["name"]]
    config = Seq2SeqConfig.from_dict(values)
    batches = settings["trial_batches"]
    # Enough epochs for trial_batches at this trial's batch size; max_num_batches ends it.
    per_epoch = resolve_task(settings["task"], options).batches_per_epoch(config.batch_size)
    epochs = min(10_000, -(-batches // per_epoch))
    config = config.replace(max_num_batches=batches, max_num_epochs=epochs,
                            min_num_epochs=min(config.min_num_epochs, epochs))
    return config, options


# ---- the search loop -----------------------------------------------------------------------
class _TrialWatch:
    """The training callback of one trial: reports each validation loss to Optuna, and stops
    the run (through train's stop event) when the pruner or the learner says so."""

    def __init__(self, trial, callbacks: list, user_stop: threading.Event | None):
        self.trial, self.callbacks, self.user_stop = trial, callbacks, user_stop
        self.stop, self.pruned, self.superseded = threading.Event(), False, False

    def on_batch_end(self, history: History) -> None:
        _notify(self.callbacks, "on_batch_end", history)
        if self.user_stop is not None and self.user_stop.is_set():
            self.stop.set()

    def on_evaluation_end(self, history: History) -> None:
        import optuna
        loss = history.val_loss[-1]
        if math.isfinite(loss):
            try:
                # Steps are batches, so the pruner's rungs are in the budget's unit.
                self.trial.report(loss, history.steps)
            except optuna.exceptions.UpdateFinishedTrialError:
                # Another worker failed this trial as dead (this laptop slept past the grace
                # period) and queued its retry: training on would be wasted.
                self.superseded = True
                self.stop.set()
            if not self.superseded and self.trial.should_prune():
                self.pruned = True
                self.stop.set()
        _notify(self.callbacks, "on_evaluation_end", history)

    def on_run_end(self, history: History) -> None:
        _notify(self.callbacks, "on_run_end", history)


def _notify(callbacks: Iterable, event: str, *args) -> None:
    for callback in callbacks:
        method = getattr(callback, event, None)
        if method is not None:
            method(*args)


class _Search:
    """One call's loop over trials (see the sketch in the module docstring)."""

    def __init__(self, rdb, result: SearchResult, created: bool, callbacks: list,
                 stop_event: threading.Event | None, url: str):
        import optuna
        settings = result.settings
        # Workers of one study must not share a sampler seed, or they propose the same values
        # (optuna #3790): the creator's is the study's seed (a lone search repeats exactly),
        # a joining worker's is fresh (who finishes first decides a shared study anyway).
        # Except quasi-random: every worker draws the next points of one scrambled Sobol
        # sequence (the study counts them), which needs the one seed.
        shared = created or settings["strategy"] == "quasi_random"
        self.sampler_seed = settings["seed"] if shared else secrets.randbits(31)
        with _quiet():
            self.sampler, pruner = _sampler_and_pruner(settings, self.sampler_seed)
            result.study = optuna.load_study(study_name=result.study_name, storage=rdb,
                                             sampler=self.sampler, pruner=pruner)
        self.result, self.callbacks, self.stop_event, self.url = result, callbacks, stop_event, url
        self.rdb = rdb
        self.dims = [Dimension.from_dict(d) for d in settings["space"]]
        self.current: dict = {}

    def run(self) -> SearchResult:
        import optuna
        from sqlalchemy import exc
        result, batches = self.result, self.result.settings["trial_batches"]
        with _quiet():
            while result.batches_spent + batches <= result.budget:
                if self.stop_event is not None and self.stop_event.is_set():
                    break
                if (isinstance(self.sampler, optuna.samplers.GridSampler)
                        and self.sampler.is_exhausted(result.study)):
                    break
                self.current = {}
                try:
                    result.study.optimize(self._objective, n_trials=1)
                except (ValueError, AssertionError, optuna.exceptions.UpdateFinishedTrialError):
                    # Telling a trial fails when another worker has already failed it as
                    # stale (this laptop slept past the grace period): its retry counts, not
                    # this result.  Anything else is a real error.
                    if not self._superseded():
                        raise
                except (exc.OperationalError, exc.InterfaceError) as error:
                    raise storage_error(error, self.url) from None
                except optuna.exceptions.StorageInternalError as error:
                    # Optuna wraps a connection lost mid-search (server stopped, network gone).
                    raise storage_error(error.__cause__ or error, self.url) from None
                if "id" not in self.current:
                    break
                self._finish()
        return result

    def _objective(self, trial) -> float:
        import optuna
        self.current = {"id": trial._trial_id}
        # Who ran it (a retry names its new worker): each attribute is one database commit.
        trial.set_user_attr("worker", {"pid": os.getpid(), "sampler_seed": self.sampler_seed})
        params = {dim.name: dim.suggest(trial) for dim in self.dims}
        config, options = _trial_config(self.result.settings, params)
        watch = _TrialWatch(trial, self.callbacks, self.stop_event)
        _notify(self.callbacks, "on_trial_start", trial.number, params)
        history = train(config, task=self.result.settings["task"], task_options=options,
                        seed=self.result.settings["seed"], callbacks=[watch],
                        stop_event=watch.stop)
        self.current["history"] = history
        if watch.superseded:
            raise optuna.exceptions.UpdateFinishedTrialError(
                f"trial {trial.number} was failed by another worker (no heartbeat for the grace "
                "period) and queued for a retry: this worker's result is dropped")
        trial.set_user_attr("batches", history.steps)
        if history.diverged:
            trial.set_user_attr("diverged", True)
            return DIVERGED_VALUE
        if history.stopped_by_user:       # the pruner or the learner stopped it
            if not watch.pruned:
                trial.set_user_attr("stopped", True)
            raise optuna.TrialPruned()
        finite = [loss for loss in history.val_loss if math.isfinite(loss)]
        # The best evaluation, as a training job keeps its best checkpoint.
        return min(finite) if finite else DIVERGED_VALUE

    def _trial(self):
        # From the database, not the study's cache: another worker may have failed it.
        return self.rdb.get_trial(self.current["id"])

    def _superseded(self) -> bool:
        return "history" in self.current and self._trial().state.name == "FAIL"

    def _finish(self) -> None:
        history = self.current.get("history")
        trial = SearchTrial.from_frozen(self._trial(), history)
        trial.batches = history.steps if history is not None else trial.batches
        self.result.trials.append(trial)
        self.result.batches_spent += history.steps if history is not None else 0
        _notify(self.callbacks, "on_trial_end", trial)


def search(space=None, strategy: str | None = None, *, budget: int, task=None,
           seed: int | None = None, storage: str | os.PathLike | None = None,
           study_name: str | None = None, callbacks: Iterable = (),
           task_options: dict | None = None, base: Seq2SeqConfig | dict | None = None,
           stop_event: threading.Event | None = None, trial_batches: int | None = None,
           heartbeat_interval: int = HEARTBEAT_INTERVAL) -> SearchResult:
    """Search ``space`` with ``strategy`` until ``budget`` training batches are spent.

    :param space: ``{field: (low, high) | [values] | None}``, field names, or None for
        DEFAULT_SPACE; config fields and the task options seq_len, train_size, noise
    :param strategy: grid, random, quasi_random, tpe (default) or hyperband
    :param budget: training batches this call may spend; a trial starts only if all its
        ``trial_batches`` fit, and a pruned one costs the batches it trained
    :param task, task_options, base: the task and the config values held fixed (default:
        reverse, the defaults)
    :param trial_batches: batches per trial (default: base's max_num_batches, else its
        epochs); evaluated every ``base.checkpoint_frequency_num_batches``
    :param seed: every trial's training seed (so trials differ by their values only) and the
        creating worker's sampler seed; default 0
    :param storage: a URL (``postgresql://user:password@host:port/db``) or an SQLite file;
        default DEFAULT_DATABASE in the working directory
    :param study_name: default ``"<task>_<strategy>"``.  An existing study is joined: the
        settings left as None are the study's own, a different one given is a SearchError
    :param callbacks: objects with any of ``on_trial_start(number, params)``, the training
        events (``on_batch_end(history)``, ...) and ``on_trial_end(search_trial)``
    :param stop_event: set it to stop: the running trial ends within a batch, marked pruned
    :param heartbeat_interval: seconds between a running trial's heartbeats
    """
    if isinstance(budget, bool) or not isinstance(budget, int) or budget < 1:
        raise SearchError("search_bad_budget", value=budget)
    result, rdb, created = _open(space, strategy, storage, study_name, task, task_options,
                                 base, seed, trial_batches, heartbeat_interval)
    if budget < result.settings["trial_batches"]:
        raise SearchError("search_budget_too_small", budget=budget,
                          trial_batches=result.settings["trial_batches"])
    result.budget = budget
    return _Search(rdb, result, created, list(callbacks), stop_event, storage_url(storage)).run()


def create_study(space=None, strategy: str | None = None, *, storage=None,
                 study_name: str | None = None, task=None, task_options: dict | None = None,
                 base=None, seed: int | None = None, trial_batches: int | None = None
                 ) -> SearchResult:
    """Create a study without training: what a teacher runs once, so that learners' workers
    join it with only the URL and the name (``search(budget=..., storage=..., study_name=...)``).
    The arguments are those of :func:`search`; an existing study is checked, not changed."""
    import optuna
    result, rdb, _ = _open(space, strategy, storage, study_name, task, task_options, base,
                           seed, trial_batches, HEARTBEAT_INTERVAL)
    with _quiet():
        result.study = optuna.load_study(study_name=result.study_name, storage=rdb)
    return result


def default_study_name(task_name: str, strategy: str | None) -> str:
    """The study a search joins when given no name: ``"<task>_<strategy>"``."""
    return f"{task_name}_{strategy or 'tpe'}"


def _open(space, strategy, storage, study_name, task, task_options, base, seed, trial_batches,
          heartbeat_interval):
    """(result without trials, storage, created): the settings asked for, the study opened."""
    if strategy is not None:
        _check_strategy(strategy)
    task_name = getattr(task, "name", task) or "reverse"
    name = study_name or default_study_name(task_name, strategy)
    settings = _settings(space, strategy or "tpe", task or "reverse", task_options, base,
                         0 if seed is None else seed, trial_batches)
    asked = dict(strategy=strategy, space=space, task=task, task_options=task_options,
                 base=base, seed=seed, trial_batches=trial_batches)
    given = {key: settings[key] for key, value in asked.items() if value is not None}
    rdb, settings, created = _open_study(storage, name, settings, given, heartbeat_interval)
    return SearchResult(None, mask_url(storage_url(storage)), name, settings), rdb, created


def load_search(storage: str | os.PathLike | None = None,
                study_name: str | None = None) -> SearchResult:
    """An existing study, to report on (``result.table()``) without training anything."""
    import optuna
    rdb = open_storage(storage)
    shown = mask_url(storage_url(storage))
    try:
        settings = rdb.get_study_user_attrs(rdb.get_study_id_from_name(study_name)).get(_SETTINGS)
    except KeyError:
        names = ", ".join(optuna.get_all_study_names(storage=rdb)) or "-"
        raise SearchError("search_which_study" if study_name is None else "search_no_study",
                          study=study_name, url=shown, names=names) from None
    if settings is None:
        raise SearchError("search_foreign_study", study=study_name, url=shown)
    with _quiet():
        study = optuna.load_study(study_name=study_name, storage=rdb)
    return SearchResult(study, shown, study_name, settings)



__all__ = ["DIVERGED_VALUE", "STRATEGIES", "Dimension", "SearchError", "SearchResult",
           "SearchTrial", "build_space", "create_study", "load_search", "mask_url", "search"]
