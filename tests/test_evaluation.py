"""evaluation.py: validation scores over the whole split, decoding only what needs it, and
the attention of a fixed probe example."""
import pytest
import torch

from seq2seq_lab import Seq2SeqConfig, make_task, train
from seq2seq_lab.data import PAD_ID
from seq2seq_lab.evaluation import EVAL_BATCH_SIZE, as_predictions, attention_probe, evaluate
from seq2seq_lab.models import Seq2Seq


@pytest.mark.parametrize("cell", ["gru", "lstm"])
def test_evaluation_decodes_only_what_teacher_forcing_got_wrong(cell, monkeypatch):
    """evaluate() greedy-decodes only the sequences whose teacher-forced guess is wrong
    somewhere; its scores equal greedy decoding of every sequence, early and late in a run."""
    task = make_task("reverse", train_size=1000, val_size=200, test_size=0)
    config = Seq2SeqConfig(rnn_cell_type=cell, learning_rate=0.01)
    decoded_rows = []
    original = Seq2Seq.greedy_decode

    def counting(self, source, *args, **kwargs):
        decoded_rows.append(source.shape[0])
        return original(self, source, *args, **kwargs)

    for steps in (5, 40, 120):
        model = train(config.replace(max_num_batches=steps), task=task).model
        batch = next(task.batches("validation", EVAL_BATCH_SIZE,
                                  max_source_len=config.max_seq_len_source,
                                  max_target_len=config.max_seq_len_target + 1))
        with torch.no_grad():
            device = next(model.parameters()).device   # CUDA where there is one
            every, _ = model.greedy_decode(batch.source.to(device), batch.source_lengths,
                                           batch.target_out.shape[1])
        predicted = as_predictions(every, batch.target_out.shape[1]).cpu()
        real = batch.target_out != PAD_ID
        hits = (predicted == batch.target_out) & real
        monkeypatch.setattr(Seq2Seq, "greedy_decode", counting)
        scores = evaluate(model, task, config)
        monkeypatch.setattr(Seq2Seq, "greedy_decode", original)
        assert scores["val_accuracy"] == pytest.approx(float(hits.sum()) / float(real.sum()))
        exact = float((hits | ~real).all(1).float().mean())
        assert scores["val_exact"] == pytest.approx(exact)
        # Exactly the sequences greedy decoding gets wrong were decoded again (none: no call).
        wrong = 200 - round(exact * 200)
        assert decoded_rows == ([wrong] if wrong else [])
        decoded_rows.clear()
    assert exact > 0.5, "the last model should get most sequences right"


@pytest.mark.parametrize("attention", ["mlp", "dot", "fixed"])
def test_the_attention_probe_is_one_fixed_example_with_its_tokens(attention):
    task = make_task("reverse", train_size=600, val_size=100, test_size=0)
    config = Seq2SeqConfig(rnn_attention_type=attention, learning_rate=0.01,
                           checkpoint_frequency_num_batches=10, max_num_batches=30)
    history = train(config, task=task, seed=0)
    assert len(history.attention) == len(history.eval_steps) == 3
    first_source = task.source_vocab.decode(task.splits["validation"].source[0].tolist())
    for probe in history.attention:
        assert probe["source"] == first_source          # the same example every time
        weights = torch.tensor(probe["weights"])
        assert weights.shape == (len(probe["output"]), len(probe["source"]))
        assert torch.allclose(weights.sum(1), torch.ones(len(weights)), atol=1e-3)
    last = history.attention[-1]
    # What the probe shows is what the model writes: greedy decoding of that source.
    source = task.splits["validation"].source[:1, :len(first_source)].to(history.device)
    tokens, _ = history.model.greedy_decode(source, torch.tensor([len(first_source)]), 20)
    assert last["output"] == [task.target_vocab.tokens[i] for i in tokens[0, :len(last["output"])]]
    if attention == "fixed":   # uniform over the source, by construction
        assert torch.allclose(torch.tensor(last["weights"]), torch.tensor(1 / len(first_source)),
                              atol=1e-3)


def test_no_attention_no_probe():
    task = make_task("reverse", train_size=200, val_size=50, test_size=0)
    history = train(Seq2SeqConfig(rnn_attention_type="none", max_num_batches=4), task=task)
    assert history.attention == [] and len(history.eval_steps) == 1
    assert attention_probe(history.model, task, history.config) is None
