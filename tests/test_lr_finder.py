"""lr_find(): a seeded range test whose suggestion trains well, that stops once the loss has
blown up and leaves a model it was given exactly as it was."""
import math

import pytest
import torch

from seq2seq_lab import Seq2SeqConfig, compare, lr_find, make_task, preset
from seq2seq_lab.lr_finder import (smooth_losses, suggest_minimum, suggest_steep,
                                   suggest_valley, sweep_rates)
from seq2seq_lab.models import build_model
from seq2seq_lab.models import sequence_loss
from seq2seq_lab.training import make_optimizer

# Four points a decade apart.  Not 1e-4: in 96 batches its loss falls only a few per cent
# (the diagnose_too_slow preset), so it can never be the best and would only cost time.
GRID = [1e-3, 1e-2, 1e-1, 1.0]


def test_the_suggestion_trains_about_as_well_as_the_best_of_a_grid():
    """The suggestion of two sweeps (seeds 0 and 1), trained for the preset's 96 batches, ends
    within 20% of the best final validation loss of a four-point grid, on ``sort``.

    The first of the two tasks the claim is tested on is lesson 03's own: on ``reverse``,
    tests/test_lesson_03.py asserts more, that each seed's suggestion reaches a lower loss than
    every value of the same grid.  This one checks that the rule is not tuned to that task.

    At our scale one run's final loss swings by up to 50% between neighbouring rates (0.0066
    and 0.01 can swap places depending on when a run "gets" the task), so every rate is
    trained with three seeds and compared by its median: a single run would test the seed.
    """
    setting = preset("lr_find_sort", fast=False)
    results = [lr_find(setting.config, task=setting.task, task_options=setting.task_options,
                       seed=seed) for seed in (0, 1)]
    for result in results:
        assert isinstance(result.suggestion, float) and result.rule == "minimum"
        assert result.suggestion == result.suggestions["minimum"]
    suggested = sorted({result.suggestion for result in results})
    rates = GRID + suggested
    histories = compare(setting.config, {"learning_rate": rates, "seed": [0, 1, 2]},
                        task=setting.task, task_options=setting.task_options)
    finals = [history.final("val_loss") if not history.diverged else math.inf
              for history in histories]                      # rate-major: 3 seeds per rate
    median = [sorted(finals[3 * i:3 * i + 3])[1] for i in range(len(rates))]
    best_of_grid = min(median[:len(GRID)])
    for rate, value in zip(suggested, median[len(GRID):]):
        assert value <= 1.2 * best_of_grid, (rate, dict(zip(rates, median)))


def test_the_sweep_stops_once_the_loss_has_blown_up():
    config = Seq2SeqConfig()
    task_options = dict(train_size=640, val_size=50, test_size=0)
    result = lr_find(config, task_options=task_options, num=100, end=10.0)
    assert result.stopped_early and result.steps < 100
    assert result.smoothed[-1] > 4 * min(result.smoothed)
    assert result.lrs == pytest.approx(sweep_rates(1e-5, 10.0, 100)[:result.steps])
    assert result.smoothed == pytest.approx(smooth_losses(result.losses, result.beta))
    # A sweep that stays at small rates never blows up and runs to the end.
    calm = lr_find(config, task_options=task_options, num=30, end=1e-3)
    assert not calm.stopped_early and calm.steps == 30
    # Seeded: the same call gives the same curve.
    again = lr_find(config, task_options=task_options, num=100, end=10.0)
    assert again.losses == result.losses and again.suggestion == result.suggestion


def test_a_model_and_optimizer_passed_in_are_restored():
    config = Seq2SeqConfig()
    task = make_task("reverse", train_size=320, val_size=50, test_size=0)
    torch.manual_seed(0)
    model = build_model(config, len(task.source_vocab), len(task.target_vocab))
    optimizer = make_optimizer(model, config)
    batch = next(task.batches("train", 64))  # one real step, so Adam has state to keep
    logits, _ = model(batch.source, batch.source_lengths, batch.target_in)
    sequence_loss(logits, batch.target_out).backward()
    optimizer.step()
    weights = {k: v.clone() for k, v in model.state_dict().items()}
    state = {k: {n: t.clone() if torch.is_tensor(t) else t for n, t in v.items()}
             for k, v in optimizer.state_dict()["state"].items()}
    lr_find(config, task=task, model=model, optimizer=optimizer, num=40)
    for name, value in model.state_dict().items():
        assert torch.equal(value, weights[name]), name
    after = optimizer.state_dict()["state"]
    assert after.keys() == state.keys()
    for key, entries in state.items():
        for name, value in entries.items():
            assert torch.equal(torch.as_tensor(after[key][name]), torch.as_tensor(value))
    assert model.training


def test_rules_read_a_made_up_curve():
    rates = sweep_rates(1e-4, 1.0, 9)            # 1e-4 ... 1, half a decade apart
    losses = [2.5, 2.5, 2.4, 2.0, 1.4, 0.9, 0.8, 1.6, 9.0]
    assert suggest_minimum(rates, losses) == pytest.approx(rates[6] / 10)
    assert suggest_steep(rates, losses) == pytest.approx(rates[3])   # 2.0 -> 1.4 is steepest
    assert rates[2] <= suggest_valley(rates, losses) <= rates[5]
    assert all(isinstance(rule(rates, losses), float)
               for rule in (suggest_minimum, suggest_steep, suggest_valley))
