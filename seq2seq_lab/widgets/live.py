"""Threads behind the live widgets: training thread, drawer, results cache, task cache, warm-up.

Lessons: 01-09, through ``Lab`` and ``Compare`` (``widgets/lab.py``), which use these pieces.

Why threads (tried in JupyterLab with ipykernel 7.4): training in the cell's own thread leaves
button clicks unhandled until the cell ends, so Stop would not work; training in a daemon
thread leaves the kernel idle, and clicks, other cells and Stop all work.  Two rules, from
what ipywidgets and matplotlib users ran into, shape the rest:

- matplotlib is not thread-safe, so exactly one thread draws: the :class:`Drawer`.  The
  training thread only marks that something changed; the drawer takes *copies* of the lists
  (:func:`snapshot`) and renders them, at most ``max_rate`` times a second and never more than
  ``budget`` of the time, so live drawing costs training little (measured in BENCHMARKS.md).
- from a thread, only set widget values (an Image's bytes, an HTML's text), never print or
  display; exceptions are caught where they happen and turned into a message, so nothing
  reaches ``threading.excepthook`` or the notebook as a traceback.
"""
from __future__ import annotations

import dataclasses
import json
import threading
import time
import traceback
from collections import OrderedDict
from typing import Callable

from ..data import Task, make_task
from ..history import BATCH, SERIES, History
from ..training import import_optimizer_machinery

_TASKS: OrderedDict[tuple, Task] = OrderedDict()  # built tasks, shared by widgets (bounded)
_TASK_CACHE_SIZE = 4
_warmed_up = False   # warm_up() has run in this process


def snapshot(history: History) -> History:
    """A copy of a History that another thread may be appending to, safe to draw.

    ``list(...)`` copies under the GIL, one series after another, while the training thread
    appends; so each kind of series is cut to the length all of its required ones reached
    (``eval_steps`` is appended before the scores).  Series a run does not record (attention
    without attention, BLEU) are only copied.
    """
    copies = {series.name: list(getattr(history, series.name)) for series in SERIES}
    eval_steps = list(history.eval_steps)
    steps = min(len(copies["train_loss"]), len(copies["lrs"]))
    count = min(len(eval_steps), *(len(copies[name]) for name in ("val_loss", "val_accuracy",
                                                                  "val_exact")))
    for series in SERIES:
        copies[series.name] = copies[series.name][:steps if series.every == BATCH else count]
    return dataclasses.replace(history, eval_steps=eval_steps[:count],
                               task_options=dict(history.task_options), model=None, **copies)


class ResultCache:
    """The last ``size`` finished runs, keyed by everything that determines them.

    Training is seeded and bit-identical on CPU (training.py), so the same config, task, task
    options and seed would redraw the very same curves: replaying them is instant and honest.
    Stored Histories carry no model, so the cache's memory is a few KB per run.
    """

    def __init__(self, size: int = 32):
        self.size = size
        self._items: OrderedDict[tuple, History] = OrderedDict()
        self.hits = 0

    @staticmethod
    def key(config, task: str, task_options: dict, seed: int, device: str = "cpu") -> tuple:
        return (config, task, json.dumps(task_options, sort_keys=True, default=str), seed, device)

    def get(self, key: tuple) -> History | None:
        history = self._items.get(key)
        if history is None:
            return None
        self._items.move_to_end(key)
        self.hits += 1
        return snapshot(history)

    def put(self, key: tuple, history: History) -> None:
        self._items[key] = snapshot(history)
        self._items.move_to_end(key)
        while len(self._items) > self.size:
            self._items.popitem(last=False)

    def __len__(self) -> int:
        return len(self._items)


class Drawer:
    """One daemon thread that calls ``render()`` when asked, throttled.

    ``request()`` may be called from any thread, as often as every batch: requests that arrive
    while a frame is due merge into one.  After a frame that took ``c`` seconds of this
    thread's CPU time the next waits ``max(1 / max_rate, c / budget)``, so drawing uses at most
    ``budget`` of one core, but never longer than ``max_interval``, so a learner on a loaded
    machine still sees the curve move.  CPU time rather than wall time: on a machine shared by
    several jobs a frame's wall time grows with the load, not with what drawing costs.  A
    ``request(final=True)`` (end of a run) is drawn as soon as the thread is free, skipping
    the wait: the last frame always shows the whole run.
    """

    def __init__(self, render: Callable[[], None], on_error: Callable[[BaseException], None],
                 max_rate: float = 5.0, budget: float = 0.04, max_interval: float = 2.0):
        self._render, self._on_error = render, on_error
        self.min_interval, self.budget, self.max_interval = 1.0 / max_rate, budget, max_interval
        self._wake = threading.Condition()
        self._pending = self._final = self._closed = False
        self._busy = False
        self._calls: list[tuple[Callable, dict]] = []   # other drawing jobs (exports)
        self.frames = 0
        self.last_frame_seconds = self.last_frame_cpu = 0.0
        self._next_time = 0.0
        self._thread = threading.Thread(target=self._loop, name="seq2seq-lab-drawer", daemon=True)
        self._thread.start()

    def request(self, final: bool = False) -> None:
        with self._wake:
            self._pending = True
            self._final = self._final or final
            self._wake.notify()

    def call(self, function: Callable, timeout: float = 30.0):
        """Run ``function()`` in the drawer thread (it draws too) and return its result."""
        slot: dict = {"done": threading.Event()}
        with self._wake:
            self._calls.append((function, slot))
            self._wake.notify()
        if not slot["done"].wait(timeout):
            raise TimeoutError("the drawer did not answer")
        if "error" in slot:
            raise slot["error"]
        return slot["result"]

    def idle(self) -> bool:
        with self._wake:
            return not (self._pending or self._busy)

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until every request so far has been drawn; False on timeout."""
        deadline = time.monotonic() + timeout
        with self._wake:
            while self._pending or self._busy:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._wake.wait(min(left, 0.05))
        return True

    def close(self) -> None:
        with self._wake:
            self._closed = True
            self._wake.notify_all()

    def _loop(self) -> None:
        while True:
            with self._wake:
                while not self._pending and not self._closed and not self._calls:
                    self._wake.wait()
                if self._closed:
                    return
                calls, self._calls = self._calls, []
            for function, slot in calls:
                try:
                    slot["result"] = function()
                except Exception as error:  # noqa: BLE001 - handed to the caller
                    slot["error"] = error
                slot["done"].set()
            with self._wake:
                if not self._pending:
                    continue
                if not self._final:
                    wait = self._next_time - time.monotonic()
                    if wait > 0:  # throttle; a final request arriving meanwhile cuts it short
                        self._wake.wait(wait)
                        if self._closed:
                            return
                        if not self._final and self._next_time - time.monotonic() > 0:
                            continue
                self._pending = self._final = False
                self._busy = True
            started, started_cpu = time.perf_counter(), time.thread_time()
            try:
                self._render()
                self.frames += 1
            except Exception as error:  # noqa: BLE001 - a bad frame must not kill the drawer
                self._report(error)
            cost = time.thread_time() - started_cpu
            self.last_frame_seconds = time.perf_counter() - started
            self.last_frame_cpu = cost
            wait = min(max(self.min_interval, cost / self.budget), self.max_interval)
            with self._wake:
                self._busy = False
                self._next_time = time.monotonic() + wait
                self._wake.notify_all()

    def _report(self, error: BaseException) -> None:
        try:
            self._on_error(error)
        except Exception:  # noqa: BLE001 - nothing may escape the thread
            pass


class Runner:
    """Runs one job at a time in a daemon thread, with a stop Event.

    ``start(job)`` stops the job before it (its thread ends within one batch) and the new
    thread joins the old one first, so runs never overlap and the kernel's main thread never
    waits.  ``job(stop_event)`` runs in the thread; an exception it raises goes to
    ``on_error`` with its traceback text, never to ``threading.excepthook``; a job stopped
    before it began is not run, and ``on_skipped()`` is called instead.
    """

    def __init__(self, on_error: Callable[[BaseException, str], None],
                 on_skipped: Callable[[], None] | None = None):
        self._on_error, self._on_skipped = on_error, on_skipped
        self._thread: threading.Thread | None = None
        self._stop: threading.Event | None = None
        self._lock = threading.Lock()

    @property
    def running(self) -> bool:
        thread = self._thread
        return thread is not None and thread.is_alive()

    def start(self, job: Callable[[threading.Event], None]) -> None:
        with self._lock:
            previous, stop = self._thread, threading.Event()
            if self._stop is not None:
                self._stop.set()
            self._stop = stop
            self._thread = threading.Thread(target=self._main, args=(job, stop, previous),
                                            name="seq2seq-lab-training", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        with self._lock:
            if self._stop is not None:
                self._stop.set()

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for the current job; True once no job is running."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
        return not self.running

    def _main(self, job, stop: threading.Event, previous: threading.Thread | None) -> None:
        try:
            if previous is not None:
                previous.join()
            if not stop.is_set():
                job(stop)
            elif self._on_skipped is not None:
                # Stopped before it began (Stop, or another Train, right after Train): the
                # widget still has to say so, or its status would stay at "starting…".
                self._on_skipped()
        except BaseException as error:  # noqa: BLE001 - includes KeyboardInterrupt in the thread
            text = traceback.format_exc()
            try:
                self._on_error(error, text)
            except Exception:  # noqa: BLE001
                pass


# ---- process-wide helpers of the widgets -------------------------------------------------
def warm_up() -> None:
    """Import torch's compiler once per process, in the calling thread (the kernel's main
    thread, as the first widget is built): ``training.import_optimizer_machinery``.  It costs
    ~2.5 s, which would otherwise delay the first run's first point.

    Not in a background thread, as it once was: there its import of ``torch._dynamo`` could
    interleave with other imports of the kernel, and a run then failed at its first step
    with "partially initialized module 'torch._dynamo' has no attribute 'decorators'" (seen
    in the browser tests on a loaded machine, in 3 of 8 full runs).  Imported here, before
    any widget can train, no training thread ever imports it."""
    global _warmed_up
    if _warmed_up:
        return
    _warmed_up = True
    import_optimizer_machinery()


def build_task(name: str, options: dict) -> Task:
    """``make_task`` with a small cache: tasks are deterministic for a name and options.  An
    own data file (``pairs``) goes to make_task each time, which keys its own cache on the
    file's identity, so an edited file is read again."""
    if name == "pairs":
        return make_task(name, **options)
    key = (name, json.dumps(options, sort_keys=True, default=str))
    if key not in _TASKS:
        _TASKS[key] = make_task(name, **options)
        while len(_TASKS) > _TASK_CACHE_SIZE:
            _TASKS.popitem(last=False)
    _TASKS.move_to_end(key)
    return _TASKS[key]
