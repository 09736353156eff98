"""The next step of a verdict, checked against the other runs on the same figure.

Lessons: 01 (Lab ghosts and Compare's rates), through ``diagnose(..., others=[...])``.

A rule alone says "10x smaller" or "10x larger".  When another run on the figure, equal but
for its learning rate, already tried that value, its verdict is evidence: a learner who sees
0.3 diverge beside 0.03 must not be told to try 0.3.  So:

- cure "smaller" (diverged, stalled, oscillating, unstable): a visible run below this rate
  that learned well is named and suggested; otherwise rate/10, unless a visible run showed
  that value fails too (then a decade below that run), or was too slow (then a rate in
  between, or none);
- cure "larger" (not learning, too slow, still learning): a visible run above this rate that
  learned well is named; otherwise rate x10 (x100 when nothing moved) unless a visible run at
  or below that value failed high: then the rate stays, and the advice is to train longer.

A suggestion is never a value a visible run showed to fail.  And "the model is too weak"
is not advised when a visible run of the same model (same architecture), or of one with no more
weights, learned the task: then the model is big enough, and the other settings are the
difference.
"""
from __future__ import annotations

import math

from ..config import ARCHITECTURE, Seq2SeqConfig, format_value
from ..history import History
from .rules import LARGER_HELPS_UP_TO, TOO_LARGE, TOO_SMALL

# Two rates this close count as the same value (format_value rounds to 2-3 digits).
SAME_RATE = 1.05


def same_setting_but_rate(config: Seq2SeqConfig, other: Seq2SeqConfig) -> bool:
    return (other is not None and config is not None
            and other.replace(learning_rate=config.learning_rate) == config)


def same_model(config: Seq2SeqConfig, other: Seq2SeqConfig) -> bool:
    """Equal architecture (sizes, cell, attention, layers): the same model, maybe trained
    differently."""
    if config is None or other is None:
        return False
    return all(getattr(config, name) == getattr(other, name)
               for name, meta in Seq2SeqConfig.fields().items() if meta["kind"] == ARCHITECTURE)


def no_bigger(history: History, other: History) -> bool:
    """``other`` has no more weights than ``history`` (both counted)."""
    return 0 < other.num_parameters <= history.num_parameters


def able_model_advice(history: History, others: list[tuple[History, str]]) -> tuple[str, dict] | None:
    """For an underfitting verdict: a visible run of the same model, or of a model with no
    more weights, that learned well.  Why the second: an LSTM whose forget gate starts at 0
    sat at guessing beside one started at 2 (lesson 07), and a GRU with fewer weights learned
    beside it; "more capacity" was advice the figure contradicted."""
    able = []
    for other, kind in others:
        if kind == "good" and other.val_accuracy and other.config is not None:
            same = same_model(history.config, other.config)
            if same or no_bigger(history, other):
                able.append((other, other.val_accuracy[-1], same))
    if not able:
        return None
    best, accuracy, same = max(able, key=lambda item: (item[2], item[1]))
    values = dict(able_accuracy=f"{100 * accuracy:.0f}", changed=best.config.label(history.config),
                  weights=f"{best.num_parameters:,}")
    return ("underfitting_model_able" if same else "underfitting_smaller_able"), values


def nice_rate(rate: float) -> float:
    """Round to 1 or 3 in its decade (the values the rate slider offers)."""
    decade = 10 ** math.floor(math.log10(rate))
    return 3 * decade if rate / decade >= math.sqrt(10) * 0.95 else decade


def rate_advice(kind: str, message: str, history: History, seen: list[tuple[History, str]],
                values: dict) -> tuple[str, dict] | None:
    """``(next step id, extra values)`` when the figure changes the advice; None otherwise.

    ``seen``: (History, kind) of every other run on the figure with the same setting but its
    learning rate."""
    rate = history.config.learning_rate
    fmt = format_value
    good = [(h, h.val_accuracy[-1]) for h, k in seen if k == "good" and h.val_accuracy]
    # "unstable" runs learned, with a jump: evidence neither for nor against their rate.
    failed_high = [(h.config.learning_rate, k) for h, k in seen
                   if k in TOO_LARGE and k != "unstable"]
    failed_low = [(h.config.learning_rate, k) for h, k in seen if k in TOO_SMALL]
    epochs = 2 * history.config.max_num_epochs
    if kind in TOO_LARGE:
        below = [(h, a) for h, a in good if h.config.learning_rate < rate / SAME_RATE]
        if below:
            best, accuracy = max(below, key=lambda item: item[0].config.learning_rate)
            return "seen_good", dict(good=fmt(best.config.learning_rate),
                                     good_accuracy=f"{100 * accuracy:.0f}")
        suggest = rate / 10
        # A visible run at or above the suggestion (and below this rate) failed the same way.
        worse = [(r, k) for r, k in failed_high if suggest / SAME_RATE <= r < rate / SAME_RATE]
        if worse:
            failed, outcome = min(worse)
            suggest = failed / 10
            slow = [r for r, _ in failed_low if r >= suggest / SAME_RATE]
            if not slow:
                return "smaller_past_failed", dict(failed=fmt(failed), outcome=outcome,
                                                   suggest=fmt(suggest))
        slow = [(r, k) for r, k in failed_low if r >= suggest / SAME_RATE]
        if slow:
            low, outcome = max(slow)
            high = min([rate] + [r for r, _ in failed_high if r > low * SAME_RATE])
            between = nice_rate(math.sqrt(low * high))
            if low * SAME_RATE < between < high / SAME_RATE:
                return "between", dict(failed=fmt(low), outcome=outcome, suggest=fmt(between))
        return None
    if kind in TOO_SMALL:
        above = [(h, a) for h, a in good if h.config.learning_rate > rate * SAME_RATE]
        if above:
            best, accuracy = min(above, key=lambda item: item[0].config.learning_rate)
            return "seen_good", dict(good=fmt(best.config.learning_rate),
                                     good_accuracy=f"{100 * accuracy:.0f}")
        suggest = rate * (100 if kind == "not_learning" else 10)
        blocked = [(r, k) for r, k in failed_high if rate * SAME_RATE < r <= suggest * SAME_RATE]
        if blocked:
            failed, outcome = min(blocked)
            return "larger_blocked", dict(failed=fmt(failed), outcome=outcome, epochs=epochs)
        if message == "still_learning" and suggest > LARGER_HELPS_UP_TO.get(
                history.config.optimizer_type, math.inf):
            # Nothing on the figure, but 10x would pass the rates where a larger one helps.
            return "still_learning_top", dict(epochs=epochs)
    return None

