"""Trainer benchmarks (issue: foundation): overhead vs a hand-written loop, the default
lesson run's time to 95% accuracy, and training steps per second per cell and size.

    .venv/bin/python benchmarks/bench_training.py [--write]

Ratios are measured in one process, interleaving the two sides, and reported as medians.
"""
from __future__ import annotations

import argparse
import statistics
import time

import torch

from report import command, machine, write_section
from seq2seq_lab import Seq2SeqConfig, build_model, make_task, preset, train
from seq2seq_lab.evaluation import evaluate
from seq2seq_lab.models import sequence_loss
from seq2seq_lab.training import CPU, make_optimizer, training_threads


def hand_written_loop(config, task, seed, steps):
    """The plainest PyTorch loop over the same model, batches and final evaluation, at the
    thread count train() uses; it records nothing (train() also records each batch's gradient
    norm and the attention probe: their cost is part of the overhead measured)."""
    with training_threads(CPU):
        return _hand_written_loop(config, task, seed, steps)


def _hand_written_loop(config, task, seed, steps):
    start = time.perf_counter()
    torch.manual_seed(seed)
    model = build_model(config, len(task.source_vocab), len(task.target_vocab))
    optimizer = make_optimizer(model, config)
    order = torch.Generator().manual_seed(seed)
    done = 0
    while done < steps:
        for batch in task.batches("train", config.batch_size, shuffle=True, generator=order):
            logits, _ = model(batch.source, batch.source_lengths, batch.target_in)
            loss = sequence_loss(logits, batch.target_out)
            loss.item()
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), config.clip_gradient)
            optimizer.step()
            done += 1
            if done == steps:
                break
    evaluate(model, task, config)
    return time.perf_counter() - start


def overhead(repeats: int) -> str:
    task = make_task("reverse")
    steps = 96
    # One evaluation, at the end, on both sides: the loop itself is what is compared.
    config = Seq2SeqConfig(max_num_batches=steps, checkpoint_frequency_num_batches=10_000)
    ours, theirs = [], []
    for i in range(repeats):
        theirs.append(hand_written_loop(config, task, i, steps))
        start = time.perf_counter()
        train(config, task=task, seed=i)
        ours.append(time.perf_counter() - start)
    ratio = statistics.median(o / t for o, t in zip(ours, theirs))
    return (f"| trainer overhead: `train()` / hand-written loop, {steps} batches + 1 evaluation, "
            f"median of {repeats} | {ratio:.3f} | <= 1.05 |\n"
            f"| (seconds: train() {statistics.median(ours):.2f}, hand loop {statistics.median(theirs):.2f}) | | |")


def default_run(seeds) -> str:
    rows = []
    for seed in seeds:
        reached = {}
        start = time.perf_counter()

        class Watch:
            def on_evaluation_end(self, history):
                if "t" not in reached and history.val_accuracy[-1] >= 0.95:
                    reached["t"], reached["step"] = time.perf_counter() - start, history.eval_steps[-1]

        history = train(**preset("default", fast=False).train_kwargs(), seed=seed, callbacks=[Watch()])
        rows.append((seed, reached.get("t"), reached.get("step"), history.wall_time, max(history.val_accuracy)))
    times = [r[1] for r in rows if r[1] is not None]
    lines = [f"| default lesson run (reverse, GRU, defaults): seconds to >= 95% validation token "
             f"accuracy, median of seeds {list(seeds)} | {statistics.median(times):.2f} s | <= 5 s |"]
    for seed, t, step, wall, best in rows:
        lines.append(f"| seed {seed}: 95% at step {step} after {t:.2f} s; whole run {wall:.2f} s, "
                     f"best accuracy {best:.3f} | | |" if t else f"| seed {seed}: never reached 95% | | |")
    return "\n".join(lines)


def steps_per_second(repeats: int) -> str:
    task = make_task("reverse")
    lines = ["", "| cell | rnn_num_hidden 64 | rnn_num_hidden 256 |", "|---|---|---|"]
    for cell in ("rnn", "gru", "lstm"):
        cells = []
        for hidden in (64, 256):
            config = Seq2SeqConfig(rnn_cell_type=cell, rnn_num_hidden=hidden, max_num_batches=64,
                                   checkpoint_frequency_num_batches=10_000)
            rates = []
            for seed in range(repeats):
                history = train(config, task=task, seed=seed)
                rates.append(history.steps / history.wall_time)
            cells.append(f"{statistics.median(rates):.0f}")
        lines.append(f"| {cell} | {cells[0]} | {cells[1]} |")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--write", action="store_true", help="replace this section of BENCHMARKS.md")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    torch.set_num_threads(2)
    make_optimizer(torch.nn.Linear(1, 1), Seq2SeqConfig())  # pay torch's one-time import first
    body = "\n".join([
        "## Training (`benchmarks/bench_training.py`)", "",
        f"Command: {command()}  ", f"Machine: {machine()}", "",
        "| measure | result | target |", "|---|---|---|",
        overhead(args.repeats), default_run(range(3)), "",
        "Training steps per second (reverse, batch 64, mlp attention, one evaluation at the end, "
        f"median of {args.repeats} runs of 64 batches):", steps_per_second(max(2, args.repeats // 2)),
    ])
    print(body)
    if args.write:
        write_section("bench_training", body)


if __name__ == "__main__":
    main()
