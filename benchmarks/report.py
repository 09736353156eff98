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


def machine() -> str:
    """One line naming what the numbers were measured on."""
    import torch
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (f"{os.cpu_count()} CPU cores ({platform.processor() or platform.machine()}), "
            f"torch {torch.__version__}, {torch.get_num_threads()} torch threads, "
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
