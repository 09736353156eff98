"""scripts/demo.py (``make demo``): a lesson as a Voila app whose closed pages end their
kernels, and the kernels' compare workers with them."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "scripts"))
import demo  # noqa: E402

# A notebook that starts two compare workers, as a lesson's Compare does when it is built.
NOTEBOOK = {
    "cells": [{"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
               "source": ["import os\n", "from seq2seq_lab.parallel import pool\n",
                          "pool.warm(4)\n",
                          "print('KERNEL', os.getpid(), 'WORKERS',\n",
                          "      *(w.process.pid for w in pool.pool().workers))"]}],
    "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python",
                                "name": "python3"}, "language_info": {"name": "python"}},
    "nbformat": 4, "nbformat_minor": 5}


def running(pid: int) -> bool:
    """True while ``pid`` runs (a zombie has ended: nobody may be left to reap it here)."""
    try:
        return "\nState:\tZ" not in Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False


def wait_until_ended(pids, timeout: float) -> list[int]:
    """The pids still running once they all ended or ``timeout`` passed (a safety net: the
    event waited for is each process's end)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and any(running(pid) for pid in pids):
        time.sleep(0.2)
    return [pid for pid in pids if running(pid)]


def test_the_app_culls_kernels_no_page_is_connected_to():
    command = demo.voila_command(REPO / "notebooks" / "01_learning_rate.ipynb", [])
    assert f"--MappingKernelManager.cull_idle_timeout={demo.CULL_IDLE_SECONDS}" in command
    assert f"--MappingKernelManager.cull_interval={demo.CULL_INTERVAL}" in command
    assert "--MappingKernelManager.cull_connected=False" in command   # open pages stay
    # A flag given again replaces ours (traitlets refuses an option given twice).
    command = demo.voila_command(REPO / "notebooks" / "01_learning_rate.ipynb",
                                 ["--MappingKernelManager.cull_idle_timeout=3"])
    assert [f for f in command if "cull_idle_timeout" in f] == [
        "--MappingKernelManager.cull_idle_timeout=3"]


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads /proc to see processes end")
def test_a_page_left_behind_ends_its_kernel_and_the_kernels_workers(tmp_path):
    notebook = tmp_path / "workers.ipynb"
    notebook.write_text(json.dumps(NOTEBOOK))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, str(REPO / "scripts" / "demo.py"), str(notebook), "--no-browser",
         f"--port={port}", "--MappingKernelManager.cull_idle_timeout=3",
         "--MappingKernelManager.cull_interval=1"],
        env=dict(os.environ, SEQ2SEQ_LAB_WORKERS="2"), stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE, text=True)
    try:
        # Load the page once, as a browser that then goes away: the server runs the notebook
        # in a new kernel, and no page ever connects to it.
        page = None
        deadline = time.monotonic() + 180
        while page is None and time.monotonic() < deadline:
            try:
                page = urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=180).read()
            except OSError:
                assert server.poll() is None, server.stderr.read()
                time.sleep(0.5)
        words = page.decode().split("KERNEL ", 1)[1].split("<", 1)[0].split()
        kernel, workers = int(words[0]), [int(w) for w in words[2:]]
        assert len(workers) == 2 and all(running(pid) for pid in [kernel, *workers])
        assert wait_until_ended([kernel, *workers], timeout=120) == []
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def test_workers_end_when_their_kernel_is_killed():
    # Stands in for a kernel killed without a word (SIGKILL): its workers see their stdin
    # close and end; they are in a session of their own, so no signal reaches them.
    kernel = subprocess.Popen(
        [sys.executable, "-c", "import sys\n" + "".join(NOTEBOOK["cells"][0]["source"])
         + "\nsys.stdout.flush()\nsys.stdin.read()"],
        env=dict(os.environ, SEQ2SEQ_LAB_WORKERS="2"), stdin=subprocess.PIPE,
        stdout=subprocess.PIPE, text=True)
    words = kernel.stdout.readline().split()
    workers = [int(w) for w in words[3:]]
    assert len(workers) == 2 and all(running(pid) for pid in workers)
    kernel.kill()
    kernel.wait()
    assert wait_until_ended(workers, timeout=120) == []
