"""The worker's side of ``workers.py``: ``python -m seq2seq_lab.worker_process <fd>``.

Lessons: none directly; ``compare`` (lessons 01, 02, 04, 05, 07) runs its big groups here.

A worker reads jobs (pickles) from its stdin until the parent closes it, trains each job's
members together with ``ensemble.train_runs`` (one batched model, the code ``compare`` uses
in-process), and writes what changed in each member's History after every event as pickles
to the descriptor ``fd``, a pipe of its own, so that a library's stray print on stdout cannot
break a message.  A second thread keeps reading stdin, so "stop" arrives while it trains.
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
    """A worker's life: read jobs from stdin until it closes, train each, report."""
    import torch
    from ..ensemble import make_runs, train_runs
    from ..training import CPU

    torch.set_num_threads(1)
    out = os.fdopen(message_fd, "wb")
    send_lock = threading.Lock()

    def send(message: tuple) -> None:
        data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)  # whole, or not at all
        with send_lock:
            out.write(data)
            out.flush()

    jobs: queue.Queue = queue.Queue()
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
                jobs.put(message)
        for event in stops.values():
            event.set()
        jobs.put(None)

    threading.Thread(target=read, daemon=True).start()
    while (message := jobs.get()) is not None:
        _, job, configs, seeds, labels, task = message
        try:
            reporter = _Reporter(send, job)
            runs = make_runs(configs, task, seeds, [reporter], CPU, labels)
            reporter.runs = {id(run.history): (member, run) for member, run in enumerate(runs)}
            train_runs(runs, task, stops[job])
            for member, run in enumerate(runs):  # nothing, unless a field changed after the end
                leftover = reporter.changes.of(run.history)
                if leftover:
                    send(("changes", job, member, None, leftover, None))
            send(("finished", job))
        except BaseException:  # noqa: BLE001 - reported to the parent, which raises it
            send(("error", job, traceback.format_exc()))
        stops.pop(job, None)


class _Reporter:
    """The callback a worker gives ``train_runs``: after each event of a member, send what
    changed in its History, named by the member's place in the job; at its end, its weights
    too, so the parent's ``on_run_end`` sees ``history.model`` (in-process the model is there
    from the first batch; here it arrives with the end)."""

    def __init__(self, send, job: int):
        self.send, self.job, self.changes = send, job, Changes()
        self.runs: dict[int, tuple] = {}   # id(History) -> (member, Run)

    def _report(self, event: str, history: History, weights=None) -> None:
        member, _ = self.runs[id(history)]
        self.send(("changes", self.job, member, event, self.changes.of(history), weights))

    def on_batch_end(self, history: History) -> None:
        self._report("on_batch_end", history)

    def on_evaluation_end(self, history: History) -> None:
        self._report("on_evaluation_end", history)

    def on_run_end(self, history: History) -> None:
        _, run = self.runs[id(history)]
        self._report("on_run_end", history, run.model.state_dict())


if __name__ == "__main__":
    # Keep stray prints (a library's warning) off the message pipe: it is its own descriptor.
    serve(int(sys.argv[1]))
