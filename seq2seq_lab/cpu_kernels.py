"""The same CPU kernels with or without AVX-512, so that a seed gives the curves a lesson describes.

Lessons: all.  A lesson says what its runs do, seed by seed ("at 0.01 batch 64 jumps late on
seed 0 only"), and its tests check exactly that; training is bit-identical on a CPU
(``training.py``), but only for one choice of kernels.  Torch picks its vector kernels by the
CPU: AVX-512 ones where the CPU has AVX-512, AVX2 ones elsewhere.  They sum in a different
order, the last bits of a loss differ, and over a few hundred steps a run that jumps on one
machine settles on the other.  Measured on an AVX-512 machine (AMD EPYC, 2026-12-01): with
torch's own choice 11 tests of lesson claims and diagnoses failed (a late jump at step 56 instead of 48, a
suggestion 3% worse than a grid value instead of better, ...); with ``ATEN_CPU_CAPABILITY=avx2``
every claim held as on the AVX2 machines the lessons were written on, at the same speed
(default run 1.1-1.4 CPU-s both ways).

So where the CPU has AVX-512, :func:`pin` asks torch, MKL (matrix products) and oneDNN for
their AVX2 kernels, through the environment variables each reads once, at its first use.  A
variable the user set is left alone.  Child processes (compare's workers, the tests' kernels)
inherit the variables.  Stdlib only: the package calls it first, before any of its modules
imports torch.
"""
from __future__ import annotations

import os
import sys
import warnings

# What each library reads, and the value that makes it use the AVX2 kernels.
AVX2_KERNELS = {
    "ATEN_CPU_CAPABILITY": "avx2",       # torch's own vectorised ops (sums, tanh, softmax, ...)
    "MKL_ENABLE_INSTRUCTIONS": "AVX2",   # matrix products (MKL picks AVX-512 on Intel CPUs)
    "ONEDNN_MAX_CPU_ISA": "AVX2",        # oneDNN's recurrent and other kernels
}


def cpu_flags() -> set[str]:
    """The CPU's feature flags (Linux), or an empty set where they cannot be read."""
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as info:
            for line in info:
                if line.startswith("flags"):
                    return set(line.partition(":")[2].split())
    except OSError:
        pass
    return set()


def pin(flags: set[str] | None = None) -> dict[str, str]:
    """Ask for the AVX2 kernels where torch would pick AVX-512 ones; returns what it set.

    Only where the CPU has AVX-512 (which every such x86 CPU pairs with AVX2): elsewhere torch
    picks AVX2 or older kernels by itself, and asking for AVX2 on a CPU without it would crash.
    """
    flags = cpu_flags() if flags is None else flags
    if "avx512f" not in flags or "avx2" not in flags:
        return {}
    chosen = {name: value for name, value in AVX2_KERNELS.items() if name not in os.environ}
    os.environ.update(chosen)
    torch = sys.modules.get("torch")
    if chosen and torch is not None and hasattr(torch, "backends"):
        # Torch reads its variable at its first operation; if one ran before this, it is too
        # late for this process, and its curves can differ from the lessons' in the last bits.
        if torch.backends.cpu.get_cpu_capability() != "AVX2":
            from .i18n import t
            warnings.warn(t("cpu_kernels_too_late"), RuntimeWarning, stacklevel=3)
    return chosen
