"""Write one benchmark's markdown section into BENCHMARKS.md, between its own markers.

Each benchmark script owns the text between ``<!-- NAME -->`` and ``<!-- /NAME -->``, so
re-running one script replaces only its section and keeps the others.
"""
from __future__ import annotations

import os
import platform
import sys
from pathlib import Path

BENCHMARKS_MD = Path(__file__).resolve().parents[1] / "BENCHMARKS.md"


def cpu_name() -> str:
    """The CPU's model name (Linux), else its architecture."""
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as info:
            for line in info:
                if line.startswith("model name"):
                    return f"{line.partition(':')[2].strip()}, {platform.machine()}"
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine() -> str:
    """One line naming what the numbers were measured on, with the vector kernels torch uses
    (seq2seq_lab/cpu_kernels.py: AVX2 ones also where the CPU has AVX-512)."""
    import seq2seq_lab  # noqa: F401 - its choice of kernels, before torch runs anything
    import torch
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (f"{os.cpu_count()} CPU cores ({cpu_name()}), torch {torch.__version__} "
            f"({torch.backends.cpu.get_cpu_capability()} kernels), "
            f"{torch.get_num_threads()} torch threads, "
            f"Python {platform.python_version()}, load average {load:.2f} at the start")


def command() -> str:
    return "`" + " ".join([".venv/bin/python", *sys.argv]) + "`"


def write_section(name: str, body: str, path: Path = BENCHMARKS_MD) -> None:
    start, end = f"<!-- {name} -->", f"<!-- /{name} -->"
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    section = f"{start}\n{body.strip()}\n{end}"
    if start in text and end in text:
        before, rest = text.split(start, 1)
        text = before + section + rest.split(end, 1)[1]
    else:
        text = text.rstrip() + "\n\n" + section + "\n"
    path.write_text(text, encoding="utf-8")
