"""Side-by-side runs: ``compare(base_config, vary={"learning_rate": [...]}) -> [History, ...]``.

Lessons: 01 (learning rates side by side) and every lesson that overlays the curves of
several settings or seeds (hidden sizes, cells, sequence lengths, ...).

Read the sketch first::

    settings = cartesian product of vary's values     # hyperparameters, task options, "seed"
    on a CPU with a core to spare:
        each setting is one train() in a worker process (parallel/pool.py), one per core;
        a worker that finishes takes the next setting
    otherwise:
        train(setting), one after another

Each History is the very History ``train(setting)`` gives: the same function trains it, with
the same single torch thread (``training.TRAIN_THREADS``), so a compared run and a lone run of
one setting and seed are equal number for number.  (Until 2026-11-29 settings that shared an
architecture trained as one batched model, about 1.2x faster than this pool but equal only
up to float rounding, and never for settings of different shapes; BENCHMARKS.md has the
measurement that retired it.)
"""
from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass, field
from typing import Iterable

import torch

from .config import Seq2SeqConfig, format_value
from .data import TASK_OPTION_FIELDS, Task, make_task
from .history import History
from .training import as_config, resolve_device, train

SEED = "seed"  # the key of ``vary`` that varies the run's seed (weights, batch order, dropout)
# make_task's options that ``vary`` may change (the table the widgets' controls read too): the
# data a run learns from is a setting too (lesson 06 varies the training-set size and its noise,
# lesson 07 the sequence length).  Not make_task's own ``seed``: "seed" in ``vary`` is the run's.
TASK_OPTIONS = tuple(TASK_OPTION_FIELDS)


@dataclass(frozen=True)
class Setting:
    """One run of a comparison: its config, seed and task options, and its legend label."""

    config: Seq2SeqConfig
    seed: int
    task_options: dict = field(default_factory=dict)
    label: str = "defaults"


def settings_of(base_config: Seq2SeqConfig, vary: dict[str, list], seed: int = 0,
                task_options: dict | None = None) -> list[Setting]:
    """Every setting of the cartesian product of ``vary``, in the order given.

    Keys are hyperparameters (config fields), task options (``TASK_OPTIONS``) or ``"seed"``.
    The label names what differs, in ``vary``'s key order: ``"learning_rate=0.1, seed=2"``.
    """
    fields = Seq2SeqConfig.fields()
    names = list(vary)
    for name in names:
        values = vary[name]
        if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
            raise ValueError(f"vary[{name!r}] must be a list of values, got {values!r}")
        if name not in fields and name not in TASK_OPTIONS and name != SEED:
            # the config's own message: "unknown hyperparameter ...: did you mean ...?"
            Seq2SeqConfig.from_dict({name: list(values)[0] if values else None})
    settings = []
    for values in itertools.product(*(list(vary[name]) for name in names)):
        changes = dict(zip(names, values))
        run_seed = int(changes.pop(SEED, seed))
        options = dict(task_options or {})
        options.update({name: changes.pop(name) for name in list(changes) if name in TASK_OPTIONS})
        config = base_config.replace(**changes) if changes else base_config
        label = ", ".join(f"{name}={format_value(value)}" for name, value in zip(names, values))
        settings.append(Setting(config, run_seed, options, label or "defaults"))
    return settings


def compare(base_config: Seq2SeqConfig | dict | None = None, vary: dict[str, list] | None = None,
            task: Task | str = "reverse", seed: int = 0, task_options: dict | None = None,
            callbacks: Iterable = (), stop_event: threading.Event | None = None,
            device: str | torch.device | None = None, workers: int | None = None,
            seeds: Iterable[int] | None = None) -> list[History]:
    """Train every setting of ``vary`` (its cartesian product) and return their Histories.

    :param base_config: the settings every run shares (a config, a dict, or None)
    :param vary: ``{"learning_rate": [1e-3, 1e-2, 0.1]}``; several keys give every combination;
        keys may be hyperparameters, task options (``seq_len``, ``train_size``, ``noise``, ...)
        or ``"seed"``
    :param task: a task name, built with ``task_options`` plus each setting's own; or a Task
        (then ``vary`` cannot change task options)
    :param seed: the seed of every run unless ``vary`` or ``seeds`` say otherwise
    :param seeds: every setting once per seed (the same as ``vary={..., "seed": seeds}``)
    :param callbacks: as for ``train``; each call gets the History of the run that changed, so
        a widget can draw every run live
    :param stop_event: set it to stop every run within one batch
    :param workers: worker processes on a CPU (``parallel/pool.py``); None: one per core, or
        the ``SEQ2SEQ_LAB_WORKERS`` environment variable; 0: everything in this process
    :return: Histories in the order of the settings; each ``label`` says what differs
    """
    base_config = as_config(base_config)
    vary = dict(vary or {})
    if seeds is not None:
        if SEED in vary:
            raise ValueError("give the seeds once: either seeds=[...] or vary={'seed': [...]}")
        vary[SEED] = list(seeds)
    settings = settings_of(base_config, vary, seed, task_options)
    return compare_settings(settings, task, callbacks, stop_event, device, workers,
                            varies_task=any(name in TASK_OPTIONS for name in vary))


def compare_settings(settings: list[Setting], task: Task | str = "reverse",
                     callbacks: Iterable = (), stop_event: threading.Event | None = None,
                     device: str | torch.device | None = None, workers: int | None = None,
                     varies_task: bool | None = None) -> list[History]:
    """Train the given settings (any list, not only a product: ``sensitivity.py`` changes one
    field at a time) the way ``compare`` does, and return their Histories in that order."""
    if varies_task is None:
        varies_task = any(s.task_options for s in settings)
    device = resolve_device(device)
    tasks = _tasks(task, settings, varies_task=varies_task)
    callbacks = list(callbacks)
    histories: list[History | None] = [None] * len(settings)
    if device.type == "cpu" and len(settings) > 1:
        from .parallel import pool   # keeps the subprocess machinery out of a plain import
        count = pool.worker_count(len(settings), workers)
        if count:
            results = pool.pool().train(settings, tasks, callbacks, stop_event, count)
            if results is not None:   # None: another comparison holds the workers
                histories = results
    for i, setting in enumerate(settings):
        if histories[i] is not None:
            continue
        if stop_event is not None and stop_event.is_set():
            # Never started because Stop came first: still one (empty) History per setting.
            task_i = tasks[i]
            histories[i] = History(config=setting.config, seed=setting.seed, task=task_i.name,
                                   task_options=dict(task_i.options),
                                   batches_per_epoch=task_i.batches_per_epoch(setting.config.batch_size),
                                   stopped_by_user=True, label=setting.label)
            continue
        histories[i] = train(setting.config, tasks[i], setting.seed, callbacks, stop_event,
                             device, label=setting.label)
    return histories


def _tasks(task: Task | str, settings: list[Setting], varies_task: bool) -> list[Task]:
    """Each setting's task, built once per distinct set of options (they are deterministic)."""
    if isinstance(task, Task):
        if varies_task:
            raise ValueError("compare() can vary task options only for a task given by name "
                             f"(such as 'reverse'), not for a ready-made Task ({task.name})")
        return [task] * len(settings)
    built: dict[str, Task] = {}
    tasks = []
    for setting in settings:
        key = repr(sorted(setting.task_options.items()))
        if key not in built:
            built[key] = make_task(task, **setting.task_options)
        tasks.append(built[key])
    return tasks
