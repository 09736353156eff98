"""The one training loop: ``train(config, task=..., seed=...) -> History``.

Lessons: all; every curve in every lesson is a History made here.

Read the sketch first; the real loop below adds the details (schedules, clipping, divergence,
early stopping, stop requests, callbacks, what is recorded)::

    model = build_model(config, ...)                     # weights seeded by ``seed``
    for epoch in range(config.max_num_epochs):
        for batch in task.batches("train", shuffle=True):
            loss = cross_entropy(model(batch), batch.target_out)   # padding masked out
            loss.backward(); optimizer.step()                      # one point of train_loss
            every checkpoint_frequency_num_batches: evaluate()     # one point of val_loss

The trainer never draws and never knows about widgets: it tells ``callbacks`` what happened
(``on_batch_end``, ``on_evaluation_end``, ``on_run_end``, each given the History so far), and a
widget or the CLI draws or prints from that.  ``compare`` runs this same function for each of
its settings, so a compared run is the very run ``train`` gives.
"""
from __future__ import annotations

import contextlib
import math
import threading
import time
from typing import Iterable, Iterator, Protocol

import torch
from torch import nn

from .config import ConfigError, Seq2SeqConfig
from .data import Batch, Task, make_task
from .evaluation import attention_probe, evaluate, weight_probe
from .history import History
from .models import build_model, count_parameters, sequence_loss
from .schedules import learning_rate_at

# A run counts as diverged once its smoothed loss is this many times its first loss: the
# first loss is about ln(vocabulary size), what a model that guesses uniformly scores, so
# three times that is far worse than knowing nothing, and training rarely comes back from it.
DIVERGENCE_FACTOR = 3.0
SMOOTHING = 0.9       # EMA weight of the divergence monitor (debiased, as fastai's AvgSmoothLoss)
CPU = torch.device("cpu")
# Every run trains with one torch thread on a CPU.  Why: the thread count changes how torch
# splits its sums, so the same config and seed took different paths with 1 and 2 threads
# (lesson 01's rate 0.001, seed 0: 81% validation accuracy with 1 thread, 97% with 2); one
# count everywhere makes ``train``, the CLI, the Lab and every ``compare`` member (whose
# worker processes use one thread each, one per core) give one History.  The cost: a lone
# default run takes ~1.3x as long as with 2 threads (3.7 s vs 2.8 s, 2026-11-29).  The Lab
# trained with one thread already: beside its drawing thread and a browser on 2 cores, torch's
# second thread spin-waited for a core it did not get (1.5 steps/s with 2 threads against
# 16-18 with 1 under the same load, measured at load average 7).
TRAIN_THREADS = 1


class Callback(Protocol):
    """What a trainer tells its watchers; every method is optional."""

    def on_batch_end(self, history: History) -> None: ...
    def on_evaluation_end(self, history: History) -> None: ...
    def on_run_end(self, history: History) -> None: ...


def as_config(config: Seq2SeqConfig | dict | None) -> Seq2SeqConfig:
    """Accept a config, a dict of overrides, or None (the defaults)."""
    if config is None:
        return Seq2SeqConfig()
    if isinstance(config, dict):
        return Seq2SeqConfig.from_dict(config)
    if isinstance(config, Seq2SeqConfig):
        return config
    # A Preset (presets.py) is the likeliest mistake: say how to pass it, before a model is
    # built from it and fails on a missing field.
    if hasattr(config, "train_kwargs") and hasattr(config, "name"):
        raise ConfigError("config_is_a_preset", None, name=config.name, task=config.task)
    raise ConfigError("config_wrong_kind", None, kind=type(config).__name__)


def resolve_task(task: Task | str, task_options: dict | None = None) -> Task:
    """A Task, or a task name built with ``task_options`` (seq_len, train_size, noise, ...)."""
    if isinstance(task, Task):
        return task
    return make_task(task, **(task_options or {}))


def total_steps(config: Seq2SeqConfig, task: Task) -> int:
    """Batches the run will take unless it stops early: epochs, capped by max_num_batches."""
    steps = config.max_num_epochs * task.batches_per_epoch(config.batch_size)
    return min(steps, config.max_num_batches) if config.max_num_batches else steps


def make_optimizer(model: nn.Module, config: Seq2SeqConfig) -> torch.optim.Optimizer:
    """The ``optimizer_type`` with its settings; the rate is set per batch by the schedule."""
    params, lr, decay = list(model.parameters()), config.learning_rate, config.weight_decay
    # Fused: one kernel per tensor does the whole update, where the default runs ~10 small ops
    # per tensor; for the default model on CPU a step takes 0.27 ms instead of 1.13 ms, and
    # ``compare`` pays it once per member.  RMSprop has no fused kernel; foreach (one call for
    # all tensors) is the next best.  Every run of a setting takes the same path, so runs stay
    # repeatable and a lone run matches its ``compare`` member.
    fused = params[0].device.type in ("cpu", "cuda")
    if config.optimizer_type == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=config.momentum, weight_decay=decay,
                               fused=fused)
    if config.optimizer_type == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr, momentum=config.momentum, weight_decay=decay,
                                   foreach=True)
    return torch.optim.Adam(params, lr=lr, weight_decay=decay, fused=fused)


def import_optimizer_machinery() -> None:
    """Build and drop a throwaway Adam, for its side effect: constructing any optimizer
    imports torch's compiler (``Optimizer.__init__`` imports ``torch._dynamo``, ~2.5 s of CPU).
    A process that will train calls this once, early, in one thread, so that no run's first
    step pays it (and no training thread imports it while another thread imports too)."""
    torch.optim.Adam([torch.zeros(1, requires_grad=True)], lr=1e-3)


def clip_gradients(model: nn.Module, clip_gradient: float) -> float:
    """Clip the gradients to total norm ``clip_gradient`` (if > 0) and return their norm
    *before* clipping, which is what the gradient-norm panel shows: what each batch asked for.

    Clipping rescales the whole gradient, keeping its direction: it tames the rare batch whose
    gradient explodes without slowing the others.  Shared with the range test, so the rate
    ``lr_find`` suggests suits the same clipped steps.
    """
    grads = [p.grad for p in model.parameters() if p.grad is not None]
    norm = nn.utils.get_total_norm(grads)
    if clip_gradient > 0:
        nn.utils.clip_grads_with_norm_(model.parameters(), clip_gradient, norm)
    return float(norm)


def resolve_device(device: str | torch.device | None) -> torch.device:
    """The device asked for; by default CUDA when present, else the CPU."""
    return torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))


class RunningAverage:
    """Debiased exponential moving average (fastai's AvgSmoothLoss): dividing by
    ``1 - beta**n`` keeps the first points from being dragged towards zero.  The one copy of
    this formula: the divergence monitor and the learning-rate finder both use it."""

    def __init__(self, beta: float):
        self.beta, self.average, self.count = beta, 0.0, 0

    def update(self, value: float) -> float:
        """Add ``value``; return the smoothed value so far."""
        self.count += 1
        self.average = self.beta * self.average + (1 - self.beta) * value
        return self.average / (1 - self.beta ** self.count)


def running_average(values: list[float], beta: float) -> list[float]:
    """Every point of :class:`RunningAverage` over ``values``."""
    average = RunningAverage(beta)
    return [average.update(value) for value in values]


class _DivergenceMonitor:
    """Smoothed loss compared with the first loss (see DIVERGENCE_FACTOR)."""

    def __init__(self):
        self.first, self.smoothed = None, RunningAverage(SMOOTHING)

    def diverged(self, loss: float) -> bool:
        if not math.isfinite(loss):
            return True
        self.first = loss if self.first is None else self.first
        return self.smoothed.update(loss) > DIVERGENCE_FACTOR * self.first


class _Patience:
    """The best validation score so far, and what waiting for a better one decides: early
    stopping (``early_stopping_patience``) and the ``plateau_reduce`` schedule's rate cuts."""

    def __init__(self, config: Seq2SeqConfig):
        self.config, self.best, self.since_best = config, None, 0
        self.rate_factor, self.plateau_wait = 1.0, 0

    def update(self, scores: dict[str, float]) -> bool:
        """Take one evaluation's scores; True if it is the best so far."""
        config = self.config
        metric = _metric_value(config.optimized_metric, scores)
        if _better(config.optimized_metric, metric, self.best):
            self.best, self.since_best, self.plateau_wait = metric, 0, 0
            return True
        self.since_best += 1
        self.plateau_wait += 1
        if (config.lr_scheduler_type == "plateau_reduce"
                and self.plateau_wait >= config.plateau_reduce_lr_threshold):
            self.rate_factor *= config.plateau_reduce_lr_factor
            self.plateau_wait = 0
        return False

    def exhausted(self, epochs: float) -> bool:
        """No better score for ``early_stopping_patience`` evaluations (after the minimum
        epochs): more training would only overfit, so stop and keep the best step."""
        patience = self.config.early_stopping_patience
        return bool(patience) and self.since_best >= patience and epochs >= self.config.min_num_epochs


def _better(metric: str, new: float, best: float | None) -> bool:
    if best is None:
        return True
    return new < best if metric == "perplexity" else new > best


def _metric_value(metric: str, scores: dict) -> float:
    return {"perplexity": scores["val_loss"], "accuracy": scores["val_accuracy"],
            "bleu": scores.get("val_bleu", 0.0)}[metric]


def _notify(callbacks: Iterable, event: str, history: History) -> None:
    for callback in callbacks:
        method = getattr(callback, event, None)
        if method is not None:
            method(history)


def train(config: Seq2SeqConfig | dict | None = None, task: Task | str = "reverse", seed: int = 0,
          callbacks: Iterable = (), stop_event: threading.Event | None = None,
          device: str | torch.device | None = None, task_options: dict | None = None,
          label: str | None = None) -> History:
    """Train a fresh model and return everything it recorded.

    :param config: a Seq2SeqConfig, a dict of hyperparameters, or None for the defaults
    :param task: a Task or a task name (``reverse``, ``copy``, ``sort``, ``recall``, ``add``,
        ``dates``, ``numbers``), built with ``task_options``
    :param seed: seeds the weights, the batch order and dropout; same config + seed gives a
        bit-identical History on a CPU, with or without AVX-512 (``cpu_kernels``)
    :param callbacks: objects with any of ``on_batch_end``, ``on_evaluation_end``,
        ``on_run_end``; each gets the History so far
    :param stop_event: set it (from another thread) to stop within one batch
    :param device: ``"cpu"``, ``"cuda"``, ...; default CUDA when present
    :param label: the legend text (``compare`` names what differs between its runs); default:
        the config's difference from the defaults
    """
    config, task, device = as_config(config), resolve_task(task, task_options), resolve_device(device)
    callbacks = list(callbacks)
    start = time.perf_counter()
    # fork_rng: seeding here must not change the random numbers of the caller's own code.
    with training_threads(device), torch.random.fork_rng(
            devices=[device] if device.type == "cuda" else []):
        torch.manual_seed(seed)
        model = build_model(config, len(task.source_vocab), len(task.target_vocab)).to(device)
        history = History(config=config, seed=seed, task=task.name, task_options=dict(task.options),
                          batches_per_epoch=task.batches_per_epoch(config.batch_size),
                          num_parameters=count_parameters(model), device=str(device),
                          label=config.label() if label is None else label, model=model)
        history.weights_start = weight_probe(model)
        optimizer = make_optimizer(model, config)
        order = torch.Generator().manual_seed(seed)  # batch order: a stream of its own
        steps, monitor, patience = total_steps(config, task), _DivergenceMonitor(), _Patience(config)
        model.train()
        for batch in _batches(task, config, order, device):
            if stop_event is not None and stop_event.is_set():
                history.stopped_by_user = True
                break
            rate = learning_rate_at(history.steps, config, steps) * patience.rate_factor
            for group in optimizer.param_groups:
                group["lr"] = rate
            logits, _ = model(batch.source, batch.source_lengths, batch.target_in)
            loss = sequence_loss(logits, batch.target_out, config.label_smoothing)
            # .item() is the one CPU-GPU sync per batch: the divergence monitor needs the number.
            value = loss.item()
            if monitor.diverged(value):
                # Stop cleanly: a NaN or exploding loss is a result to show, not an exception.
                history.diverged, history.diverged_step = True, history.steps + 1
                if math.isfinite(value):   # its last loss is drawn; no update was made
                    _record_batch(history, value, rate, math.nan, False)
                    _notify(callbacks, "on_batch_end", history)
                break
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            norm = clip_gradients(model, config.clip_gradient)
            optimizer.step()
            _record_batch(history, value, rate, norm, 0 < config.clip_gradient < norm)
            _notify(callbacks, "on_batch_end", history)
            if history.steps % config.checkpoint_frequency_num_batches == 0 or history.steps == steps:
                scores = evaluate(model, task, config, "validation", device)
                probe = attention_probe(model, task, config, device)
                if patience.update(scores):
                    history.best_step = history.steps
                    if config.early_stopping_patience:   # a copy only when it can be used
                        best_weights = {name: value.detach().clone()
                                        for name, value in model.state_dict().items()}
                _record_evaluation(history, scores, probe, weight_probe(model),
                                   time.perf_counter() - start)
                _notify(callbacks, "on_evaluation_end", history)
                if patience.exhausted(history.epochs):
                    # Early stopping hands back the best weights, not the last ones (as a
                    # training job keeps its best checkpoint): the model scores what the
                    # ring on the curve promises.
                    history.stopped_early = True
                    model.load_state_dict(best_weights)
                    break
            if history.steps >= steps:
                break
    model.eval()
    history.wall_time = time.perf_counter() - start
    _notify(callbacks, "on_run_end", history)
    return history


def _batches(task: Task, config: Seq2SeqConfig, order: torch.Generator,
             device: torch.device) -> Iterator[Batch]:
    """The training batches of every epoch, in the run's seeded order, on its device."""
    for _ in range(config.max_num_epochs):
        for batch in task.batches("train", config.batch_size, shuffle=True, generator=order,
                                  max_source_len=config.max_seq_len_source,
                                  max_target_len=config.max_seq_len_target + 1):
            yield batch.to(device)


def _record_batch(history: History, loss: float, rate: float, norm: float, clipped: bool) -> None:
    # train_loss last: a widget's snapshot cuts every per-batch series to the shortest.
    history.lrs.append(rate)
    history.grad_norm.append(norm)
    history.clipped.append(bool(clipped))
    history.train_loss.append(loss)
    history.epochs = history.steps / history.batches_per_epoch


def _record_evaluation(history: History, scores: dict[str, float], probe: dict | None,
                       weights: dict, elapsed: float) -> None:
    history.eval_steps.append(history.steps)
    for name, score in scores.items():
        getattr(history, name).append(score)
    if probe is not None:
        history.attention.append(probe)
    history.weights.append(weights)
    history.elapsed.append(elapsed)


_thread_lock = threading.Lock()
_trainings = 0          # runs training in this process now
_threads_before = 0     # torch's thread count before the first of them began


@contextlib.contextmanager
def training_threads(device: torch.device):
    """TRAIN_THREADS while any run trains on the CPU in this process, the caller's count after
    the last one ends (two runs at once, a Lab and a Compare, must not undo each other's)."""
    global _trainings, _threads_before
    if device.type != "cpu":
        yield
        return
    with _thread_lock:
        if _trainings == 0:
            _threads_before = torch.get_num_threads()
        _trainings += 1
        if torch.get_num_threads() != TRAIN_THREADS:
            torch.set_num_threads(TRAIN_THREADS)
    try:
        yield
    finally:
        with _thread_lock:
            _trainings -= 1
            if _trainings == 0 and torch.get_num_threads() != _threads_before:
                torch.set_num_threads(_threads_before)
