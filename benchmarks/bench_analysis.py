"""Analysis-tool benchmarks (issue 4): ``compare`` of 8 settings vs one ``train`` of the same
config, and ``lr_find`` vs one epoch of training.

    .venv/bin/python benchmarks/bench_analysis.py [--write] [--repeats N] [--threads T]

Both sides of each ratio are measured in the same process, interleaved, after a warm-up run
(the first optimizer built in a process imports torch._dynamo, ~2.6 s); ratios are medians.
Targets: 8 learning rates and 8 seeds each <= 3x one run.
"""
from __future__ import annotations

import argparse
import os
import statistics
import time

import torch

from report import command, machine, write_section
from seq2seq_lab import Seq2SeqConfig, build_model, compare, lr_find, make_task, train
from seq2seq_lab.ensemble import evaluate_together
from seq2seq_lab.training import clip_and_step, evaluate, make_optimizer, sequence_loss

RATES = [1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3]   # the lesson-01 sweep, 2 of them diverge
SEEDS = list(range(8))


def seconds(function) -> float:
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def step_seconds(config: Seq2SeqConfig, task, steps: int = 24) -> float:
    """Seconds per training step (forward, backward, clip, update) of one model, no evaluation."""
    torch.manual_seed(0)
    model = build_model(config, len(task.source_vocab), len(task.target_vocab))
    optimizer = make_optimizer(model, config)
    batch = next(task.batches("train", config.batch_size))
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        logits, _ = model(batch.source, batch.source_lengths, batch.target_in)
        loss = sequence_loss(logits, batch.target_out)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        clip_and_step(model, optimizer, config)   # the update train() makes
        times.append(time.perf_counter() - start)
    return statistics.median(times[2:])


def evaluation_seconds(config: Seq2SeqConfig, task, members: int) -> tuple[float, float]:
    """Seconds for one validation pass of one model, and of ``members`` models together."""
    models = []
    for seed in range(members):
        torch.manual_seed(seed)
        models.append(build_model(config, len(task.source_vocab), len(task.target_vocab)))
    device = torch.device("cpu")
    evaluate(models[0], task, config), evaluate_together(models, task, config, device)  # warm
    one = seconds(lambda: evaluate(models[0], task, config))
    together = seconds(lambda: evaluate_together(models, task, config, device))
    return one, together


def measure(repeats: int) -> tuple[list[str], dict]:
    config, task = Seq2SeqConfig(), make_task("reverse")
    train(config.replace(max_num_batches=2), task=task)           # warm-up: imports, caches
    rows, raw = [], {"one": [], "rates": [], "seeds": [], "seq_rates": [], "epoch": [], "find": [],
                     "floor": [], "eval": []}
    for _ in range(repeats):
        # The floor of any vectorised compare: one model stepping on 8x the batch does the
        # arithmetic of 8 members with none of their per-member overhead.
        raw["floor"].append(step_seconds(config.replace(batch_size=8 * config.batch_size), task)
                            / step_seconds(config, task))
        one_eval, together_eval = evaluation_seconds(config, task, 8)
        raw["eval"].append(together_eval / one_eval)
        raw["one"].append(seconds(lambda: train(config, task=task)))
        raw["rates"].append(seconds(lambda: compare(config, {"learning_rate": RATES}, task=task)))
        raw["seeds"].append(seconds(lambda: compare(config, {"seed": SEEDS}, task=task)))
        raw["epoch"].append(seconds(lambda: train(config.replace(max_num_epochs=1), task=task)))
        raw["find"].append(seconds(lambda: lr_find(config, task=task)))
    # The unbatched reference once: the 8 rates run one after another by train().
    raw["seq_rates"].append(seconds(lambda: compare(config, {"learning_rate": RATES}, task=task,
                                                    vectorise=False)))
    one = statistics.median(raw["one"])

    def ratio(name):
        return statistics.median(x / y for x, y in zip(raw[name], raw["one"]))
    rows.append(f"| `compare` 8 learning rates ({', '.join(f'{r:g}' for r in RATES)}) / one "
                f"`train` | {ratio('rates'):.2f}x | <= 3x |")
    rows.append(f"| `compare` 8 seeds / one `train` | {ratio('seeds'):.2f}x | <= 3x |")
    rows.append(f"| the same 8 rates one after another (`vectorise=False`) / one `train` | "
                f"{raw['seq_rates'][0] / one:.2f}x | (reference) |")
    find_ratio = statistics.median(f / e for f, e in zip(raw["find"], raw["epoch"]))
    rows.append(f"| `lr_find` (100 batches, 1e-5 to 10, stops at blow-up) / one epoch of "
                f"`train` (32 batches + 2 evaluations) | {find_ratio:.2f}x | (report) |")
    rows.append(f"| floor: one training step of one model on 8 x 64 examples / on 64 (the "
                f"arithmetic of 8 members, none of their overhead) | "
                f"{statistics.median(raw['floor']):.2f}x | (reference) |")
    rows.append(f"| one validation pass of 8 models together (`evaluate_together`) / of one model | "
                f"{statistics.median(raw['eval']):.2f}x | (reference) |")
    seconds_row = ", ".join(f"{name} {statistics.median(values):.2f}" for name, values in raw.items()
                            if name not in ("floor", "eval"))
    rows.append(f"| (median seconds: {seconds_row}) | | |")
    return rows, raw


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="replace our section of BENCHMARKS.md")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    header = machine()
    rows, _ = measure(args.repeats)
    body = "\n".join([
        "## Analysis tools: compare, lr_find (issue 4)",
        "",
        f"Command: {command()}  ",
        f"Machine: {header}",
        "",
        "Default config (GRU 64, mlp attention, Adam 3e-3, 5 epochs of 32 batches, reverse), "
        f"median of {args.repeats} interleaved repeats; `compare` trains each group as one "
        "batched model (`ensemble.py`).",
        "",
        "| measure | value | target |",
        "|---|---|---|",
        *rows,
        "",
        f"Load average at the end: {os.getloadavg()[0]:.2f} (other engineers share these 2 "
        "cores; a load above ~2 slows both sides of a ratio, but not always equally).",
        "",
        "Why the <= 3x target is not met here: the work is arithmetic, not overhead. The "
        "floor row is one model taking a step on 8 x 64 examples, the arithmetic of 8 members "
        "with none of their per-member cost (no stacking, no 8 optimizers, no 8 losses); on "
        "these 2 cores it already costs about 3x a step on 64. `compare`'s batched step of 8 "
        "members cost about 4x a lone step (a per-phase timing, 2026-11-23): the rest is what "
        "each member still pays alone, its optimizer update, clipping and loss. Validation is compute-bound even for one model (500 examples in one "
        "batch), so 8 members together cost about 6x one, and a run validates 10 times. "
        "What has been cut (2026-11-23, for every run, not only `compare`): fused Adam/SGD "
        "updates, the mlp attention as 2v.sigmoid(2q + 2k) (the same softmax weights; torch's "
        "CPU tanh costs 2.5x its sigmoid), the keys projected once per greedy decode, and the "
        "ensemble's attention one member at a time so its biggest tensor stays in cache "
        "(the 8-rate ratio was 4.41x before).",
    ])
    print(body)
    if args.write:
        write_section("bench_analysis", body)


if __name__ == "__main__":
    main()
