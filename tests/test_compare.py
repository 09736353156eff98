"""compare(): the settings of ``vary`` (hyperparameters, task options, seeds), each trained by
train() itself, so every History equals its lone run number for number, whatever differs
between the settings (cell, width, attention, sequence length, ...)."""
import threading

import pytest
import torch

from seq2seq_lab import ConfigError, Seq2SeqConfig, compare, make_task, train
from seq2seq_lab.compare import TASK_OPTIONS, settings_of

# A small task keeps each run well under a second; 16 batches with an evaluation every 8.
OPTIONS = dict(train_size=320, val_size=100, test_size=0)
BASE = Seq2SeqConfig(batch_size=32, max_num_batches=16, checkpoint_frequency_num_batches=8)


def lone(history, device=None):
    """The lone train() of a compared run's setting, on the device it trained on."""
    device = device or history.device
    return train(history.config, task=history.task, seed=history.seed,
                 task_options=history.task_options, device=device, label=history.label)


def test_settings_are_the_cartesian_product_in_order_with_labels():
    settings = settings_of(BASE, {"learning_rate": [0.1, 0.01], "seed": [3, 4]}, seed=0)
    assert [(s.config.learning_rate, s.seed) for s in settings] == [
        (0.1, 3), (0.1, 4), (0.01, 3), (0.01, 4)]
    assert settings[0].label == "learning_rate=0.1, seed=3"
    only = settings_of(BASE, {}, seed=5)[0]
    assert (only.seed, only.label, only.config) == (5, "defaults", BASE)
    # Task options are settings too, next to the options every run shares.
    settings = settings_of(BASE, {"seq_len": [6, 12], "rnn_cell_type": ["rnn", "lstm"]},
                           task_options={"train_size": 300})
    assert [(s.task_options, s.config.rnn_cell_type) for s in settings][:2] == [
        ({"train_size": 300, "seq_len": 6}, "rnn"), ({"train_size": 300, "seq_len": 6}, "lstm")]
    assert settings[3].label == "seq_len=12, rnn_cell_type=lstm"
    assert {"seq_len", "train_size", "noise"} <= set(TASK_OPTIONS) and "seed" not in TASK_OPTIONS


def test_bad_vary_keys_and_values_get_clear_messages():
    with pytest.raises(ConfigError, match="did you mean learning_rate"):
        compare(BASE, {"lerning_rate": [0.1]})
    with pytest.raises(ValueError, match="must be a list of values"):
        compare(BASE, {"learning_rate": 0.1})
    with pytest.raises(ValueError, match="either seeds"):
        compare(BASE, {"seed": [0]}, seeds=[1])
    with pytest.raises(ValueError, match="only for a task given by name"):
        compare(BASE, {"seq_len": [5, 6]}, task=make_task("reverse", **OPTIONS))


def test_settings_of_different_shapes_and_data_equal_their_lone_runs_in_workers():
    # Width, cell, attention, depth, state init, dropout and the data itself differ between
    # the four; each trains in a worker process and comes back equal to its lone run.
    vary = {"rnn_cell_type": ["lstm", "rnn"], "seq_len": [5, 9]}
    config = BASE.replace(rnn_num_hidden=32, num_layers_encoder=2, num_layers_decoder=2,
                          rnn_attention_type="fixed", rnn_decoder_state_init="avg",
                          embed_dropout_target=0.2)
    histories = compare(config, vary, task="reverse", task_options=OPTIONS, seed=3,
                        workers=2, device="cpu")
    assert [h.label for h in histories] == [
        "rnn_cell_type=lstm, seq_len=5", "rnn_cell_type=lstm, seq_len=9",
        "rnn_cell_type=rnn, seq_len=5", "rnn_cell_type=rnn, seq_len=9"]
    for history in histories:
        assert history.task_options["seq_len"] in (5, 9) and history.seed == 3
        assert history.same_run(lone(history)), history.label
        assert history.steps == 16 and len(history.attention) == 2 and len(history.grad_norm) == 16


def test_seeds_and_a_diverging_run_in_process_equal_lone_runs():
    histories = compare(BASE, {"learning_rate": [3e-3, 1.0]}, seeds=[0, 1], task="reverse",
                        task_options=OPTIONS, workers=0)
    assert [(h.config.learning_rate, h.seed) for h in histories] == [
        (3e-3, 0), (3e-3, 1), (1.0, 0), (1.0, 1)]
    assert [h.diverged for h in histories] == [False, False, True, True]
    for history in histories:
        assert history.same_run(lone(history))


@pytest.mark.parametrize("workers", [0, 2], ids=["in-process", "worker-processes"])
def test_callbacks_see_every_run_and_stop_stops_all(workers):
    stop, seen = threading.Event(), []

    class Recorder:
        def on_batch_end(self, history):
            seen.append((history.label, history.steps))
            if len(seen) >= 3:
                stop.set()

        def on_run_end(self, history):
            seen.append((history.label, "end"))

    histories = compare(BASE.replace(max_num_batches=400), {"learning_rate": [1e-3, 3e-3, 1e-2]},
                        task="reverse", task_options=OPTIONS, callbacks=[Recorder()],
                        stop_event=stop, workers=workers, device="cpu")
    assert len(histories) == 3 and all(h.stopped_by_user for h in histories)
    assert all(h.steps < 400 for h in histories)
    started = [h for h in histories if h.steps]
    # Every run that started reported its batches in order and its end.
    for history in started:
        steps = [step for label, step in seen if label == history.label]
        assert steps == list(range(1, history.steps + 1)) + ["end"]
    # Runs never handed out (Stop came first) are empty, labelled, and marked stopped.
    for history in histories:
        if not history.steps:
            assert history.label and history.config.learning_rate in (1e-3, 3e-3, 1e-2)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_compare_on_cuda_equals_lone_runs_there():
    # On a GPU the runs train one after another in this process (no workers there).
    config = BASE.replace(clip_gradient=0.5)
    histories = compare(config, {"seed": [0, 1], "seq_len": [5, 8]}, task="reverse",
                        task_options=OPTIONS, device="cuda")
    for history in histories:
        assert history.device.startswith("cuda")
        assert history.same_run(lone(history, device="cuda"))
