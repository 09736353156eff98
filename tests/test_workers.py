"""compare()'s worker processes (workers.py): the same Histories as a lone train(), live
callbacks, Stop, errors shown, and the in-process fallback."""
import dataclasses
import os
import sys
import threading

import pytest
import torch

from seq2seq_lab import Seq2SeqConfig, compare, make_task, train
from seq2seq_lab.parallel import pool as workers
from seq2seq_lab.history import Changes, History, apply_changes
from seq2seq_lab.training import evaluate

OPTIONS = dict(train_size=320, val_size=100, test_size=0)
BASE = Seq2SeqConfig(batch_size=32, max_num_batches=16, checkpoint_frequency_num_batches=8)


@pytest.fixture
def pool_jobs(monkeypatch):
    """How many comparisons really went to the workers (not quietly in-process)."""
    jobs = []
    original = workers.WorkerPool._train

    def counted(self, *args, **kwargs):
        jobs.append(os.getpid())
        return original(self, *args, **kwargs)
    monkeypatch.setattr(workers.WorkerPool, "_train", counted)
    return jobs


def test_worker_count_deal_and_the_environment_switch(monkeypatch):
    monkeypatch.delenv(workers.ENVIRONMENT, raising=False)
    monkeypatch.setattr(workers, "usable_cores", lambda: 2)
    assert workers.worker_count(3) == 0                # small groups stay in-process
    assert workers.worker_count(8) == 2                # one worker per core
    monkeypatch.setattr(workers, "usable_cores", lambda: 16)
    assert workers.worker_count(8) == 4                # ... each with 2 members or more
    assert workers.worker_count(3, requested=4) == 3   # never more workers than members
    assert workers.worker_count(8, requested=1) == 0   # one worker is no gain over in-process
    monkeypatch.setenv(workers.ENVIRONMENT, "0")
    assert workers.worker_count(8) == 0
    monkeypatch.setenv(workers.ENVIRONMENT, "two")
    with pytest.raises(ValueError, match="SEQ2SEQ_LAB_WORKERS must be a whole number"):
        workers.worker_count(8)
    assert workers.deal(5, 2) == [[0, 2, 4], [1, 3]]


def test_changes_rebuild_an_equal_history():
    task = make_task("reverse", **OPTIONS)
    history = train(BASE.replace(max_num_batches=8, checkpoint_frequency_num_batches=4),
                    task=task)
    partial = dataclasses.replace(history, train_loss=history.train_loss[:3],
                                  lrs=history.lrs[:3], eval_steps=[], val_loss=[],
                                  val_accuracy=[], val_exact=[], wall_time=0.0)
    changes = Changes()
    mirror = apply_changes(None, changes.of(partial))
    for name in ("train_loss", "lrs", "eval_steps", "val_loss", "val_accuracy", "val_exact"):
        setattr(partial, name, getattr(history, name))     # the run goes on ...
    partial.wall_time = history.wall_time
    apply_changes(mirror, changes.of(partial))       # ... and only the rest is sent
    assert changes.of(partial) == {}
    mirror.model = history.model
    assert mirror == history and isinstance(mirror, History)


def test_histories_from_workers_equal_lone_runs_in_order_with_models(pool_jobs):
    # 3 settings in 2 workers (dealt 2 + 1); the order of the result is the order of vary.
    seen = []

    class Recorder:
        def on_batch_end(self, history):
            seen.append((history.label, history.steps))

        def on_run_end(self, history):
            seen.append((history.label, "end", history.model is not None))

    vary = {"learning_rate": [3e-3, 3e-2, 1e-2]}
    histories = compare(BASE, vary, task="reverse", task_options=OPTIONS, workers=2,
                        callbacks=[Recorder()], device="cpu")
    assert [h.config.learning_rate for h in histories] == vary["learning_rate"]
    task = make_task("reverse", **OPTIONS)
    for history in histories:
        alone = train(history.config, task="reverse", seed=0, task_options=OPTIONS)
        assert history.eval_steps == alone.eval_steps and history.steps == 16
        assert history.train_loss == pytest.approx(alone.train_loss, rel=1e-4, abs=1e-6)
        assert history.val_loss == pytest.approx(alone.val_loss, rel=1e-4, abs=1e-6)
        assert history.label == f"learning_rate={history.config.learning_rate:g}"
        # The model that came back is the trained one: it scores what the run recorded last.
        assert evaluate(history.model, task, history.config)["val_loss"] == pytest.approx(
            history.val_loss[-1], rel=1e-5)
        # Live: every batch of every member reached the callback, in order, then its end.
        steps = [step for label, step, *_ in seen if label == history.label]
        assert steps == list(range(1, 17)) + ["end"]
    assert all(has_model for *_, has_model in (s for s in seen if s[1] == "end"))
    assert len(pool_jobs) == 1
    # Workers live in a session of their own: Jupyter's Interrupt (SIGINT to the kernel's
    # process group) must not kill them.
    assert all(os.getsid(w.process.pid) != os.getsid(0) for w in workers.pool().workers)


def test_stop_reaches_every_worker_and_keeps_what_was_trained(pool_jobs):
    stop, seen = threading.Event(), []

    class Stopper:
        def on_batch_end(self, history):
            seen.append(history.label)
            if len(seen) == 8:
                stop.set()

    config = BASE.replace(max_num_batches=400)
    histories = compare(config, {"seed": [0, 1, 2, 3]}, task="reverse", task_options=OPTIONS,
                        workers=2, callbacks=[Stopper()], stop_event=stop, device="cpu")
    assert all(h.stopped_by_user for h in histories)
    assert all(1 <= h.steps < 100 for h in histories), [h.steps for h in histories]
    assert all(h.model is not None for h in histories)
    assert len(pool_jobs) == 1


def test_an_error_in_a_worker_is_raised_with_its_traceback_and_the_pool_recovers():
    task = make_task("reverse", **OPTIONS)
    train_split = task.splits["train"]
    broken = dataclasses.replace(task, splits=dict(task.splits, train=dataclasses.replace(
        train_split, target_out=torch.full_like(train_split.target_out, 99))))
    with pytest.raises(workers.WorkerFailed, match="out of bounds"):
        compare(BASE, {"seed": [0, 1]}, task=broken, workers=2, device="cpu")
    # A worker that dies is reported too, and the next comparison starts a fresh one.
    killer = threading.Event()

    class Killer:
        def on_batch_end(self, history):
            if not killer.is_set():
                killer.set()
                workers.pool().workers[0].process.kill()

    with pytest.raises(workers.WorkerFailed, match="ended unexpectedly"):
        compare(BASE.replace(max_num_batches=400), {"seed": [0, 1]}, task=task, workers=2,
                callbacks=[Killer()], device="cpu")
    histories = compare(BASE, {"seed": [0, 1]}, task=task, workers=2, device="cpu")
    assert [h.steps for h in histories] == [16, 16]


def test_a_busy_pool_falls_back_to_training_in_process():
    pool = workers.pool()
    assert pool.busy.acquire(blocking=False)
    try:
        histories = compare(BASE, {"seed": [0, 1]}, task="reverse", task_options=OPTIONS,
                            workers=2, device="cpu")
    finally:
        pool.busy.release()
    alone = train(BASE, task="reverse", seed=1, task_options=OPTIONS)
    assert histories[1].train_loss == pytest.approx(alone.train_loss, rel=1e-4, abs=1e-6)


def test_no_worker_can_start_so_compare_trains_in_process_and_says_so(monkeypatch):
    monkeypatch.setattr(workers, "_pool", workers.WorkerPool())   # none started yet
    monkeypatch.setattr(sys, "executable", "/nonexistent/python")
    with pytest.warns(RuntimeWarning, match="could not start a compare worker"):
        histories = compare(BASE, {"seed": [0, 1]}, task="reverse", task_options=OPTIONS,
                            workers=2, device="cpu")
    alone = train(BASE, task="reverse", seed=1, task_options=OPTIONS)
    assert histories[1].train_loss == pytest.approx(alone.train_loss, rel=1e-4, abs=1e-6)
