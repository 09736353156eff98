"""compare(): every setting's History equals a lone train() of it; groups train as one
batched model (ensemble.py); settings that cannot share a model still work."""
import math
import threading

import pytest
import torch

from seq2seq_lab import Seq2SeqConfig, compare, make_task, train
from seq2seq_lab.compare import settings_of, share_key
from seq2seq_lab.ensemble import Ensemble, _fill, evaluate_together, member_losses
from seq2seq_lab.models import build_model
from seq2seq_lab.training import evaluate, sequence_loss

# A small task keeps each run well under a second; 24 batches with an evaluation every 8.
OPTIONS = dict(train_size=320, val_size=100, test_size=0)
BASE = Seq2SeqConfig(batch_size=32, max_num_batches=24, checkpoint_frequency_num_batches=8)


def assert_same_run(ours, alone, rtol=1e-4):
    """Equal within float rounding: batched bmm sums in another order than nn.GRU."""
    assert ours.eval_steps == alone.eval_steps
    assert ours.diverged == alone.diverged and ours.diverged_step == alone.diverged_step
    assert ours.stopped_early == alone.stopped_early and ours.best_step == alone.best_step
    assert ours.seed == alone.seed and ours.config == alone.config
    assert ours.lrs == pytest.approx(alone.lrs, rel=1e-12)
    assert ours.train_loss == pytest.approx(alone.train_loss, rel=rtol, abs=1e-6)
    assert ours.val_loss == pytest.approx(alone.val_loss, rel=rtol, abs=1e-6)
    assert ours.val_accuracy == pytest.approx(alone.val_accuracy, abs=2e-3)


def test_settings_are_the_cartesian_product_in_order_with_labels():
    settings = settings_of(BASE, {"learning_rate": [0.1, 0.01], "seed": [3, 4]}, seed=0)
    assert [(c.learning_rate, s) for c, s, _ in settings] == [(0.1, 3), (0.1, 4), (0.01, 3), (0.01, 4)]
    assert settings[0][2] == "learning_rate=0.1, seed=3"
    assert settings_of(BASE, {}, seed=5)[0][1:] == (5, "defaults")
    # Training hyperparameters share a model; a different architecture or dropout does not.
    assert share_key(BASE) == share_key(BASE.replace(learning_rate=1.0, optimizer_type="sgd"))
    assert share_key(BASE) != share_key(BASE.replace(rnn_cell_type="lstm"))
    assert share_key(BASE.replace(embed_dropout_source=0.1)) is None


@pytest.mark.parametrize("changes", [
    dict(),                                                    # GRU + mlp attention
    dict(rnn_cell_type="lstm", rnn_attention_type="bilinear", rnn_decoder_state_init="avg"),
    dict(rnn_cell_type="rnn", rnn_attention_type="none"),
    dict(rnn_attention_type="dot", num_layers_encoder=2, num_layers_decoder=2,
         rnn_residual_connections=True, rnn_decoder_state_init="zero"),
], ids=["gru-mlp", "lstm-bilinear-avg", "rnn-none", "gru-dot-2layers-residual"])
def test_each_history_equals_a_lone_train(changes):
    config = BASE.replace(max_num_batches=16, **changes)
    # Two rates sharing a seed (one batch order) and two seeds (each its own batches).
    vary = {"learning_rate": [3e-3, 3e-2], "seed": [0, 1]} if not changes else {"seed": [0, 1]}
    histories = compare(config, vary, task="reverse", task_options=OPTIONS)
    if not changes:
        assert [h.label for h in histories] == [
            "learning_rate=0.003, seed=0", "learning_rate=0.003, seed=1",
            "learning_rate=0.03, seed=0", "learning_rate=0.03, seed=1"]
    for history in histories:
        alone = train(history.config, task="reverse", seed=history.seed, task_options=OPTIONS)
        assert_same_run(history, alone)
        assert history.steps == 16 and len(history.eval_steps) == 2


def test_training_hyperparameters_that_differ_inside_one_group():
    # One batched model, yet each member keeps its own optimizer, schedule, clipping, smoothing
    # and early stopping.
    vary = {"optimizer_type": ["adam", "rmsprop"], "lr_scheduler_type": ["none", "cosine"]}
    config = BASE.replace(learning_rate=3e-3, clip_gradient=0.5, label_smoothing=0.1,
                          early_stopping_patience=1, checkpoint_frequency_num_batches=4)
    for history in compare(config, vary, task="reverse", task_options=OPTIONS, seed=2):
        assert_same_run(history, train(history.config, "reverse", 2, task_options=OPTIONS))


def test_a_diverging_member_does_not_disturb_the_others():
    vary = {"learning_rate": [3e-3, 1.0, 3e-2]}
    histories = compare(BASE, vary, task="reverse", task_options=OPTIONS)
    calm, wild, brisk = histories
    assert wild.diverged and wild.diverged_step < 10 and not calm.diverged and not brisk.diverged
    for history in (calm, brisk):
        assert_same_run(history, train(history.config, "reverse", 0, task_options=OPTIONS))
    alone = train(wild.config, "reverse", 0, task_options=OPTIONS)
    assert wild.diverged_step == alone.diverged_step
    # It starts as the same run; after one step at rate 1.0 the loss is already ~13 and
    # chaotic (rounding differences grow), so only the first loss is compared tightly.
    assert wild.train_loss[0] == pytest.approx(alone.train_loss[0], rel=1e-5)
    assert len(wild.train_loss) == len(alone.train_loss)


def test_settings_that_cannot_share_a_model_fall_back_to_train():
    vary = {"rnn_cell_type": ["gru", "lstm"], "embed_dropout_target": [0.0, 0.3]}
    histories = compare(BASE.replace(max_num_batches=8), vary, task="reverse", task_options=OPTIONS,
                        seed=1)
    assert len(histories) == 4
    for history in histories:
        alone = train(history.config, "reverse", 1, task_options=OPTIONS)
        if history.config.embed_dropout_target > 0:  # trained by train() itself: bit-identical
            assert history.train_loss == alone.train_loss
        assert_same_run(history, alone)


def test_callbacks_see_every_member_and_stop_stops_all():
    stop, seen = threading.Event(), []

    class Recorder:
        def on_batch_end(self, history):
            seen.append((history.label, history.steps))
            if len(seen) >= 9:  # three batches of three members
                stop.set()

        def on_run_end(self, history):
            seen.append((history.label, "end"))

    histories = compare(BASE, {"learning_rate": [1e-3, 3e-3, 1e-2]}, task="reverse",
                        task_options=OPTIONS, callbacks=[Recorder()], stop_event=stop)
    assert {label for label, _ in seen} == {h.label for h in histories}
    assert all(h.stopped_by_user and h.steps == 3 for h in histories)
    assert sum(step == "end" for _, step in seen) == 3


def test_batched_forward_and_evaluation_match_each_model():
    task = make_task("reverse", **OPTIONS)
    for cell in ("gru", "lstm", "rnn"):
        config = BASE.replace(rnn_cell_type=cell)
        members = []
        for seed in range(3):
            torch.manual_seed(seed)
            members.append(build_model(config, len(task.source_vocab), len(task.target_vocab)))
        batch = next(task.batches("train", 32))
        expand = [x.unsqueeze(0).expand(3, *x.shape) for x in
                  (batch.source, batch.source_lengths, batch.target_in)]
        logits = Ensemble(members, config).forward(*expand)
        for member, member_logits in zip(members, logits):
            alone, _ = member(batch.source, batch.source_lengths, batch.target_in)
            torch.testing.assert_close(member_logits, alone, rtol=1e-5, atol=1e-5)
        scores = evaluate_together(members, task, config, torch.device("cpu"))
        for member, score in zip(members, scores):
            expected = evaluate(member, task, config)
            assert score == pytest.approx(expected, rel=1e-5)
            assert all(math.isfinite(v) for v in score.values())


@pytest.mark.parametrize("cell", ["gru", "lstm"])
def test_evaluation_together_matches_each_model_early_and_late_in_training(cell):
    # Members at different stages: each decodes only its own wrong sequences (one has many,
    # one few), and every score still equals its own evaluate().
    task = make_task("reverse", train_size=1000, val_size=200, test_size=0)
    config = Seq2SeqConfig(rnn_cell_type=cell, learning_rate=0.01)
    members = [train(config.replace(max_num_batches=steps), task=task, seed=seed).model
               for steps, seed in ((5, 0), (40, 1), (120, 2))]
    scores = evaluate_together(members, task, config, torch.device("cpu"))
    for member, score in zip(members, scores):
        expected = evaluate(member, task, config)
        assert score["val_accuracy"] == pytest.approx(expected["val_accuracy"], abs=1e-9)
        assert score["val_exact"] == pytest.approx(expected["val_exact"], abs=1e-9)
        assert score["val_loss"] == pytest.approx(expected["val_loss"], rel=1e-5)
    assert scores[2]["val_exact"] > scores[0]["val_exact"]


def test_member_losses_with_mixed_label_smoothing_and_row_filling():
    torch.manual_seed(0)
    logits = torch.randn(3, 4, 5, 7, requires_grad=True)
    target = torch.randint(1, 7, (3, 4, 5))
    target[:, :, 3:] = 0                                    # padding is ignored
    smoothing = [0.0, 0.1, 0.0]
    losses = member_losses(logits, target, smoothing)
    for e in range(3):
        assert losses[e].item() == pytest.approx(
            sequence_loss(logits[e], target[e], smoothing[e]).item(), rel=1e-6)
    grad, = torch.autograd.grad(losses.sum(), logits)
    expected, = torch.autograd.grad(sum(sequence_loss(logits[e], target[e], smoothing[e])
                                        for e in range(3)), logits)
    torch.testing.assert_close(grad, expected)
    # A member with nothing to decode fills its rows with row 0; others repeat their first.
    assert _fill(torch.tensor([], dtype=torch.long), 3).tolist() == [0, 0, 0]
    assert _fill(torch.tensor([4, 7]), 3).tolist() == [4, 7, 4]


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_compare_on_cuda_equals_lone_runs_there():
    # One batched model on the GPU (no workers there), with clipping and greedy validation.
    config = BASE.replace(max_num_batches=16, clip_gradient=0.5)
    histories = compare(config, {"seed": [0, 1, 2, 3]}, task="reverse", task_options=OPTIONS,
                        device="cuda")
    for history in histories:
        assert history.device.startswith("cuda")
        alone = train(config, task="reverse", seed=history.seed, task_options=OPTIONS,
                      device="cuda")
        assert_same_run(history, alone, rtol=1e-3)
