"""A kernel spec's command in the tests: ask the session's kernel zygote (kernel_zygote.py) for
a forked kernel and stand in for it; with no zygote, become an ordinary ipykernel.

The server that started this process (JupyterLab, Voila, nbval's jupyter_client) knows only
this process: it polls it, signals its process group (Interrupt is SIGINT) and kills it.  So
this launcher
- passes every signal the server sends on to the kernel (SIGINT, SIGTERM, SIGHUP, SIGQUIT,
  SIGUSR1, SIGUSR2);
- ends when the kernel ends (asked to shut down, or killed);
- holds the write end of the kernel's lifeline pipe: when this process ends, even by SIGKILL,
  the kernel reads EOF and kills itself;
- ends the kernel when its own parent, the server, ends (as ipykernel's parent poller does).
It imports nothing beyond the standard library: it starts in ~20 ms.
"""
from __future__ import annotations

import json
import os
import select
import signal
import socket
import sys

ENVIRONMENT = "SEQ2SEQ_LAB_KERNEL_ZYGOTE"
FORWARDED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1,
             signal.SIGUSR2)


def ordinary_kernel() -> None:
    os.execv(sys.executable, [sys.executable, "-m", "ipykernel_launcher", *sys.argv[1:]])


def main() -> None:
    path = os.environ.get(ENVIRONMENT)
    if not path or not hasattr(os, "pidfd_open"):
        ordinary_kernel()
    server = os.getppid()
    try:
        zygote = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        zygote.connect(path)
    except OSError:
        ordinary_kernel()
    lifeline_read, lifeline_write = os.pipe()
    request = {"argv": sys.argv[1:], "env": dict(os.environ), "cwd": os.getcwd()}
    # Until the kernel's pid is known a signal ends this process at once (the default), and
    # the kernel with it through its lifeline.
    socket.send_fds(zygote, [json.dumps(request).encode()], [0, 1, 2, lifeline_read])
    os.close(lifeline_read)
    answer = b""
    while not answer.endswith(b"\n"):
        chunk = zygote.recv(64)
        if not chunk:
            sys.exit("kernel zygote: no kernel was forked")
        answer += chunk
    zygote.close()
    kernel = os.pidfd_open(int(answer))
    for signum in FORWARDED:
        signal.signal(signum, lambda number, _frame: _forward(kernel, number))
    try:
        watched_server = os.pidfd_open(server)
    except OSError:   # the server is gone already
        signal.pidfd_send_signal(kernel, signal.SIGKILL)
        return
    while True:
        try:
            ready, _, _ = select.select([kernel, watched_server], [], [])
        except InterruptedError:
            continue
        if watched_server in ready:
            _forward(kernel, signal.SIGKILL)
        if kernel in ready or watched_server in ready:
            return   # the kernel ended: so does its stand-in (lifeline_write closes)


def _forward(kernel: int, signum: int) -> None:
    try:
        signal.pidfd_send_signal(kernel, signum)
    except ProcessLookupError:   # it has just ended
        pass


if __name__ == "__main__":
    main()
