"""The process that compare's workers are forked from: ``python -m seq2seq_lab.parallel.zygote <fd>``.

Lessons: none directly; it only makes ``compare``'s workers (``pool.py``) start sooner.

Why: a worker started as a new Python spends its start-up importing torch and this package,
then torch's compiler, which every optimizer imports on its first step: 8.9 s of CPU for a
pool's two workers.  So each pool starts this one process, which does those imports once
(4.0 s of CPU for it and both workers), and forks every worker from it: two new workers in a
running pool are training after 0.23 s instead of 6.7 s (benchmarks/bench_workers.py,
BENCHMARKS.md).

How: the parent sends, on the socket ``fd``, one byte and two descriptors (``socket.send_fds``):
the read end of the worker's stdin pipe and the write end of its message pipe.  The zygote
forks; the child starts a session of its own (Jupyter's Interrupt must not reach it), makes
the first descriptor its stdin and runs ``worker.serve`` on the second, exactly as a worker
started by ``python -m seq2seq_lab.parallel.worker``.  The zygote closes its copies (so the
worker still sees EOF when the parent ends) and answers the child's pid.  It never trains and
starts no threads, so forking it is safe; it ends when the parent closes the socket.
"""
from __future__ import annotations

import os
import signal
import socket
import sys


def _preload() -> None:
    """Import what every worker needs, once, before any fork."""
    from . import worker  # noqa: F401 - imported for its children
    from .. import training
    # Torch's compiler, which every optimizer imports (~2.2 s): here once, not per worker.
    training.import_optimizer_machinery()


def serve(control_fd: int) -> None:
    control = socket.socket(fileno=control_fd)
    # Children are reaped by the system as they end (no zombies for the parent to mistake
    # for live workers); the parent watches each one through a pidfd.
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)   # a Ctrl-C is for the parent, not for us
    _preload()
    while True:
        try:
            _, fds, _, _ = socket.recv_fds(control, 1, 2)
        except OSError:
            break
        if len(fds) != 2:   # the parent closed the socket (or sent nonsense): end
            for fd in fds:
                os.close(fd)
            break
        stdin_fd, message_fd = fds
        pid = os.fork()
        if pid == 0:
            _child(control, stdin_fd, message_fd)   # never returns
        os.close(stdin_fd)
        os.close(message_fd)
        control.sendall(f"{pid}\n".encode())


def _child(control: socket.socket, stdin_fd: int, message_fd: int) -> None:
    code = 0
    try:
        control.close()
        os.setsid()
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)   # as in any new Python
        os.dup2(stdin_fd, 0)
        os.close(stdin_fd)
        from .worker import serve as serve_runs
        serve_runs(message_fd)
    except BaseException:  # noqa: BLE001 - shown on the kernel's stderr, as a worker's would be
        import traceback
        traceback.print_exc()
        code = 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)   # not the zygote's loop, not its atexit handlers


if __name__ == "__main__":
    serve(int(sys.argv[1]))
