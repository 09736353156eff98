"""The worker's side of ``pool.py``: ``python -m seq2seq_lab.parallel.worker <fd>``, or
``serve(fd)`` in a process forked by ``zygote.py`` (Linux).

Lessons: none directly; ``compare`` (lessons 01, 02, 04, 05, 06, 07) trains its settings here.

A worker reads messages (pickles) from its stdin until the parent closes it.  A "run" message
is one setting: the worker trains it with ``training.train``, the very function a lone run
uses, and writes what changed in its History after every event as pickles to the descriptor
``fd``, a pipe of its own, so that a library's stray print on stdout cannot break a message.
A second thread keeps reading stdin, so "stop" arrives while it trains.
"""
from __future__ import annotations

import os
import pickle
import queue
import sys
import threading
import traceback

from ..history import Changes, History


def serve(message_fd: int) -> None:
    """A worker's life: read runs from stdin until it closes, train each, report."""
    from ..training import CPU, train

    out = os.fdopen(message_fd, "wb")
    send_lock = threading.Lock()

    def send(message: tuple) -> None:
        data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)  # whole, or not at all
        with send_lock:
            out.write(data)
            out.flush()

    runs: queue.Queue = queue.Queue()
    stops: dict[int, threading.Event] = {}

    def read() -> None:  # a thread, so that "stop" arrives while the main thread trains
        stdin = sys.stdin.buffer
        while True:
            try:
                message = pickle.load(stdin)
            except EOFError:   # the parent closed the pipe, or ended
                break
            except Exception:  # noqa: BLE001 - a message this worker cannot read: say why, end
                traceback.print_exc()   # (the parent then reports that its worker ended)
                break
            event = stops.setdefault(message[1], threading.Event())
            if message[0] == "stop":
                event.set()
            else:
                runs.put(message)
        for event in stops.values():
            event.set()
        runs.put(None)

    threading.Thread(target=read, daemon=True).start()
    while (message := runs.get()) is not None:
        _, job, index, config, seed, label, task = message
        try:
            reporter = _Reporter(send, job, index)
            history = train(config, task, seed, [reporter], stops[job], CPU, label=label)
            leftover = reporter.changes.of(history)   # fields set after the last event
            if leftover:
                send(("changes", job, index, None, leftover, None))
            send(("finished", job))
        except BaseException:  # noqa: BLE001 - reported to the parent, which raises it
            send(("error", job, traceback.format_exc()))


class _Reporter:
    """The callback a worker gives ``train``: after each event, send what changed in the
    History; at its end, the weights too, so the parent's ``on_run_end`` sees
    ``history.model`` (in-process the model is there from the first batch; here it arrives
    with the end)."""

    def __init__(self, send, job: int, index: int):
        self.send, self.job, self.index, self.changes = send, job, index, Changes()

    def _report(self, event: str, history: History, weights=None) -> None:
        self.send(("changes", self.job, self.index, event, self.changes.of(history), weights))

    def on_batch_end(self, history: History) -> None:
        self._report("on_batch_end", history)

    def on_evaluation_end(self, history: History) -> None:
        self._report("on_evaluation_end", history)

    def on_run_end(self, history: History) -> None:
        self._report("on_run_end", history, history.model.state_dict())


if __name__ == "__main__":
    # Keep stray prints (a library's warning) off the message pipe: it is its own descriptor.
    serve(int(sys.argv[1]))
