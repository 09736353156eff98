import math

import pytest

from seq2seq_lab import Seq2SeqConfig, learning_rate_at
from seq2seq_lab.schedules import schedule_curve


def rate(step, total=100, **kw):
    return learning_rate_at(step, Seq2SeqConfig(learning_rate=0.1, **kw), total)


def test_constant():
    assert rate(0) == rate(57) == 0.1


def test_step_is_a_staircase():
    kw = dict(lr_scheduler_type="step", lr_step_size=10, lr_decay_factor=0.5)
    assert rate(9, **kw) == 0.1 and rate(10, **kw) == 0.05 and rate(25, **kw) == 0.025


def test_exponential_is_smooth():
    kw = dict(lr_scheduler_type="exponential", lr_step_size=10, lr_decay_factor=0.5)
    assert rate(5, **kw) == pytest.approx(0.1 * 0.5 ** 0.5) and rate(20, **kw) == pytest.approx(0.025)


def test_cosine_goes_from_peak_to_floor():
    kw = dict(lr_scheduler_type="cosine", lr_min_ratio=0.01)
    assert rate(0, **kw) == pytest.approx(0.1)
    assert rate(99, **kw) == pytest.approx(0.001)
    assert rate(49.5, **kw) == pytest.approx((0.1 + 0.001) / 2)


def test_one_cycle_rises_then_falls_far_below_start():
    curve = schedule_curve(Seq2SeqConfig(learning_rate=0.1, lr_scheduler_type="one_cycle"), 101)
    peak = max(range(101), key=curve.__getitem__)
    assert peak == 25 and curve[peak] == pytest.approx(0.1)
    assert curve[0] == pytest.approx(0.1 / 25)
    assert curve[-1] < curve[0] / 10
    assert all(a <= b for a, b in zip(curve[:peak], curve[1:peak + 1]))
    assert all(a >= b for a, b in zip(curve[peak:], curve[peak + 1:]))


def test_warmup_ramps_linearly_then_schedule_applies():
    kw = dict(lr_warmup_steps=10, lr_scheduler_type="cosine")
    assert rate(0, **kw) == pytest.approx(0.1 * 0.1 * rate(0, lr_scheduler_type="cosine") / 0.1)
    assert rate(4, **kw) == pytest.approx(0.5 * rate(4, lr_scheduler_type="cosine"))
    assert rate(10, **kw) == pytest.approx(rate(10, lr_scheduler_type="cosine"))


def test_plateau_reduce_is_constant_here():  # the trainer applies the plateau multiplier
    assert rate(80, lr_scheduler_type="plateau_reduce") == 0.1
    assert all(math.isfinite(r) for r in schedule_curve(Seq2SeqConfig(), 5))
