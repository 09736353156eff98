"""Shared test settings: one thread per test process so results and timings are stable."""
import threading

import pytest
import torch

torch.set_num_threads(1)


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
