"""The trainer, tested by training real (small) models."""
import math
import threading

import pytest

from lesson_runs import lesson_run
from seq2seq_lab import History, Seq2SeqConfig, learning_rate_at, make_task, train
from seq2seq_lab.training import total_steps

SMALL = dict(rnn_num_hidden=32, num_embed_source=16, num_embed_target=16)
COPY = make_task("copy", seq_len=6, train_size=640, val_size=100, test_size=0)


def test_loss_falls_on_the_copy_task():
    history = train(Seq2SeqConfig(max_num_epochs=6, learning_rate=1e-2, **SMALL), task=COPY, seed=0)
    first, last = sum(history.train_loss[:5]) / 5, sum(history.train_loss[-5:]) / 5
    assert last < 0.5 * first
    assert history.val_loss[-1] < history.val_loss[0]
    assert history.val_accuracy[-1] > 0.6
    assert history.eval_steps[-1] == history.steps == 60 and history.epochs == 6
    assert history.best_step in history.eval_steps and not history.diverged


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_default_lesson_run_learns_to_reverse(seed):
    """The default preset (what lesson 01 starts from) masters reversal on every seed.  Its
    runs are the lessons' (``lesson_run``): trained once per ``make test``."""
    history = lesson_run("default", seed)
    assert max(history.val_accuracy) >= 0.95


def test_same_config_and_seed_give_a_bit_identical_history():
    config = Seq2SeqConfig(max_num_batches=15, checkpoint_frequency_num_batches=5,
                           embed_dropout_source=0.2, **SMALL)
    first, second = train(config, task=COPY, seed=7), train(config, task=COPY, seed=7)
    assert first.same_run(second) and first.train_loss == second.train_loss
    assert train(config, task=COPY, seed=8).train_loss != first.train_loss


def test_training_does_not_disturb_the_callers_random_numbers():
    import torch
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    train(Seq2SeqConfig(max_num_batches=2, **SMALL), task=COPY)
    assert torch.equal(torch.rand(3), expected)


@pytest.mark.parametrize("options", [dict(learning_rate=3.0), dict(optimizer_type="sgd", learning_rate=10.0,
                                                                   clip_gradient=-1)])
def test_divergence_stops_cleanly(options):
    history = train(Seq2SeqConfig(**options), seed=0)
    assert history.diverged and history.diverged_step <= 20
    assert all(math.isfinite(v) for v in history.train_loss)  # nothing non-finite to draw
    assert history.steps < total_steps(history.config, make_task("reverse"))


def test_stop_event_stops_within_one_batch():
    stop = threading.Event()

    class StopAtFive:
        def on_batch_end(self, history):
            if history.steps == 5:
                stop.set()

    history = train(Seq2SeqConfig(**SMALL), task=COPY, stop_event=stop, callbacks=[StopAtFive()])
    assert history.steps == 5 and history.stopped_by_user


def test_callbacks_hear_every_batch_evaluation_and_the_end():
    counts = {"on_batch_end": 0, "on_evaluation_end": 0, "on_run_end": 0}

    class Count:
        def __getattr__(self, name):
            if name not in counts:
                raise AttributeError(name)
            return lambda history: counts.__setitem__(name, counts[name] + 1)

    history = train(Seq2SeqConfig(max_num_batches=12, checkpoint_frequency_num_batches=5, **SMALL),
                    task=COPY, callbacks=[Count()])
    assert counts == {"on_batch_end": 12, "on_evaluation_end": 3, "on_run_end": 1}
    assert history.eval_steps == [5, 10, 12]


def test_early_stopping_honours_patience_and_min_epochs():
    # A rate this small never changes the greedy output, so accuracy never improves.
    config = Seq2SeqConfig(learning_rate=1e-7, optimized_metric="accuracy", early_stopping_patience=2,
                           checkpoint_frequency_num_batches=2, max_num_epochs=10, **SMALL)
    history = train(config, task=COPY)
    assert history.stopped_early and history.eval_steps == [2, 4, 6]
    held = train(config.replace(min_num_epochs=2), task=COPY)
    assert held.stopped_early and held.steps == 20 and held.epochs == 2


def test_schedule_and_plateau_reduce_set_the_recorded_rates():
    config = Seq2SeqConfig(lr_scheduler_type="cosine", max_num_batches=20, **SMALL)
    history = train(config, task=COPY)
    assert history.lrs == [learning_rate_at(s, config, 20) for s in range(20)]
    plateau = Seq2SeqConfig(learning_rate=1e-7, lr_scheduler_type="plateau_reduce", optimized_metric="accuracy",
                            plateau_reduce_lr_threshold=2, checkpoint_frequency_num_batches=2,
                            max_num_batches=12, **SMALL)
    rates = train(plateau, task=COPY).lrs
    assert rates[0] == 1e-7 and rates[-1] < rates[0] and sorted(rates, reverse=True) == rates


def test_max_num_batches_caps_the_run_and_bleu_is_reported():
    history = train(Seq2SeqConfig(max_num_batches=7, optimized_metric="bleu", **SMALL), task=COPY)
    assert history.steps == 7 and len(history.val_bleu) == 1 and 0 <= history.val_bleu[0] <= 100


def test_history_round_trips_through_csv(tmp_path):
    history = train(Seq2SeqConfig(max_num_batches=9, checkpoint_frequency_num_batches=4, **SMALL),
                    task=COPY, seed=3)
    text = history.to_csv(tmp_path / "h.csv")
    assert text.splitlines()[2].startswith("step,train_loss,lr,grad_norm,clipped,val_loss")
    again = History.from_csv(tmp_path / "h.csv")
    assert again.same_run(history)
    assert History.from_csv(text).eval_steps == [4, 8, 9]


def test_a_task_name_with_options_and_a_dict_config_work():
    history = train({"max_num_batches": 3, "rnn_num_hidden": 16}, task="sort",
                    task_options={"train_size": 100, "val_size": 20})
    assert history.task == "sort" and history.task_options["train_size"] == 100 and history.steps == 3


def test_a_preset_or_another_object_as_config_gets_a_message_saying_what_to_pass():
    from seq2seq_lab import ConfigError, preset
    with pytest.raises(ConfigError, match=r"train\(\*\*preset\('default'\)\.train_kwargs\(\)"):
        train(preset("default"), seed=0)
    with pytest.raises(ConfigError, match="not str"):
        train("reverse")


def test_device_is_recorded_and_cuda_is_used_when_present():
    import torch
    history = train(Seq2SeqConfig(max_num_batches=2, **SMALL), task=COPY, device="cpu")
    assert history.device == "cpu" and next(history.model.parameters()).device.type == "cpu"
    if not torch.cuda.is_available():
        pytest.skip("no CUDA device here: the CUDA path runs only where one is present")
    on_gpu = train(Seq2SeqConfig(max_num_batches=2, **SMALL), task=COPY)
    assert on_gpu.device.startswith("cuda") and next(on_gpu.model.parameters()).is_cuda


def test_gradient_norms_and_clipping_are_recorded_per_batch():
    import torch
    config = Seq2SeqConfig(max_num_batches=6, checkpoint_frequency_num_batches=3, **SMALL)
    free = train(config, task=COPY, seed=1)
    assert len(free.grad_norm) == len(free.clipped) == free.steps == 6
    assert all(n > 0 for n in free.grad_norm) and not any(free.clipped)   # clipping off
    # The first recorded norm is the norm of the first batch's gradient, before any update.
    from seq2seq_lab.models import build_model, sequence_loss
    with torch.random.fork_rng():
        torch.manual_seed(1)
        model = build_model(config, len(COPY.source_vocab), len(COPY.target_vocab))
        order = torch.Generator().manual_seed(1)
        batch = next(COPY.batches("train", config.batch_size, shuffle=True, generator=order,
                                  max_source_len=config.max_seq_len_source,
                                  max_target_len=config.max_seq_len_target + 1))
        logits, _ = model(batch.source, batch.source_lengths, batch.target_in)
        sequence_loss(logits, batch.target_out).backward()
        norm = torch.linalg.vector_norm(torch.stack([p.grad.norm() for p in model.parameters()
                                                     if p.grad is not None]))
    assert free.grad_norm[0] == pytest.approx(float(norm), rel=1e-5)
    # A threshold below every norm clips every batch; the norms are still the unclipped ones.
    tight = train(config.replace(clip_gradient=min(free.grad_norm) / 10), task=COPY, seed=1)
    assert all(tight.clipped) and tight.clipped_fraction == 1.0
    assert tight.grad_norm[0] == pytest.approx(free.grad_norm[0], rel=1e-6)


def test_the_callers_thread_count_gives_the_same_history_and_is_restored():
    """One config and seed, one History: training always uses training.TRAIN_THREADS, so a
    kernel at 2 threads (train(), Compare) and one at 1 (the Lab) get the same run."""
    import torch
    from seq2seq_lab.training import TRAIN_THREADS
    config = Seq2SeqConfig(max_num_batches=12, checkpoint_frequency_num_batches=6, **SMALL)
    before = torch.get_num_threads()
    runs = []
    try:
        for threads in (1, 2):
            torch.set_num_threads(threads)
            runs.append(train(config, task=COPY, seed=4))
            assert torch.get_num_threads() == threads      # the caller's count is back
    finally:
        torch.set_num_threads(before)
    assert TRAIN_THREADS == 1 and runs[0].same_run(runs[1])
    assert runs[0].train_loss == runs[1].train_loss      # number for number


def test_steps_per_second_and_elapsed_time_are_recorded():
    history = train(Seq2SeqConfig(max_num_batches=8, checkpoint_frequency_num_batches=4, **SMALL),
                    task=COPY)
    assert len(history.elapsed) == 2 and 0 < history.elapsed[0] < history.elapsed[1]
    assert history.elapsed[1] <= history.wall_time and history.steps_per_second > 0
    assert history.num_parameters > 0
