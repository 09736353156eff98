"""Lesson 06's claims, trained with the lesson's own presets over seeds 0-2.

The notebook (notebooks/06_hidden_units_and_layers.ipynb) says, of ``lesson_06_overfit`` (a
128-unit GRU on 300 reverse pairs, 30% with shuffled targets): the validation loss is lowest
early and then climbs while the training loss keeps falling (overfitting); 4 units underfit;
2000 pairs instead of 300 give a lower validation loss that does not climb; dropout plus L2
(``lesson_06_regularised``) stops the climb and keeps the training loss high; early stopping
ends the run 3 evaluations after its best and hands back the best weights.  Of
``lesson_06_depth`` (adding 4-digit numbers):
within 160 steps, extra layers did not help at equal width and cost at equal weights.
Every setting trains once per test process (``lesson_runs``, shared between claims: the
128-unit end of the capacity slider is the plain run of the bands and the full run early
stopping is checked against), its values and seeds spread over the worker processes by
``compare``.
"""
import statistics

import pytest

from lesson_runs import lesson_runs, lesson_seeds
from seq2seq_lab import diagnose, evaluate, preset
from seq2seq_lab.presets import (LESSON_06_EQUAL_WEIGHTS, LESSON_06_EQUAL_WIDTH,
                                 LESSON_06_HIDDEN, LESSON_06_MORE_DATA, LESSON_06_PATIENCE)
from seq2seq_lab.training import resolve_task

SEEDS = [0, 1, 2]
OVERFIT = preset("lesson_06_overfit", fast=False)


def smoothed_end(history, batches=10):
    return statistics.mean(history.train_loss[-batches:])


@pytest.fixture(scope="module")
def capacity():
    """The capacity slider's two ends, 3 seeds each: {units: [History per seed]}."""
    units = list(LESSON_06_HIDDEN.values())
    runs = lesson_runs("lesson_06_overfit", "rnn_num_hidden", units, seeds=SEEDS)
    return {width: [runs[(width, seed)] for seed in SEEDS] for width in units}


@pytest.fixture(scope="module")
def bands_runs():
    """The notebook's bands cell: ``train_seeds`` of both presets (a ``compare`` of each over
    the seeds, so the same runs as ``lesson_runs`` trains)."""
    return {label: lesson_seeds(name, SEEDS) for label, name in (("plain", "lesson_06_overfit"),
                                ("regularised", "lesson_06_regularised"))}


def test_big_model_overfits_validation_climbs_while_training_falls(capacity):
    for history in capacity[LESSON_06_HIDDEN["overfits"]]:
        assert history.num_parameters == 143_630
        best = history.best_index
        # lowest early (step 80 of 200 on every seed measured), then up by ~0.5
        assert 40 <= history.best_step <= 120
        assert 0.3 < history.val_loss[-1] - history.best_val_loss < 0.7   # "about half a unit"
        assert smoothed_end(history) < 0.3                     # training loss still falling low
        assert smoothed_end(history) < history.val_loss[best]
        assert diagnose(history).kind == "overfitting"


def test_tiny_model_underfits(capacity):
    for history in capacity[LESSON_06_HIDDEN["underfits"]]:
        assert history.num_parameters == 1_898
        assert diagnose(history).kind == "underfitting"
        assert 1.8 < min(history.val_loss) < 2.2 and 1.8 < smoothed_end(history) < 2.2  # near 2
        assert max(history.val_accuracy) < 0.25


def test_more_data_lowers_validation_loss_and_removes_the_climb(capacity):
    more = lesson_seeds("lesson_06_overfit", SEEDS, train_size=LESSON_06_MORE_DATA)
    small = capacity[LESSON_06_HIDDEN["overfits"]]
    for big, few in zip(more, small):
        assert big.steps == few.steps == 200                  # same run length, more data
        assert big.best_val_loss < few.best_val_loss - 0.2
        assert big.val_loss[-1] - big.best_val_loss < 0.1
        # the verdict: underfitting, with the training loss above the (clean) validation loss
        assert diagnose(big).kind == "underfitting"
        assert smoothed_end(big) > big.val_loss[-1]
    # "to about 0.9 from about 1.25"
    assert 0.8 < statistics.mean(h.best_val_loss for h in more) < 1.0
    assert 1.15 < statistics.mean(h.best_val_loss for h in small) < 1.35


def test_dropout_and_l2_stop_the_climb(bands_runs):
    plain, regularised = bands_runs["plain"], bands_runs["regularised"]
    for before, after in zip(plain, regularised):
        assert before.val_loss[-1] - before.best_val_loss > 0.3
        assert after.val_loss[-1] - after.best_val_loss < 0.1
        # about as good at its best (within 0.15), and no longer memorising: training loss
        # stays high, above the validation loss
        assert abs(after.best_val_loss - before.best_val_loss) < 0.15
        assert smoothed_end(after) > 1.2 > smoothed_end(before) + 0.5
        assert smoothed_end(after) > after.val_loss[-1]
        assert diagnose(after).kind == "underfitting"          # what the verdict then says
        # at the plain run's best step the regularised one is still well above it
        at = after.eval_steps.index(before.best_step)
        assert after.val_loss[at] > before.best_val_loss + 0.1
    # the bands do not overlap at the end: the highest regularised run ends below the lowest
    # plain one
    assert max(h.val_loss[-1] for h in regularised) < min(h.val_loss[-1] for h in plain) - 0.2


def test_early_stopping_stops_three_evaluations_after_the_best(capacity):
    plain = capacity[LESSON_06_HIDDEN["overfits"]]
    stopped = lesson_seeds("lesson_06_overfit", SEEDS, early_stopping_patience=LESSON_06_PATIENCE)
    every = OVERFIT.config.checkpoint_frequency_num_batches
    for full, early in zip(plain, stopped):
        assert early.stopped_early and early.steps < full.steps
        assert early.steps == early.best_step + LESSON_06_PATIENCE * every
        # the same run up to the stop: the same best step and loss
        assert early.best_step == full.best_step and early.best_val_loss == full.best_val_loss
        # the last evaluation, at the stop, is worse than the best ...
        assert early.val_loss[-1] > early.best_val_loss
        # ... but early stopping hands back the best weights: scored again, the model the run
        # returns has the best validation loss, not the last
        task = resolve_task(early.task, early.task_options)
        assert evaluate(early.model, task, early.config)["val_loss"] == \
            pytest.approx(early.best_val_loss, rel=1e-5)
    # the exercise's answer (the Lab trains seed 0)
    assert stopped[0].steps == 140


@pytest.fixture(scope="module")
def depth():
    """{(layers, units): [History per seed]} on lesson_06_depth, encoder and decoder alike."""
    shapes = sorted(set(LESSON_06_EQUAL_WIDTH.items()) | set(LESSON_06_EQUAL_WEIGHTS.items()))
    out = {}
    for layers in sorted({layers for layers, _ in shapes}):
        # one comparison per depth (its widths x seeds), so the pool keeps both cores busy
        widths = [units for l, units in shapes if l == layers]
        runs = lesson_runs("lesson_06_depth", "rnn_num_hidden", widths, seeds=SEEDS,
                           num_layers_encoder=layers, num_layers_decoder=layers)
        for units in widths:
            out[(layers, units)] = [runs[(units, seed)] for seed in SEEDS]
    return out


def mean_best(histories):
    return statistics.mean(h.best_val_loss for h in histories)


def test_depth_parameter_counts(depth):
    counts = {shape: runs[0].num_parameters for shape, runs in depth.items()}
    assert counts[(1, 64)] == 60_206 and counts[(2, 64)] == 114_286 and counts[(3, 64)] == 168_366
    assert counts[(1, 92)] == 114_470 and counts[(3, 52)] == 113_886


def test_depth_at_equal_width_did_not_help(depth):
    one = mean_best(depth[(1, 64)])
    for layers in (2, 3):
        assert mean_best(depth[(layers, 64)]) > one - 0.01
    # the means the lesson quotes: 1.57, 1.61, 1.63
    for layers, stated in ((1, 1.57), (2, 1.61), (3, 1.63)):
        assert abs(mean_best(depth[(layers, 64)]) - stated) < 0.03


def test_depth_at_equal_weights_cost_on_every_seed(depth):
    shapes = [(layers, units) for layers, units in LESSON_06_EQUAL_WEIGHTS.items()]
    for shallow, deep in zip(shapes, shapes[1:]):
        assert max(h.best_val_loss for h in depth[shallow]) < \
            min(h.best_val_loss for h in depth[deep])


def test_every_depth_run_is_still_underfitting(depth):
    for runs in depth.values():
        for history in runs:
            assert max(history.val_accuracy) < 0.5
            assert history.best_step >= 0.8 * history.steps   # still improving near the end
            assert diagnose(history).kind in ("underfitting", "too_slow")
