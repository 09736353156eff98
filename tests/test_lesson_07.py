"""Lesson 07's claims, trained with the lesson's own presets over seeds 0, 1 and 2.

The notebook (notebooks/07_rnn_gru_lstm.ipynb) says, on ``recall`` with attention off:
at length 10 the GRU learns, the vanilla RNN gets part of the way, the LSTM stays at
guessing; the vanilla RNN's gradient norm jumps above the clipping threshold while the LSTM's
stays the smallest; the vanilla RNN remembers at length 5 and less the longer the delay;
a forget-gate bias of 2 rescues the LSTM, 0 does not, 1 depends on the seed; at
initialisation the gates shrink the gradient reaching the first position more than the
vanilla cell does, after the run the GRU's is flat and the LSTM's (bias 0) has not recovered;
and the cells' parameter counts.  Each is asserted here on the same presets and values.

Every setting trains once per test process (``lesson_runs``, shared between claims), its
values and seeds spread over the worker processes by ``compare``.
"""
import functools
import math

import pytest

from lesson_runs import SEEDS, lesson_runs
from seq2seq_lab import preset
from seq2seq_lab.gradients import gradient_flows
from seq2seq_lab.presets import LESSON_07_CELLS, LESSON_07_FORGET_BIASES, LESSON_07_LENGTHS

GUESSING = 0.25 + 0.75 * 0.1    # the end token right, each of the 3 digits 1 in 10


runs = lesson_runs   # {(value, seed): History} of a preset at each value of a setting


def cells():
    return runs("lesson_07_recall", "rnn_cell_type", LESSON_07_CELLS)


def final(history):
    return history.val_accuracy[-1]


# ---- the cells at length 10 ---------------------------------------------------------------
def test_the_lesson_turns_attention_off_and_asks_for_the_first_of_ten():
    for name in ("lesson_07_recall", "lesson_07_delay", "lesson_07_lstm"):
        chosen = preset(name, fast=False)
        assert chosen.task == "recall" and chosen.config.rnn_attention_type == "none"
        assert chosen.task_options["seq_len"] == 10 and chosen.config.max_num_batches == 400


@pytest.mark.parametrize("seed", SEEDS)
def test_gru_learns_rnn_gets_part_way_lstm_stays_at_guessing(seed):
    rnn, gru, lstm = (cells()[(cell, seed)] for cell in LESSON_07_CELLS)
    assert all(h.steps == 400 and not h.diverged for h in (rnn, gru, lstm))
    assert final(gru) >= 0.95
    assert 0.4 <= final(rnn) <= 0.75
    assert abs(final(lstm) - GUESSING) < 0.03 and max(lstm.val_accuracy) < 0.37
    # ... and its loss is that of guessing the digits: 0.75 x ln 10 = 1.73
    assert abs(lstm.val_loss[-1] - 0.75 * math.log(10)) < 0.03
    # The vanilla RNN rises first: ahead of both gated cells at step 80.
    at_80 = {cell: h.val_accuracy[h.eval_steps.index(80)] for cell, h in
             zip(LESSON_07_CELLS, (rnn, gru, lstm))}
    assert at_80["rnn"] > max(at_80["gru"], at_80["lstm"])


@pytest.mark.parametrize("seed", SEEDS)
def test_rnn_gradient_norm_jumps_above_the_clip_and_lstm_stays_smallest(seed):
    rnn, gru, lstm = (cells()[(cell, seed)] for cell in LESSON_07_CELLS)
    clip = rnn.config.clip_gradient
    assert max(rnn.grad_norm) > 3 * clip and rnn.clipped_fraction > 0.05
    assert max(lstm.grad_norm) < clip and not any(lstm.clipped)
    assert max(lstm.grad_norm) < max(gru.grad_norm) < max(rnn.grad_norm)


def test_parameter_counts_lstm_most_rnn_fewest():
    counts = {cell: cells()[(cell, 0)].num_parameters for cell in LESSON_07_CELLS}
    # The lesson says ~19k, ~44k and ~60k: a gate is a copy of the vanilla cell's weights.
    assert 17_000 < counts["rnn"] < 20_000
    assert 42_000 < counts["gru"] < 46_000
    assert 58_000 < counts["lstm"] < 62_000


# ---- the delay: the vanilla RNN over seq_len ------------------------------------------------
@pytest.mark.parametrize("seed", SEEDS)
def test_vanilla_rnn_remembers_at_five_and_less_the_longer_the_delay(seed):
    lengths = runs("lesson_07_delay", "seq_len", LESSON_07_LENGTHS)
    short, middle, long = (lengths[(length, seed)] for length in LESSON_07_LENGTHS)
    assert final(short) >= 0.95
    assert max(a for step, a in zip(short.eval_steps, short.val_accuracy) if step <= 112) >= 0.95
    assert final(middle) < 0.75 and final(long) < final(middle)


# ---- the forget-gate bias ---------------------------------------------------------------------
@pytest.mark.parametrize("seed", SEEDS)
def test_forget_bias_two_rescues_the_lstm_zero_does_not(seed):
    biases = runs("lesson_07_lstm", "lstm_forget_bias", LESSON_07_FORGET_BIASES)
    assert abs(final(biases[(0.0, seed)]) - GUESSING) < 0.03
    assert final(biases[(2.0, seed)]) >= 0.95
    assert final(biases[(0.0, seed)]) < final(biases[(1.0, seed)]) < final(biases[(2.0, seed)])


def test_forget_bias_one_depends_on_the_seed():
    biases = runs("lesson_07_lstm", "lstm_forget_bias", LESSON_07_FORGET_BIASES)
    ones = [final(biases[(1.0, seed)]) for seed in SEEDS]
    assert max(ones) - min(ones) > 0.2


# ---- gradient flow: |dL/dh_t| at the first position against the last --------------------------
def drop(flow):
    """How many times less gradient the first source position gets than the last."""
    return flow[-1] / flow[0]


@functools.cache
def flows():
    """{(cell, seed): {0: flow at initialisation, 400: flow after the run}}."""
    histories = [cells()[(cell, seed)] for cell in LESSON_07_CELLS for seed in SEEDS]
    return {(h.config.rnn_cell_type, h.seed): measured
            for h, (_, measured) in zip(histories, gradient_flows(histories))}


@pytest.mark.parametrize("seed", SEEDS)
def test_at_initialisation_the_gates_shrink_the_gradient_more_than_the_vanilla_cell(seed):
    rnn, gru, lstm = (drop(flows()[(cell, seed)][0]) for cell in LESSON_07_CELLS)
    assert 2 < rnn < 20 and 50 < gru < 300 and 250 < lstm < 1500
    assert rnn < gru < lstm


@pytest.mark.parametrize("seed", SEEDS)
def test_after_the_run_gru_is_flat_lstm_still_vanishes_rnn_reaches_the_start(seed):
    rnn, gru, lstm = (drop(flows()[(cell, seed)][400]) for cell in LESSON_07_CELLS)
    assert 0.5 < gru < 2
    assert lstm > 300 and lstm > drop(flows()[("lstm", seed)][0])   # worse than at the start
    assert rnn < 0.5   # the first positions get more than the last


@pytest.mark.parametrize("seed", SEEDS)
def test_forget_bias_two_keeps_the_gradient_path_open(seed):
    biases = runs("lesson_07_lstm", "lstm_forget_bias", LESSON_07_FORGET_BIASES)
    (_, measured), = gradient_flows([biases[(2.0, seed)]])
    assert drop(measured[0]) < 20
    assert 0.5 < drop(measured[400]) < 2


@pytest.mark.parametrize("seed", SEEDS)
def test_with_attention_every_cell_reaches_all_of_it(seed):
    """The bridge to lesson 08: the default mlp attention looks the answer up."""
    with_attention = _attention_runs()
    for cell in LESSON_07_CELLS:
        assert final(with_attention[(cell, seed)]) >= 0.99


def _attention_runs():
    return runs("lesson_07_recall", "rnn_cell_type", LESSON_07_CELLS,
                rnn_attention_type="mlp", max_num_batches=160)
