"""Compare's workers starting: forked from the pool's zygote vs each a new Python.

    .venv/bin/python benchmarks/bench_workers.py [--write] [--repeats N]

What a learner waits for before a Compare's first step (``parallel/pool.py``): a fresh pool's
first comparison (a kernel's first Compare: the zygote's imports, or two new Pythons' imports
side by side), and new workers in a pool whose zygote is running (after a worker died).  Each
comparison is two runs of one batch, so the times are the start-up.  The two ways alternate,
``--repeats`` times; medians.
"""
from __future__ import annotations

import argparse
import os
import statistics
import time

from report import command, machine, write_section

from seq2seq_lab import Seq2SeqConfig, compare
from seq2seq_lab.parallel import pool

CONFIG = Seq2SeqConfig(batch_size=32, max_num_batches=1, checkpoint_frequency_num_batches=1)
OPTIONS = dict(train_size=64, val_size=32, test_size=0)


def _compare() -> float:
    start = time.perf_counter()
    compare(CONFIG, {"seed": [0, 1]}, task="reverse", task_options=OPTIONS, workers=2,
            device="cpu")
    return time.perf_counter() - start


def cpu_seconds(pid: int) -> float:
    """CPU time a live process has used so far (Linux's /proc: the zygote's workers are not
    this process's children, so ``resource`` cannot see them)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def one_round(forked: bool) -> tuple[float, float, float]:
    """A fresh pool's first comparison (seconds, and CPU seconds of the processes it
    started), then one with two new workers in that pool (seconds)."""
    can_fork = pool._can_fork_workers
    pool._can_fork_workers = (lambda: can_fork()) if forked else (lambda: False)
    fresh = pool.WorkerPool()
    pool._pool = fresh
    try:
        first = _compare()
        started = [worker.process.pid for worker in fresh.workers]
        if fresh._zygote is not None:
            started.append(fresh._zygote.process.pid)
        cpu = sum(map(cpu_seconds, started))
        for worker in fresh.workers:     # as if both had died: the next comparison starts two
            worker.close()
        fresh.workers = []
        again = _compare()
        return first, cpu, again
    finally:
        for worker in fresh.workers:
            worker.close()
        if fresh._zygote is not None:
            fresh._zygote.close()
        pool._can_fork_workers = can_fork


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="replace our section of BENCHMARKS.md")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    if not pool._can_fork_workers():
        raise SystemExit("no zygote on this system (it needs Linux's pidfds): nothing to compare")
    start_line = machine()
    compare(CONFIG, {"seed": [0, 1]}, task="reverse", task_options=OPTIONS, workers=0)  # imports
    times = {True: [], False: []}
    for _ in range(args.repeats):
        for forked in (True, False):
            times[forked].append(one_round(forked))
    median = {forked: [statistics.median(t[i] for t in runs) for i in (0, 1, 2)]
              for forked, runs in times.items()}
    (zygote_first, zygote_cpu, zygote_again) = median[True]
    (python_first, python_cpu, python_again) = median[False]
    body = f"""## Compare's workers starting (`benchmarks/bench_workers.py`)

Command: {command()}  
Machine: {start_line}; {os.getloadavg()[0]:.2f} at the end

Two runs of one batch in 2 workers, so the time is what a learner waits before a Compare's
first step.  Median of {args.repeats} interleaved repeats.

| measure | forked from the zygote | each a new Python | ratio | target |
|---|---|---|---|---|
| a fresh pool's first comparison (a kernel's first Compare) | {zygote_first:.2f} s | {python_first:.2f} s | {zygote_first / python_first:.2f}x | (report) |
| ... the CPU its new processes used (the zygote and 2 workers, or 2 workers) | {zygote_cpu:.1f} s | {python_cpu:.1f} s | {zygote_cpu / python_cpu:.2f}x | <= 0.7x |
| two new workers in a running pool (after a worker died) | {zygote_again:.2f} s | {python_again:.2f} s | {zygote_again / python_again:.2f}x | <= 0.2x |

A new Python spends its start-up importing torch and the package, then torch's compiler at
its optimizer's first step; the zygote does that once and forks each worker from itself.  The
first comparison waits for those imports either way (two new Pythons import side by side on
the 2 cores), but does them once instead of twice, which a busy machine (a test run) feels;
new workers in a running pool (after one died) start at once.  A pool that ends idle ends its
zygote too (it holds torch in memory), so the next one imports again.
"""
    print(body)
    if args.write:
        write_section("bench_workers", body)


if __name__ == "__main__":
    main()
