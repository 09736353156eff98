"""Seconds for each run a lesson asks the learner to make (target: under 15 s on 2 cores).

    .venv/bin/python benchmarks/bench_lessons.py [--repeats N] [--write]

Each Lab run is one ``train()`` with the lesson's preset and the slider values the lesson
names, seed 0 (the Lab's), one torch thread (as every run trains); a cell that trains several
runs at once (``train_seeds``, ``compare``) is timed whole, workers started beforehand, as a
``Compare`` widget starts them when it is built.  Medians of ``--repeats``.  Add a lesson by
adding its runs to ``LESSON_RUNS``.

Two clocks: wall seconds (what a learner waits on these shared cores, so they grow with the
load) and the CPU seconds this process spent (one thread: about what the run takes on a free
core, whatever the load).  A cell with several runs is timed a second time with every run in
this process (``SEQ2SEQ_LAB_WORKERS=0``) for its CPU seconds: the work of all its runs, which
the 2 workers share.
"""
from __future__ import annotations

import argparse
import os
import statistics
import time

from report import command, machine, write_section
from seq2seq_lab import compare, preset, train
from seq2seq_lab.gradients import gradient_flow_compare
from seq2seq_lab.presets import (LESSON_06_EQUAL_WEIGHTS, LESSON_06_EQUAL_WIDTH,
                                 LESSON_06_HIDDEN, LESSON_06_MORE_DATA, LESSON_06_PATIENCE,
                                 LESSON_07_CELLS, LESSON_07_FORGET_BIASES, LESSON_07_LENGTHS,
                                 LESSON_08_ADAM_RATES, LESSON_08_ATTENTION, LESSON_08_CLIPS,
                                 LESSON_08_EMBED_SIZES, LESSON_08_INIT_SCALES,
                                 LESSON_08_STATE_INITS)
from seq2seq_lab.seed_bands import train_seeds
from seq2seq_lab.sensitivity import sensitivity
from seq2seq_lab.presets import LESSON_00_AROUND, LESSON_01_COMPARE_RATES, LESSON_01_SLIDER_RATES
from seq2seq_lab.lr_finder import lr_find
from seq2seq_lab.presets import (LESSON_03_GRID, LESSON_05_OPTIMIZERS, LESSON_05_OWN_RATES)
from seq2seq_lab.presets import LESSON_02_SCHEDULES, LESSON_02_WARMUPS
from seq2seq_lab.presets import (LESSON_09_GRID, LESSON_09_SPACE, LESSON_09_STRATEGIES,
                                 LESSON_09_TRIALS)
from seq2seq_lab.presets import (LESSON_04_BATCHES, LESSON_04_EPOCH_BATCHES, LESSON_04_PATIENCE,
                                 LESSON_04_RATES, LESSON_04_WARMUP)


def lab_run(name: str, task_options: dict | None = None, **changes):
    """A Lab click: the preset with the sliders moved to ``changes`` (and task options)."""
    def run():
        chosen = preset(name, fast=False)
        train(chosen.config.replace(**changes), task=chosen.task,
              task_options={**chosen.task_options, **(task_options or {})}, seed=0)
    return run


def compare_cell(name: str, param: str, values):
    """A Compare click: the preset's runs, one per value, side by side on the workers."""
    def run():
        chosen = preset(name, fast=False)
        compare(chosen.config, {param: list(values)}, task=chosen.task,
                task_options=dict(chosen.task_options))
    return run


def search_cell(strategy: str):
    """A lesson 09 Search widget's Start: one search at the lesson's budget, in a fresh
    SQLite file (a new study each time)."""
    def run():
        import tempfile
        from pathlib import Path
        from seq2seq_lab.search import search
        chosen = preset("lesson_09_search")
        space = LESSON_09_GRID if strategy == "grid" else LESSON_09_SPACE
        with tempfile.TemporaryDirectory() as folder:
            search(space, strategy, budget=LESSON_09_TRIALS * chosen.config.max_num_batches,
                   task=chosen.task, task_options=chosen.task_options, base=chosen.config,
                   storage=Path(folder) / "bench.db")
    return run


def depth_run(layers: int, units: int):
    return lab_run("lesson_06_depth", num_layers_encoder=layers, num_layers_decoder=layers,
                   rnn_num_hidden=units)


REGULARISED = dict(embed_dropout_source=0.3, embed_dropout_target=0.3,
                   rnn_decoder_hidden_dropout=0.3, weight_decay=1e-3)
LESSON_RUNS = {
    "00": [
        ("Lab `default` with the weight panels (as it starts)", lab_run("default")),
        ("sensitivity cell: `lesson_00_sensitivity`, defaults + 9 changes x 3 seeds (30 runs)",
         lambda: sensitivity("lesson_00_sensitivity", LESSON_00_AROUND, fast=False)),
    ],
    "01": [
        *[(f"Lab `default`, `learning_rate={rate:g}`", lab_run("default", learning_rate=rate))
          for rate in LESSON_01_SLIDER_RATES.values()],
        ("the two log cells: `lesson_01_log_small`, `lesson_01_log_large` (5 batches each)",
         lambda: [lab_run(name)() for name in ("lesson_01_log_small", "lesson_01_log_large")]),
        (f"Compare `default` over `learning_rate` ({', '.join(map(str, LESSON_01_COMPARE_RATES))})",
         compare_cell("default", "learning_rate", LESSON_01_COMPARE_RATES)),
    ],
    "02": [
        *[(f"Compare `{name}` over `{param}` ({', '.join(map(str, values))})",
           compare_cell(name, param, values))
          for name, param, values in (
              ("lesson_02_schedules", "lr_scheduler_type", LESSON_02_SCHEDULES),
              ("lesson_02_warmup", "lr_warmup_steps", LESSON_02_WARMUPS))],
        ("Lab `lesson_02_warmup` as it starts (cosine, no warm-up)", lab_run("lesson_02_warmup")),
        ("... Your turn, warm-up alone: `lr_warmup_steps=32`, `lr_scheduler_type=none`",
         lab_run("lesson_02_warmup", lr_warmup_steps=32, lr_scheduler_type="none")),
    ],
    "03": [
        ("range test cell: `lr_find` on `lesson_03_range` (seed 0)",
         lambda: lr_find(**preset("lesson_03_range", fast=False).train_kwargs())),
        # seed 0's suggestion, as the Compare's values box holds it
        ("Compare `lesson_03_range` over `learning_rate` (0.006579, 0.001, 0.01, 0.1, 1.0)",
         compare_cell("lesson_03_range", "learning_rate", (0.006579, *LESSON_03_GRID))),
    ],
    "04": [
        (f"Compare `lesson_04_batches` over `batch_size` ({', '.join(map(str, LESSON_04_BATCHES))})",
         compare_cell("lesson_04_batches", "batch_size", LESSON_04_BATCHES)),
        *[(f"Lab `lesson_04_batches` grid cell: `batch_size={size}`, `learning_rate={rate}`",
           lab_run("lesson_04_batches", batch_size=size, learning_rate=rate))
          for size in LESSON_04_BATCHES for rate in LESSON_04_RATES],
        *[(f"Lab `lesson_04_warmup`: `lr_warmup_steps={steps}`",
           lab_run("lesson_04_warmup", lr_warmup_steps=steps)) for steps in (0, LESSON_04_WARMUP)],
        *[(f"Lab `lesson_04_epochs`: `batch_size={size}`", lab_run("lesson_04_epochs", batch_size=size))
          for size in LESSON_04_EPOCH_BATCHES],
        (f"... `early_stopping_patience={LESSON_04_PATIENCE}`",
         lab_run("lesson_04_epochs", early_stopping_patience=LESSON_04_PATIENCE)),
    ],
    "05": [
        (f"Compare `lesson_05_shared` over `optimizer_type` ({', '.join(LESSON_05_OPTIMIZERS)})",
         compare_cell("lesson_05_shared", "optimizer_type", LESSON_05_OPTIMIZERS)),
        *[(f"Lab `lesson_05_own_rate`: {label} (`{kind}`, momentum {momentum}, rate {rate})",
           lab_run("lesson_05_own_rate", optimizer_type=kind, momentum=momentum,
                   learning_rate=rate))
          for label, (kind, momentum, rate) in LESSON_05_OWN_RATES.items()],
    ],
    "06": [
        ("Lab `lesson_06_overfit` as it starts (128 units)", lab_run("lesson_06_overfit")),
        ("... `rnn_num_hidden=4`",
         lab_run("lesson_06_overfit", rnn_num_hidden=LESSON_06_HIDDEN["underfits"])),
        (f"... `train_size={LESSON_06_MORE_DATA}`",
         lab_run("lesson_06_overfit", {"train_size": LESSON_06_MORE_DATA})),
        ("... dropouts 0.3, `weight_decay=0.001`", lab_run("lesson_06_overfit", **REGULARISED)),
        (f"... `early_stopping_patience={LESSON_06_PATIENCE}`",
         lab_run("lesson_06_overfit", early_stopping_patience=LESSON_06_PATIENCE)),
        ("bands cell: `train_seeds` of 2 presets x 3 seeds (6 runs)",
         lambda: train_seeds({"plain": "lesson_06_overfit",
                              "regularised": "lesson_06_regularised"}, seeds=[0, 1, 2],
                             fast=False)),
        *[(f"Lab `lesson_06_depth`, {layers} x {units} units", depth_run(layers, units))
          for layers, units in sorted(set(LESSON_06_EQUAL_WIDTH.items())
                                      | set(LESSON_06_EQUAL_WEIGHTS.items()))],
    ],
    "07": [
        *[(f"Compare `{name}` over `{param}` ({', '.join(map(str, values))})",
           compare_cell(name, param, values))
          for name, param, values in (("lesson_07_recall", "rnn_cell_type", LESSON_07_CELLS),
                                      ("lesson_07_delay", "seq_len", LESSON_07_LENGTHS),
                                      ("lesson_07_lstm", "lstm_forget_bias",
                                       LESSON_07_FORGET_BIASES))],
        ("gradient-flow cell: the three cells trained and measured",
         lambda: gradient_flow_compare("lesson_07_recall", "rnn_cell_type", LESSON_07_CELLS,
                                       fast=False)),
        ("gradient-flow cell: LSTM with forget bias 0 and 2",
         lambda: gradient_flow_compare("lesson_07_lstm", "lstm_forget_bias", [0.0, 2.0],
                                       fast=False)),
    ],
    "08": [
        *[(f"Compare `{name}` over `{param}` ({', '.join(map(str, values))})",
           compare_cell(name, param, values))
          for name, param, values in (
              ("lesson_08_attention", "rnn_attention_type", LESSON_08_ATTENTION),
              ("lesson_08_embeddings", "num_embed_source", LESSON_08_EMBED_SIZES),
              ("lesson_08_state_init", "rnn_decoder_state_init", LESSON_08_STATE_INITS),
              ("lesson_08_init", "weight_init_scale", LESSON_08_INIT_SCALES),
              ("lesson_08_clip", "clip_gradient", LESSON_08_CLIPS),
              ("lesson_08_clip_adam", "learning_rate", LESSON_08_ADAM_RATES))],
        ("Lab `lesson_08_attention` as it starts (mlp)", lab_run("lesson_08_attention")),
    ],
    "09": [(f"Search `lesson_09_search`, {strategy}, {LESSON_09_TRIALS} trials' budget",
            search_cell(strategy)) for strategy in LESSON_09_STRATEGIES],
}


def cpu_seconds(run) -> float:
    """CPU seconds of this process (every thread) while ``run`` ran."""
    start = time.process_time()
    run()
    return time.process_time() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--write", action="store_true", help="update BENCHMARKS.md")
    parser.add_argument("--lesson", action="append", choices=sorted(LESSON_RUNS),
                        help="time only this lesson's runs (repeatable); not with --write")
    args = parser.parse_args()
    if args.lesson and args.write:
        parser.error("--write rewrites the whole table: time every lesson, without --lesson")
    from seq2seq_lab.parallel import pool
    pool.warm(2)   # worker start-up is not part of a click (see the module docstring)
    header = machine()
    rows = []
    for lesson, runs in LESSON_RUNS.items():
        if args.lesson and lesson not in args.lesson:
            continue
        for label, run in runs:
            seconds, cpu = [], []
            for _ in range(args.repeats):
                start = time.perf_counter()
                run()
                seconds.append(time.perf_counter() - start)
                if any(word in label.lower() for word in ("train_seeds", "compare", "gradient-flow",
                                                          "sensitivity cell")):
                    os.environ["SEQ2SEQ_LAB_WORKERS"] = "0"
                    try:
                        cpu.append(cpu_seconds(run))
                    finally:
                        os.environ.pop("SEQ2SEQ_LAB_WORKERS")
                else:   # train() ran here: its CPU time is this process's
                    cpu.append(cpu_seconds(run))
            rows.append(f"| {lesson} | {label} | {statistics.median(seconds):.1f} | "
                        f"{max(seconds):.1f} | {statistics.median(cpu):.1f} |")
            print(rows[-1], flush=True)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    body = "\n".join([
        "## Lesson runs: seconds per click (`benchmarks/bench_lessons.py`)",
        "",
        f"Command: {command()}  ",
        f"Machine: {header}; {load:.2f} at the end",
        "(2 cores shared with other jobs: wall times grow with the load).  "
        f"{args.repeats} repeat(s) each; target: every run a lesson asks for under 15 s.  "
        "CPU s: seconds of computing in this process, one thread: about what the run takes "
        "on a free core; for a cell of several runs, the work of all of them, which its 2 "
        "workers share.",
        "",
        "| lesson | run | wall s (median) | wall s (max) | CPU s (median) |",
        "| --- | --- | --- | --- | --- |",
        *rows,
    ])
    print(body)
    if args.write:
        write_section("bench_lessons", body)


if __name__ == "__main__":
    main()
