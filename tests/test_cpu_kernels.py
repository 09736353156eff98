"""cpu_kernels.py: where the CPU has AVX-512, the package asks torch, MKL and oneDNN for their
AVX2 kernels before torch runs anything, so a seed trains the same run as on the AVX2
machines the lessons were measured on; a user's own setting wins; too late, it says so."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from seq2seq_lab import cpu_kernels

AVX512 = {"fma", "avx2", "avx512f", "avx512bw", "avx512vl", "avx512dq"}
HAS_AVX512 = "avx512f" in cpu_kernels.cpu_flags()


@pytest.fixture
def clean_environment(monkeypatch):
    for name in cpu_kernels.AVX2_KERNELS:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_an_avx512_cpu_gets_the_avx2_kernels_of_all_three_libraries(clean_environment):
    chosen = cpu_kernels.pin(AVX512)
    assert chosen == cpu_kernels.AVX2_KERNELS
    assert os.environ["ATEN_CPU_CAPABILITY"] == "avx2"
    assert os.environ["MKL_ENABLE_INSTRUCTIONS"] == "AVX2"


def test_a_cpu_without_avx512_is_left_to_torch(clean_environment):
    assert cpu_kernels.pin({"fma", "avx2"}) == {}
    assert cpu_kernels.pin(set()) == {}       # flags unknown: nothing is asked for
    assert not any(name in os.environ for name in cpu_kernels.AVX2_KERNELS)


def test_the_users_own_setting_is_kept(clean_environment):
    clean_environment.setenv("ATEN_CPU_CAPABILITY", "avx512")
    chosen = cpu_kernels.pin(AVX512)
    assert "ATEN_CPU_CAPABILITY" not in chosen
    assert os.environ["ATEN_CPU_CAPABILITY"] == "avx512"
    assert os.environ["ONEDNN_MAX_CPU_ISA"] == "AVX2"


def _python(code: str) -> subprocess.CompletedProcess:
    environment = {name: value for name, value in os.environ.items()
                   if name not in cpu_kernels.AVX2_KERNELS}
    return subprocess.run([sys.executable, "-W", "always", "-c", code], env=environment,
                          capture_output=True, text=True, timeout=120, check=True)


def test_importing_the_package_first_gives_torch_its_avx2_kernels():
    ran = _python("import seq2seq_lab, torch; print(torch.backends.cpu.get_cpu_capability())")
    capability = ran.stdout.strip()
    if HAS_AVX512:
        assert capability == "AVX2"
    else:
        assert capability != "AVX512"   # torch's own choice on this CPU, unchanged
    assert "RuntimeWarning" not in ran.stderr


@pytest.mark.skipif(not HAS_AVX512, reason="only an AVX-512 CPU has other kernels to avoid")
def test_torch_run_before_the_import_is_named_in_a_warning():
    ran = _python("import torch; torch.ones(3).sum(); import seq2seq_lab; "
                  "print(torch.backends.cpu.get_cpu_capability())")
    assert ran.stdout.strip() == "AVX512"
    assert "Import seq2seq_lab before torch" in ran.stderr
