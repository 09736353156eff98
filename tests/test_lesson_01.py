"""Lesson 01's claims, trained with the lesson's own settings over several seeds.

The notebook (notebooks/01_learning_rate.ipynb) says: too small a rate crawls, the default
learns, 0.1 stalls without blowing up, 1 diverges within a few steps; the two logs (too small:
barely moving; too large: jumping up); in the 0.01-then-x10-and-/10 search 0.01 reaches 95%
first, 0.001 later, 0.1 never.  Each claim is asserted here on the same presets and values.
"""
import pytest

from lesson_runs import SEEDS, lesson_run, lesson_runs
from seq2seq_lab import preset
from seq2seq_lab.cli import training_log
from seq2seq_lab.presets import (LESSON_01_COMPARE_RATES, LESSON_01_SLIDER_RATES,
                                 LESSON_01_TARGET)

LESSON = preset("default", fast=False)


def run(rate, seed):
    return lesson_run("default", seed, learning_rate=rate)


def first_at_target(history):
    return next((step for step, accuracy in zip(history.eval_steps, history.val_accuracy)
                 if accuracy >= LESSON_01_TARGET), None)


@pytest.mark.parametrize("seed", SEEDS)
def test_too_large_a_rate_diverges_within_a_few_steps(seed):
    history = run(LESSON_01_SLIDER_RATES["diverges"], seed)
    assert history.diverged and history.diverged_step <= 10


@pytest.mark.parametrize("seed", SEEDS)
def test_too_small_a_rate_crawls(seed):
    history = run(LESSON_01_SLIDER_RATES["crawls"], seed)
    assert not history.diverged and history.steps == 160
    assert history.val_loss[-1] > 0.85 * history.train_loss[0]   # barely below where it started
    assert history.val_loss[-1] < history.val_loss[0]             # ... but still going down
    assert max(history.val_accuracy) < 0.2


@pytest.mark.parametrize("seed", SEEDS)
def test_point_one_stalls_without_diverging(seed):
    history = run(LESSON_01_SLIDER_RATES["stalls"], seed)
    assert not history.diverged and history.steps == 160
    assert min(history.val_loss) > 1.0 and max(history.val_accuracy) < 0.5


@pytest.mark.parametrize("seed", SEEDS)
def test_the_default_rate_reaches_the_target_within_the_run(seed):
    assert LESSON.config.learning_rate == LESSON_01_SLIDER_RATES["learns"]
    history = run(LESSON_01_SLIDER_RATES["learns"], seed)
    assert first_at_target(history) is not None
    assert min(history.val_loss) < history.train_loss[0] / 50


@pytest.mark.parametrize("seed", SEEDS)
def test_the_two_logs_small_barely_moves_large_jumps_up(seed):
    small = lesson_run("lesson_01_log_small", seed)
    large = lesson_run("lesson_01_log_large", seed)
    assert small.steps == large.steps == 5 and not large.diverged
    first = small.train_loss[0]
    assert max(small.train_loss) - min(small.train_loss) < 0.005 * first
    assert max(large.train_loss) > 4.0 > 2.7 > large.train_loss[0]
    log = training_log(small).splitlines()
    assert len(log) == 5 and log[0].startswith("Epoch 1, Batch 1, Training Error: ")


@pytest.mark.parametrize("seed", SEEDS)
def test_search_from_0_01_reaches_the_target_first_0_1_never(seed):
    runs = lesson_runs("default", "learning_rate", LESSON_01_COMPARE_RATES, seeds=(seed,))
    first = {rate: first_at_target(runs[(rate, seed)]) for rate in LESSON_01_COMPARE_RATES}
    assert first[1e-2] is not None and first[1e-3] is not None
    assert first[1e-2] < first[1e-3]
    assert first[0.1] is None and max(runs[(0.1, seed)].val_accuracy) < 0.3
