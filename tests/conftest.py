"""Shared test settings: one thread per test process so results and timings are stable."""
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import pytest

# Before torch runs anything: the same CPU kernels on every machine (cpu_kernels.py), in this
# process and, through the environment, in every process and kernel the tests start.
import seq2seq_lab  # noqa: F401
import torch

torch.set_num_threads(1)


def pytest_configure(config):
    """One folder for the lesson runs (tests/lesson_runs.py) of this pytest session, made by the
    controlling process before pytest-xdist starts its workers, so they inherit its name."""
    from lesson_runs import RUNS_ENV
    if not hasattr(config, "workerinput") and RUNS_ENV not in os.environ:
        os.environ[RUNS_ENV] = tempfile.mkdtemp(prefix="seq2seq-lab-runs-")
        config._lesson_runs_folder = os.environ[RUNS_ENV]
    if not hasattr(config, "workerinput"):
        _start_kernel_zygote(config)


def _start_kernel_zygote(config) -> None:
    """One kernel zygote for the session (tests/jupyter/kernel_zygote.py): the kernels that
    nbval and the browser tests' servers start are forked from it.  Not waited for: a kernel
    started before it listens is an ordinary one (tests/jupyter/forked_kernel.py)."""
    sys.path.insert(0, str(Path(__file__).parent / "jupyter"))
    from kernel_zygote import ENVIRONMENT
    if ENVIRONMENT in os.environ or not hasattr(os, "pidfd_open"):
        return
    folder = tempfile.mkdtemp(prefix="seq2seq-lab-kernels-")
    path = os.path.join(folder, "zygote.sock")
    config._kernel_zygote = (subprocess.Popen(
        [sys.executable, str(Path(__file__).parent / "jupyter" / "kernel_zygote.py"), path],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, start_new_session=True), folder)
    os.environ[ENVIRONMENT] = path


def pytest_xdist_make_scheduler(config, log):
    """``--dist loadfile`` (make test), except that every browser test file goes to one test
    process: each process that runs one starts its own Chromium and JupyterLab server (about
    20 s of CPU on the 2 cores), and the three files need only one of each.  The browser
    tests are collected first, so that long unit starts at once and the other process takes
    everything else meanwhile."""
    if config.getoption("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class BrowserTestsTogether(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            if nodeid.startswith("tests/browser/"):
                return "tests/browser"
            return super()._split_scope(nodeid)

    return BrowserTestsTogether(config, log)


def pytest_unconfigure(config):
    zygote = getattr(config, "_kernel_zygote", None)
    if zygote:
        process, folder = zygote
        process.kill()
        process.wait()
        shutil.rmtree(folder, ignore_errors=True)
    folder = getattr(config, "_lesson_runs_folder", None)
    if folder:
        shutil.rmtree(folder, ignore_errors=True)
        os.environ.pop("SEQ2SEQ_LAB_TEST_RUNS", None)


@pytest.fixture(autouse=True)
def _english():
    """Messages are asserted in English unless a test switches language itself."""
    from seq2seq_lab import set_language
    set_language("en")
    yield
    set_language("en")


@pytest.fixture
def no_thread_exceptions(monkeypatch):
    """Fail a test if any thread raised: the widgets must turn every fault into a message.
    Widget test modules use it for every test (``pytestmark``)."""
    seen = []
    monkeypatch.setattr(threading, "excepthook", lambda args: seen.append(args))
    yield
    assert not seen, f"exception escaped a thread: {seen[0].exc_value!r}"
