"""The learning-rate range test: ``lr_find(config) -> LRFinderResult``.

Lessons: 03 (finding a learning rate before training).

Smith 2017 ("Cyclical Learning Rates for Training Neural Networks", section 3.3) and fastai's
``LRFinder``: train for ``num`` batches while the rate grows exponentially from ``start`` to
``end`` (the tuning guide's "1e-5 to 10 over 500 steps"; 100 steps is enough on our toy tasks
and takes ~2 s), record each batch's loss, and read a good rate off the curve.  Read the sketch
first::

    for i, batch in enumerate(batches):               # seeded order, like train()
        rate = start * (end / start) ** (i / (num - 1))
        loss = step(batch, rate)                       # one real update at that rate
        smoothed = debiased EMA of loss                # one batch is too noisy to read
        if smoothed > 4 x best smoothed: stop          # it has clearly blown up
    restore the weights and optimizer state            # the finder must leave no trace

Each rule for reading the curve is a pure function of (lrs, smoothed losses) and returns a
plain float (fastai #3424 returned tensors); ``suggestions`` holds all three by name.

What holds at our scale (measured, reverse and sort, 3 seeds each, Adam, 100-step sweep; the
best rate of a 96-step run is 5e-3 to 1e-2):

- ``minimum`` (a tenth of the rate at the lowest smoothed loss) gives 0.007-0.013: it is our
  ``suggestion``, and ``tests/test_lr_finder.py`` trains with it.
- ``valley``, fastai's default since ``steep`` and ``minimum`` misled on big models (fastai
  #3377), gives ~1e-3 here, 5-10x too small: our models learn within the sweep itself, so the
  long decreasing stretch that valley looks for starts almost at once.
- ``steep`` gives 0.005-0.04, the least stable of the three.

Smoothing: the EMA remembers ~a tenth of the sweep (``beta = 1 - 10 / num``: fastai's 0.98
for a 500-step sweep, 0.9 for our 100 steps).  With 0.98 on 100 steps the smoothed minimum
lags the real one by ~3x in rate, and every rule that reads it moves up with it.  The sweep is
seeded (weights, batch order), so the same call gives the same curve (fastai #3295 was not).
"""
from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field

import torch

from .config import Seq2SeqConfig
from .data import Task
from .models import Seq2Seq, build_model, sequence_loss
from .training import (RunningAverage, as_config, clip_gradients, make_optimizer, resolve_device,
                       resolve_task, running_average, training_threads)

STOP_FACTOR = 4.0  # smoothed loss above 4x its best: blown up (fastai's stop_div)
SUGGESTION_RULE = "minimum"  # see the module docstring for why not valley at our scale


def smoothing_for(num: int) -> float:
    """EMA weight remembering ~a tenth of a ``num``-step sweep, between 0.8 and 0.98."""
    return min(0.98, max(0.8, 1 - 10 / num))


@dataclass
class LRFinderResult:
    """One range test: every batch's rate and loss, and the rates the rules read off them."""

    lrs: list[float]
    losses: list[float]                  # raw loss of each batch
    smoothed: list[float]                # debiased EMA (``beta``) of ``losses``
    suggestion: float                    # suggestions[rule]: the rate to train with
    suggestions: dict[str, float] = field(default_factory=dict)  # valley, steep, minimum
    rule: str = SUGGESTION_RULE
    beta: float = 0.9
    stopped_early: bool = False          # the loss blew up before ``end`` was reached
    config: Seq2SeqConfig | None = None
    seed: int = 0
    task: str = ""

    @property
    def steps(self) -> int:
        return len(self.lrs)


# ---- rules: pure functions of the recorded curve ------------------------------------------
def smooth_losses(losses: list[float], beta: float) -> list[float]:
    """The sweep's smoothed curve: ``training.running_average`` (a debiased EMA)."""
    return running_average(losses, beta)


def suggest_minimum(lrs: list[float], smoothed: list[float]) -> float:
    """fastai's ``minimum``: a tenth of the rate at the lowest smoothed loss (the minimum
    itself is already on the way up)."""
    best = min(range(len(smoothed)), key=smoothed.__getitem__)
    return float(lrs[best] / 10)


def suggest_steep(lrs: list[float], smoothed: list[float]) -> float:
    """fastai's ``steep``: where the smoothed loss falls fastest per decade of rate."""
    if len(lrs) < 2:
        return float(lrs[0])
    logs = [math.log10(rate) for rate in lrs]
    slopes = [(smoothed[i + 1] - smoothed[i]) / (logs[i + 1] - logs[i]) for i in range(len(lrs) - 1)]
    return float(lrs[min(range(len(slopes)), key=slopes.__getitem__)])


def suggest_valley(lrs: list[float], smoothed: list[float]) -> float:
    """fastai's ``valley``: the longest stretch over which the loss keeps falling (the longest
    decreasing subsequence), then a point about halfway down it: far enough from the flat
    start to learn fast, far enough from the minimum not to blow up."""
    n = len(smoothed)
    longest = [1] * n
    start, end = 0, 0
    for i in range(1, n):
        for j in range(i):
            if smoothed[i] < smoothed[j] and longest[i] < longest[j] + 1:
                longest[i] = longest[j] + 1
        if longest[end] < longest[i]:
            end = i
            start = end - longest[end]
    sections = (end - start) / 3
    return float(lrs[start + int(sections) + int(sections / 2)])


RULES = {"valley": suggest_valley, "steep": suggest_steep, "minimum": suggest_minimum}


# ---- the sweep ---------------------------------------------------------------------------
def sweep_rates(start: float, end: float, num: int) -> list[float]:
    """``num`` rates growing exponentially from ``start`` to ``end`` (inclusive)."""
    if num < 2:
        raise ValueError(f"num must be at least 2, got {num}")
    return [start * (end / start) ** (i / (num - 1)) for i in range(num)]


def lr_find(config: Seq2SeqConfig | dict | None = None, task: Task | str = "reverse",
            start: float = 1e-5, end: float = 10.0, num: int = 100, seed: int = 0,
            task_options: dict | None = None, model: Seq2Seq | None = None,
            optimizer: torch.optim.Optimizer | None = None, stop_factor: float = STOP_FACTOR,
            beta: float | None = None, device: str | torch.device | None = None) -> LRFinderResult:
    """Run the range test and suggest a learning rate (``result.suggestion``, a float).

    :param config: the run to find a rate for; its optimizer, clipping and batch size are used
        (its ``learning_rate`` is ignored: the sweep sets the rate)
    :param start, end, num: the sweep, ``num`` batches from ``start`` to ``end``
    :param seed: seeds a fresh model's weights and the batch order
    :param model, optimizer: test these instead of fresh ones; both are restored afterwards
    :param stop_factor: stop once the smoothed loss exceeds this times its best
    :param beta: EMA weight of the smoothing; default :func:`smoothing_for` ``num``
    """
    config = as_config(config)
    task = resolve_task(task, task_options)
    device = resolve_device(device)
    rates = sweep_rates(start, end, num)
    beta = smoothing_for(num) if beta is None else beta
    # training's thread count, so the sweep's steps are the ones train() would take
    with training_threads(device), torch.random.fork_rng(
            devices=[device] if device.type == "cuda" else []):
        torch.manual_seed(seed)
        if model is None:
            model = build_model(config, len(task.source_vocab), len(task.target_vocab)).to(device)
        if optimizer is None:
            optimizer = make_optimizer(model, config)
        saved_model = copy.deepcopy(model.state_dict())
        saved_optimizer = copy.deepcopy(optimizer.state_dict())
        was_training = model.training
        try:
            losses, smoothed, stopped = _sweep(model, optimizer, task, config, rates, seed,
                                               stop_factor, beta, device)
        finally:
            model.load_state_dict(saved_model)
            optimizer.load_state_dict(saved_optimizer)
            model.train(was_training)
    lrs = rates[:len(losses)]
    # The blown-up tail says nothing about good rates; the rules read the curve up to its best.
    if len(smoothed) >= 2:
        usable = max(2, min(range(len(smoothed)), key=smoothed.__getitem__) + 1)
        suggestions = {name: rule(lrs[:usable], smoothed[:usable]) for name, rule in RULES.items()}
    else:  # blew up at once: no curve to read (NaN says so; it never trains silently)
        suggestions = {name: math.nan for name in RULES}
    return LRFinderResult(lrs=lrs, losses=losses, smoothed=smoothed,
                          suggestion=suggestions[SUGGESTION_RULE], suggestions=suggestions,
                          beta=beta, stopped_early=stopped, config=config, seed=seed, task=task.name)


def _sweep(model, optimizer, task, config, rates, seed, stop_factor, beta, device):
    """Train one batch per rate; return raw and smoothed losses and whether it blew up."""
    order = torch.Generator().manual_seed(seed)  # the batch order train() uses for this seed
    losses: list[float] = []
    smoothed: list[float] = []
    average, best = RunningAverage(beta), math.inf
    model.train()
    batches = _endless_batches(task, config, order)
    for rate in rates:
        batch = next(batches).to(device)
        for group in optimizer.param_groups:
            group["lr"] = rate
        logits, _ = model(batch.source, batch.source_lengths, batch.target_in)
        loss = sequence_loss(logits, batch.target_out, config.label_smoothing)
        value = loss.item()
        if not math.isfinite(value):
            return losses, smoothed, True
        losses.append(value)
        smoothed.append(average.update(value))
        best = min(best, smoothed[-1])
        if smoothed[-1] > stop_factor * best:
            return losses, smoothed, True
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        clip_gradients(model, config.clip_gradient)   # the same update as training's
        optimizer.step()
    return losses, smoothed, False


def _endless_batches(task: Task, config: Seq2SeqConfig, order: torch.Generator):
    while True:  # as many epochs as the sweep needs
        yield from task.batches("train", config.batch_size, shuffle=True, generator=order,
                                max_source_len=config.max_seq_len_source,
                                max_target_len=config.max_seq_len_target + 1)


def range_test_figure(result: LRFinderResult | None, runs=(), *, theme: str = "notebook",
                      language: str | None = None):
    """The range test as a picture for a lesson cell: ``panels.draw_range_test`` (the sweep,
    raw and smoothed, the suggestion marked) on an Agg figure, returned as an
    ``IPython.display.Image`` (no pyplot, as everywhere in the library); ``runs`` add each
    run's learning rate.  A ``Compare`` shows the same panel live: ``("range_test",
    {"result": result})``.

    Lessons: 03 (reading the curve before training with its suggestion)."""
    from IPython.display import Image
    from matplotlib.figure import Figure

    from .panels import draw_range_test, look_for
    from .plots import to_png
    from .presets import theme_override

    look = look_for(theme_override() or theme, language)   # a classroom app's look wins
    # Half the lesson width would do for one panel, but the log axis spans six decades:
    # two-thirds keeps a decade wide enough to read a rate off it.
    figure = Figure(figsize=(look.theme.width * 0.66, look.theme.height), dpi=look.theme.dpi,
                    layout="constrained")
    draw_range_test(figure.add_subplot(), result, runs, theme=look, language=look.language)
    return Image(to_png(figure, dpi=look.theme.dpi))
