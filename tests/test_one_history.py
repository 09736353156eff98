"""One config and seed give one History, wherever a learner trains it: ``train()`` in a kernel
at 2 torch threads, the command line (its own process), the ``Lab`` widget, and a ``Compare``
member in a worker process.  (Before training fixed its own thread count, the Lab, at 1
thread, and Compare, at 2, gave the same rate and seed 81% and 97% accuracy.)"""
from __future__ import annotations

import dataclasses
import subprocess
import sys

import torch

from seq2seq_lab import Compare, History, Lab, Seq2SeqConfig, train

CONFIG = Seq2SeqConfig(learning_rate=0.01, max_num_batches=12,
                       checkpoint_frequency_num_batches=6)
TASK = {"train_size": 320}
SEED = 2


def comparable(history: History) -> History:
    """Everything but the legend text (each place words it its own way)."""
    return dataclasses.replace(history, label="")


def test_train_cli_lab_and_compare_give_the_same_history(tmp_path):
    before = torch.get_num_threads()
    torch.set_num_threads(2)                    # a plain kernel's count on these machines
    try:
        reference = train(CONFIG, task="reverse", seed=SEED, task_options=TASK)
    finally:
        torch.set_num_threads(before)

    out = tmp_path / "cli"
    flags = [f"--{name}={value}" for name, value in CONFIG.to_dict().items()
             if value != Seq2SeqConfig.fields()[name]["default"]]
    subprocess.run([sys.executable, "-m", "seq2seq_lab.cli", "train", "--task", "reverse",
                    "--train_size", "320", "--seed", str(SEED), "--device", "cpu",
                    "--out", str(out), *flags], check=True, capture_output=True)
    from_cli = History.from_csv(out / "history.csv")

    lab = Lab(params=["learning_rate"], config=CONFIG, task_options=TASK, seed=SEED)
    compare = Compare(param="learning_rate", values=[0.003, CONFIG.learning_rate],
                      config=CONFIG, task_options=TASK, seed=SEED)
    try:
        lab.controls["learning_rate"].value = CONFIG.learning_rate
        lab.train_button.click()
        assert lab.wait(120)
        compare.train_button.click()
        assert compare.wait(120)
        from_lab = lab.runs[-1]
        from_compare = next(h for h in compare.runs
                            if h.config.learning_rate == CONFIG.learning_rate)
    finally:
        lab.close()
        compare.close()

    for history in (from_cli, from_lab, from_compare):
        assert comparable(history).same_run(comparable(reference)), history.label
        assert history.train_loss == reference.train_loss   # number for number
