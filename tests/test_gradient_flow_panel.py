"""The gradient-flow panel (``panels.draw_gradient_flow``) drawn from real measurements, and
the lesson-07 helpers in ``gradients.py`` that measure finished runs and draw them
(``gradient_flows``, ``gradient_flow_compare``, ``gradient_flow_figure``).

Runs are tiny (recall of length 6, 320 training examples, 10 steps), trained once per module.
"""
from __future__ import annotations

import functools
import io

import numpy as np
import pytest
from matplotlib.figure import Figure
from PIL import Image

from seq2seq_lab import Seq2SeqConfig, compare
from seq2seq_lab.gradients import (gradient_flow, gradient_flow_during, gradient_flow_figure,
                                   gradient_flows, initial_gradient_flow)
from seq2seq_lab.panels import GREY, draw_gradient_flow
from seq2seq_lab.training import resolve_task

OPTIONS = {"seq_len": 6, "train_size": 320, "val_size": 64, "test_size": 10}
SMALL = Seq2SeqConfig(rnn_attention_type="none", max_num_epochs=2,
                      checkpoint_frequency_num_batches=5)


@functools.cache
def runs():
    """One finished run per cell (compare: the trained models come back with the Histories)."""
    return compare(SMALL, vary={"rnn_cell_type": ["rnn", "lstm"]}, task="recall",
                   task_options=OPTIONS, workers=0)


def axes():
    return Figure(figsize=(6, 4), dpi=80).add_subplot()


def test_gradient_flows_of_runs_equal_gradient_flow_during_the_same_runs():
    measured = gradient_flows(runs())
    assert [label for label, _ in measured] == ["rnn_cell_type=rnn", "rnn_cell_type=lstm"]
    for history, (_, flows) in zip(runs(), measured):
        assert sorted(flows) == [0, history.steps] and history.steps == 10
        assert len(flows[0]) == OPTIONS["seq_len"]
        during = gradient_flow_during(history.config, "recall", seed=history.seed,
                                      at_steps=(0, history.steps), task_options=OPTIONS)
        # Equal on a CPU; on a GPU cuDNN's backward sums in no fixed order, so two runs of one
        # seed drift by ~1e-5 of a norm after 10 steps (seen on an H200): rtol 1e-3 allows that.
        assert np.allclose(flows[0], during[0], rtol=1e-3)
        assert np.allclose(flows[10], during[10], rtol=1e-3)


def test_panel_draws_each_run_relative_to_its_last_position_on_a_log_axis():
    measured = dict(gradient_flows(runs()))
    at_start = {label: flows[0] for label, flows in measured.items()}
    ax = axes()
    draw_gradient_flow(ax, at_start, title="at initialisation", theme="notebook", language="en")
    assert ax.get_yscale() == "log" and ax.get_title() == "at initialisation"
    assert ax.get_xlabel().startswith("source position")
    for label, values in at_start.items():
        line = next(line for line in ax.lines if line.get_label() == label)
        assert list(line.get_xdata()) == list(range(1, len(values) + 1))
        assert np.allclose(line.get_ydata(), np.asarray(values) / values[-1])
        low, high = ax.get_ylim()
        assert low <= min(line.get_ydata()) and max(line.get_ydata()) <= high
    # the line at 1: "as much as the last position"
    assert any(line.get_color() == GREY and list(line.get_ydata()) == [1, 1] for line in ax.lines)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == list(at_start)


def test_panel_raw_values_korean_labels_and_empty():
    history = runs()[0]
    task = resolve_task("recall", OPTIONS)
    values = gradient_flow(history.model, task)
    ax = axes()
    draw_gradient_flow(ax, [("rnn", values)], relative=False, theme="projector", language="ko")
    assert np.allclose(ax.lines[0].get_ydata(), values)
    assert ax.get_xlabel().startswith("입력 위치") and "로그" in ax.get_ylabel()
    empty = axes()
    draw_gradient_flow(empty, {}, language="en")
    assert [t.get_text() for t in empty.texts] == ["No gradient measured yet."]


def test_initial_gradient_flow_is_the_runs_step_zero():
    history = runs()[1]
    task = resolve_task("recall", OPTIONS)
    during = gradient_flow_during(history.config, task, seed=0, at_steps=(0,))
    assert np.allclose(initial_gradient_flow(history.config, task, 0), during[0])


def test_figure_has_one_panel_per_moment_as_a_png():
    image = gradient_flow_figure(gradient_flows(runs()), theme="notebook", language="en")
    picture = Image.open(io.BytesIO(image.data))
    assert picture.format == "PNG" and picture.width > 600 and picture.height > 200
