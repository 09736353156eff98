"""Lesson 03's claims, on the lesson's own preset over seeds 0, 1 and 2.

The notebook (notebooks/03_lr_range_test.ipynb) runs ``lr_find`` on ``lesson_03_range`` (the
default run) and says of its curve: the smoothed loss starts near 2.6, stays flat while the
rate is below 0.001, falls to its lowest near 0.07, then blows up and the sweep stops before
it reaches 10; each step multiplies the rate by 1.15; the suggestion is a tenth of the lowest
point's rate, 0.0066-0.0087.  Of its Compare (the suggestion and the grid 0.001, 0.01, 0.1,
1, 160 steps): the suggestion reaches the lowest validation loss of the five (its ring), 0.01
comes next and also learns, 0.001 stays more than ten times higher, 0.1 stalls, 1 diverges at once.

That the suggestion ends within 20% of the best grid value's final validation loss, on two
tasks and as a median over seeds, is tests/test_lr_finder.py's claim; here each seed trains at
its own sweep's suggestion, as a learner who reruns the test with another seed would.
"""
import math

import pytest

from lesson_runs import SEEDS, lesson_runs
from seq2seq_lab import lr_find, preset
from seq2seq_lab.config import format_value
from seq2seq_lab.lr_finder import range_test_figure, sweep_rates
from seq2seq_lab.presets import LESSON_03_GRID

NAME = "lesson_03_range"
LESSON = preset(NAME, fast=False)
_sweeps: dict = {}


def sweep(seed):
    """The notebook's one call, ``lr_find(**preset(...).train_kwargs())``, at ``seed``."""
    if seed not in _sweeps:
        _sweeps[seed] = lr_find(**LESSON.train_kwargs(), seed=seed)
    return _sweeps[seed]


def as_typed(rate):
    """The rate as the Compare trains it: its values box shows, and reads back, format_value."""
    return float(format_value(rate))


def lowest(result):
    return min(range(len(result.smoothed)), key=result.smoothed.__getitem__)


@pytest.mark.parametrize("seed", SEEDS)
def test_the_sweep_is_flat_then_falls_then_blows_up(seed):
    result = sweep(seed)
    smoothed, lrs = result.smoothed, result.lrs
    start = smoothed[0]
    # "starts at about 2.64, a uniform guess over the 14 output tokens (ln 14)"
    assert len(preset(NAME).task_options) == 0 and abs(start - math.log(14)) < 0.05
    # flat: below 0.001 the smoothed loss stays within 5% of its start
    assert all(value > 0.95 * start for rate, value in zip(lrs, smoothed) if rate <= 1e-3)
    # falls to its lowest between 0.03 and 0.2 ("near 0.07"), well below the start
    best = lowest(result)
    assert 0.03 < lrs[best] < 0.2 and smoothed[best] < 0.75 * start
    # blows up: stopped at 4x the best smoothed loss, before the rate reached 10
    assert result.stopped_early and result.steps < 100 and 2 < lrs[-1] < 4   # "about 3"
    assert smoothed[-1] > 4 * smoothed[best]


@pytest.mark.parametrize("seed", SEEDS)
def test_where_the_compares_rates_sit_on_the_curve(seed):
    result = sweep(seed)
    smoothed, lrs, start = result.smoothed, result.lrs, result.smoothed[0]
    best_rate = lrs[lowest(result)]

    def at(rate):   # the smoothed loss at the sweep's last rate not above ``rate``
        return smoothed[max(i for i, r in enumerate(lrs) if r <= rate)]

    assert at(1e-3) > 0.95 * start                             # 0.001: on the flat start
    for rate in (result.suggestion, 1e-2):                     # on the falling part
        assert at(rate) < 0.95 * start and rate < best_rate
    assert best_rate < 0.1 < 1.0 < lrs[-1]                     # 0.1 past the lowest; 1 in the blow-up
    assert at(1.0) > 1.5 * smoothed[lowest(result)]


@pytest.mark.parametrize("seed", SEEDS)
def test_the_suggestion_is_a_tenth_of_the_lowest_points_rate(seed):
    result = sweep(seed)
    assert result.suggestion == pytest.approx(result.lrs[lowest(result)] / 10)
    assert 0.005 < result.suggestion < 0.01                    # "0.0066-0.0087"


def test_the_exercises_answers():
    # exercise 1: seed 0's lowest point, read off the curve: about 0.066 (the answer, 30%)
    assert sweep(0).lrs[lowest(sweep(0))] == pytest.approx(0.066, rel=0.05)
    # exercise 2: the factor per step, ours (100 steps) and the tuning guide's (500 steps)
    assert sweep(0).lrs[1] / sweep(0).lrs[0] == pytest.approx(1.15, abs=0.005)
    assert math.exp(math.log(1e6) / 500) == pytest.approx(1.028, abs=0.001)
    rates = sweep_rates(1e-5, 10.0, 500)
    assert rates[1] / rates[0] == pytest.approx(1.028, abs=0.001)


@pytest.mark.parametrize("seed", SEEDS)
def test_the_suggestion_beats_the_grid_and_each_grid_value_does_what_the_lesson_says(seed):
    suggested = as_typed(sweep(seed).suggestion)
    mine = lesson_runs(NAME, "learning_rate", [suggested], seeds=(seed,))[(suggested, seed)]
    grid = lesson_runs(NAME, "learning_rate", LESSON_03_GRID)
    grid = {rate: grid[(rate, seed)] for rate in LESSON_03_GRID}
    assert mine.steps == 160 and not mine.diverged
    # the suggestion's ring is the lowest of the five, and it learns the task
    learned = [h.best_val_loss for h in grid.values() if not h.diverged]
    assert mine.best_val_loss <= min(learned)
    assert max(mine.val_accuracy) >= 0.95
    # 0.01 comes next: it learns too, within a small loss of the suggestion
    assert min(learned) == grid[1e-2].best_val_loss
    assert max(grid[1e-2].val_accuracy) >= 0.9 and grid[1e-2].best_val_loss < 0.1
    # 0.001 is slow: at its best still more than ten times the suggestion's loss
    assert grid[1e-3].best_val_loss > 10 * mine.best_val_loss
    assert grid[1e-3].best_val_loss > 2 * grid[1e-2].best_val_loss
    # 0.1 stalls high without blowing up; 1 diverges within a few steps
    assert not grid[0.1].diverged and min(grid[0.1].val_loss) > 1.0
    assert grid[1.0].diverged and grid[1.0].diverged_step <= 5


def test_range_test_figure_draws_the_sweep_and_a_note_without_one():
    picture = range_test_figure(sweep(0))
    assert picture.data[:8] == b"\x89PNG\r\n\x1a\n"
    assert range_test_figure(None).data[:8] == b"\x89PNG\r\n\x1a\n"
