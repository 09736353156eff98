"""Plain-language diagnosis of training curves: ``diagnose(history) -> Diagnosis``.

Lessons: 01 (learning rate: diverged, stalled, too slow, not learning), 06 (overfitting and
underfitting), and the Lab and Compare widgets, which show the verdict under the live curves
after every frame.

A pure function of the History (and the config inside it), plus what the caller knows and the
History cannot: whether the run is still training (``in_progress``), how many steps it was set
to take (``planned_steps``), and the other runs on the same figure (``others``).  It reads a
few numbers off the curves (``evidence.py``), keeps them in ``evidence`` and decides with these
rules, first match wins (``rules.py``, each threshold measured)::

    no batches yet                                    -> pending
    diverged flag or NaN                              -> diverged (the trainer stopped it)
    in progress or stopped, loss now 1.5x its start   -> unstable ("rising": not stopped, yet)
    finished with the loss 1.5x its start             -> diverged
    fewer than 2 evaluations                          -> pending
    training and validation loss moved < 2% (by the planned end, at this pace)
                                                      -> not_learning (the rate is the limit)
    a visible jump of the drawn loss after it had learned (+0.25, 1.75x its level)
                                                      -> unstable (even at good accuracy)
    validation loss rose 2+ evaluations since its best while training loss kept falling
                                                      -> overfitting
    validation accuracy >= 90%                        -> good
    flat last quarter, and the validation loss visibly bounces (25%+, twice)
                                                      -> oscillating
    at a large rate, or after rising above its start: flat, creeping or slowed down
                                                      -> stalled (advise a smaller rate)
    still falling at its average pace, little progress (by the planned end, at this pace)
                                                      -> too_slow
    in progress or stopped, still falling             -> learning
    finished, still falling fast in the second half   -> too_slow ("still learning")
    levelled off early at a rate small for its optimizer (SGD below 0.5)
                                                      -> too_slow ("small_rate")
    otherwise (levelled off high, modest rate)        -> underfitting

A run in progress says "So far (step k of n)" first; one the learner stopped says "Stopped by
you at step k of n" first; neither claims an ending ("went well", "training stopped") that has
not happened.  The next step is checked against ``others`` (``advice.py``): no suggestion of a
value a visible run showed to fail, no "too weak" for a model that learned beside it.  ``diagnose_seeds(histories)`` judges several seeds of one
setting together and says when they disagree.

The real runs these rules are checked on are the named cases of ``diagnose/cases.py``.
"""
from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Iterable, Sequence

from ..config import format_value
from ..history import History
from ..i18n import get_language, t
from .advice import able_model_advice, rate_advice, same_setting_but_rate
from .evidence import planned_steps_of, read_evidence
from .rules import TOO_LARGE, decide

KINDS = ("pending", "diverged", "not_learning", "too_slow", "learning", "stalled",
         "oscillating", "unstable", "overfitting", "underfitting", "good", "mixed")


@dataclass
class Diagnosis:
    """A verdict: ``kind`` (one of KINDS), a ``message`` citing the evidence, a ``next_step``
    to try, and ``evidence``, the numbers the verdict was read from."""

    kind: str
    message: str
    next_step: str
    evidence: dict = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.message} {self.next_step}"


def diagnose(history: History | Sequence[History], language: str | None = None, *,
             planned_steps: int | None = None, in_progress: bool = False,
             others: Iterable[History] = ()) -> Diagnosis:
    """Read ``history``'s curves and say what happened, why we think so, and what to try.

    :param history: one run; a list of runs is taken as seeds of one setting (diagnose_seeds)
    :param planned_steps: batches the run is set to take (``training.total_steps``); by
        default read from the History
    :param in_progress: the run is still training: the verdict says "so far"
    :param others: the other runs on the same figure, whose outcomes the advice respects

    Never raises on an empty or partial History (the widgets call it on every frame);
    ``kind == "pending"`` until there is enough to judge.
    """
    if not isinstance(history, History):
        return diagnose_seeds(list(history), language, planned_steps=planned_steps,
                              in_progress=in_progress, others=others)
    language = language or get_language()
    evidence = read_evidence(history)
    planned = planned_steps if planned_steps is not None else planned_steps_of(history)
    stopped = bool(history.stopped_by_user) and not in_progress
    partial = in_progress or stopped
    evidence.update(planned_steps=planned, in_progress=in_progress, stopped_by_user=stopped)
    optimizer = history.config.optimizer_type if history.config else ""
    kind, message_id = decide(evidence, optimizer, partial)
    if message_id == "rising" and stopped:
        message_id = "rising_stopped"     # no "will be stopped": the learner stopped it
    values = _values(history, evidence, language)
    next_id = _default_next(kind, message_id, stopped)
    if others and kind in TOO_LARGE + ("not_learning", "too_slow") and history.config:
        seen = [(other, diagnose(other, language, in_progress=_still_training(other, in_progress)).kind)
                for other in others
                if other is not history and same_setting_but_rate(history.config, other.config)]
        advice = rate_advice(kind, message_id, history, seen, values)
        if advice is not None:
            next_id, extra = advice
            if "outcome" in extra:
                extra["outcome"] = t(f"diagnose_outcome_{extra['outcome']}", language)
            values.update(extra)
            evidence["advice_from_others"] = next_id
    elif kind == "underfitting" and others and history.config:
        seen = [(other, diagnose(other, language, in_progress=_still_training(other, in_progress)).kind)
                for other in others if other is not history]
        advice = able_model_advice(history, seen)
        if advice is not None:
            next_id, extra = advice
            values.update(extra)
            evidence["advice_from_others"] = next_id
    elif kind == "too_slow" and message_id == "still_learning" and history.config:
        advice = rate_advice(kind, message_id, history, [], values)
        next_id = advice[0] if advice else next_id
    message = t(f"diagnose_{message_id}", language, **values)
    if partial and kind != "pending":
        steps = evidence["steps"]
        where = (t("diagnose_where_of", language, steps=steps, planned=planned)
                 if planned > steps else t("diagnose_where", language, steps=steps))
        prefix = "diagnose_prefix_stopped" if stopped else "diagnose_prefix_running"
        message = t(prefix, language, where=where) + message
    return Diagnosis(kind, message, t(f"diagnose_next_{next_id}", language, **values), evidence)


def _still_training(other: History, training: bool) -> bool:
    """Whether another run on the figure is still training: a Lab's ghosts have finished while
    its newest run trains; Compare's members train together until each reaches its end."""
    ended = other.diverged or other.stopped_early or other.stopped_by_user
    return training and not ended and other.steps < planned_steps_of(other)


def _default_next(kind: str, message_id: str, stopped: bool) -> str:
    if message_id in ("rising", "still_learning", "good_so_far"):
        return message_id
    if message_id == "rising_stopped":
        return "diverged"
    if kind == "learning":
        return "learning_stopped" if stopped else "learning"
    return kind


def _values(history: History, e: dict, language: str | None = None) -> dict:
    """What the messages are filled with: the evidence, formatted."""
    config = history.config
    rate = e["learning_rate"]
    fmt = format_value
    known = math.isfinite(rate)
    values = dict(steps=e["steps"], evaluations=e["evaluations"], lr=fmt(rate),
                  smaller=fmt(rate / 10) if known else "?",
                  larger=fmt(rate * 10) if known else "?",
                  much_larger=fmt(rate * 100) if known else "?",
                  optimizer=config.optimizer_type if config else "?",
                  epochs=2 * config.max_num_epochs if config else "?",
                  hidden=config.rnn_num_hidden if config else "?",
                  bigger=4 * config.rnn_num_hidden if config else "?")
    values.update(capacity=_capacity(config, values, language),
                  remedies=_remedies(config, language))
    if e["steps"] == 0 or "start_loss" not in e:
        return values
    values.update(step=e["diverged_step"] or e["steps"], start=fmt(e["start_loss"]),
                  end=fmt(e["final_train_loss"]), recent=fmt(e["recent_train_loss"]),
                  peak=fmt(e["max_train_loss"]), peak_step=e["max_train_step"],
                  middle=fmt(e["middle_train_loss"]),
                  progress=f"{100 * e['progress']:.0f}",
                  second=f"{100 * e['second_half_progress']:.0f}",
                  late=f"{100 * e['late_progress']:.0f}",
                  late_rise=f"{-100 * e['late_progress']:.0f}",
                  spike_step=e["spike_step"], spike_peak=fmt(e["spike_peak"]),
                  level=fmt(e["spike_level"]), ratio=f"{e['spike_ratio']:.0f}")
    if "best_val_loss" in e:
        values.update(best_step=e["best_step"], best=fmt(e["best_val_loss"]),
                      first=fmt(e["first_val_loss"]), last=fmt(e["final_val_loss"]),
                      since=e["evaluations_since_best"],
                      train_best=fmt(e["train_loss_at_best"]),
                      train_last=fmt(e["train_loss_recent"]),
                      rises=e["val_rises"], changes=e["val_changes"],
                      bounce=f"{100 * e['largest_val_rise']:.0f}",
                      accuracy=f"{100 * e.get('final_val_accuracy', 0.0):.0f}")
    return values


def _capacity(config, values: dict, language: str | None) -> str:
    """Ways to give the model more capacity that the run does not use already (advice that
    names a setting the learner has on is advice the figure contradicts)."""
    options = [t("advice_wider", language, **values)]
    if config is not None and config.rnn_attention_type == "none":
        options.append(t("advice_attention", language))
    if config is not None and config.num_layers_encoder < 3:
        options.append(t("advice_deeper", language, layers=config.num_layers_encoder + 1))
    return ", ".join(options[:-1]) + t("advice_or", language) + options[-1] \
        if len(options) > 1 else options[0]


def _remedies(config, language: str | None) -> str:
    """Remedies against memorising that the run does not use already."""
    options = []
    if config is None or not config.early_stopping_patience:
        options.append(t("advice_early_stopping", language))
    options.append(t("advice_more_data", language))
    dropouts = (0.0,) if config is None else (config.embed_dropout_source,
                                              config.embed_dropout_target,
                                              config.rnn_decoder_hidden_dropout)
    options.append(t("advice_more_dropout" if any(dropouts) else "advice_dropout", language))
    if config is None or not config.weight_decay:
        options.append(t("advice_l2", language))
    options.append(t("advice_smaller_model", language))
    return ", ".join(options[:-1]) + t("advice_or", language) + options[-1]


def diagnose_seeds(histories: Sequence[History], language: str | None = None, *,
                   planned_steps: int | None = None, in_progress: bool = False,
                   others: Iterable[History] = ()) -> Diagnosis:
    """One verdict on several seeds of one setting.

    All seeds of the same kind: that verdict, read from the median seed (by final accuracy),
    with the accuracy range.  Seeds of different kinds: ``mixed``, with the count of each kind
    and the range, because then the seed, not the setting, decided each verdict; the next step
    is the one most seeds need.
    """
    language = language or get_language()
    histories = list(histories)
    if not histories:
        return diagnose(History(config=None), language)
    others = list(others)
    verdicts = [diagnose(h, language, planned_steps=planned_steps, in_progress=in_progress,
                         others=others + [o for o in histories if o is not h])
                for h in histories]
    if len(histories) == 1:
        return verdicts[0]
    accuracies = [h.val_accuracy[-1] if h.val_accuracy else 0.0 for h in histories]
    order = sorted(range(len(histories)), key=accuracies.__getitem__)
    median = order[len(order) // 2]
    counts = Counter(v.kind for v in verdicts)
    evidence = dict(kinds=[v.kind for v in verdicts], seeds=[h.seed for h in histories],
                    final_val_accuracies=accuracies, spread=max(accuracies) - min(accuracies),
                    median_seed=histories[median].seed)
    low, high = f"{100 * min(accuracies):.0f}", f"{100 * max(accuracies):.0f}"
    if len(counts) == 1:
        chosen = verdicts[median]
        intro = t("diagnose_seeds_agree", language, count=len(histories), low=low, high=high,
                  seed=histories[median].seed)
        return Diagnosis(chosen.kind, intro + chosen.message, chosen.next_step,
                         dict(chosen.evidence, **evidence))
    listed = ", ".join(f"{n} {t(f'diagnose_kind_{kind}', language)}"
                       for kind, n in counts.most_common())
    # The advice most seeds need: the commonest verdict that is not "good".
    needing = [v for v in verdicts if v.kind != "good"]
    common = Counter(v.kind for v in needing).most_common(1)[0][0]
    advice = next(v.next_step for v in needing if v.kind == common)
    return Diagnosis("mixed",
                     t("diagnose_seeds_mixed", language, count=len(histories), verdicts=listed,
                       low=low, high=high),
                     t("diagnose_next_seeds_mixed", language, advice=advice), evidence)
