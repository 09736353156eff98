"""Search benchmarks (issue 14): trials per minute with 1 and 2 worker processes on SQLite and
PostgreSQL; what the search adds to each trial over a plain ``train()`` of the same config;
the best validation loss each strategy reaches at equal budget, over 3 study seeds.

    .venv/bin/python benchmarks/bench_search.py [--repeats N] [--write]

Trials per minute come from the study's own timestamps, over the time every worker was
running trials, so the workers' start-up (importing torch) is not counted.  PostgreSQL is a
throw-away server of this script's own (initdb on a temporary folder, a free loopback port),
as in tests/test_search_postgres.py; it is skipped, and says so, where scripts/ensure_postgres.sh
finds no PostgreSQL.  The machine has 2 cores shared with other jobs: the load average is
printed with the numbers, and the overhead ratio interleaves its two sides.
"""
from __future__ import annotations

import argparse
import contextlib
import os
import shlex
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from report import command, machine, write_section  # noqa: E402

from seq2seq_lab import Seq2SeqConfig, train  # noqa: E402
from seq2seq_lab.search import STRATEGIES, create_study, load_search, search  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
# A lesson-sized trial: the default model (GRU, 64 units, mlp attention) on reverse, 48
# batches (1.5 epochs) evaluated every 16: long enough for the learning rate to matter.
TRIAL = 48
STRATEGY_SPACE = {"learning_rate": (1e-4, 0.3), "rnn_num_hidden": (16, 128),
                  "rnn_cell_type": ["rnn", "gru", "lstm"]}


@contextlib.contextmanager
def postgres_server():
    """A PostgreSQL server on a temporary folder and a free loopback port; yields its URL,
    or None (with a note on stderr) where PostgreSQL is not installed."""
    found = subprocess.run(["bash", str(ROOT / "scripts" / "ensure_postgres.sh")],
                           capture_output=True, text=True)
    if found.returncode != 0:
        print(f"PostgreSQL skipped: {found.stderr.strip()}", file=sys.stderr)
        yield None
        return
    bin_dir, folder = Path(found.stdout.split()[-1]), Path(tempfile.mkdtemp(prefix="bench-pg-"))
    as_root = os.geteuid() == 0
    if as_root:   # the server refuses to run as root
        shutil.chown(folder, "postgres", "postgres")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    def run(*words: str) -> None:
        line = shlex.join([str(bin_dir / words[0]), *words[1:]])
        subprocess.run(["su", "postgres", "-s", "/bin/bash", "-c", line] if as_root
                       else ["bash", "-c", line], check=True, capture_output=True)

    data = folder / "data"
    run("initdb", "-D", str(data), "-U", "postgres", "-A", "trust", "--no-sync")
    # fsync stays on: these are the commits a teacher's real server makes.
    run("pg_ctl", "-D", str(data), "-l", str(folder / "log"), "-w", "start", "-o",
        f"-p {port} -k {folder} -c listen_addresses=127.0.0.1")
    try:
        run("createdb", "-h", str(folder), "-p", str(port), "-U", "postgres", "bench")
        yield f"postgresql://postgres@127.0.0.1:{port}/bench"
    finally:
        run("pg_ctl", "-D", str(data), "-m", "fast", "-w", "stop")
        shutil.rmtree(folder, ignore_errors=True)


def trials_per_minute(url: str, workers: int, trials_each: int, name: str) -> tuple[float, int]:
    """Worker processes (the CLI, as learners run it) into one new study: (trials a minute
    between the first trial's start and the last one's end, trials)."""
    create_study({"learning_rate": (1e-3, 3e-2)}, "random", storage=url, study_name=name,
                 trial_batches=TRIAL)
    cli = [sys.executable, "-m", "seq2seq_lab.cli", "search", "--storage", url, "--study", name,
           "--budget", str(trials_each * TRIAL)]
    processes = [subprocess.Popen(cli, cwd=ROOT, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL) for _ in range(workers)]
    for process in processes:
        if process.wait() != 0:
            raise RuntimeError(f"a worker failed: {shlex.join(cli)}")
    trials = [t for t in load_search(url, name).study.trials if t.state.name == "COMPLETE"]
    # While every worker runs: from the last worker's first trial start to the first worker's
    # last trial end (a worker that imported torch faster must not count its time alone).
    by_worker: dict[int, list] = {}
    for trial in trials:
        by_worker.setdefault(trial.user_attrs["worker"]["pid"], []).append(trial)
    start = max(min(t.datetime_start for t in mine) for mine in by_worker.values())
    end = min(max(t.datetime_complete for t in mine) for mine in by_worker.values())
    inside = [t for t in trials if t.datetime_start >= start and t.datetime_complete <= end]
    return len(inside) / ((end - start).total_seconds() / 60), len(inside)


def throughput(folder: Path, trials_each: int) -> list[str]:
    lines = ["", f"Trials per minute (worker processes of `seq2seq-lab search`, random search, "
                 f"{TRIAL}-batch trials of the default model, {trials_each} trials a worker; "
                 "counted while all workers ran):",
             "", "| storage | 1 worker | 2 workers |", "|---|---|---|"]
    with postgres_server() as postgres:
        storages = [("SQLite (file)", f"sqlite:///{folder / 'throughput.db'}")]
        storages += [("PostgreSQL (loopback)", postgres)] if postgres else []
        for label, url in storages:
            cells = []
            for workers in (1, 2):
                rate, count = trials_per_minute(url, workers, trials_each, f"w{workers}")
                cells.append(f"{rate:.1f} ({count} trials)")
            lines.append(f"| {label} | {cells[0]} | {cells[1]} |")
        if not postgres:
            lines.append("| PostgreSQL | not installed: skipped | |")
    return lines


def overhead(folder: Path, repeats: int, trials: int) -> str:
    """search() of ``trials`` trials whose space has one value, so each trains exactly the
    config ``train()`` trains, against that many ``train()`` calls; interleaved."""
    config = Seq2SeqConfig(learning_rate=3e-3, max_num_batches=TRIAL)
    ratios, per_trial = [], []
    for repeat in range(repeats):
        start = time.perf_counter()
        for _ in range(trials):
            train(config, task="reverse", seed=0)
        plain = time.perf_counter() - start
        start = time.perf_counter()
        result = search({"learning_rate": [3e-3]}, "random", budget=trials * TRIAL,
                        storage=folder / f"overhead{repeat}.db", trial_batches=TRIAL)
        searched = time.perf_counter() - start
        assert len(result.trials) == trials
        ratios.append(searched / plain)
        per_trial.append((searched - plain) / trials)
    return (f"| search overhead: `search()` / as many `train()` of the same config, {trials} "
            f"trials of {TRIAL} batches, SQLite, median of {repeats} | "
            f"{statistics.median(ratios):.3f} | <= 1.10 |\n"
            f"| (seconds added per trial, study opening included: "
            f"{statistics.median(per_trial):.3f}) | | |")


def strategies(folder: Path, trials: int, seeds=(0, 1, 2)) -> list[str]:
    lines = ["", f"Best validation loss at equal budget ({trials} x {TRIAL} = {trials * TRIAL} "
                 "batches a study; space: learning_rate 1e-4..0.3 log, rnn_num_hidden 16..128 "
                 "log, rnn_cell_type rnn/gru/lstm; reverse; the default config otherwise), "
                 f"one study per seed {list(seeds)}:", "",
             "| strategy | " + " | ".join(f"seed {s}" for s in seeds) + " | mean | trials "
             "(pruned) | seconds |", "|---|" + "---|" * (len(seeds) + 3)]
    for strategy in STRATEGIES:
        bests, counts, pruned, seconds = [], [], [], []
        for seed in seeds:
            start = time.perf_counter()
            result = search(STRATEGY_SPACE, strategy, budget=trials * TRIAL, seed=seed,
                            storage=folder / "strategies.db", study_name=f"{strategy}-{seed}",
                            trial_batches=TRIAL)
            seconds.append(time.perf_counter() - start)
            bests.append(result.best_value)
            counts.append(len(result.trials))
            pruned.append(sum(t.state == "pruned" for t in result.trials))
        lines.append(f"| {strategy} | " + " | ".join(f"{b:.4f}" for b in bests)
                     + f" | {statistics.fmean(bests):.4f} | {statistics.fmean(counts):.1f} "
                     f"({statistics.fmean(pruned):.1f}) | {statistics.fmean(seconds):.0f} |")
    return lines


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--write", action="store_true", help="replace this section of BENCHMARKS.md")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--trials", type=int, default=12, help="trials a study at equal budget")
    args = parser.parse_args()
    torch.set_num_threads(2)
    with tempfile.TemporaryDirectory(prefix="bench-search-") as folder:
        folder = Path(folder)
        # Pay the one-time imports (torch's, Optuna's, SQLAlchemy's) before measuring.
        search({"learning_rate": [3e-3]}, "random", budget=2, trial_batches=2,
               storage=folder / "warm-up.db")
        body = "\n".join([
            "## Hyperparameter search (`benchmarks/bench_search.py`)", "",
            f"Command: {command()}  ", f"Machine: {machine()}", "",
            "| measure | result | target |", "|---|---|---|",
            overhead(folder, args.repeats, trials=8),
            *throughput(folder, trials_each=8),
            *strategies(folder, args.trials),
        ])
    print(body)
    if args.write:
        write_section("bench_search", body)


if __name__ == "__main__":
    main()
