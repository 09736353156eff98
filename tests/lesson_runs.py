"""The lesson tests' runs: a preset's settings over seeds, each trained once per ``make test``.

A lesson states several claims about the same runs, and two claims, or two lessons, often
share a setting (lesson 07's LSTM at forget bias 0 is its cells comparison's LSTM; the default
preset is lesson 01's good rate and the baseline of several other lessons).  Training is
deterministic for a config, task, task options and seed, so a setting trained once stands for
every claim that names it: within a test process from memory, across the test processes of one
pytest session from a folder both can read (``RUNS_ENV``, made by tests/conftest.py).  A lock
file per setting there makes a process that needs a setting the other is training wait for it
instead of training it a second time.
"""
from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import pickle
from pathlib import Path

from seq2seq_lab import compare, preset
from seq2seq_lab.data import TASK_OPTION_FIELDS

SEEDS = (0, 1, 2)
RUNS_ENV = "SEQ2SEQ_LAB_TEST_RUNS"
_trained: dict = {}   # (config, task, task options, seed) -> History


def _file(key) -> Path | None:
    """Where another test process may have left the run of ``key`` (None: no shared folder)."""
    folder = os.environ.get(RUNS_ENV)
    if not folder:
        return None
    config, task, options, seed = key
    text = json.dumps([config.to_dict(), task, options, seed], sort_keys=True, default=str)
    return Path(folder) / (hashlib.sha256(text.encode()).hexdigest()[:32] + ".pickle")


def _recall(key) -> bool:
    if key in _trained:
        return True
    path = _file(key)
    if path is not None and path.exists():
        with path.open("rb") as stream:
            _trained[key] = pickle.load(stream)
        return True
    return False


def _keep(key, history) -> None:
    _trained[key] = history
    path = _file(key)
    if path is not None:
        # Written whole, then renamed: a process reading at the same moment sees all or nothing
        # (two processes training the same setting write the same run).
        partial = path.with_suffix(f".{os.getpid()}.part")
        with partial.open("wb") as stream:
            pickle.dump(history, stream)
        os.replace(partial, path)


@contextlib.contextmanager
def _locked(keys):
    """Hold the lock file of every key in ``keys`` (no shared folder: nothing to hold).

    Taken in one order (sorted paths), so two processes wanting overlapping settings cannot
    each hold one the other waits for."""
    paths = sorted({path.with_suffix(".lock") for path in map(_file, keys) if path is not None})
    with contextlib.ExitStack() as stack:
        for path in paths:
            stream = stack.enter_context(path.open("w"))
            fcntl.flock(stream, fcntl.LOCK_EX)   # released when the stream closes
        yield


def lesson_runs(name: str, param: str, values, seeds=SEEDS, **overrides) -> dict:
    """{(value, seed): History} of preset ``name`` (with ``overrides``) at each value of
    ``param``, a config field or a task option (``seq_len``, ...), over ``seeds``.

    Settings not trained yet train together in one ``compare``, which spreads them over the
    worker processes.
    """
    chosen = preset(name, fast=False)
    base = chosen.config.replace(**overrides)

    def key(value, seed):
        if param in TASK_OPTION_FIELDS:
            config, options = base, {**chosen.task_options, param: value}
        else:
            config, options = base.replace(**{param: value}), chosen.task_options
        return config, chosen.task, tuple(sorted(options.items())), seed

    missing = [v for v in values if not all(_recall(key(v, seed)) for seed in seeds)]
    if missing:
        with _locked([key(v, seed) for v in missing for seed in seeds]):
            _train_missing(chosen, base, param, values, seeds, key)
    return {(value, seed): _trained[key(value, seed)] for value in values for seed in seeds}


def _train_missing(chosen, base, param, values, seeds, key) -> None:
    # Asked again under the locks: the other process may have trained some meanwhile.
    missing = [v for v in values if not all(_recall(key(v, seed)) for seed in seeds)]
    if missing:
        for history in compare(base, vary={param: missing}, task=chosen.task,
                               task_options=chosen.task_options, seeds=list(seeds)):
            value = (history.task_options[param] if param in TASK_OPTION_FIELDS
                     else getattr(history.config, param))
            _keep(key(value, history.seed), history)


def lesson_seeds(name: str, seeds=SEEDS, **overrides) -> list:
    """[History per seed] of preset ``name`` with config ``overrides`` (shared like
    ``lesson_runs``)."""
    if overrides:   # the first override is the one varied (a config field or a task option)
        field = next(iter(overrides))
        value = overrides.pop(field)
    else:           # the preset as it is: its own rate, "varied" to that very value
        field, value = "learning_rate", preset(name, fast=False).config.learning_rate
    runs = lesson_runs(name, field, [value], seeds=seeds, **overrides)
    return [runs[(value, seed)] for seed in seeds]


def lesson_run(name: str, seed: int = 0, **overrides):
    """One run of preset ``name`` with config ``overrides`` (shared like ``lesson_runs``)."""
    return lesson_seeds(name, (seed,), **overrides)[0]
