"""Lesson 00's claims, trained with the lesson's own settings over several seeds.

The notebook (notebooks/00_parameters_vs_hyperparameters.ipynb) says: training moves the
weights (every tracked weight, and the spread of all of them grows) while the config stays as
set; doubling rnn_num_hidden multiplies the parameters by 2.6-3.7, not 4; and, one
hyperparameter changed at a time, SGD, both learning rates and both batch sizes move the best
validation loss beyond the seeds' range, the two layer counts do not, and two fields SageMaker
does not name (rnn_num_hidden, rnn_cell_type) do.
"""
import functools

import pytest

from lesson_runs import SEEDS, lesson_run
from seq2seq_lab import preset
from seq2seq_lab.models import parameter_counts
from seq2seq_lab.presets import LESSON_00_AROUND, LESSON_00_HIDDEN_SIZES
from seq2seq_lab.sensitivity import SAGEMAKER_MOST, effects, sensitivity


@pytest.mark.parametrize("seed", SEEDS)
def test_training_moves_the_weights_not_the_hyperparameters(seed):
    history = lesson_run("default", seed)
    assert history.config == preset("default", fast=False).config
    start, end = history.weights_start, history.weights[-1]
    assert all(abs(a - b) > 1e-3 for a, b in zip(start["values"], end["values"]))
    def reach(counts):   # the farthest bin edge from 0 that holds any weight
        width = 2 * start["range"] / len(counts)
        return max(max(abs(-start["range"] + i * width), abs(-start["range"] + (i + 1) * width))
                   for i, count in enumerate(counts) if count)
    # "before training every weight lies within about +-0.3; by step 160 the tails reach past 0.4"
    assert reach(start["counts"]) <= 0.321 and reach(end["counts"]) > 0.4


def test_doubling_the_units_multiplies_the_weights_by_less_than_four():
    rows = parameter_counts("rnn_num_hidden", LESSON_00_HIDDEN_SIZES)
    factors = [row["factor"] for row in rows[1:]]
    assert all(2.6 < f < 3.8 for f in factors), factors
    assert factors == sorted(factors)   # nearer 4 as the squared matrices take over


@functools.cache
def changes():
    runs = sensitivity("lesson_00_sensitivity", LESSON_00_AROUND, seeds=SEEDS, fast=False)
    base, changed = effects(runs)
    assert base.seeds == len(SEEDS) and all(e.seeds == len(SEEDS) for e in changed)
    return base, {(e.field, e.value): e for e in changed}


def test_learning_rate_optimizer_and_batch_size_move_the_loss_beyond_the_seeds():
    base, changed = changes()
    for key in [("learning_rate", "0.0003"), ("learning_rate", "0.03"),
                ("optimizer_type", "sgd"), ("batch_size", "16"), ("batch_size", "128")]:
        assert changed[key].clear_of(base), key
    assert changed[("optimizer_type", "sgd")].mean > 2.0          # SGD at 3e-3 barely learns
    assert changed[("batch_size", "16")].mean < 0.5 * base.mean    # twice the steps
    assert changed[("batch_size", "128")].mean > 2 * base.mean     # a quarter of the steps


def test_a_second_layer_stays_within_the_seeds_range():
    base, changed = changes()
    for key in [("num_layers_encoder", "2"), ("num_layers_decoder", "2")]:
        assert not changed[key].clear_of(base), key


def test_fields_sagemaker_does_not_name_matter_too():
    base, changed = changes()
    assert "rnn_num_hidden" not in SAGEMAKER_MOST and "rnn_cell_type" not in SAGEMAKER_MOST
    assert changed[("rnn_num_hidden", "16")].clear_of(base)
    assert changed[("rnn_cell_type", "lstm")].clear_of(base)
