import pytest
import torch

from seq2seq_lab import make_task, task_names
from seq2seq_lab.data import BOS_ID, EOS_ID, PAD_ID, english_words, korean_numerals


@pytest.mark.parametrize("name", ["reverse", "copy", "sort", "recall", "add", "dates", "numbers"])
def test_every_task_has_disjoint_splits_and_is_deterministic(name):
    task = make_task(name, train_size=300, val_size=100, test_size=100, seed=3)
    sources = [{tuple(s) for s, _ in split.pairs} for split in (task.train, task.validation, task.test)]
    assert [len(s) for s in sources] == [300, 100, 100]
    assert not (sources[0] & sources[1]) and not (sources[0] & sources[2]) and not (sources[1] & sources[2])
    again = make_task.__wrapped__(name, train_size=300, val_size=100, test_size=100, seed=3)
    assert again.train.pairs == task.train.pairs
    other = make_task.__wrapped__(name, train_size=300, val_size=100, test_size=100, seed=4)
    assert other.train.pairs != task.train.pairs


def test_task_meanings():
    pairs = dict((tuple(s), t) for s, t in make_task("reverse").train.pairs)
    source = next(iter(pairs))
    assert pairs[source] == list(source[::-1])
    for s, t in make_task("add", train_size=200, val_size=50, test_size=0).train.pairs:
        a, b = "".join(s).split("+")
        assert int("".join(t)) == int(a) + int(b)
    for s, t in make_task("sort", train_size=50, val_size=10, test_size=0).train.pairs:
        assert t == sorted(s)
    for s, t in make_task("recall", train_size=50, val_size=10, test_size=0).train.pairs:
        assert t == s[:3] and len(s) == 30


def test_numbers_and_dates_examples():
    assert english_words(321) == ["three", "hundred", "twenty-one"]
    assert korean_numerals(321) == "삼백이십일"
    assert korean_numerals(10) == "십" and korean_numerals(1000) == "천"
    assert korean_numerals(10000) == "만" and korean_numerals(25013) == "이만오천십삼"
    task = make_task("numbers", train_size=200, val_size=50, test_size=0)
    assert task.target_vocab.tokens[4:] and all(len(tok) == 1 for tok in task.target_vocab.tokens[4:])
    import datetime
    for s, t in make_task("dates", train_size=300, val_size=50, test_size=0).train.pairs:
        datetime.date.fromisoformat("".join(t))  # every target is a valid ISO date


def test_noise_corrupts_only_training_targets():
    clean = make_task("reverse", train_size=400, val_size=100, test_size=0, seed=1)
    noisy = make_task("reverse", train_size=400, val_size=100, test_size=0, seed=1, noise=0.3)
    wrong = sum(t != s[::-1] for s, t in noisy.train.pairs)
    assert 0.2 * 400 < wrong <= 0.3 * 400
    assert all(t == s[::-1] for s, t in noisy.validation.pairs)
    assert noisy.validation.pairs == clean.validation.pairs


def test_batches_are_padded_with_masks_and_special_tokens():
    task = make_task("reverse", train_size=100, val_size=20, test_size=0)
    batches = list(task.batches("train", batch_size=32))
    assert [b.source.shape[0] for b in batches] == [32, 32, 32, 4]
    batch = batches[0]
    assert (batch.target_in[:, 0] == BOS_ID).all()
    for row in range(32):
        n = int(batch.source_lengths[row])
        assert (batch.source[row, n:] == PAD_ID).all() and (batch.source[row, :n] != PAD_ID).all()
        assert batch.target_out[row, n] == EOS_ID  # reverse: target as long as source, then EOS
    assert batch.num_tokens == int((batch.source_lengths + 1).sum())


def test_shuffle_follows_the_generator_and_max_len_cuts():
    task = make_task("reverse", train_size=100, val_size=20, test_size=0)
    first = [b.source for b in task.batches("train", 10, True, torch.Generator().manual_seed(0))]
    second = [b.source for b in task.batches("train", 10, True, torch.Generator().manual_seed(0))]
    assert all(torch.equal(a, b) for a, b in zip(first, second))
    cut = next(task.batches("train", 100, max_source_len=3, max_target_len=2))
    assert cut.source.shape[1] == 3 and cut.target_out.shape[1] == 2
    assert int(cut.source_lengths.max()) == 3


def test_clear_errors_for_bad_tasks():
    with pytest.raises(ValueError, match="did you mean reverse"):
        make_task("revers")
    with pytest.raises(ValueError, match="distinct examples"):
        make_task("reverse", seq_len=2, train_size=1000)
    with pytest.raises(ValueError, match="noise"):
        make_task("reverse", noise=2)
    assert "numbers" in task_names()
