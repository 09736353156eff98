import itertools

import pytest
import torch

from seq2seq_lab import Seq2SeqConfig, build_model, count_parameters, make_task
from seq2seq_lab.data import EOS_ID

TASK = make_task("reverse", train_size=64, val_size=16, test_size=0)


def _batch():
    return next(TASK.batches("train", batch_size=8))


@pytest.mark.parametrize("cell, attention, layers", list(itertools.product(
    ("rnn", "gru", "lstm"), ("none", "dot", "bilinear", "mlp", "fixed"), (1, 2))))
def test_forward_backward_every_widget_choice(cell, attention, layers):
    config = Seq2SeqConfig(rnn_cell_type=cell, rnn_attention_type=attention, num_layers_encoder=layers,
                           num_layers_decoder=3 - layers, rnn_num_hidden=16, num_embed_source=8,
                           num_embed_target=8)
    torch.manual_seed(0)
    model = build_model(config, len(TASK.source_vocab), len(TASK.target_vocab))
    batch = _batch()
    logits, weights = model(batch.source, batch.source_lengths, batch.target_in)
    assert logits.shape == (*batch.target_in.shape, len(TASK.target_vocab))
    if attention == "none":
        assert weights is None
    else:  # batch x target x source, rows sum to 1, nothing on padding
        assert weights.shape == (*batch.target_in.shape, batch.source.shape[1])
        assert torch.allclose(weights.sum(-1), torch.ones(weights.shape[:2]))
        padding = batch.source == 0
        assert float(weights.detach().masked_select(padding.unsqueeze(1).expand_as(weights)).abs().sum()) == 0
    logits.logsumexp(-1).mean().backward()
    assert all(p.grad is not None for n, p in model.named_parameters()
               if "embedding" not in n or p.grad is not None)
    tokens, _ = model.greedy_decode(batch.source, batch.source_lengths, max_len=5)
    assert tokens.shape[0] == 8 and tokens.shape[1] <= 5


@pytest.mark.parametrize("options", [dict(rnn_decoder_state_init="avg"), dict(rnn_decoder_state_init="zero"),
                                     dict(rnn_residual_connections=True, num_layers_encoder=3, num_layers_decoder=2),
                                     dict(embed_dropout_source=0.5, embed_dropout_target=0.5, rnn_decoder_hidden_dropout=0.5),
                                     dict(weight_init_type="uniform", weight_init_scale=0.1)])
def test_other_architecture_options(options):
    config = Seq2SeqConfig(rnn_num_hidden=16, **options)
    model = build_model(config, len(TASK.source_vocab), len(TASK.target_vocab))
    batch = _batch()
    logits, _ = model(batch.source, batch.source_lengths, batch.target_in)
    logits.sum().backward()
    assert torch.isfinite(logits).all()


def test_padding_does_not_change_a_sequence_result():
    """A sequence gives the same output alone or padded beside a longer one."""
    config = Seq2SeqConfig(rnn_num_hidden=16, rnn_cell_type="lstm")
    model = build_model(config, len(TASK.source_vocab), len(TASK.target_vocab)).eval()
    batch = _batch()
    row = int(batch.source_lengths.argmin())
    n = int(batch.source_lengths[row])
    together, _ = model(batch.source, batch.source_lengths, batch.target_in)
    alone, _ = model(batch.source[row:row + 1, :n], batch.source_lengths[row:row + 1],
                     batch.target_in[row:row + 1])
    assert torch.allclose(together[row:row + 1], alone, atol=1e-5)


def test_weight_init_follows_config():
    small = build_model(Seq2SeqConfig(weight_init_type="uniform", weight_init_scale=0.01), 10, 10)
    large = build_model(Seq2SeqConfig(weight_init_type="uniform", weight_init_scale=1.0), 10, 10)
    weight = dict(small.named_parameters())["decoder.output.weight"]
    assert float(weight.detach().abs().max()) <= 0.01
    assert float(dict(large.named_parameters())["decoder.output.weight"].detach().abs().max()) > 0.5
    assert all(float(p.detach().abs().sum()) == 0 for n, p in small.named_parameters() if p.dim() == 1)


def test_parameter_count_grows_with_hidden_units_and_lstm_has_most():
    counts = {cell: count_parameters(build_model(Seq2SeqConfig(rnn_cell_type=cell), 14, 14))
              for cell in ("rnn", "gru", "lstm")}
    assert counts["rnn"] < counts["gru"] < counts["lstm"]
    assert count_parameters(build_model(Seq2SeqConfig(rnn_num_hidden=128), 14, 14)) > counts["gru"]


def test_greedy_decode_stops_at_eos():
    model = build_model(Seq2SeqConfig(rnn_num_hidden=8), len(TASK.source_vocab), len(TASK.target_vocab))
    with torch.no_grad():  # make EOS the only answer
        model.decoder.output.bias.fill_(-100)
        model.decoder.output.bias[EOS_ID] = 100
    batch = _batch()
    tokens, _ = model.greedy_decode(batch.source, batch.source_lengths, max_len=10)
    assert tokens.shape[1] == 1 and (tokens == EOS_ID).all()


def test_mlp_scores_give_bahdanaus_attention_weights():
    """The sigmoid form (attention.mlp_scores) differs from v . tanh(q + k) only by a constant
    per query, so the softmax weights are Bahdanau's."""
    from seq2seq_lab.attention import mlp_scores
    torch.manual_seed(0)
    query, keys, energy = torch.randn(3, 5, 16), torch.randn(3, 7, 16), torch.randn(1, 16)
    bahdanau = (torch.tanh(query.unsqueeze(2) + keys.unsqueeze(1)) @ energy.t()).squeeze(-1)
    ours = mlp_scores(query, keys, energy)
    torch.testing.assert_close(torch.softmax(ours, -1), torch.softmax(bahdanau, -1))
    shift = ours - bahdanau  # the same constant, sum(v), for every pair
    torch.testing.assert_close(shift, torch.full_like(shift, float(energy.sum())))


@pytest.mark.parametrize("attention", ["mlp", "dot", "bilinear"])
def test_greedy_decode_matches_feeding_back_its_own_tokens(attention):
    """greedy_decode (keys projected once per sentence) predicts what the teacher-forced
    forward pass predicts when fed the model's own previous tokens."""
    from seq2seq_lab.data import BOS_ID
    config = Seq2SeqConfig(rnn_num_hidden=16, rnn_attention_type=attention)
    torch.manual_seed(1)
    model = build_model(config, len(TASK.source_vocab), len(TASK.target_vocab)).eval()
    batch = _batch()
    tokens, weights = model.greedy_decode(batch.source, batch.source_lengths, max_len=6)
    fed = torch.cat([torch.full_like(tokens[:, :1], BOS_ID), tokens[:, :-1]], 1)
    with torch.no_grad():
        logits, forced_weights = model(batch.source, batch.source_lengths, fed)
    assert torch.equal(logits.argmax(-1), tokens)
    torch.testing.assert_close(weights, forced_weights, rtol=1e-5, atol=1e-6)
