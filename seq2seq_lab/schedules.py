"""Learning-rate schedules as pure functions of the step, so a lesson can plot them first.

Lessons: 02 (schedules), 03 (the range test's exponential sweep lives in ``lr_finder.py``).

``learning_rate_at(step, config, total_steps)`` is the rate of batch ``step`` (0-based).  It
never looks at losses; the one schedule that does, ``plateau_reduce`` (SageMaker's default),
is a multiplier the trainer keeps, so this function returns the constant rate for it.  The
x-axis of every schedule is the batch, the same axis as the loss curves.
"""
from __future__ import annotations

import math

from .config import Seq2SeqConfig


def cosine_between(start: float, end: float, progress: float) -> float:
    """Half a cosine from ``start`` (progress 0) to ``end`` (progress 1), as in fastai."""
    progress = min(max(progress, 0.0), 1.0)
    return end + (start - end) * (1 + math.cos(math.pi * progress)) / 2


ONE_CYCLE_START_DIVISOR = 25.0  # fastai's div: start at learning_rate / 25
ONE_CYCLE_WARM_FRACTION = 0.25  # fastai's pct_start: a quarter of the run going up


def schedule_factor(step: int, config: Seq2SeqConfig, total_steps: int) -> float:
    """The multiplier of ``learning_rate`` at ``step``, before warm-up."""
    kind = config.lr_scheduler_type
    progress = step / max(total_steps - 1, 1)
    if kind == "step":        # 1, 1, ..., decay, decay, ..., decay^2: a staircase
        return config.lr_decay_factor ** (step // config.lr_step_size)
    if kind == "exponential":  # the same decay spread smoothly over each lr_step_size batches
        return config.lr_decay_factor ** (step / config.lr_step_size)
    if kind == "cosine":
        return cosine_between(1.0, config.lr_min_ratio, progress)
    if kind == "one_cycle":   # Smith 2018: warm up to the peak, then anneal far below the start
        start = 1.0 / ONE_CYCLE_START_DIVISOR
        if progress < ONE_CYCLE_WARM_FRACTION:
            return cosine_between(start, 1.0, progress / ONE_CYCLE_WARM_FRACTION)
        return cosine_between(1.0, config.lr_min_ratio * start,
                              (progress - ONE_CYCLE_WARM_FRACTION) / (1 - ONE_CYCLE_WARM_FRACTION))
    return 1.0                # none and plateau_reduce


def learning_rate_at(step: int, config: Seq2SeqConfig, total_steps: int) -> float:
    """The learning rate of batch ``step`` of ``total_steps``: warm-up, then the schedule.

    Warm-up ramps linearly, ``(step + 1) / lr_warmup_steps``, so the first batch already
    moves the weights a little rather than not at all.
    """
    rate = config.learning_rate * schedule_factor(step, config, total_steps)
    if step < config.lr_warmup_steps:
        rate *= (step + 1) / config.lr_warmup_steps
    return rate


def schedule_curve(config: Seq2SeqConfig, total_steps: int) -> list[float]:
    """Every batch's rate, for drawing a schedule before training."""
    return [learning_rate_at(step, config, total_steps) for step in range(total_steps)]
