"""plots.py: the smoothing every figure draws over the per-batch training loss."""
from __future__ import annotations

import statistics

from seq2seq_lab import Seq2SeqConfig, train
from seq2seq_lab.plots import centered_average


def test_smoothed_loss_ends_without_a_hook_on_a_real_run():
    # Seed 0 of the default run ends on a batch (0.009) well below its neighbours: the old
    # window, which shrank to that one batch at the last step, drew a hook down to it.
    raw = train(Seq2SeqConfig(), task="reverse", seed=0).train_loss
    smooth = centered_average(raw)
    assert len(smooth) == len(raw)
    half = max(2, round(0.02 * len(raw)))
    last_window = raw[-(2 * half + 1):]
    mean = statistics.fmean(last_window)
    noise = statistics.stdev(last_window) / len(last_window) ** 0.5   # the mean's standard error
    assert smooth[-1] >= mean - noise, (smooth[-1], mean, noise, raw[-5:])
    # The run really ends on a low batch; if training changes and it no longer does, pick a
    # seed whose last batch is low again, or this test tests nothing.
    assert raw[-1] < mean - noise


def test_every_smoothed_point_averages_a_full_window_even_at_the_ends():
    values = [float(v) for v in range(1, 101)]           # half = 2: windows of 5 steps
    smooth = centered_average(values)
    assert smooth[0] == smooth[2] == statistics.fmean(values[:5])
    assert smooth[-1] == smooth[-3] == statistics.fmean(values[-5:])
    assert smooth[50] == values[50]                      # centred inside: no lag on a line
    assert centered_average([3.0, 1.0]) == [3.0, 1.0]    # too short to smooth
