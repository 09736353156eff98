"""compare()'s worker processes (parallel/pool.py): the same Histories as a lone train(),
live callbacks, Stop, errors shown, the in-process fallback, and workers that end when idle
or with their parent."""
import dataclasses
import os
import signal
import subprocess
import sys
import threading

import pytest
import torch

from seq2seq_lab import Seq2SeqConfig, compare, make_task, train
from seq2seq_lab.parallel import pool as workers
from seq2seq_lab.history import Changes, History, apply_changes
from seq2seq_lab.evaluation import evaluate

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


def test_worker_count_and_the_environment_switch(monkeypatch):
    monkeypatch.delenv(workers.ENVIRONMENT, raising=False)
    monkeypatch.setattr(workers, "usable_cores", lambda: 2)
    assert workers.worker_count(8) == 2                # one worker per core
    assert workers.worker_count(2) == 2
    monkeypatch.setattr(workers, "usable_cores", lambda: 16)
    assert workers.worker_count(3) == 3                # never more workers than runs
    assert workers.worker_count(8, requested=1) == 0   # one worker is no gain over in-process
    monkeypatch.setattr(workers, "usable_cores", lambda: 1)
    assert workers.worker_count(8) == 0                # one core: this process is enough
    monkeypatch.setenv(workers.ENVIRONMENT, "0")
    assert workers.worker_count(8) == 0
    monkeypatch.setenv(workers.ENVIRONMENT, "two")
    with pytest.raises(ValueError, match="SEQ2SEQ_LAB_WORKERS must be a whole number"):
        workers.worker_count(8)


def test_changes_rebuild_an_equal_history():
    task = make_task("reverse", **OPTIONS)
    history = train(BASE.replace(max_num_batches=8, checkpoint_frequency_num_batches=4),
                    task=task)
    series = ("train_loss", "lrs", "grad_norm", "clipped", "eval_steps", "val_loss",
              "val_accuracy", "val_exact", "attention", "elapsed")
    partial = dataclasses.replace(history, wall_time=0.0,
                                  **{name: getattr(history, name)[:3] if name in (
                                      "train_loss", "lrs", "grad_norm", "clipped") else []
                                     for name in series})
    changes = Changes()
    mirror = apply_changes(None, changes.of(partial))
    for name in series:
        setattr(partial, name, getattr(history, name))     # the run goes on ...
    partial.wall_time = history.wall_time
    apply_changes(mirror, changes.of(partial))       # ... and only the rest is sent
    assert changes.of(partial) == {}
    mirror.model = history.model
    assert mirror == history and isinstance(mirror, History)


def test_histories_from_workers_equal_lone_runs_in_order_with_models(pool_jobs):
    # 3 settings in 2 workers (the first free worker takes the third); the order of the
    # result is the order of vary.
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
        alone = train(history.config, task="reverse", seed=0, task_options=OPTIONS,
                      label=history.label)
        assert history.same_run(alone) and history.steps == 16   # number for number
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
    # On Linux they were forked from the pool's zygote, which lives in a session of its own
    # too (without a zygote: the test just below).
    if workers._can_fork_workers():
        assert {type(w.process) for w in workers.pool().workers} == {workers._Forked}
        assert os.getsid(workers.pool()._zygote.process.pid) != os.getsid(0)


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
    # Two workers trained the first two seeds and stopped them mid-run, trained models
    # and all; the last two were never handed out, and say so with an empty History.
    assert [1 <= h.steps < 100 for h in histories] == [True, True, False, False], \
        [h.steps for h in histories]
    assert all(h.model is not None for h in histories[:2])
    assert [h.label for h in histories[2:]] == ["seed=2", "seed=3"]
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


def test_without_a_zygote_each_worker_is_a_new_python_with_the_same_runs(monkeypatch, pool_jobs):
    """Where workers cannot be forked from a zygote (no pidfds: not Linux) each is a new
    Python; its runs equal lone runs as the forked ones do (the other tests here)."""
    monkeypatch.setattr(workers, "_pool", workers.WorkerPool())
    monkeypatch.setattr(workers, "_can_fork_workers", lambda: False)
    histories = compare(BASE, {"seed": [0, 1]}, task="reverse", task_options=OPTIONS,
                        workers=2, device="cpu")
    alone = train(BASE, task="reverse", seed=1, task_options=OPTIONS, label="seed=1")
    assert histories[1].same_run(alone) and len(pool_jobs) == 1
    assert workers.pool()._zygote is None
    for worker in workers.pool().workers:
        assert isinstance(worker.process, subprocess.Popen)
        worker.close()
        assert worker.process.wait(timeout=120) is not None   # ends once its stdin closes


def test_a_busy_pool_falls_back_to_training_in_process():
    pool = workers.pool()
    assert pool.busy.acquire(blocking=False)
    try:
        histories = compare(BASE, {"seed": [0, 1]}, task="reverse", task_options=OPTIONS,
                            workers=2, device="cpu")
    finally:
        pool.busy.release()
    alone = train(BASE, task="reverse", seed=1, task_options=OPTIONS, label="seed=1")
    assert histories[1].same_run(alone)


def test_no_worker_can_start_so_compare_trains_in_process_and_says_so(monkeypatch):
    monkeypatch.setattr(workers, "_pool", workers.WorkerPool())   # none started yet
    monkeypatch.setattr(sys, "executable", "/nonexistent/python")
    with pytest.warns(RuntimeWarning, match="could not start a compare worker"):
        histories = compare(BASE, {"seed": [0, 1]}, task="reverse", task_options=OPTIONS,
                            workers=2, device="cpu")
    alone = train(BASE, task="reverse", seed=1, task_options=OPTIONS)
    assert histories[1].train_loss == pytest.approx(alone.train_loss, rel=1e-4, abs=1e-6)


def test_idle_workers_end_and_the_next_comparison_starts_new_ones(monkeypatch):
    fresh = workers.WorkerPool()
    monkeypatch.setattr(workers, "_pool", fresh)
    monkeypatch.setattr(workers, "IDLE_SECONDS", 0.5)
    histories = compare(BASE, {"seed": [0, 1]}, task="reverse", task_options=OPTIONS,
                        workers=2, device="cpu")
    first = [worker.process for worker in fresh.workers]
    assert len(first) == 2 and all(h.steps == 16 for h in histories)
    for process in first:      # ended by the pool once idle (waits for that event, not a time)
        assert process.wait(timeout=120) is not None
    histories = compare(BASE, {"seed": [0, 1]}, task="reverse", task_options=OPTIONS,
                        workers=2, device="cpu")
    assert all(h.steps == 16 for h in histories)
    assert not {w.process.pid for w in fresh.workers} & {p.pid for p in first}


def test_workers_end_with_their_parent_even_when_it_is_killed():
    parent = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time\n"
         "from seq2seq_lab.parallel import pool\n"
         "pool.pool().start(2)\n"
         "print(*[w.process.pid for w in pool.pool().workers], flush=True)\n"
         "time.sleep(600)\n"],
        stdout=subprocess.PIPE, text=True)
    pids = [int(pid) for pid in parent.stdout.readline().split()]
    assert len(pids) == 2
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    for pid in pids:   # their stdin closes with the parent: each reads EOF and exits
        assert _wait_gone(pid), f"worker {pid} outlived its parent"


def _wait_gone(pid: int, attempts: int = 1200) -> bool:
    """True once process ``pid`` no longer runs (a zombie counts as gone: it has exited)."""
    import time
    for _ in range(attempts):
        try:
            with open(f"/proc/{pid}/stat") as stat:
                if stat.read().split(") ")[1].startswith("Z"):
                    return True
        except FileNotFoundError:
            return True
        time.sleep(0.1)
    return False
