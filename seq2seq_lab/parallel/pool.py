"""Worker processes that let ``compare`` use every CPU core.

Lessons: none directly; ``compare.py`` (lessons 01, 02, 04, 05, 06, 07) runs its settings here.

Why processes: a small model keeps one core busy at best, and Python threads cannot share the
work, because the GIL serialises everything between torch's kernels (two threads of 4 runs
were 10% faster than one, measured 2026-11-24).  Two processes do run side by side.

How: a small pool of long-lived workers, each running ``worker.serve`` (that module is the
worker's side; this one is the parent's), started the first time they are needed and reused
by later comparisons.  On Linux they are forked from a zygote (zygote.py), one process per
pool that imports torch, the package and torch's compiler once: a worker then starts in
milliseconds instead of ~5 s of CPU each.  Elsewhere each is a new
``python -m seq2seq_lab.parallel.worker``.  The parent hands each
idle worker the next setting (its config, seed, label and task, a pickle on the worker's
stdin); the worker runs ``training.train`` on it and sends back, as pickles on its own pipe,
what changed in the History after every batch and evaluation.  The parent applies those
changes to its own copy of the History and calls the caller's callbacks with it, so a widget
draws every run live.  At the end the run's weights come back, so ``history.model`` is the
trained model.  One setting at a time per worker, not a fixed share: runs end at different
times (a diverging rate after a few steps, a small model sooner than a big one), and a free
worker takes whatever is left.

Stop: the parent forwards its stop event as a message; a thread in the worker sets the
worker's event within one batch.  Workers end with their parent (they read stdin until it
closes, and the parent's end closes it, even if it is killed) and after IDLE_SECONDS unused,
with the zygote, so a kernel left open does not keep ~330 MB per process.
"""
from __future__ import annotations

import itertools
import os
import pickle
import queue
import select
import signal
import socket
import subprocess
import sys
import threading
import time
import warnings
from pathlib import Path
from typing import Iterable

from ..history import History, apply_changes

ENVIRONMENT = "SEQ2SEQ_LAB_WORKERS"   # "0" (or "1") keeps every comparison in-process
# A worker unused this long is ended (its ~330 MB returned); the next comparison starts a new
# one (~2 s).  Long enough that a learner who reads for a few minutes between two comparisons
# does not wait again.
IDLE_SECONDS = 300.0


def usable_cores() -> int:
    """CPU cores this process may run on (a container's or ``taskset``'s limit, if any)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def worker_count(runs: int, requested: int | None = None) -> int:
    """How many workers should train ``runs`` settings (0: train them in this process).

    ``requested``: ``compare(workers=...)``; None reads ``SEQ2SEQ_LAB_WORKERS``, else uses one
    worker per core.  Never more workers than runs, and never a single worker: one worker
    is one core, which this process has already.
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
        else:
            requested = usable_cores()
    count = min(requested, runs)
    return count if count >= 2 else 0


# ---- the parent's side --------------------------------------------------------------------
class WorkerFailed(RuntimeError):
    """A worker raised (its traceback is the message) or died."""


def _environment() -> dict:
    """A worker's environment: one thread for torch, and this very copy of seq2seq_lab."""
    environment = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    # The package's own folder first, so a worker imports this very copy of seq2seq_lab
    # even when it is not installed (a notebook run from a source checkout).
    package_root = str(Path(__file__).resolve().parents[2])
    environment["PYTHONPATH"] = os.pathsep.join(
        [package_root] + [p for p in environment.get("PYTHONPATH", "").split(os.pathsep) if p])
    return environment


def _can_fork_workers() -> bool:
    """Whether workers can come from a zygote (zygote.py): Linux's pidfds let this process
    watch and stop a worker that is not its own child.  Elsewhere each worker is a new Python."""
    if not (hasattr(os, "pidfd_open") and hasattr(socket, "send_fds")):
        return False
    try:
        os.close(os.pidfd_open(os.getpid()))
    except OSError:   # an old kernel
        return False
    return True


class _Zygote:
    """A pool's zygote: started with the pool's first worker, it imports torch and the package
    once and forks each worker from itself (see zygote.py for why and how)."""

    def __init__(self):
        ours, theirs = socket.socketpair()
        try:
            # A session of its own, like the workers: Jupyter's Interrupt is the kernel's.
            self.process = subprocess.Popen(
                [sys.executable, "-m", "seq2seq_lab.parallel.zygote", str(theirs.fileno())],
                stdin=subprocess.DEVNULL, pass_fds=(theirs.fileno(),), env=_environment(),
                start_new_session=True)
        except (OSError, ValueError) as error:
            ours.close()
            raise WorkerFailed(f"could not start a compare worker: {error}") from error
        finally:
            theirs.close()
        self.socket, self.lock = ours, threading.Lock()
        self.replies = ours.makefile("rb")

    def alive(self) -> bool:
        return self.process.poll() is None

    def close(self) -> None:
        """End it (it ends when this socket closes); the workers it forked live on."""
        self.replies.close()
        self.socket.close()

    def fork(self, stdin_fd: int, message_fd: int) -> "_Forked":
        """A new worker reading ``stdin_fd`` and writing ``message_fd``; waits until the
        zygote is ready (its imports, ~5 s, only the first time)."""
        with self.lock:
            try:
                socket.send_fds(self.socket, [b"f"], [stdin_fd, message_fd])
                reply = self.replies.readline()
            except (OSError, ValueError):   # ValueError: closed meanwhile (the pool went idle)
                reply = b""
        if not reply:
            raise WorkerFailed("the process compare's workers start from has ended (see the "
                               "kernel's log or terminal for its error)")
        return _Forked(int(reply))


class _Forked:
    """A worker forked by the zygote, watched through a pidfd (it is the zygote's child, not
    ours): ``pid``, ``poll``, ``wait`` and ``kill`` as on a ``subprocess.Popen``."""

    def __init__(self, pid: int):
        self.pid = pid
        try:
            self._pidfd: int | None = os.pidfd_open(pid)
        except ProcessLookupError:   # it has already ended
            self._pidfd = None

    def poll(self) -> int | None:
        """None while it runs; 0 once it has ended (its status is the zygote's to read)."""
        return 0 if self._ended(0) else None

    def wait(self, timeout: float | None = None) -> int:
        if not self._ended(timeout):
            raise subprocess.TimeoutExpired(f"compare worker {self.pid}", timeout)
        return 0

    def kill(self) -> None:
        if self._pidfd is not None and not self._ended(0):
            signal.pidfd_send_signal(self._pidfd, signal.SIGKILL)

    def _ended(self, timeout: float | None) -> bool:
        if self._pidfd is None:
            return True
        readable, _, _ = select.select([self._pidfd], [], [], timeout)   # readable: it exited
        return bool(readable)

    def __del__(self):
        if getattr(self, "_pidfd", None) is not None:
            os.close(self._pidfd)


class _Worker:
    """One worker process and the thread that reads its messages into the pool's queue.

    Its two pipes are made here, so messages can be sent at once: they wait in the pipe
    while the worker starts."""

    def __init__(self, inbox: queue.Queue, zygote: _Zygote | None):
        """``zygote``: the pool's, to fork this worker from; None: start a new Python."""
        self.inbox, self.lock, self.gone = inbox, threading.Lock(), False
        self._started, self._process = threading.Event(), None
        worker_stdin, to_worker = os.pipe()
        messages, worker_out = os.pipe()
        self.stdin = os.fdopen(to_worker, "wb")
        self.messages = os.fdopen(messages, "rb")
        if zygote is not None:
            # Forked from the reading thread: the first fork waits for the zygote's imports,
            # and starting must return at once (pool.warm starts workers while a widget builds).
            threading.Thread(target=self._fork_then_read, args=(zygote, worker_stdin, worker_out),
                             name="seq2seq-lab-worker", daemon=True).start()
            return
        try:
            # A session of its own: Jupyter's Interrupt sends SIGINT to the kernel's whole
            # process group, and it must not kill the workers (or a Compare training in them).
            self._process = subprocess.Popen(
                [sys.executable, "-m", "seq2seq_lab.parallel.worker", str(worker_out)],
                stdin=worker_stdin, pass_fds=(worker_out,), env=_environment(),
                start_new_session=True)
        except (OSError, ValueError) as error:
            self.stdin.close()
            self.messages.close()
            raise WorkerFailed(f"could not start a compare worker: {error}") from error
        finally:
            os.close(worker_stdin)
            os.close(worker_out)
        self._started.set()
        threading.Thread(target=self._read, name=f"seq2seq-lab-worker-{self._process.pid}",
                         daemon=True).start()

    @property
    def process(self):
        """The worker process (``pid``, ``poll``, ``wait``, ``kill``); waits for its start."""
        self._started.wait()
        return self._process

    def _fork_then_read(self, zygote: _Zygote, worker_stdin: int, worker_out: int) -> None:
        try:
            self._process = zygote.fork(worker_stdin, worker_out)
        except WorkerFailed:
            self.gone = True
        finally:
            # The worker has its own copies; with these closed, its end closes the message
            # pipe (EOF below) and this process's end closes its stdin.
            os.close(worker_stdin)
            os.close(worker_out)
            self._started.set()
        self._read()

    def send(self, message: tuple) -> None:
        data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)  # whole, or not at all
        try:
            with self.lock:
                self.stdin.write(data)
                self.stdin.flush()
        except OSError as error:  # a broken pipe: the worker could not start, or died
            raise WorkerFailed(f"a compare worker is not running ({error}); see the kernel's "
                               "log or terminal for its error") from error

    def alive(self) -> bool:
        if self.gone:
            return False
        if not self._started.is_set():   # still starting: alive unless its start fails
            return True
        return self._process is not None and self._process.poll() is None

    def close(self) -> None:
        """End the worker: it reads its stdin until it closes, then exits."""
        self.gone = True
        try:
            with self.lock:
                self.stdin.close()
        except OSError:
            pass

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
    """Long-lived workers, started on first use, kept for later comparisons, ended when idle."""

    def __init__(self):
        self.workers: list[_Worker] = []
        self.inbox: queue.Queue = queue.Queue()
        self.busy = threading.Lock()   # one comparison at a time uses the pool
        self.jobs = itertools.count()
        self.last_used = time.monotonic()
        self._reaper: threading.Thread | None = None
        self._zygote: _Zygote | None = None

    def _zygote_to_fork_from(self) -> _Zygote | None:
        """The pool's zygote, started on first use (again if it ended); None where workers
        cannot be forked from one (see ``_can_fork_workers``)."""
        if not _can_fork_workers():
            return None
        if self._zygote is None or not self._zygote.alive():
            self._zygote = _Zygote()
        return self._zygote

    def start(self, count: int) -> None:
        """Have at least ``count`` live workers.  Starting returns at once; each worker then
        imports torch on its own (~2 s), so starting early hides that wait."""
        self.workers = [worker for worker in self.workers if worker.alive()]
        while len(self.workers) < count:
            self.workers.append(_Worker(self.inbox, self._zygote_to_fork_from()))
        self.last_used = time.monotonic()
        if self._reaper is None:
            self._reaper = threading.Thread(target=self._end_idle, name="seq2seq-lab-reaper",
                                            daemon=True)
            self._reaper.start()

    def _end_idle(self) -> None:
        """End the workers once the pool has been unused for IDLE_SECONDS.  It holds the
        pool's lock while it does, so a comparison never hands a run to a closing worker."""
        while True:
            time.sleep(min(30.0, IDLE_SECONDS / 4))
            if time.monotonic() - self.last_used < IDLE_SECONDS or not self.busy.acquire(blocking=False):
                continue
            try:
                if time.monotonic() - self.last_used >= IDLE_SECONDS:
                    for worker in self.workers:
                        worker.close()
                    self.workers = []
                    if self._zygote is not None:   # it holds torch in memory too
                        self._zygote.close()
                        self._zygote = None
            finally:
                self.busy.release()

    def train(self, settings: list, tasks: list, callbacks: Iterable,
              stop_event: threading.Event | None, count: int) -> list[History] | None:
        """Train every setting (``compare.Setting``, on ``tasks[i]``) in ``count`` workers.

        :return: the Histories in order, with their trained models; None when another
            comparison is using the pool or no worker can start (the caller trains in-process)
        """
        if not self.busy.acquire(blocking=False):
            return None
        try:
            try:
                self.start(count)
            except WorkerFailed as error:  # no subprocesses here: the caller trains in-process
                warnings.warn(f"{error}; training in this process instead", RuntimeWarning,
                              stacklevel=3)
                return None
            return self._train(settings, tasks, list(callbacks), stop_event, count)
        finally:
            self.last_used = time.monotonic()
            self.busy.release()

    def _train(self, settings, tasks, callbacks, stop_event, count) -> list[History]:
        job = next(self.jobs)
        histories: list[History | None] = [None] * len(settings)
        # The costliest first (longest-processing-time scheduling): handed out in the given
        # order, a sweep of hidden sizes left its biggest run to train alone at the end while
        # the other core idled.
        waiting = sorted(range(len(settings)), key=lambda i: -estimated_cost(settings[i], tasks[i]))
        running: dict[_Worker, int] = {}               # worker -> the setting it trains
        idle = list(self.workers[:count])
        stopping = False

        def hand_out() -> None:
            while idle and waiting and not stopping:
                worker, index = idle.pop(0), waiting.pop(0)
                setting = settings[index]
                worker.send(("run", job, index, setting.config, setting.seed, setting.label,
                             tasks[index]))
                running[worker] = index
        try:
            hand_out()
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
                    continue  # left over from an earlier, abandoned comparison, or an idle end
                kind = message[0]
                if kind == "gone":
                    raise WorkerFailed("a compare worker ended unexpectedly (see the kernel's "
                                       "log or terminal for its error)")
                if message[1] != job:
                    continue
                if kind == "changes":
                    _, _, index, event, changes, weights = message
                    histories[index] = apply_changes(histories[index], changes)
                    if weights is not None:
                        histories[index].model = _rebuild(histories[index], tasks[index], weights)
                    for callback in callbacks:
                        method = getattr(callback, event, None) if event else None
                        if method is not None:
                            method(histories[index])
                elif kind == "finished":
                    del running[worker]
                    idle.append(worker)
                    hand_out()
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
        return histories   # None where Stop came before a setting was handed out


def estimated_cost(setting, task) -> float:
    """A run's work, roughly, for ordering only: steps x source length x the recurrent
    layers' multiply-adds per position (gates x hidden x (input + hidden))."""
    from ..training import total_steps
    config = setting.config
    gates = {"rnn": 1, "gru": 3, "lstm": 4}[config.rnn_cell_type]
    hidden = config.rnn_num_hidden
    per_layer = gates * hidden * (hidden + max(config.num_embed_source, config.num_embed_target))
    layers = config.num_layers_encoder + config.num_layers_decoder
    return float(total_steps(config, task) * (task.options.get("seq_len") or 10) * per_layer * layers)


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


def warm(runs: int = 8) -> None:
    """Start the workers a comparison of ``runs`` settings would use, so that their start-up
    (~2 s each, in the background) is over by the time a learner presses Compare."""
    try:
        count = worker_count(runs)
    except ValueError:   # a bad SEQ2SEQ_LAB_WORKERS: compare() will say so when it runs
        return
    if count and _pool.busy.acquire(blocking=False):
        try:
            _pool.start(count)
        except WorkerFailed:   # compare() will say so, and train in-process
            pass
        finally:
            _pool.busy.release()
