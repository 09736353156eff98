"""Side-by-side runs: ``compare(base_config, vary={"learning_rate": [...]}) -> [History, ...]``.

Lessons: 01 (learning rates side by side) and every lesson that overlays the curves of
several settings or seeds.

Read the sketch first::

    settings = cartesian product of vary's values          # ("seed" varies the seed)
    for each group of settings sharing an architecture:   # same tensors, only the numbers differ
        one Ensemble trains them together                  # ensemble.py: one bmm per step for all
                                                           # (4+ on a CPU: dealt to one worker
                                                           # process per core, workers.py)
    settings that cannot share (dropout, ...):             # train() each, one after another
        train(setting)

Each History is what a lone ``train(setting, seed=...)`` would give, within float rounding:
the ensemble's members are real ``Seq2Seq`` models with their own optimizer, schedule, clipping,
divergence monitor and early stopping (all from ``training.py``); only the arithmetic of the
forward pass is shared.  Which hyperparameters may differ inside one group is decided by
:func:`share_key`.
"""
from __future__ import annotations

import itertools
import threading
from typing import Any, Iterable

import torch

from .config import ARCHITECTURE, Seq2SeqConfig, format_value
from .data import Task
from .history import History
from .training import as_config, resolve_device, resolve_task, train_alone

SEED = "seed"  # the one key of ``vary`` that is not a hyperparameter

# Architectural fields that only change how the weights start, not the shapes of the
# tensors: members that differ in these can still be stacked into one batched model.
_INIT_ONLY = ("weight_init_type", "weight_init_scale")
# Dropout draws random masks from torch's global generator in an order that one batched model
# cannot reproduce for several seeds at once, so a run with dropout trains on its own.
_DROPOUT = ("embed_dropout_source", "embed_dropout_target", "rnn_decoder_hidden_dropout")


def settings_of(base_config: Seq2SeqConfig, vary: dict[str, list], seed: int = 0
                ) -> list[tuple[Seq2SeqConfig, int, str]]:
    """Every (config, seed, label) of the cartesian product of ``vary``, in the order given.

    The label names what differs, in ``vary``'s key order: ``"learning_rate=0.1, seed=2"``.
    """
    names = list(vary)
    for name in names:
        values = vary[name]
        if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
            raise ValueError(f"vary[{name!r}] must be a list of values, got {values!r}")
    settings = []
    for values in itertools.product(*(list(vary[name]) for name in names)):
        changes = dict(zip(names, values))
        run_seed = int(changes.pop(SEED, seed))
        config = base_config.replace(**changes) if changes else base_config
        label = ", ".join(f"{name}={format_value(value)}" for name, value in zip(names, values))
        settings.append((config, run_seed, label or "defaults"))
    return settings


def share_key(config: Seq2SeqConfig) -> tuple | None:
    """Settings with equal keys can train as one batched model; None: this one cannot.

    The key holds what fixes the tensors' shapes (architecture, batch size, length limits);
    training hyperparameters (rate, optimizer, schedule, clipping, epochs, ...) and the seed may
    differ freely, since each member keeps its own optimizer and its own batch order.
    """
    if any(getattr(config, name) > 0 for name in _DROPOUT):
        return None
    fields = Seq2SeqConfig.fields()
    shape = tuple((name, getattr(config, name)) for name, meta in fields.items()
                  if meta["kind"] == ARCHITECTURE and name not in _INIT_ONLY)
    return shape + (("batch_size", config.batch_size),)


def compare(base_config: Seq2SeqConfig | dict | None = None, vary: dict[str, list] | None = None,
            task: Task | str = "reverse", seed: int = 0, task_options: dict | None = None,
            callbacks: Iterable = (), stop_event: threading.Event | None = None,
            device: str | torch.device | None = None, vectorise: bool = True,
            workers: int | None = None) -> list[History]:
    """Train every setting of ``vary`` (its cartesian product) and return their Histories.

    :param base_config: the settings every run shares (a config, a dict, or None)
    :param vary: ``{"learning_rate": [1e-3, 1e-2, 0.1]}``; several keys give every combination;
        the key ``"seed"`` varies the seed (weights, batch order)
    :param seed: the seed of every run unless ``vary`` has ``"seed"``
    :param callbacks: as for ``train``; each call gets the History of the member that changed,
        so a widget can draw every member live
    :param stop_event: set it to stop every run within one batch
    :param vectorise: False trains each setting alone with ``train()`` (the reference result)
    :param workers: worker processes that share a big group between them on the CPU
        (``workers.py``); None: one per core for groups of 4 or more members, or the
        ``SEQ2SEQ_LAB_WORKERS`` environment variable; 0: everything in this process
    :return: Histories in the order of the settings; each ``label`` says what differs
    """
    base_config = as_config(base_config)
    task = resolve_task(task, task_options)
    device = resolve_device(device)
    settings = settings_of(base_config, vary or {}, seed)
    callbacks = list(callbacks)
    histories: list[History | None] = [None] * len(settings)

    groups: dict[Any, list[int]] = {}
    for index, (config, _, _) in enumerate(settings):
        key = share_key(config) if vectorise else None
        groups.setdefault(key if key is not None else ("alone", index), []).append(index)

    for key, indices in groups.items():
        if stop_event is not None and stop_event.is_set():
            break
        if key[0] != "alone" and len(indices) > 1:
            results = _train_group([settings[i] for i in indices], task, callbacks, stop_event,
                                   device, workers)
        else:
            results = [train_alone(settings[i][0], task, settings[i][1], callbacks, stop_event,
                                   device, label=settings[i][2]) for i in indices]
        for i, history in zip(indices, results):
            histories[i] = history
    # Settings never started because Stop came first still get an (empty) History, so the
    # result always has one entry per setting.
    for i, (config, run_seed, label) in enumerate(settings):
        if histories[i] is None:
            histories[i] = History(config=config, seed=run_seed, task=task.name,
                                   task_options=dict(task.options),
                                   batches_per_epoch=task.batches_per_epoch(config.batch_size),
                                   stopped_by_user=True, label=label)
    return histories


def _train_group(settings: list[tuple[Seq2SeqConfig, int, str]], task: Task, callbacks: list,
                 stop_event: threading.Event | None, device: torch.device,
                 workers: int | None) -> list[History]:
    """One group of settings that share an architecture: as one batched model here, or, on
    a CPU with cores to spare, split between worker processes (one batched model each)."""
    from .parallel import pool   # keeps torch-heavy code out of a plain import
    from .ensemble import train_together
    count = pool.worker_count(len(settings), workers) if device.type == "cpu" else 0
    if count:
        hands = pool.deal(len(settings), count)
        groups = [([settings[i][0] for i in hand], [settings[i][1] for i in hand],
                   [settings[i][2] for i in hand]) for hand in hands]
        results = pool.pool().train(groups, task, callbacks, stop_event)
        if results is not None:  # None: another comparison holds the workers
            histories: list[History] = [None] * len(settings)  # type: ignore[list-item]
            for hand, group in zip(hands, results):
                for i, history in zip(hand, group):
                    histories[i] = history
            return histories
    configs, seeds, labels = (list(column) for column in zip(*settings))
    return train_together(configs, task, seeds, callbacks, stop_event, device, labels=labels)
