"""gradients.py: |dL/dh_t| at every source position, measured by stepping the model's own
encoder; the LSTM forget-gate bias (config.lstm_forget_bias)."""
import pytest
import torch

from seq2seq_lab import Seq2SeqConfig, build_model, make_task, train
from seq2seq_lab.gradients import gradient_flow, gradient_flow_during
from seq2seq_lab.models import sequence_loss

RECALL = dict(seq_len=30, train_size=400, val_size=100, test_size=0)
NO_ATTENTION = Seq2SeqConfig(rnn_attention_type="none")


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
def test_the_last_positions_gradient_is_the_gradient_of_the_encoders_final_state(cell):
    """Without attention the decoder sees only the final state, so dL/dh_(S-1) measured by
    stepping must equal autograd's gradient of the loss with respect to that final state in
    the model's ordinary forward pass."""
    task = make_task("recall", **RECALL)
    config = NO_ATTENTION.replace(rnn_cell_type=cell, num_layers_encoder=2)
    torch.manual_seed(0)
    model = build_model(config, len(task.source_vocab), len(task.target_vocab)).eval()
    flow = gradient_flow(model, task, examples=16)
    assert len(flow) == 30 and all(value >= 0 for value in flow)
    assert all(p.grad is None for p in model.parameters())   # it cleans up after itself

    data = task.splits["validation"]
    rows = (data.source_lengths == 30).nonzero().squeeze(1)[:16]
    source, lengths = data.source[rows, :30], data.source_lengths[rows]
    time = int(data.target_lengths[rows].max())
    captured = {}
    original = model.encoder.forward

    def keep_final(*args):
        outputs, final = original(*args)
        final.retain_grad()
        captured["final"] = final
        return outputs, final
    model.encoder.forward = keep_final
    logits, _ = model(source, lengths, data.target_in[rows, :time])
    sequence_loss(logits, data.target_out[rows, :time]).backward()
    expected = float(captured["final"].grad.norm(dim=-1).mean())
    assert flow[-1] == pytest.approx(expected, rel=1e-4)


def test_measuring_during_a_run_changes_nothing_in_it():
    config = NO_ATTENTION.replace(max_num_batches=12, checkpoint_frequency_num_batches=6)
    flows = gradient_flow_during(config, "recall", seed=1, at_steps=(0, 5, 12), task_options=RECALL)
    assert sorted(flows) == [0, 5, 12] and all(len(f) == 30 for f in flows.values())
    plain = train(config, task="recall", seed=1, task_options=RECALL)
    measured = train(config, task="recall", seed=1, task_options=RECALL,
                     callbacks=[_Measure(make_task("recall", **RECALL))])
    assert measured.same_run(plain)
    with pytest.raises(ValueError, match="at_steps must lie between 0 and the run's"):
        gradient_flow_during(config, "recall", at_steps=(13,), task_options=RECALL)


class _Measure:
    def __init__(self, task):
        self.task = task

    def on_batch_end(self, history):
        gradient_flow(history.model, self.task, examples=8)


def test_the_forget_gate_bias_is_set_and_lets_the_gradient_reach_back():
    task = make_task("recall", **RECALL)
    lstm = NO_ATTENTION.replace(rnn_cell_type="lstm", lstm_forget_bias=2.0)
    torch.manual_seed(0)
    model = build_model(lstm, len(task.source_vocab), len(task.target_vocab))
    hidden = lstm.rnn_num_hidden
    for layer in [*model.encoder.layers, *model.decoder.layers]:
        assert torch.all(layer.bias_ih_l0[hidden:2 * hidden] == 2.0)      # the forget gate
        assert torch.all(layer.bias_ih_l0[:hidden] == 0) and torch.all(layer.bias_hh_l0 == 0)
    # At initialisation (3 seeds): with PyTorch's zero bias the first position receives
    # about a millionth of the last one's gradient (measured 4e6-7e6x); a bias of 2 keeps
    # the cell's memory and the gap shrinks to about 13x.
    for seed in range(3):
        plain = gradient_flow_during(lstm.replace(lstm_forget_bias=0.0), task, seed, (0,))[0]
        biased = gradient_flow_during(lstm, task, seed, (0,))[0]
        assert plain[-1] / plain[0] > 1e5
        assert biased[-1] / biased[0] < 100
