"""Plain-language diagnosis of a training curve: ``diagnose(history) -> Diagnosis``.

Lessons: 01 (learning rate: diverged, too slow, oscillating), 06 (overfitting and
underfitting), and the Lab widget, which shows the verdict under the live curve after every
evaluation.

A pure function of the History (and the config inside it).  It reads a few numbers off the
curves, keeps them in ``evidence`` and decides with the rules below, first match wins::

    no batches yet                               -> pending      (nothing to judge)
    diverged flag, NaN, or loss far above start  -> diverged     (needs no evaluation)
    fewer than 2 evaluations                     -> pending      (too little evidence)
    validation loss rose for 2+ evaluations since its best while training loss kept falling
                                                 -> overfitting
    validation accuracy >= GOOD_ACCURACY         -> good
    training loss flat in the second half, and it jumps from batch to batch or the
    validation loss keeps going up                -> oscillating
    loss still falling at least as fast as on average, little progress so far
                                                 -> too_slow
    loss still falling fast in the second half (not levelled off yet)
                                                 -> too_slow ("still learning" message)
    otherwise (progress slowed down, loss still high) -> underfitting

The thresholds are module constants with the reason for each value; the preset runs named
``diagnose_<kind>`` in ``presets.py`` are the real runs the tests check these rules on.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from .config import format_value
from .history import History
from .i18n import get_language, t

KINDS = ("pending", "diverged", "too_slow", "oscillating", "overfitting", "underfitting", "good")

# Token accuracy at which a toy task counts as learned: the default run passes 0.95 within
# ~100 steps, while the failing runs of lesson 01 stay below 0.3.
GOOD_ACCURACY = 0.9
# Smoothed training loss this many times the starting loss: far worse than guessing, a blow-up
# even if the trainer's own monitor (3x, training.DIVERGENCE_FACTOR) has not stopped the run.
BLOWN_UP_FACTOR = 1.5
# Overfitting: validation loss this far (relative, and at least OVERFIT_RISE_ABSOLUTE) above its
# best, for this many evaluations.  The absolute floor keeps a converged run whose loss wobbles
# around 0.01 from counting as overfitting.
OVERFIT_RISE = 0.05
OVERFIT_RISE_ABSOLUTE = 0.02
OVERFIT_EVALUATIONS = 2
# Training loss must have fallen this much (relative) since the best validation step: the model
# is still learning the training set while getting worse on new data.
TRAIN_STILL_FALLING = 0.02
# Oscillating: the second half of training removed less than this fraction of its loss (Adam
# at 0.1 on reverse: 4-10%; a tiny model still creeping down: 6-9%, so flatness alone does
# not tell them apart) ...
FLAT_SECOND_HALF = 0.15
# ... and either the loss jumps from batch to batch by at least this much (mean |change|
# relative to the loss, second half: Adam at 0.1 3-5%, a 4-unit model 1.3-1.9%, a slow run
# 0.3%) ...
JUMPY = 0.025
# ... or at least this share of evaluation-to-evaluation changes (after the first, which is
# always a big drop) were rises: Adam at 0.1 rose in 2-4 of 8, a small or slow run in 0-1.
OSCILLATION_RISE_SHARE = 1 / 4
OSCILLATION_MIN_RISES = 2
# Too slow: the last quarter still falls at least this fraction of the run's average pace
# (a curve that has not started to bend), and the run removed less than half the start loss.
STILL_FALLING_PACE = 0.8
SMALL_PROGRESS = 0.5
# Still learning: the second half of training removed at least this fraction of its loss, so
# the curve had not levelled off and "too weak a model" would be the wrong verdict.  Adam at
# 1e-3 on the default run (87-96% accuracy after 160 steps): 73-79%; the 4-unit model of
# ``diagnose_underfitting``: 7-10%.
STILL_LEARNING = 0.3


@dataclass
class Diagnosis:
    """A verdict on one run: ``kind`` (one of KINDS), a ``message`` citing the evidence, a
    ``next_step`` to try, and ``evidence``, the numbers the verdict was read from."""

    kind: str
    message: str
    next_step: str
    evidence: dict = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.message} {self.next_step}"


def diagnose(history: History, language: str | None = None) -> Diagnosis:
    """Read ``history``'s curves and say what happened, why we think so, and what to try.

    Never raises on an empty or partial History (the live widget calls it after every
    evaluation); ``kind == "pending"`` until there is enough to judge.
    """
    language = language or get_language()
    evidence = _evidence(history)
    kind, values = _decide(history, evidence)
    message = t(f"diagnose_{values.pop('message', kind)}", language, **values)
    next_step = t(f"diagnose_next_{kind}", language, **values)
    return Diagnosis(kind, message, next_step, evidence)


# ---- the numbers ------------------------------------------------------------------------
def _mean(values) -> float:
    values = list(values)
    return sum(values) / len(values) if values else math.nan


def _evidence(history: History) -> dict:
    """Every number a rule looks at, as plain floats and ints (JSON-friendly)."""
    losses = [x for x in history.train_loss if math.isfinite(x)]
    n = len(losses)
    config = history.config
    evidence = dict(steps=len(history.train_loss), evaluations=len(history.val_loss),
                    learning_rate=config.learning_rate if config else math.nan,
                    diverged=bool(history.diverged), diverged_step=history.diverged_step)
    if n == 0:
        return evidence
    edge = max(1, min(5, n // 8))           # the first few batches: the loss of a fresh model
    quarter = max(1, n // 4)
    start = _mean(losses[:edge])
    end = _mean(losses[-quarter:])           # last quarter: one batch is too noisy to trust
    middle = _mean(losses[n // 2 - quarter:n // 2]) if n >= 8 else start
    average_pace = (start - end) / max(n - edge, 1)            # loss removed per batch, overall
    late_pace = (_mean(losses[-2 * quarter:-quarter]) - end) / quarter if n >= 8 else average_pace
    half = losses[n // 2:]
    jumps = [abs(b - a) for a, b in zip(half, half[1:])]
    evidence.update(start_loss=start, middle_train_loss=middle, final_train_loss=end,
                    max_train_loss=max(losses),
                    batch_to_batch_change=_mean(jumps) / _mean(half) if jumps and _mean(half) > 0 else 0.0,
                    progress=1 - end / start if start > 0 else 0.0,
                    second_half_progress=1 - end / middle if middle > 0 else 0.0,
                    pace_ratio=late_pace / average_pace if average_pace > 0 else 0.0)
    values = [x for x in history.val_loss if math.isfinite(x)]
    if values:
        best_index = min(range(len(values)), key=values.__getitem__)
        since_best = len(values) - 1 - best_index
        best_step = history.eval_steps[best_index] if best_index < len(history.eval_steps) else n
        window = max(1, config.checkpoint_frequency_num_batches if config else quarter)
        at_best = _mean(losses[max(0, best_step - window):best_step]) if best_step else start
        recent = _mean(losses[-window:])
        changes = list(zip(values[1:], values[2:]))   # the first change is the big first drop
        evidence.update(best_val_loss=values[best_index], best_step=best_step,
                        final_val_loss=values[-1], evaluations_since_best=since_best,
                        val_rise=values[-1] / values[best_index] - 1 if values[best_index] > 0 else 0.0,
                        train_loss_at_best=at_best, train_loss_recent=recent,
                        val_rises=sum(b > a for a, b in changes), val_changes=len(changes))
    if history.val_accuracy:
        evidence["final_val_accuracy"] = history.val_accuracy[-1]
    return evidence


# ---- the rules ----------------------------------------------------------------------------
def _decide(history: History, e: dict) -> tuple[str, dict]:
    """The kind and the values its message and next step are filled with (``message``, if
    set, names a more specific message of that kind)."""
    rate = e["learning_rate"]
    fmt = format_value
    values = dict(steps=e["steps"], evaluations=e["evaluations"], lr=fmt(rate),
                  smaller=fmt(rate / 10) if math.isfinite(rate) else "?",
                  larger=fmt(rate * 10) if math.isfinite(rate) else "?")
    if e["steps"] == 0:
        return "pending", values
    blown_up = e["final_train_loss"] > BLOWN_UP_FACTOR * e["start_loss"]
    non_finite = any(not math.isfinite(x) for x in history.train_loss + history.val_loss)
    if e["diverged"] or non_finite or blown_up:
        step = e["diverged_step"] or e["steps"]
        return "diverged", dict(values, step=step, start=fmt(e["start_loss"]),
                                last=fmt(e["max_train_loss"]))
    if e["evaluations"] < 2:
        return "pending", values
    values.update(best_step=e["best_step"], best=fmt(e["best_val_loss"]),
                  last=fmt(e["final_val_loss"]), since=e["evaluations_since_best"],
                  train_best=fmt(e["train_loss_at_best"]), train_last=fmt(e["train_loss_recent"]),
                  start=fmt(e["start_loss"]), end=fmt(e["final_train_loss"]),
                  progress=f"{100 * e['progress']:.0f}",
                  accuracy=f"{100 * e.get('final_val_accuracy', 0.0):.0f}",
                  rises=e["val_rises"], changes=e["val_changes"],
                  jump=f"{100 * e['batch_to_batch_change']:.0f}",
                  second=f"{100 * e['second_half_progress']:.0f}", middle=fmt(e["middle_train_loss"]),
                  hidden=history.config.rnn_num_hidden, bigger=4 * history.config.rnn_num_hidden)
    risen = e["final_val_loss"] - e["best_val_loss"]
    if (e["evaluations_since_best"] >= OVERFIT_EVALUATIONS and e["val_rise"] > OVERFIT_RISE
            and risen > OVERFIT_RISE_ABSOLUTE
            and e["train_loss_recent"] < (1 - TRAIN_STILL_FALLING) * e["train_loss_at_best"]):
        return "overfitting", values
    if e.get("final_val_accuracy", 0.0) >= GOOD_ACCURACY:
        return "good", values
    bouncing = (e["val_rises"] >= OSCILLATION_MIN_RISES
                and e["val_rises"] >= OSCILLATION_RISE_SHARE * e["val_changes"])
    if e["second_half_progress"] < FLAT_SECOND_HALF and (bouncing or e["batch_to_batch_change"] >= JUMPY):
        return "oscillating", values
    if e["pace_ratio"] >= STILL_FALLING_PACE and e["progress"] < SMALL_PROGRESS:
        return "too_slow", values
    if e["second_half_progress"] >= STILL_LEARNING:
        return "too_slow", dict(values, message="still_learning")
    return "underfitting", values
