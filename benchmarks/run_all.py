"""Run every ``benchmarks/bench_*.py`` with ``--write`` (``make bench``), one after another
so that no two benchmarks share the CPU."""
import subprocess
import sys
from pathlib import Path

here = Path(__file__).resolve().parent
failed = [script.name for script in sorted(here.glob("bench_*.py"))
          if subprocess.run([sys.executable, script.name, "--write"], cwd=here).returncode != 0]
if failed:
    sys.exit(f"benchmarks failed: {', '.join(failed)}")
