"""The rules that turn evidence into a kind: ``decide(evidence, config, partial) -> (kind,
message id)``.  First match wins; ``diagnose/__init__.py`` lists them in order.

Every threshold was measured on real runs with one torch thread; the numbers are beside it.
"Default run" is the ``default`` preset (64-unit GRU with attention, Adam, reverse, 160 steps).
"""
from __future__ import annotations

import math

# Token accuracy at which a toy task counts as learned: the default run passes 0.95 within
# ~100 steps, while the failing runs of lesson 01 stay below 0.35.
GOOD_ACCURACY = 0.9
# Smoothed training loss this many times the starting loss: far worse than guessing, a blow-up
# even if the trainer's own monitor (3x, training.DIVERGENCE_FACTOR) has not stopped the run.
BLOWN_UP_FACTOR = 1.5
# Overfitting: validation loss this far (relative, and at least OVERFIT_RISE_ABSOLUTE) above its
# best, for this many evaluations.  The absolute floor (a visible rise on an axis from 0 to
# ~2.7) keeps a converged run whose loss wobbles near 0.02 from counting as overfitting: Adam
# at 0.01 on the default run, seed 1, rose 0.018 -> 0.083 at 98% accuracy.
OVERFIT_RISE = 0.05
OVERFIT_RISE_ABSOLUTE = 0.1
OVERFIT_EVALUATIONS = 2
# Training loss must have fallen this much (relative) since the best validation step.
TRAIN_STILL_FALLING = 0.02
# Not learning: the training loss moved less than this share of its start.  SGD at 1e-5 on
# copy: 0.0% in 150 steps; the slowest runs that do learn: SGD at 0.01 on copy 3.6%, Adam at
# 1e-4 on the default run 10%.
NOT_MOVED = 0.02
# Late spike (evidence.py finds it on the drawn, smoothed curve, at least +0.25 in loss): the
# curve at least this many times its level before.  Adam at 0.01 on the default run: 2.1-3.1x
# (seed 0) and 5.2x (seed 2); runs without a visible jump never pass +0.13.
SPIKE_RATIO = 1.75
# Flat: the last quarter of the run removed less than this share of the loss of the quarter
# before.  Adam at 0.1 (stalled near 2): 0-4%; the 4-unit model of ``diagnose_underfitting``:
# 1-4%; runs still learning (Adam 1e-3 on the default run): 20-30%.
FLAT = 0.08
# Visibly bouncing: the validation loss rose at least twice after the first evaluations, the
# largest rise at least this share of the loss.  Adam at 0.1 on the default run, which a
# learner sees as a flat line near 2: largest rises 3%, 7%, 12% (seeds 0-2), so it is not
# called oscillating; Adam at 0.02-0.03 without a settled curve: 43-74%.
VISIBLE_RISE = 0.25
MIN_RISES = 2
# A rate is large for its optimizer from here on: Adam and RMSprop at 0.03 still learn the
# default run (83% in 160 steps), at 0.1 they stall, at 0.3 they diverge.  SGD takes raw
# gradients (clipped to 1) and needs rates about 100x larger: at 1.0 it still learns copy.
LARGE_RATE = {"adam": 0.05, "rmsprop": 0.05, "sgd": 5.0}
# The advice "try 10x larger" for a run still learning stops here: above it a larger rate no
# longer helps, though the optimizer does not stall yet (LARGE_RATE).  Lesson 05's grid on the
# default run (best validation loss, seeds 0-2): Adam 3e-3 0.014 / 0.025 / 0.016 against 3e-2
# 0.15 / 0.14 / 0.13; RMSprop 3e-3 0.086 / 0.085 / 0.074 against 1e-2 0.19 / 0.18 / 0.058.
# RMSprop at 3e-3, seed 0 (83%, still learning) was told "0.03 instead of 0.003".
LARGER_HELPS_UP_TO = {"adam": 0.01, "rmsprop": 0.01, "sgd": LARGE_RATE["sgd"]}
# A rate small for its optimizer, whatever the curve's shape: plain SGD steps by the rate
# times the gradient (clipped to 1, shared by ~60,000 weights) and needs rates near 1 here
# (lesson 05: its best on reverse is 1.0, 35% accuracy in 160 steps; with momentum 0.9, 0.3).
# Below this its curve can level off early (a schedule that decays the rate, as cosine does,
# flattens it: SGD at 0.05 with cosine on lesson 02's Lab, 7% of the loss gone, flat in its
# last quarter), which looks like a weak model but is the rate.  Adam and RMSprop scale every
# step to about the rate: no such floor.  Compared with the rate / (1 - momentum).
SMALL_RATE = {"sgd": 0.5}
# A loss that rose this far above its start at some point was pushed by steps too large.
# Adam at 0.1: 5.8 from 2.65 (2.2x) in the first 4 batches; the 4-unit model: never above 1.02x.
ROSE_ABOVE_START = 1.2
# Too slow: the last quarter still falls at least this fraction of the run's average pace
# (a curve that has not started to bend), and the run removed less than half its start loss
# (or, stopped or in progress, would not at this pace by its planned end).
STILL_FALLING_PACE = 0.8
SMALL_PROGRESS = 0.5
# Still learning: the second half of training removed at least this fraction of its loss, so
# the curve had not levelled off.  Adam at 1e-3 on the default run (81-99% accuracy after 160
# steps): 73-79%; the 4-unit model of ``diagnose_underfitting``: 7-10%.
STILL_LEARNING = 0.3

# Kinds whose cure is a smaller rate, and those whose cure is a larger one (advice.py).
TOO_LARGE = ("diverged", "stalled", "oscillating", "unstable")
TOO_SMALL = ("not_learning", "too_slow")


def decide(e: dict, optimizer: str, partial: bool) -> tuple[str, str]:
    """The kind and the id of its message (``diagnose_<id>`` in i18n.py)."""
    if e["steps"] == 0:
        return "pending", "pending"
    if e["diverged"] or e["non_finite"]:
        return "diverged", "diverged"
    if partial and e["recent_train_loss"] > BLOWN_UP_FACTOR * e["start_loss"]:
        return "unstable", "rising"        # not (yet) stopped: say what the curve does now
    if not partial and e["final_train_loss"] > BLOWN_UP_FACTOR * e["start_loss"]:
        return "diverged", "ended_above_start"
    if e["evaluations"] < 2:
        return "pending", "pending"
    # Stopped or in progress: what this pace would give by the planned end.
    scale = max(1.0, e.get("planned_steps", 0) / e["steps"]) if partial else 1.0
    val_moved = abs(e["final_val_loss"] - e["first_val_loss"]) / e["first_val_loss"]
    if e["progress"] * scale < NOT_MOVED and val_moved * scale < NOT_MOVED:
        return "not_learning", "not_learning"
    # Before overfitting: a jump lifts the validation loss too (seed 2 at 0.01: 10x, +1.0).
    if e["spike_ratio"] >= SPIKE_RATIO:
        return "unstable", "unstable"
    risen = e["final_val_loss"] - e["best_val_loss"]
    if (e["evaluations_since_best"] >= OVERFIT_EVALUATIONS and e["val_rise"] > OVERFIT_RISE
            and risen > OVERFIT_RISE_ABSOLUTE
            and e["train_loss_recent"] < (1 - TRAIN_STILL_FALLING) * e["train_loss_at_best"]):
        return "overfitting", "overfitting"
    accuracy = e.get("final_val_accuracy", 0.0)
    if accuracy >= GOOD_ACCURACY:
        return "good", "good_so_far" if partial else "good"
    flat = e["late_progress"] < FLAT
    if flat and e["val_rises"] >= MIN_RISES and e["largest_val_rise"] >= VISIBLE_RISE:
        return "oscillating", "oscillating"
    progress = min(1.0, e["progress"] * scale)
    creeping = e["pace_ratio"] >= STILL_FALLING_PACE and progress < SMALL_PROGRESS
    # Signs that the steps are too large: a large rate, or a loss that rose above its start.
    # Then a curve that is flat, or creeps, or slowed down is stuck, not slow and not weak
    # (Adam at 0.1 on the default run creeps 1.9 -> 1.8 after step 100).
    large = (e["learning_rate"] >= LARGE_RATE.get(optimizer, math.inf)
             or e["max_train_loss"] >= ROSE_ABOVE_START * e["start_loss"])
    if large and (flat or creeping or e["second_half_progress"] < STILL_LEARNING):
        # A last quarter that ended higher than the one before is no flat line: say it rose
        # (Adam at 0.05, constant, in lesson 02: 11-20% up, while "went flat" was written).
        return "stalled", "stalled_rising" if e["late_progress"] < -FLAT else "stalled"
    if creeping:
        return "too_slow", "too_slow"
    if partial:
        # Still falling: learning.  Flat this early may only be a pause, and the part it ran
        # cannot show where it would level off: say what it shows, no more.
        return ("learning", "learning") if not flat else ("learning", "early")
    if e["second_half_progress"] >= STILL_LEARNING:
        return "too_slow", "still_learning"
    if progress < SMALL_PROGRESS and e.get("effective_rate", math.nan) < SMALL_RATE.get(
            optimizer, 0.0):
        return "too_slow", "small_rate"
    return "underfitting", "underfitting"
