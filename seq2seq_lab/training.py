"""The one training loop: ``train(config, task=..., seed=...) -> History``.

Lessons: all; every curve in every lesson is a History made here.

Read the sketch first; the real loop below adds the details (schedules, clipping, divergence,
early stopping, stop requests, callbacks)::

    model = build_model(config, ...)                     # weights seeded by ``seed``
    for epoch in range(config.max_num_epochs):
        for batch in task.batches("train", shuffle=True):
            loss = cross_entropy(model(batch), batch.target_out)   # padding masked out
            loss.backward(); optimizer.step()                      # one point of train_loss
            every checkpoint_frequency_num_batches: evaluate()     # one point of val_loss

The trainer never draws and never knows about widgets: it tells ``callbacks`` what happened
(``on_batch_end``, ``on_evaluation_end``, ``on_run_end``, each given the History so far), and a
widget or the CLI draws or prints from that.
"""
from __future__ import annotations

import math
import threading
import time
from typing import Iterable, Iterator, Protocol

import torch
from torch import nn

from .config import Seq2SeqConfig
from .data import EOS_ID, PAD_ID, Batch, Task, make_task
from .history import History
from .models import Seq2Seq, build_model, count_parameters, select_rows
from .schedules import learning_rate_at

# A run counts as diverged once its smoothed loss is this many times its first loss: the
# first loss is about ln(vocabulary size), what a model that guesses uniformly scores, so
# three times that is far worse than knowing nothing, and training rarely comes back from it.
DIVERGENCE_FACTOR = 3.0
SMOOTHING = 0.9       # EMA weight of the divergence monitor (debiased, as fastai's AvgSmoothLoss)
CPU = torch.device("cpu")
EVAL_BATCH_SIZE = 500  # validation is scored in big batches: no gradients, so memory is cheap


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
    return config


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


def clip_and_step(model: nn.Module, optimizer: torch.optim.Optimizer, config: Seq2SeqConfig,
                  clipped: bool = False) -> None:
    """The update after ``backward``: clip to ``clip_gradient`` (if > 0), then step.  Shared by
    training and the range test, so the rate ``lr_find`` suggests suits the same clipped steps.

    ``clipped=True``: the caller has already clipped (``ensemble.clip_together`` does the same
    arithmetic for many members at once).
    """
    if config.clip_gradient > 0 and not clipped:  # rescales, keeping the direction: tames spikes
        nn.utils.clip_grad_norm_(model.parameters(), config.clip_gradient)
    optimizer.step()


def sequence_loss(logits: torch.Tensor, target_out: torch.Tensor, label_smoothing: float = 0.0,
                  reduction: str = "mean") -> torch.Tensor:
    """Cross-entropy per real target token; padding is masked so short targets are not rewarded."""
    return nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), target_out.reshape(-1),
                                       ignore_index=PAD_ID, label_smoothing=label_smoothing,
                                       reduction=reduction)


@torch.no_grad()
def evaluate(model: Seq2Seq, task: Task, config: Seq2SeqConfig, split: str = "validation",
             device: torch.device | str = "cpu") -> dict[str, float]:
    """Loss, token accuracy and exact match over the *whole* split (token-weighted).

    The loss is teacher-forced, the same quantity as the training loss, so the two curves are
    comparable; accuracy and exact match come from greedy decoding, what the model really
    outputs when nobody gives it the previous answer.
    """
    was_training = model.training
    model.eval()
    loss_sum, tokens, correct, exact, sequences = 0.0, 0, 0, 0, 0
    hypotheses, references = [], []
    for batch in task.batches(split, EVAL_BATCH_SIZE, max_source_len=config.max_seq_len_source,
                              max_target_len=config.max_seq_len_target + 1):
        batch = batch.to(device)
        # One encoder pass serves both: the decoder never changes the states it is given.
        encoded = model.encode(batch.source, batch.source_lengths)
        logits, _ = model(batch.source, batch.source_lengths, batch.target_in, encoded)
        loss_sum += float(sequence_loss(logits, batch.target_out, reduction="sum"))
        real = batch.target_out != PAD_ID
        # Greedy decoding, for the sequences that need it: where teacher forcing's guess is
        # right at every position, greedy decoding writes exactly the target (see
        # :func:`decode_only`), so only the others are decoded: late in a run, few.
        predicted = batch.target_out.clone()
        wrong = decode_only(logits, batch.target_out).nonzero().squeeze(1)
        if len(wrong):
            decoded, _ = model.greedy_decode(batch.source[wrong], batch.source_lengths[wrong],
                                             batch.target_out.shape[1], select_rows(encoded, wrong))
            predicted[wrong] = as_predictions(decoded, batch.target_out.shape[1])
        hits = (predicted == batch.target_out) & real
        tokens += int(real.sum())
        correct += int(hits.sum())
        exact += int((hits | ~real).all(1).sum())
        sequences += batch.source.shape[0]
        if config.optimized_metric == "bleu":
            hypotheses += [task.target_vocab.decode(row) for row in predicted.tolist()]
            references += [task.target_vocab.decode(row) for row in batch.target_out.tolist()]
    if was_training:
        model.train()
    scores = {"val_loss": loss_sum / tokens, "val_accuracy": correct / tokens,
              "val_exact": exact / sequences}
    if config.optimized_metric == "bleu":
        scores["val_bleu"] = corpus_bleu(hypotheses, references)
    return scores


def decode_only(logits: torch.Tensor, target_out: torch.Tensor) -> torch.Tensor:
    """Which sequences need greedy decoding: those whose greedy output the teacher-forced
    pass does not already give.

    Where the teacher-forced argmax equals the target at every real position, greedy decoding
    writes the target exactly: its first step sees what teacher forcing saw (BOS, the same
    encoder state), so it writes the first target token, and then its next step again sees
    what teacher forcing saw, and so on through EOS.  (Equal up to float rounding: the two
    passes multiply in different shapes, so a token whose two best scores tie to the last
    bit could go either way.)  Validation decodes only the other sequences since 2026-11-24:
    as a run learns, most are right; for the default run's trained model an evaluation takes
    24 ms instead of 40 (2 threads).

    :param logits: ... x T x V, teacher-forced; ``target_out``: ... x T
    :return: True where a sequence needs decoding (B, or E x B for a batched model)
    """
    return ((logits.argmax(-1) != target_out) & (target_out != PAD_ID)).any(-1)


def as_predictions(decoded: torch.Tensor, target_time: int) -> torch.Tensor:
    """Greedy output as comparable predictions: PAD after the first EOS, cut or padded with
    PAD to ``target_time`` columns."""
    decoded = _after_eos_to_pad(decoded)[..., :target_time]
    return nn.functional.pad(decoded, (0, target_time - decoded.shape[-1]), value=PAD_ID)


def _after_eos_to_pad(tokens: torch.Tensor) -> torch.Tensor:
    """Everything after a sequence's first EOS becomes PAD (the model stopped there)."""
    after = (tokens == EOS_ID).long().cumsum(-1) - (tokens == EOS_ID).long() > 0
    return tokens.masked_fill(after, PAD_ID)


def corpus_bleu(hypotheses: list[list[str]], references: list[list[str]]) -> float:
    """Corpus BLEU (0-100) over token lists, computed by sacrebleu as everyone reports it."""
    import sacrebleu  # imported here: only runs with optimized_metric = bleu need it
    result = sacrebleu.corpus_bleu([" ".join(h) for h in hypotheses],
                                   [[" ".join(r) for r in references]], tokenize="none")
    return float(result.score)


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
          device: str | torch.device | None = None, task_options: dict | None = None) -> History:
    """Train a fresh model and return everything it recorded.

    :param config: a Seq2SeqConfig, a dict of hyperparameters, or None for the defaults
    :param task: a Task or a task name (``reverse``, ``copy``, ``sort``, ``recall``, ``add``,
        ``dates``, ``numbers``), built with ``task_options``
    :param seed: seeds the weights, the batch order and dropout; same config + seed gives a
        bit-identical History on CPU
    :param callbacks: objects with any of ``on_batch_end``, ``on_evaluation_end``,
        ``on_run_end``; each gets the History so far
    :param stop_event: set it (from another thread) to stop within one batch
    :param device: ``"cpu"``, ``"cuda"``, ...; default CUDA when present
    """
    return train_alone(as_config(config), resolve_task(task, task_options), seed, callbacks,
                       stop_event, resolve_device(device))


def train_alone(config: Seq2SeqConfig, task: Task, seed: int, callbacks: Iterable = (),
                stop_event: threading.Event | None = None, device: torch.device = CPU,
                label: str | None = None) -> History:
    """:func:`train` with its arguments resolved, and the legend ``label`` (``compare`` sets it
    to what differs between its runs; default: the config's difference from the defaults)."""
    start = time.perf_counter()
    # fork_rng: seeding here must not change the random numbers of the caller's own code.
    with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
        torch.manual_seed(seed)
        run = Run(config, task, seed, device, list(callbacks), label)
        run.model.train()
        for batch in run.batches():
            if stop_event is not None and stop_event.is_set():
                run.history.stopped_by_user = True
                break
            run.start_batch()
            logits, _ = run.model(batch.source, batch.source_lengths, batch.target_in)
            loss = sequence_loss(logits, batch.target_out, config.label_smoothing)
            # .item() is the one CPU-GPU sync per batch: the divergence monitor needs the number.
            if not run.check_loss(loss.item()):
                break
            run.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            run.finish_batch()
            if run.done:
                break
    run.finish(time.perf_counter() - start)
    return run.history


def resolve_device(device: str | torch.device | None) -> torch.device:
    """The device asked for; by default CUDA when present, else the CPU."""
    return torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))


class Run:
    """One run's model, optimizer and bookkeeping between batches: everything but the forward
    and backward pass, so that :func:`train` (one model) and ``ensemble.py`` (many models in one
    batched forward pass) share every rule (schedule, divergence, clipping, evaluation, early
    stopping, callbacks) and give the same History for the same setting and seed.

    Build it with torch seeded (the weights are drawn here).  Per batch: :meth:`start_batch`
    (sets the rate), the forward pass, :meth:`check_loss` (False: diverged, stop), backward,
    :meth:`finish_batch` (clip, step, record, evaluate, early stopping); stop when ``done``.
    """

    def __init__(self, config: Seq2SeqConfig, task: Task, seed: int, device: torch.device,
                 callbacks: list, label: str | None = None):
        self.config, self.task, self.device, self.callbacks = config, task, device, callbacks
        self.model = build_model(config, len(task.source_vocab), len(task.target_vocab)).to(device)
        self.history = History(config=config, seed=seed, task=task.name,
                               task_options=dict(task.options),
                               batches_per_epoch=task.batches_per_epoch(config.batch_size),
                               num_parameters=count_parameters(self.model), device=str(device),
                               label=config.label() if label is None else label, model=self.model)
        self.optimizer = make_optimizer(self.model, config)
        self.order = torch.Generator().manual_seed(seed)  # batch order: its own stream
        self.steps = total_steps(config, task)
        self.monitor = _DivergenceMonitor()
        self.best, self.since_best, self.plateau_factor, self.plateau_wait = None, 0, 1.0, 0
        self.step, self.rate, self.value, self.done = 0, 0.0, math.nan, False

    def batches(self) -> Iterator[Batch]:
        """The training batches of every epoch, in this run's seeded order, on its device."""
        config = self.config
        for _ in range(config.max_num_epochs):
            for batch in self.task.batches("train", config.batch_size, shuffle=True,
                                           generator=self.order,
                                           max_source_len=config.max_seq_len_source,
                                           max_target_len=config.max_seq_len_target + 1):
                yield batch.to(self.device)

    def start_batch(self) -> float:
        """Set and return this batch's learning rate (schedule x plateau cuts)."""
        self.rate = learning_rate_at(self.step, self.config, self.steps) * self.plateau_factor
        for group in self.optimizer.param_groups:
            group["lr"] = self.rate
        return self.rate

    def check_loss(self, value: float) -> bool:
        """Record a diverged run and return False, or return True to go on with the update."""
        self.value = value
        if not self.monitor.diverged(value):
            return True
        # Stop cleanly: a NaN or exploding loss is a result to show, not an exception.
        history = self.history
        history.diverged, history.diverged_step = True, self.step + 1
        if math.isfinite(value):
            history.train_loss.append(value)
            history.lrs.append(self.rate)
            _notify(self.callbacks, "on_batch_end", history)
        self.done = True
        return False

    def finish_batch(self, evaluate_now: bool = True, clipped: bool = False) -> None:
        """After backward: clip, step, record the batch, and evaluate when it is time.

        ``evaluate_now=False``: the caller scores the model itself (``ensemble.py`` scores all
        its members in one pass) and hands the scores to :meth:`record_evaluation`;
        ``clipped=True``: the caller has clipped the gradients already (``ensemble.py`` again).
        """
        config, history = self.config, self.history
        clip_and_step(self.model, self.optimizer, config, clipped)
        self.step += 1
        history.train_loss.append(self.value)
        history.lrs.append(self.rate)
        history.epochs = self.step / history.batches_per_epoch
        _notify(self.callbacks, "on_batch_end", history)
        if evaluate_now and self.evaluation_due():
            self.record_evaluation(evaluate(self.model, self.task, config, "validation",
                                            self.device))
        if self.step >= self.steps:
            self.done = True

    def record_evaluation(self, scores: dict[str, float]) -> None:
        """Append validation scores; best step, plateau cuts and early stopping follow them."""
        config, history = self.config, self.history
        history.eval_steps.append(self.step)
        for name, score in scores.items():
            getattr(history, name).append(score)
        metric = _metric_value(config.optimized_metric, scores)
        if _better(config.optimized_metric, metric, self.best):
            self.best, self.since_best, self.plateau_wait = metric, 0, 0
            history.best_step = self.step
        else:
            self.since_best += 1
            self.plateau_wait += 1
            if (config.lr_scheduler_type == "plateau_reduce"
                    and self.plateau_wait >= config.plateau_reduce_lr_threshold):
                self.plateau_factor *= config.plateau_reduce_lr_factor
                self.plateau_wait = 0
        _notify(self.callbacks, "on_evaluation_end", history)
        patience = config.early_stopping_patience
        if patience and self.since_best >= patience and history.epochs >= config.min_num_epochs:
            history.stopped_early = True
            self.done = True

    def evaluation_due(self) -> bool:
        """Whether the batch just finished ends with a validation pass."""
        return (self.step % self.config.checkpoint_frequency_num_batches == 0
                or self.step == self.steps)

    def finish(self, wall_time: float) -> None:
        """End of the run: eval mode, wall time, and ``on_run_end``."""
        self.model.eval()
        self.history.wall_time = wall_time
        _notify(self.callbacks, "on_run_end", self.history)
