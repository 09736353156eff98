"""Analysis-tool benchmarks: ``compare`` of several settings against one ``train`` and against
the same settings one after another, and ``lr_find`` against one epoch of training.

    .venv/bin/python benchmarks/bench_analysis.py [--write] [--repeats N]

Both sides of each ratio are measured in the same process, interleaved, after a warm-up run
(the first optimizer built in a process imports torch._dynamo, ~2.6 s); ratios are medians.
``compare``'s worker processes are started by a warm-up comparison first, as a lesson's
Compare widget starts them when it is shown.  The baseline is one ``train()`` as a learner
gets it (one torch thread: ``training.TRAIN_THREADS``).
"""
from __future__ import annotations

import argparse
import os
import statistics
import time

from report import command, machine, write_section
from seq2seq_lab import Seq2SeqConfig, compare, lr_find, make_task, train

RATES = [1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3]   # the lesson-01 sweep, 2 of them diverge
RATES_4 = [1e-4, 1e-3, 1e-2, 0.1]
SEEDS = list(range(8))
HIDDEN = [8, 16, 24, 32, 48, 64, 96, 128]                 # 8 shapes: no two share a model


def seconds(function) -> float:
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def measure(repeats: int) -> tuple[list[str], dict]:
    config, task = Seq2SeqConfig(), make_task("reverse")
    train(config.replace(max_num_batches=2), task=task)           # warm-up: imports, caches
    # ... and the worker processes, which a process starts once (each imports torch, ~2 s)
    compare(config.replace(max_num_batches=2), {"seed": SEEDS[:4]}, task=task)
    raw = {name: [] for name in ("one", "rates8", "rates4", "seeds8", "hidden8", "hidden8_seq",
                                 "epoch", "find")}
    for _ in range(repeats):
        raw["one"].append(seconds(lambda: train(config, task=task)))
        raw["rates8"].append(seconds(lambda: compare(config, {"learning_rate": RATES}, task=task)))
        raw["rates4"].append(seconds(lambda: compare(config, {"learning_rate": RATES_4}, task=task)))
        raw["seeds8"].append(seconds(lambda: compare(config, {"seed": SEEDS}, task=task)))
        raw["hidden8"].append(seconds(lambda: compare(config, {"rnn_num_hidden": HIDDEN},
                                                      task=task)))
        raw["hidden8_seq"].append(seconds(lambda: compare(config, {"rnn_num_hidden": HIDDEN},
                                                          task=task, workers=0)))
        raw["epoch"].append(seconds(lambda: train(config.replace(max_num_epochs=1), task=task)))
        raw["find"].append(seconds(lambda: lr_find(config, task=task)))

    def ratio(name, over="one"):
        return statistics.median(x / y for x, y in zip(raw[name], raw[over]))
    rows = [
        f"| `compare` 8 learning rates ({', '.join(f'{r:g}' for r in RATES)}) / one `train` | "
        f"{ratio('rates8'):.2f}x | goal <= 2x |",
        f"| `compare` 4 learning rates ({', '.join(f'{r:g}' for r in RATES_4)}) / one `train` | "
        f"{ratio('rates4'):.2f}x | (report) |",
        f"| `compare` 8 seeds / one `train` | {ratio('seeds8'):.2f}x | (report) |",
        f"| `compare` 8 hidden sizes ({', '.join(map(str, HIDDEN))}) / the same 8 one after "
        f"another in this process (`workers=0`) | {ratio('hidden8', 'hidden8_seq'):.2f}x | <= 0.6x |",
        f"| `lr_find` (100 batches, 1e-5 to 10, stops at blow-up) / one epoch of `train` "
        f"(32 batches + 2 evaluations) | {ratio('find', 'epoch'):.2f}x | (report) |",
    ]
    seconds_row = ", ".join(f"{name} {statistics.median(values):.2f}" for name, values in raw.items())
    rows.append(f"| (median seconds: {seconds_row}) | | |")
    return rows, raw


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="replace our section of BENCHMARKS.md")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    header = machine()
    rows, _ = measure(args.repeats)
    body = "\n".join([
        "## Analysis tools: compare, lr_find",
        "",
        f"Command: {command()}  ",
        f"Machine: {header}",
        "",
        "Default config (GRU 64, mlp attention, Adam 3e-3, 5 epochs of 32 batches, reverse), "
        f"median of {args.repeats} interleaved repeats. `compare` runs each setting as one "
        "`train()` in a worker process, one worker per core (`parallel/pool.py`, started once "
        "per process, before the timings); a free worker takes the costliest setting left.",
        "",
        "| measure | value | target |",
        "|---|---|---|",
        *rows,
        "",
        f"Load average at the end: {os.getloadavg()[0]:.2f} (these 2 cores are shared; the "
        "workers need both, so a load above ~1 slows `compare` more than the lone run it is "
        "divided by).",
        "",
        "Why a pool of lone runs: each setting is then trained by `train()` itself, so a "
        "compared run equals its lone run number for number, whatever differs between the "
        "settings (rate, width, cell, sequence length). On 2 cores two runs at a time is the "
        "ceiling of this design: 8 runs cost at least 4 runs' time, less where some end early "
        "(the two highest rates diverge within a few steps). The batched model this replaced "
        "was measured against it before it was deleted: see the next section.",
    ])
    print(body)
    if args.write:
        write_section("bench_analysis", body)


if __name__ == "__main__":
    main()
