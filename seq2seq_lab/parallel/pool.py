"""Worker processes that let ``compare`` use every CPU core.

Lessons: none directly; ``compare.py`` (lessons 01, 02, 04, 05, 07) hands its big groups here.

Why processes: one batched model of 8 members (``ensemble.py``) keeps one core busy, not two:
its step took the same time with 1 or 2 torch threads (measured 2026-11-24: 86 vs 84 ms), as
each operation is too small to split well, and Python threads cannot share the work because
the GIL serialises everything between torch's kernels (two threads of 4 members: 10% faster).
Two processes of 4 members each do run side by side: 46 ms per step of all 8, against 84.

How: a small pool of long-lived workers, each ``python -m seq2seq_lab.worker_process`` (that
module is the worker's side; this one is the parent's), started the
first time they are needed (importing torch takes each ~2 s; later comparisons reuse them).
The parent sends a job (the members' configs, seeds, labels and the task) as a pickle on the
worker's stdin; the worker trains them with ``ensemble.train_runs``, the code in-process uses,
and sends back, as pickles on its own pipe, what changed in each member's History after every
batch and evaluation.  The parent applies those changes to its own copies of the Histories
and calls the caller's callbacks with them, so a widget draws the members live as before.
At the end each member's weights come back, so ``history.model`` is the trained model.

Stop: the parent forwards its stop event as a message; a thread in the worker sets the
worker's event within one batch.  A worker reads its stdin until the parent closes it, so it
ends with the parent, even one that is killed.
"""
from __future__ import annotations

import itertools
import os
import pickle
import queue
import subprocess
import sys
import threading
import warnings
from pathlib import Path
from typing import Iterable

from ..history import History, apply_changes

# Below this many members a group trains in-process: two members gain little from a second
# core, and a worker's first use costs its start-up.
MIN_MEMBERS = 4
ENVIRONMENT = "SEQ2SEQ_LAB_WORKERS"   # "0" (or "1") keeps every comparison in-process


def usable_cores() -> int:
    """CPU cores this process may run on (a container's or ``taskset``'s limit, if any)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def worker_count(members: int, requested: int | None = None) -> int:
    """How many workers should train a group of ``members`` (0: train it in-process).

    ``requested``: ``compare(workers=...)``; None reads ``SEQ2SEQ_LAB_WORKERS``, else uses
    one worker per core for groups of at least :data:`MIN_MEMBERS`, at most one per 2 members.
    """
    if os.name == "nt":   # no pass_fds for the message pipe on Windows: train in-process
        return 0
    if requested is None:
        setting = os.environ.get(ENVIRONMENT, "").strip()
        if setting:
            if not setting.isdigit():
                raise ValueError(f"{ENVIRONMENT} must be a whole number of worker processes "
                                 f"(0 for none), got {setting!r}")
            requested = int(setting)
        elif members < MIN_MEMBERS:
            return 0
        else:  # one per core, each with 2 members or more (more workers only cost memory)
            requested = min(usable_cores(), members // 2)
    count = min(requested, members)
    return count if count >= 2 else 0


def deal(count: int, parts: int) -> list[list[int]]:
    """Positions 0..count-1 dealt round-robin into ``parts`` hands: 8 -> [0, 2, 4, 6], [1, 3,
    5, 7].  Dealt, not cut in halves, because a sweep is usually sorted: the largest learning
    rates diverge within a few steps and leave their worker, and halves would leave one worker
    with all the survivors while the other idles."""
    return [list(range(part, count, parts)) for part in range(parts)]


# ---- the parent's side --------------------------------------------------------------------
class WorkerFailed(RuntimeError):
    """A worker raised (its traceback is the message) or died."""


class _Worker:
    """One worker process and the thread that reads its messages into the pool's queue."""

    def __init__(self, inbox: queue.Queue):
        environment = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
        # The package's own folder first, so a worker imports this very copy of seq2seq_lab
        # even when it is not installed (a notebook run from a source checkout).
        package_root = str(Path(__file__).resolve().parents[2])
        environment["PYTHONPATH"] = os.pathsep.join(
            [package_root] + [p for p in environment.get("PYTHONPATH", "").split(os.pathsep) if p])
        read_end, write_end = os.pipe()
        try:
            # A session of its own: Jupyter's Interrupt sends SIGINT to the kernel's whole
            # process group, and it must not kill the workers (or a Compare training in them).
            self.process = subprocess.Popen(
                [sys.executable, "-m", "seq2seq_lab.parallel.worker", str(write_end)],
                stdin=subprocess.PIPE, pass_fds=(write_end,), env=environment,
                start_new_session=True)
        except (OSError, ValueError) as error:
            os.close(read_end)
            raise WorkerFailed(f"could not start a compare worker: {error}") from error
        finally:
            os.close(write_end)
        self.inbox, self.lock, self.gone = inbox, threading.Lock(), False
        self.messages = os.fdopen(read_end, "rb")
        threading.Thread(target=self._read, name=f"seq2seq-lab-worker-{self.process.pid}",
                         daemon=True).start()

    def send(self, message: tuple) -> None:
        data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)  # whole, or not at all
        try:
            with self.lock:
                self.process.stdin.write(data)
                self.process.stdin.flush()
        except OSError as error:  # a broken pipe: the worker could not start, or died
            raise WorkerFailed(f"a compare worker is not running ({error}); see the kernel's "
                               "log or terminal for its error") from error

    def alive(self) -> bool:
        return not self.gone and self.process.poll() is None

    def _read(self) -> None:
        while True:
            try:
                message = pickle.load(self.messages)
            except BaseException:  # noqa: BLE001 - EOF (it ended) or a message cut short
                self.gone = True   # before poll() may know: the pipe closes first
                self.inbox.put((self, ("gone", None)))
                return
            self.inbox.put((self, message))


class WorkerPool:
    """Long-lived workers, started on first use and kept for later comparisons."""

    def __init__(self):
        self.workers: list[_Worker] = []
        self.inbox: queue.Queue = queue.Queue()
        self.busy = threading.Lock()   # one comparison at a time uses the pool
        self.jobs = itertools.count()

    def start(self, count: int) -> None:
        """Have at least ``count`` live workers.  Starting returns at once; each worker then
        imports torch on its own (~2 s), so starting early hides that wait."""
        self.workers = [worker for worker in self.workers if worker.alive()]
        while len(self.workers) < count:
            self.workers.append(_Worker(self.inbox))

    def train(self, groups: list[tuple[list, list[int], list[str]]], task, callbacks: Iterable,
              stop_event: threading.Event | None) -> list[list[History]] | None:
        """Train each group ``(configs, seeds, labels)`` in its own worker, all at once.

        :return: each group's Histories, in order, with their trained models; None when
            another comparison is using the pool or no worker can start (the caller trains
            in-process instead)
        """
        if not self.busy.acquire(blocking=False):
            return None
        try:
            try:
                self.start(len(groups))
            except WorkerFailed as error:  # no subprocesses here: the caller trains in-process
                warnings.warn(f"{error}; training in this process instead", RuntimeWarning,
                              stacklevel=3)
                return None
            return self._train(groups, task, list(callbacks), stop_event)
        finally:
            self.busy.release()

    def _train(self, groups, task, callbacks, stop_event) -> list[list[History]]:
        job = next(self.jobs)
        assigned = {worker: index for index, worker in enumerate(self.workers[:len(groups)])}
        histories: list[list[History | None]] = [[None] * len(configs) for configs, _, _ in groups]
        running, stopping = set(assigned), False
        try:
            for worker, index in assigned.items():
                configs, seeds, labels = groups[index]
                worker.send(("job", job, configs, seeds, labels, task))
            while running:
                if stop_event is not None and stop_event.is_set() and not stopping:
                    stopping = True
                    for worker in running:
                        worker.send(("stop", job))
                try:
                    worker, message = self.inbox.get(timeout=0.05)
                except queue.Empty:
                    if any(not worker.alive() for worker in running):
                        raise WorkerFailed("a compare worker ended unexpectedly (see the "
                                           "kernel's log or terminal for its error)") from None
                    continue
                if worker not in running:
                    continue  # left over from an earlier, abandoned comparison
                kind = message[0]
                if kind == "gone":
                    raise WorkerFailed("a compare worker ended unexpectedly (see the kernel's "
                                       "log or terminal for its error)")
                if message[1] != job:
                    continue
                group = histories[assigned[worker]]
                if kind == "changes":
                    _, _, member, event, changes, weights = message
                    group[member] = apply_changes(group[member], changes)
                    if weights is not None:
                        group[member].model = _rebuild(group[member], task, weights)
                    for callback in callbacks:
                        method = getattr(callback, event, None) if event else None
                        if method is not None:
                            method(group[member])
                elif kind == "finished":
                    running.discard(worker)
                elif kind == "error":
                    raise WorkerFailed(f"a compare worker failed:\n{message[2]}")
        except BaseException:
            # Stop the others; their late messages carry this job's number and are skipped.
            for worker in running:
                if worker.alive():
                    try:
                        worker.send(("stop", job))
                    except WorkerFailed:
                        pass
            raise
        return histories


def _rebuild(history: History, task, state: dict):
    """The trained model, from the weights a worker sent."""
    import torch
    from ..models import build_model
    # Building draws random weights: keep the caller's stream (the CPU's: the model is built there).
    with torch.random.fork_rng(devices=[]):
        model = build_model(history.config, len(task.source_vocab), len(task.target_vocab))
    model.load_state_dict(state)
    model.eval()
    return model


_pool = WorkerPool()


def pool() -> WorkerPool:
    """The process's pool (its workers live as long as this process)."""
    return _pool


def warm(members: int = 8) -> None:
    """Start the workers a comparison of ``members`` would use, so that their start-up
    (~2 s each, in the background) is over by the time a learner presses Compare."""
    try:
        count = worker_count(members)
    except ValueError:   # a bad SEQ2SEQ_LAB_WORKERS: compare() will say so when it runs
        return
    if count and _pool.busy.acquire(blocking=False):
        try:
            _pool.start(count)
        except WorkerFailed:   # compare() will say so, and train in-process
            pass
        finally:
            _pool.busy.release()
