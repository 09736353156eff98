"""The test session's kernel zygote: Jupyter kernels forked from one process that has imported
torch and its compiler once, instead of each kernel importing them again.

Why: ``make test`` starts some 23 kernels (nbval's, the browser tests' JupyterLab and Voila
servers').  A new kernel spends about 4.7 s of CPU importing torch (2.5 s) and torch's
compiler, which the lessons' first optimizer imports (2.2 s): some 100 s of CPU on the 2
cores of a ``make test``.  A forked kernel has both from the start.  Only the tests use it:
a learner's kernel is an ordinary one.

How: ``tests/conftest.py`` starts ``python kernel_zygote.py SOCKET`` once per pytest session
(in the process that starts pytest-xdist's test processes) and puts SOCKET in
``SEQ2SEQ_LAB_KERNEL_ZYGOTE``, which the test processes, and the servers and kernels they
start, inherit.  The kernel specs in ``kernels/`` (``python3`` and ``seq2seq-lab-fast``, on
``JUPYTER_PATH`` in ``make test``) run ``forked_kernel.py``, a small launcher: it sends its
command line, environment, working folder and standard streams here, and this process forks a
kernel with them (see ``forked_kernel.py`` for signals and ends).  Without the variable, or
with no zygote answering, the launcher becomes an ordinary kernel.

What a forked kernel shares with the zygote is only what was imported before the fork: torch
and its compiler, whose imports read no per-kernel setting.  The rest is left out on purpose,
because it reads the kernel's environment when imported: ipykernel its parent's pid
(``JPY_PARENT_PID``, a class attribute's default), seq2seq_lab the language from the locale,
matplotlib its backend from ``MPLBACKEND``, which ipykernel sets.
The zygote runs no torch operation, so no thread pool exists to be lost in the fork.
Its torch takes the CPU kernels the package chooses (seq2seq_lab/cpu_kernels.py) from the
environment: conftest.py imports seq2seq_lab, which sets the variables, before starting it.
"""
from __future__ import annotations

import json
import os
import select
import signal
import socket
import sys
import threading

ENVIRONMENT = "SEQ2SEQ_LAB_KERNEL_ZYGOTE"
MAX_MESSAGE = 1 << 20   # a command line and an environment


def preload() -> None:
    import torch
    # An optimizer's construction imports torch's compiler (~2.2 s of CPU): once, here.
    torch.optim.Adam([torch.zeros(1, requires_grad=True)], lr=1e-3)


def serve(path: str) -> None:
    # Children are reaped by the system as they end; each launcher watches its kernel by pidfd.
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)   # pytest's Ctrl-C: the session ends us
    # It ends with the pytest session that started it, even a killed one.
    session = os.pidfd_open(os.getppid())
    preload()
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    # Bound under another name and renamed once listening: where the path exists, a
    # launcher's connect is answered.
    listener.bind(path + ".binding")
    listener.listen(16)
    os.rename(path + ".binding", path)
    while True:
        ready, _, _ = select.select([listener, session], [], [])
        if session in ready:
            os.unlink(path)
            return
        connection, _ = listener.accept()
        try:
            message, fds, _, _ = socket.recv_fds(connection, MAX_MESSAGE, 4)
            if len(fds) != 4:
                raise ValueError(f"expected 4 descriptors, got {len(fds)}")
            request = json.loads(message)
        except (OSError, ValueError) as error:
            print(f"kernel zygote: a bad request ({error})", file=sys.stderr, flush=True)
            connection.close()
            continue
        pid = os.fork()
        if pid == 0:
            listener.close()
            os.close(session)
            _child(connection, request, fds)   # never returns
        for fd in fds:
            os.close(fd)
        try:
            connection.sendall(f"{pid}\n".encode())
        except OSError:   # the launcher is gone already: its kernel follows (its lifeline)
            pass
        connection.close()


def _child(connection: socket.socket, request: dict, fds: list[int]) -> None:
    code = 0
    try:
        connection.close()
        os.setsid()
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)   # as in any new Python
        stdin, stdout, stderr, lifeline = fds
        for fd, target in ((stdin, 0), (stdout, 1), (stderr, 2)):
            os.dup2(fd, target)
            os.close(fd)
        os.chdir(request["cwd"])
        sys.path[0] = request["cwd"]   # where `python -m ipykernel_launcher` would put it
        # JPY_PARENT_PID stays: ipykernel, finding that its parent is not that server but
        # this zygote, then ends only if the zygote does.  The lifeline below ends the kernel
        # with its launcher, which the server watches.
        os.environ.clear()
        os.environ.update(request["env"])
        threading.Thread(target=_end_with_launcher, args=(lifeline,), daemon=True,
                         name="launcher-lifeline").start()
        sys.argv = ["ipykernel_launcher", *request["argv"]]
        from ipykernel import kernelapp
        kernelapp.launch_new_instance()
    except SystemExit as end:
        code = end.code if isinstance(end.code, int) else 0
    except BaseException:  # noqa: BLE001 - on the kernel's stderr, as a kernel's would be
        import traceback
        traceback.print_exc()
        code = 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def _end_with_launcher(lifeline: int) -> None:
    """The launcher holds the only write end of this pipe and never writes: EOF means it
    ended, even killed (as the server's ``kill`` does), and so must the kernel."""
    try:
        while os.read(lifeline, 1):
            pass
    finally:
        os.kill(os.getpid(), signal.SIGKILL)


if __name__ == "__main__":
    serve(sys.argv[1])
