"""Lesson 01's claims, trained with the lesson's own settings over several seeds.

The notebook (notebooks/01_learning_rate.ipynb) says: too small a rate crawls, the default
learns, 0.1 stalls without blowing up, 1 diverges within a few steps; in the Compare cell
0.001 and 0.01 both fall.  Each claim is asserted here on the same preset and values.
"""
import pytest

from seq2seq_lab import compare, preset, train
from seq2seq_lab.presets import LESSON_01_COMPARE_RATES, LESSON_01_SLIDER_RATES

SEEDS = (0, 1, 2)
LESSON = preset("default", fast=False)


def run(rate, seed):
    kwargs = LESSON.train_kwargs()
    kwargs["config"] = kwargs["config"].replace(learning_rate=rate)
    return train(**kwargs, seed=seed)


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


def test_default_rate_is_the_one_that_learns():
    assert LESSON.config.learning_rate == LESSON_01_SLIDER_RATES["learns"]
    # tests/test_training.py::test_default_lesson_run_learns_to_reverse checks >= 95% on 3 seeds


@pytest.mark.parametrize("seed", SEEDS)
def test_compare_cell_middle_rates_both_fall_and_the_ends_do_not(seed):
    histories = compare(LESSON.config, vary={"learning_rate": list(LESSON_01_COMPARE_RATES)},
                        task=LESSON.task, task_options=LESSON.task_options, seed=seed)
    final = {h.config.learning_rate: h.val_loss[-1] for h in histories}
    start = histories[0].train_loss[0]
    assert final[1e-3] < 0.5 * start and final[1e-2] < 0.5 * start
    assert final[1e-4] > 0.85 * start and final[0.1] > 0.5 * start
