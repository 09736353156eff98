"""Run every ``benchmarks/bench_*.py`` with ``--write`` (``make bench``), one after another
so that no two benchmarks share the CPU."""
import subprocess
import sys
from pathlib import Path

root = Path(__file__).resolve().parents[1]
failed = [script.name for script in sorted((root / "benchmarks").glob("bench_*.py"))
          if subprocess.run([sys.executable, str(script.relative_to(root)), "--write"],
                            cwd=root).returncode != 0]
if failed:
    sys.exit(f"benchmarks failed: {', '.join(failed)}")
