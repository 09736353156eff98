"""Shared test settings: one thread per test process so results and timings are stable."""
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
