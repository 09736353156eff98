"""The labelled battery: real runs, each with the verdict a careful teacher gives and the
verdicts that would be wrong.  ``tests/test_diagnose.py`` checks every case; a notebook can
show them (``train_group``, then ``verdict_of``).

Lessons: 01 (the rates of the Lab and Compare cells, Stop, seeds), 06 (over/underfitting).

A ``Group`` is one ``compare`` call: a base config, what varies, a task; short runs (a few
seconds each on one core) so the whole battery trains in about a minute.  A ``Case`` picks
runs of a group by their legend label and says how to look at them: the whole run, the run
as it was at step ``at`` while training (``in_progress``), or stopped there by the learner
(``stopped``), alone or beside the rest of its group (``with_others``: ghosts in the Lab,
members in Compare).  Several labels are seeds of one setting: ``diagnose_seeds``.

Each setting sits well inside its regime, measured over seeds 0-2 (seeds 0-4 for 1e-3): see
the ``why`` of each case.  Cases are pinned to the seeds listed.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field

from ..config import Seq2SeqConfig
from ..history import History
from . import Diagnosis, diagnose, diagnose_seeds

LESSON_01_RATES = [1e-4, 1e-3, 3e-3, 1e-2, 0.03, 0.1, 0.3, 1.0]


@dataclass(frozen=True)
class Group:
    """One ``compare(Seq2SeqConfig(**overrides), vary, task=task, task_options=options)``."""

    overrides: dict
    vary: dict
    task: str = "reverse"
    options: dict = field(default_factory=dict)
    why: str = ""


GROUPS: dict[str, Group] = {
    "lesson01_rates": Group(
        {}, {"learning_rate": LESSON_01_RATES},
        why="the default preset at lesson 01's rates, seed 0: the Lab's ghosts and Compare's "
            "members side by side (160 steps)"),
    "lesson01_seeds": Group(
        {"learning_rate": 1e-3}, {"seed": [0, 1, 2, 3, 4]},
        why="1e-3, five seeds: 87-100% accuracy after 160 steps, one or two seeds still "
            "learning below 90%, the others above"),
    "copy_sgd": Group(
        {"optimizer_type": "sgd", "max_num_epochs": 10, "max_num_batches": 150},
        {"learning_rate": [1e-5, 1.0]}, "copy", {"train_size": 1000, "val_size": 200},
        why="plain SGD on copy, 150 steps: at 1e-5 the loss does not move (2.647 -> 2.648); "
            "at 1.0 it falls 45-48%, its last quarter at 1.4x its average pace (at step 100 "
            "it sits on a plateau near 1.9 that the curves alone cannot tell from a weak model)"),
    "small_model": Group(
        {"rnn_num_hidden": 4, "rnn_attention_type": "none", "learning_rate": 0.03,
         "batch_size": 32, "max_num_epochs": 8}, {"seed": [0, 1]},
        "reverse", {"train_size": 640, "val_size": 200},
        why="the diagnose_underfitting preset: 4 units level off near loss 1.8-1.9 "
            "(15-18% accuracy), flat in the last quarter (3-5%)"),
    "memorise": Group(
        {"rnn_num_hidden": 128, "rnn_attention_type": "none", "learning_rate": 0.01,
         "batch_size": 32, "max_num_epochs": 14, "checkpoint_frequency_num_batches": 20},
        {"seed": [0]}, "reverse", {"train_size": 300, "val_size": 200, "noise": 0.3},
        why="the diagnose_overfitting preset, 140 steps: validation loss lowest at step 80, "
            "then up for the rest of the run while the training loss keeps falling"),
    "sort_cells": Group(
        {"max_num_epochs": 4}, {"rnn_cell_type": ["lstm", "rnn"], "learning_rate": [1e-4, 3e-3]},
        "sort", {"train_size": 1024, "val_size": 200},
        why="sort with LSTM and plain RNN cells, 64 steps: 1e-4 barely moves (2-8%), 3e-3 is "
            "still learning fast at the end (41-48% of its loss gone in the second half)"),
    "lesson02_constant": Group(
        {"learning_rate": 0.05, "lr_step_size": 32}, {"seed": [0, 1, 2]}, "reverse",
        {"val_size": 100},
        why="lesson 02's constant rate (preset lesson_02_schedules, none): Adam at 0.05 jumps "
            "to ~4 early, comes down to 0.6-0.7, and its last quarter ends 11-20% higher than "
            "the quarter before (53-58% accuracy)"),
    "lesson02_sgd": Group(
        {"learning_rate": 0.05, "lr_scheduler_type": "cosine", "lr_step_size": 32,
         "optimizer_type": "sgd"}, {"seed": [0, 1, 2]}, "reverse", {"val_size": 100},
        why="lesson 02's Lab (preset lesson_02_warmup) switched to sgd, as its exercise asks: "
            "7% of the loss gone, then flat as cosine lowers the rate: it looks like a weak "
            "model, but the same model learns the task with Adam at this rate (lesson 02)"),
    "lesson05_rmsprop": Group(
        {"optimizer_type": "rmsprop"}, {"seed": [0]},
        why="lesson 05's shared rate (preset lesson_05_shared) for rmsprop, seed 0: 83% and "
            "still learning at 3e-3, the best of its grid; 1e-2 is worse on 2 of 3 seeds"),
    "wide_model": Group(
        {"rnn_num_hidden": 256, "max_num_epochs": 4, "checkpoint_frequency_num_batches": 8},
        {"seed": [0]}, "reverse", {"train_size": 512, "val_size": 200},
        why="256 units, 32 steps: learning fast, judged while still training"),
}


@dataclass(frozen=True)
class Case:
    name: str
    group: str
    labels: tuple[str, ...]          # legend labels of the runs judged (several: seeds)
    expect: tuple[str, ...]          # kinds a careful teacher accepts
    wrong: tuple[str, ...]           # kinds that would mislead
    at: int | None = None            # judge the run as it was after this many steps
    in_progress: bool = False
    stopped: bool = False
    with_others: bool = True
    says: tuple[str, ...] = ()       # phrases the English verdict must hold
    never_says: tuple[str, ...] = ()  # ... and must not
    why: str = ""


_R = "learning_rate="
_TOO_LARGE = ("diverged", "stalled", "oscillating")
CASES: tuple[Case, ...] = (
    # ---- lesson 01, whole runs, beside each other -----------------------------------------
    Case("crawls_1e-4", "lesson01_rates", (_R + "0.0001",), ("too_slow",),
         ("underfitting", "not_learning", "good"), says=("fell only",),
         why="the loss falls 8-9% in 160 steps and is still falling at the same pace"),
    Case("learns_3e-3", "lesson01_rates", (_R + "0.003",), ("good",), ("unstable",),
         says=("went well",), why="99% accuracy; its jump at step 92 is one batch, invisible "
         "on the smoothed curve (+0.01)"),
    Case("late_jump_1e-2", "lesson01_rates", (_R + "0.01",), ("unstable",), ("good",),
         says=("jumped to",), never_says=("Nothing to fix",),
         why="the issue's 0.01 run: a 5-7x batch near step 60 (drawn curve +0.36 to +0.62, "
             "2.1-3.1x), then 98-99% accuracy; the jump is named although the accuracy is good"),
    Case("stalls_0.1", "lesson01_rates", (_R + "0.1",), ("stalled",),
         ("oscillating", "underfitting", "diverged"),
         says=("Stalled", "try 0.003"), never_says=("bouncing instead",),
         why="a flat line near 1.8 after a jump to 5.8 in the first steps; its validation "
             "loss rises by 2-3%, nothing a learner sees as bouncing"),
    Case("diverges_0.3", "lesson01_rates", (_R + "0.3",), ("diverged",), ("stalled",),
         says=("diverged at step 7", "try 0.003"),
         why="the monitor stops it at step 7; 0.003 learned beside it"),
    Case("diverges_1", "lesson01_rates", (_R + "1",), ("diverged",), (),
         says=("diverged at step 2",), never_says=("try 0.1 ", "(0.1 instead"),
         why="10x smaller is 0.1, which stalled on the same figure: never suggested"),
    Case("diverges_1_alone", "lesson01_rates", (_R + "1",), ("diverged",), (),
         with_others=False, says=("0.1 instead of 1",),
         why="alone, with nothing on the figure, the rule's 10x smaller is fair"),
    Case("near_top_0.03", "lesson01_rates", (_R + "0.03",), ("too_slow",),
         ("underfitting", "good"), says=("near the top",), never_says=("0.3 instead",),
         why="83% and still learning; 10x larger would be 0.3, which diverged on the figure "
             "(and 0.1 stalled): train longer instead"),
    Case("near_top_0.03_alone", "lesson01_rates", (_R + "0.03",), ("too_slow",), (),
         with_others=False, says=("max_num_epochs=10",), never_says=("0.3 instead",),
         why="even alone: 0.3 is past the rate where Adam stalls (0.05)"),
    Case("still_learning_1e-3", "lesson01_rates", (_R + "0.001",), ("too_slow", "good"),
         ("underfitting",), never_says=("Underfitting", "rnn_num_hidden"),
         why="seed 0: 88-96% and falling fast in the second half (71-73%)"),
    # ---- lesson 01, in progress ----------------------------------------------------------
    Case("0.1_jumps_at_step_6", "lesson01_rates", (_R + "0.1",), ("unstable",), ("diverged",),
         at=6, in_progress=True, says=("So far (step 6 of 160)", "above where it started"),
         never_says=("training stopped", "diverged at"),
         why="Compare mid-run: the loss is at 4.4 from 2.65 but the run goes on"),
    Case("0.1_so_far_step_40", "lesson01_rates", (_R + "0.1",), ("stalled",),
         ("diverged", "oscillating", "underfitting"), at=40, in_progress=True,
         says=("So far (step 40 of 160)",), never_says=("training stopped",)),
    Case("0.1_so_far_step_100", "lesson01_rates", (_R + "0.1",), ("stalled",),
         ("diverged", "oscillating", "too_slow"), at=100, in_progress=True,
         never_says=("near the top",),
         why="creeping 1.9 -> 1.88: still stuck, not slow"),
    Case("0.3_before_the_monitor", "lesson01_rates", (_R + "0.3",), ("unstable",),
         ("diverged",), at=5, in_progress=True, never_says=("training stopped",),
         why="at step 5 the loss is 8 and rising; the monitor stops it at 7"),
    Case("3e-3_so_far_step_40", "lesson01_rates", (_R + "0.003",), ("learning",),
         ("good", "underfitting", "too_slow"), at=40, in_progress=True,
         never_says=("went well",)),
    Case("3e-3_so_far_step_140", "lesson01_rates", (_R + "0.003",), ("good",), (),
         at=140, in_progress=True, says=("So far (step 140 of 160)", "Learning well"),
         never_says=("went well",), why="99-100% by step 128"),
    Case("1e-3_so_far_step_40", "lesson01_rates", (_R + "0.001",), ("learning",),
         ("underfitting", "too_slow"), at=40, in_progress=True,
         never_says=("too weak", "rnn_num_hidden")),
    Case("1e-4_so_far_step_64", "lesson01_rates", (_R + "0.0001",), ("too_slow",),
         ("underfitting",), at=64, in_progress=True,
         why="3% in 64 steps: even at this pace to step 160 it would not reach half"),
    # ---- lesson 01, stopped by the learner at step 44 ------------------------------------
    Case("0.1_stopped_at_44", "lesson01_rates", (_R + "0.1",), ("stalled",),
         ("underfitting", "diverged", "oscillating"), at=44, stopped=True,
         says=("Stopped by you at step 44 of 160",), never_says=("rnn_num_hidden", "too weak")),
    Case("0.01_stopped_at_44", "lesson01_rates", (_R + "0.01",), ("learning",),
         ("too_slow", "underfitting"), at=44, stopped=True,
         says=("Stopped by you at step 44 of 160",), never_says=("try 0.1",),
         why="59% and falling fast when stopped: nothing says the rate was the problem"),
    Case("1e-4_stopped_at_44", "lesson01_rates", (_R + "0.0001",), ("too_slow",),
         ("underfitting",), at=44, stopped=True, says=("Stopped by you at step 44 of 160",)),
    # ---- seeds ---------------------------------------------------------------------------
    Case("seeds_1e-3", "lesson01_seeds", tuple(f"seed={s}" for s in range(5)), ("mixed",),
         ("good", "too_slow"), says=("5 seeds disagree", "spread"),
         why="81-100% over five seeds: good or still learning depends on the seed"),
    Case("seeds_1e-3_so_far", "lesson01_seeds", tuple(f"seed={s}" for s in range(5)),
         ("learning",), ("mixed",), at=100, in_progress=True, says=("All 5 seeds agree",)),
    Case("seeds_small_model", "small_model", ("seed=0", "seed=1"), ("underfitting",), (),
         says=("All 2 seeds agree", "rnn_num_hidden=16")),
    # ---- other tasks, optimizers, sizes ---------------------------------------------------
    Case("sgd_1e-5_copy", "copy_sgd", (_R + "1e-05",), ("not_learning",),
         ("underfitting", "stalled"), says=("has not moved",), never_says=("too weak",),
         why="the issue's run: 2.647 -> 2.648; the rate, not the model, is the limit"),
    Case("sgd_1_copy", "copy_sgd", (_R + "1",), ("too_slow",), ("underfitting", "stalled")),
    Case("small_model_seed_0", "small_model", ("seed=0",), ("underfitting",),
         ("too_slow", "stalled", "oscillating")),
    Case("small_model_stopped", "small_model", ("seed=1",), ("learning",), ("underfitting",),
         at=60, stopped=True, says=("Stopped by you at step 60 of 160",),
         why="a third of the run cannot show where the curve levels off"),
    Case("memorises", "memorise", ("seed=0",), ("overfitting",), ("good", "underfitting"),
         says=("since step 80",)),
    Case("memorises_so_far", "memorise", ("seed=0",), ("learning",), ("overfitting",),
         at=60, in_progress=True, why="before step 80 the validation loss is still falling"),
    Case("sort_lstm_1e-4", "sort_cells", ("rnn_cell_type=lstm, " + _R + "0.0001",),
         ("not_learning", "too_slow"), ("underfitting", "stalled")),
    Case("sort_rnn_1e-4", "sort_cells", ("rnn_cell_type=rnn, " + _R + "0.0001",),
         ("too_slow", "not_learning"), ("underfitting", "stalled")),
    Case("sort_lstm_3e-3", "sort_cells", ("rnn_cell_type=lstm, " + _R + "0.003",),
         ("too_slow",), ("underfitting", "good")),
    Case("sort_rnn_3e-3", "sort_cells", ("rnn_cell_type=rnn, " + _R + "0.003",),
         ("too_slow",), ("underfitting", "good")),
    Case("constant_0.05_rises_again", "lesson02_constant", ("seed=0",), ("stalled",),
         ("good", "underfitting", "too_slow"), says=("rose again",),
         never_says=("went flat", "not bouncing"),
         why="a learner read 'went flat' beside a last quarter 14% higher than the one before"),
    Case("constant_0.05_seeds", "lesson02_constant", ("seed=0", "seed=1", "seed=2"),
         ("stalled",), ("mixed", "good"), says=("All 3 seeds agree",)),
    Case("sgd_0.05_cosine", "lesson02_sgd", ("seed=0",), ("too_slow",), ("underfitting",),
         says=("sgd at 0.05", "needs rates near 1"), never_says=("too weak", "rnn_num_hidden"),
         why="a learner got 'the model is too weak' for this run of the default model"),
    Case("sgd_0.05_cosine_seeds", "lesson02_sgd", ("seed=0", "seed=1", "seed=2"),
         ("too_slow",), ("underfitting", "mixed"), says=("All 3 seeds agree",)),
    Case("rmsprop_3e-3_still_learning", "lesson05_rmsprop", ("seed=0",), ("too_slow",),
         ("underfitting",), says=("max_num_epochs=10", "near the top"),
         never_says=("0.03 instead",),
         why="a learner read 'try 0.03' beside a lesson whose grid has 1e-2 already worse"),
    Case("wide_so_far", "wide_model", ("seed=0",), ("learning", "good"), (), at=24,
         in_progress=True, says=("So far (step 24 of 32)",), never_says=("went well",),
         why="the issue's 256-unit run still training"),
)


def train_group(name: str) -> list[History]:
    """Train a group: one History per setting, labelled as in the legend."""
    from ..compare import compare   # torch, only when training
    group = GROUPS[name]
    return compare(Seq2SeqConfig(**group.overrides), group.vary, task=group.task,
                   task_options=dict(group.options))


def history_at(history: History, steps: int, stopped: bool = False) -> History:
    """The History as it was after ``steps`` batches (what the widget drew then)."""
    cut = copy.copy(history)
    cut.train_loss, cut.lrs = history.train_loss[:steps], history.lrs[:steps]
    evaluations = sum(step <= steps for step in history.eval_steps)
    cut.eval_steps = history.eval_steps[:evaluations]
    for name in ("val_loss", "val_accuracy", "val_exact", "val_bleu"):
        setattr(cut, name, getattr(history, name)[:evaluations])
    if history.diverged_step is not None and history.diverged_step > steps:
        cut.diverged, cut.diverged_step = False, None
    cut.stopped_by_user = stopped
    return cut


def verdict_of(case: Case, histories: list[History], language: str = "en") -> Diagnosis:
    """The verdict on ``case``, given its group's histories (``train_group``)."""
    def view(history):
        return history if case.at is None else history_at(history, case.at, case.stopped)
    judged = [view(h) for h in histories if h.label in case.labels]
    if len(judged) != len(case.labels):
        raise KeyError(f"{case.name}: labels {case.labels} not all in "
                       f"{[h.label for h in histories]}")
    others = [view(h) for h in histories if h.label not in case.labels] if case.with_others else []
    if len(judged) > 1:
        return diagnose_seeds(judged, language, in_progress=case.in_progress, others=others)
    return diagnose(judged[0], language, in_progress=case.in_progress, others=others)
