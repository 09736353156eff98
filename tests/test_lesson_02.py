"""Lesson 02's claims, trained with the lesson's own presets over seeds 0, 1 and 2.

The notebook (notebooks/02_schedules_and_adaptive.ipynb) says, for Adam on ``reverse`` at
0.05, far above the default rate: a constant rate stalls, its validation loss turning back up
halfway and its training loss wobbling; every decaying schedule (step, exponential, cosine,
one_cycle) rescues most of it, its training loss still falling at the end; the step schedule
is the constant run until its first cut; of the schedules that start at the full rate, the
sooner the rate comes down the better they end (exponential > step > cosine), and all of them
make a hump at the start, which one_cycle, starting low, does not; a warm-up of one epoch
removes that hump and takes cosine to about 98%; one_cycle is the schedule with a warm-up
built in (exercise 2); no schedule beats the good constant rate of lesson 01; the step
schedule's rate at batch 100 is the rate halved three times (exercise 1).  Each is asserted
here on the same presets and values.

Every setting trains once per test process (``lesson_runs``, shared between claims), its
values and seeds spread over the worker processes by ``compare``.  The warm-up Compare's run
without warm-up is the schedules Compare's cosine run (the same config): trained once.
"""
import statistics

import pytest

from lesson_runs import SEEDS, lesson_runs
from seq2seq_lab import learning_rate_at, preset
from seq2seq_lab.plots import centered_average
from seq2seq_lab.presets import (LESSON_02_GOOD_CONSTANT, LESSON_02_READ_STEP,
                                 LESSON_02_SCHEDULES, LESSON_02_WARMUPS)

runs = lesson_runs   # {(value, seed): History} of a preset at each value of a setting
DECAYS = tuple(kind for kind in LESSON_02_SCHEDULES if kind != "none")
RATE = 0.05


def final(history):
    return history.val_accuracy[-1]


def jitter(history, last=32):
    """How much the training loss still jumps at the end: the spread of its last batches."""
    return statistics.pstdev(history.train_loss[-last:])


def first_epoch_peak(history):
    """The highest training loss of the first epoch (32 batches)."""
    return max(history.train_loss[:32])


def smoothed(history):
    """The training loss as the loss panel draws it (a centred average over 7 batches)."""
    return centered_average(history.train_loss)


def end_level(history, last=32):
    """Where the training loss ends: its mean over the last epoch."""
    return statistics.mean(history.train_loss[-last:])


def schedules():
    return runs("lesson_02_schedules", "lr_scheduler_type", LESSON_02_SCHEDULES)


def warmups():
    return runs("lesson_02_warmup", "lr_warmup_steps", LESSON_02_WARMUPS)


# ---- the settings the lesson names --------------------------------------------------------
def test_the_lesson_runs_adam_far_above_the_default_and_cuts_once_an_epoch():
    schedule, warmup = (preset(name, fast=False).config
                        for name in ("lesson_02_schedules", "lesson_02_warmup"))
    default = preset("default", fast=False).config
    assert schedule.optimizer_type == "adam" == warmup.optimizer_type
    assert schedule.learning_rate == RATE == warmup.learning_rate
    assert default.learning_rate == LESSON_02_GOOD_CONSTANT and RATE > 15 * default.learning_rate
    assert schedule.lr_scheduler_type == "none"            # the preset itself is the constant
    assert schedule.lr_decay_factor == 0.5                  # "halved"
    assert warmup == schedule.replace(lr_scheduler_type="cosine")
    history = schedules()[("step", 0)]
    assert history.batches_per_epoch == schedule.lr_step_size == 32   # one cut an epoch
    assert history.steps == 160 and history.epochs == 5
    # The warm-up Compare's run without warm-up is the schedules Compare's cosine run.
    assert warmups()[(0, 0)].same_run(schedules()[("cosine", 0)])


# ---- a constant rate too high, and the decays that rescue it ------------------------------
@pytest.mark.parametrize("seed", SEEDS)
def test_a_constant_rate_far_too_high_stalls_and_jitters(seed):
    constant = schedules()[("none", seed)]
    assert constant.steps == 160 and not constant.diverged     # it never blows up
    assert 0.4 < final(constant) < 0.65                         # "below 65%", "near half"
    # its validation loss is lowest in the middle of the run, then climbs back up
    assert 48 <= constant.best_step <= 112
    assert constant.val_loss[-1] > constant.best_val_loss + 0.05
    # its training loss stops falling and wobbles around 0.6-0.7
    assert end_level(constant) > 0.5 and jitter(constant) > 0.05


@pytest.mark.parametrize("seed", SEEDS)
def test_every_decay_rescues_most_of_it_with_a_calm_end(seed):
    constant = schedules()[("none", seed)]
    for kind in DECAYS:
        decayed = schedules()[(kind, seed)]
        assert not decayed.diverged and decayed.steps == 160
        assert final(decayed) >= 0.85, kind                      # "85% or more"
        assert final(decayed) > final(constant) + 0.25, kind
        assert decayed.best_step == 160, kind                   # still improving at the end
        assert end_level(decayed) < 0.1, kind                    # "below 0.1"
        assert jitter(decayed) < jitter(constant) / 3, kind     # "wobbles far less"


@pytest.mark.parametrize("seed", SEEDS)
def test_step_is_the_constant_run_until_its_first_cut(seed):
    constant, step = schedules()[("none", seed)], schedules()[("step", seed)]
    assert step.lrs[:32] == constant.lrs[:32] == [RATE] * 32
    assert step.lrs[32] == pytest.approx(RATE / 2)
    assert step.train_loss[:33] == constant.train_loss[:33]      # one curve, drawn twice
    assert step.train_loss[34:] != constant.train_loss[34:]


@pytest.mark.parametrize("seed", SEEDS)
def test_the_sooner_the_rate_comes_down_the_better_it_ends(seed):
    exponential, step, cosine = (schedules()[(kind, seed)]
                                 for kind in ("exponential", "step", "cosine"))
    # the order of the rates: exponential lowest from the first cut on, cosine highest
    assert sum(exponential.lrs) < sum(step.lrs) < sum(cosine.lrs)
    # ... and the ends in that order: clearest in the validation loss (by 0.01 or more) ...
    assert exponential.val_loss[-1] + 0.01 < step.val_loss[-1]
    assert step.val_loss[-1] + 0.01 < cosine.val_loss[-1]
    # ... while in accuracy exponential ends highest and step at least level with cosine
    assert final(exponential) > max(final(step), final(cosine))
    assert final(step) >= final(cosine)


@pytest.mark.parametrize("seed", SEEDS)
def test_every_schedule_starting_at_full_rate_makes_a_hump_one_cycle_does_not(seed):
    start = schedules()[("none", seed)].train_loss[0]
    assert 2.5 < start < 2.7                                     # "about 2.6"
    for kind in ("none", "step", "exponential", "cosine"):
        history = schedules()[(kind, seed)]
        # a few batches around the 4th jump to 3.3 or more; the drawn line starts near 3
        assert max(history.train_loss[2:6]) > max(3.3, start + 0.6), kind
        assert smoothed(history)[0] > 2.8, kind
    one_cycle = schedules()[("one_cycle", seed)]
    assert one_cycle.lrs[0] == pytest.approx(RATE / 25)
    assert max(smoothed(one_cycle)[:32]) < 2.6                    # no hump: it only falls
    assert first_epoch_peak(one_cycle) < 3.0


@pytest.mark.parametrize("seed", SEEDS)
def test_no_schedule_beats_the_good_constant_rate_of_lesson_01(seed):
    good = runs("default", "learning_rate", (LESSON_02_GOOD_CONSTANT,))[
        (LESSON_02_GOOD_CONSTANT, seed)]
    assert good.config.lr_scheduler_type == "none"
    assert final(good) >= 0.99
    trained = [final(schedules()[(kind, seed)]) for kind in DECAYS] + [final(warmups()[(32, seed)])]
    assert final(good) >= max(trained)


def test_exercise_1_the_step_rate_at_batch_100_is_three_halvings():
    config = preset("lesson_02_schedules", fast=False).config.replace(lr_scheduler_type="step")
    batch = LESSON_02_READ_STEP - 1                      # the panel counts batches from 1
    assert learning_rate_at(batch, config, 160) == pytest.approx(RATE / 8) == 0.00625
    assert schedules()[("step", 0)].lrs[batch] == pytest.approx(0.00625)


# ---- warm-up ------------------------------------------------------------------------------
@pytest.mark.parametrize("seed", SEEDS)
def test_a_warmup_removes_the_jump_and_cosine_then_ends_near_98(seed):
    cold, warm = (warmups()[(steps, seed)] for steps in LESSON_02_WARMUPS)
    start = cold.train_loss[0]
    assert warm.train_loss[0] == pytest.approx(start, abs=0.05)     # the same untrained model
    assert first_epoch_peak(cold) > max(3.9, start + 1.0)         # "to about 4-4.7"
    assert smoothed(cold)[0] > 2.8                                 # the hump, as drawn
    assert first_epoch_peak(warm) < start + 0.1                    # never above its start
    assert max(smoothed(warm)[:32]) < 2.6
    assert warm.lrs[0] == pytest.approx(RATE / 32)                  # the ramp: 1/32 of the rate
    assert warm.lrs.index(max(warm.lrs)) == 31                      # ... up to its peak at 32
    assert final(warm) >= 0.97
    assert final(warm) > final(cold) + 0.02


def test_exercise_2_one_cycle_is_the_schedule_with_a_warmup_built_in():
    """Its rate climbs for the first quarter of the run (40 of 160 batches); no other
    schedule of the first comparison ever raises the rate."""
    for seed in SEEDS:
        one_cycle = schedules()[("one_cycle", seed)].lrs
        assert all(a < b for a, b in zip(one_cycle[:40], one_cycle[1:40]))
        assert one_cycle.index(max(one_cycle)) in (39, 40)
        assert max(one_cycle) == pytest.approx(RATE, rel=1e-3)
        for kind in ("none", "step", "exponential", "cosine"):
            rates = schedules()[(kind, seed)].lrs
            assert all(b <= a for a, b in zip(rates, rates[1:])), kind
