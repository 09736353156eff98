"""The numbers a verdict is read from: ``read_evidence(history) -> dict`` (plain floats and
ints, JSON-friendly), one pass over the History's curves.

Lessons: 01 and 06, through ``diagnose`` (``diagnose/__init__.py`` explains the rules).
"""
from __future__ import annotations

import math

from ..history import History

# Late spike, read off the smoothed training loss the figure draws (``plots.centered_average``:
# a centred mean over 2% of the steps each side, at least 5 batches): a point this many times
# the median of the 16 points before it (one checkpoint period: the level the curve sat at) ...
SPIKE_WINDOW = 16
# ... counted only once the loss has come down below this share of its start: a run that has
# learned something and then jumps.  Before that, jumps are the start of a run that is too
# fast (Adam at 0.1 rises 2.65 -> 5.8 in its first 4 batches), which the rules name otherwise.
SPIKE_AFTER_LEARNED = 0.5
# ... and only jumps at least this large in loss units (the axis spans 0 to ~2.7).  Measured on
# the drawn curve: Adam at 0.01 on the default run, seed 0, +0.36 to +0.62 (2.1-3.1x) near
# step 60 (one batch at 1.6 from a level of 0.2-0.3), seed 2 +0.50 (5.2x); every other run of
# lesson 01's rates (1e-4 to 0.1, seeds 0-2, and 0.01-0.02 without clipping for 256 steps):
# at most +0.13, and at most +0.01 where the ratio passes 2 (3e-3: 2.3x of a loss near 0.01).
SPIKE_VISIBLE = 0.25


def smoothed(values: list[float]) -> list[float]:
    """The same centred moving average as ``plots.centered_average`` (which needs matplotlib,
    and the diagnosis must stay importable without it)."""
    count = len(values)
    if count < 3:
        return list(values)
    half = max(2, round(0.02 * count))
    width = min(2 * half + 1, count)
    out = []
    for i in range(count):
        first = min(max(i - half, 0), count - width)
        out.append(sum(values[first:first + width]) / width)
    return out


def _mean(values) -> float:
    values = list(values)
    return sum(values) / len(values) if values else math.nan


def planned_steps_of(history: History) -> int:
    """Batches the run was set to take (``training.total_steps``), from what the History
    recorded; 0 when it does not say (a History built by hand)."""
    config = history.config
    if not history.batches_per_epoch or config is None:
        return 0
    steps = config.max_num_epochs * history.batches_per_epoch
    return min(steps, config.max_num_batches) if config.max_num_batches else steps


def _late_spike(losses: list[float], start: float) -> dict:
    """The largest visible jump of the drawn training loss above its recent level after it had
    learned: ratio, rise, step (1-based), the level before it and the highest batch near it."""
    best = dict(spike_ratio=0.0, spike_rise=0.0, spike_step=0, spike_level=math.nan,
                spike_peak=math.nan)
    curve = smoothed(losses)
    for i in range(SPIKE_WINDOW, len(curve)):
        before = sorted(curve[i - SPIKE_WINDOW:i])
        level = before[len(before) // 2]
        if level > SPIKE_AFTER_LEARNED * start or level <= 0:
            continue
        if curve[i] - level >= SPIKE_VISIBLE and curve[i] / level > best["spike_ratio"]:
            nearby = losses[max(0, i - 3):i + 4]
            best = dict(spike_ratio=curve[i] / level, spike_rise=curve[i] - level,
                        spike_step=i + 1, spike_level=level, spike_peak=max(nearby))
    return best


def read_evidence(history: History) -> dict:
    """Every number a rule looks at."""
    losses = [x for x in history.train_loss if math.isfinite(x)]
    n = len(losses)
    config = history.config
    evidence = dict(steps=len(history.train_loss), evaluations=len(history.val_loss),
                    learning_rate=config.learning_rate if config else math.nan,
                    # SGD's step with momentum m builds up to rate / (1 - m) (lesson 05)
                    effective_rate=(config.learning_rate / (1 - config.momentum)
                                    if config and config.momentum < 1 else math.nan),
                    diverged=bool(history.diverged), diverged_step=history.diverged_step,
                    non_finite=any(not math.isfinite(x)
                                   for x in history.train_loss + history.val_loss))
    if n == 0:
        return evidence
    # The loss of the fresh model: its first batch.  Seeds agree on it to 1% (2.636-2.655 on
    # the default run), and averaging more batches would take in the jump of a run whose
    # first steps are too large (Adam at 0.1: 2.65, 2.33, 4.81, 5.84, ...).
    edge = 1
    quarter = max(1, n // 4)
    start = losses[0]
    end = _mean(losses[-quarter:])           # last quarter: one batch is too noisy to trust
    middle = _mean(losses[n // 2 - quarter:n // 2]) if n >= 8 else start
    average_pace = (start - end) / max(n - edge, 1)            # loss removed per batch, overall
    before_end = _mean(losses[-2 * quarter:-quarter]) if n >= 8 else start   # the quarter before
    late_pace = (before_end - end) / quarter if n >= 8 else average_pace
    half = losses[n // 2:]
    jumps = [abs(b - a) for a, b in zip(half, half[1:])]
    # The recent level: the last few batches, what the end of the drawn curve shows now.
    recent_window = max(1, min(8, n // 4))
    evidence.update(start_loss=start, middle_train_loss=middle, final_train_loss=end,
                    recent_train_loss=_mean(losses[-recent_window:]),
                    max_train_loss=max(losses),
                    max_train_step=losses.index(max(losses)) + 1,
                    batch_to_batch_change=_mean(jumps) / _mean(half) if jumps and _mean(half) > 0 else 0.0,
                    progress=1 - end / start if start > 0 else 0.0,
                    second_half_progress=1 - end / middle if middle > 0 else 0.0,
                    late_progress=1 - end / before_end if before_end > 0 else 0.0,
                    pace_ratio=late_pace / average_pace if average_pace > 0 else 0.0,
                    **_late_spike(losses, start))
    values = [x for x in history.val_loss if math.isfinite(x)]
    if values:
        best_index = min(range(len(values)), key=values.__getitem__)
        since_best = len(values) - 1 - best_index
        best_step = history.eval_steps[best_index] if best_index < len(history.eval_steps) else n
        window = max(1, config.checkpoint_frequency_num_batches if config else quarter)
        at_best = _mean(losses[max(0, best_step - window):best_step]) if best_step else start
        recent = _mean(losses[-window:])
        changes = list(zip(values[1:], values[2:]))   # the first change is the big first drop
        rises = [(b - a) / a for a, b in changes if b > a and a > 0]
        evidence.update(best_val_loss=values[best_index], best_step=best_step,
                        first_val_loss=values[0], final_val_loss=values[-1],
                        evaluations_since_best=since_best,
                        val_rise=values[-1] / values[best_index] - 1 if values[best_index] > 0 else 0.0,
                        train_loss_at_best=at_best, train_loss_recent=recent,
                        val_rises=len(rises), val_changes=len(changes),
                        largest_val_rise=max(rises, default=0.0))
    if history.val_accuracy:
        evidence["final_val_accuracy"] = history.val_accuracy[-1]
    return evidence
