"""``History``: everything one training run recorded, with the config and seed that made it.

Lessons: all (every curve is drawn from a History by ``plots.py``).

A plain dataclass in the spirit of fastai's Recorder: per-batch ``train_loss`` and ``lrs``,
per-evaluation validation metrics at ``eval_steps``, and how the run ended.  ``to_csv`` writes
one row per batch (validation columns filled at evaluation steps) plus the config as a
comment line, so a CSV alone says what made it and ``from_csv`` restores the History.
"""
from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from .config import Seq2SeqConfig

_PER_EVAL = ("val_loss", "val_accuracy", "val_exact", "val_bleu")
_SCALARS = ("seed", "task", "task_options", "batches_per_epoch", "epochs", "diverged",
            "diverged_step", "stopped_early", "stopped_by_user", "best_step", "wall_time",
            "num_parameters", "device", "label")


@dataclass
class History:
    """What one run recorded.  Steps count batches from 1; ``eval_steps[i]`` is the number of
    batches done when ``val_loss[i]`` was measured."""

    config: Seq2SeqConfig
    seed: int = 0
    task: str = "reverse"
    task_options: dict = field(default_factory=dict)
    batches_per_epoch: int = 0
    train_loss: list[float] = field(default_factory=list)   # one per batch
    lrs: list[float] = field(default_factory=list)          # one per batch
    eval_steps: list[int] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)     # token-weighted, teacher forced
    val_accuracy: list[float] = field(default_factory=list)  # tokens right, greedy decoding
    val_exact: list[float] = field(default_factory=list)    # whole sequences right, greedy
    val_bleu: list[float] = field(default_factory=list)     # only when optimized_metric = bleu
    epochs: float = 0.0                                      # epochs trained (fractional)
    diverged: bool = False
    diverged_step: int | None = None
    stopped_early: bool = False
    stopped_by_user: bool = False
    best_step: int | None = None
    wall_time: float = 0.0
    num_parameters: int = 0
    device: str = "cpu"
    label: str = ""                                          # legend text, e.g. "learning_rate=0.1"
    model: Any = field(default=None, repr=False, compare=False)  # the trained model (not saved)

    @property
    def steps(self) -> int:
        return len(self.train_loss)

    @property
    def best_index(self) -> int | None:
        """Index into the per-evaluation lists of the best evaluation."""
        return self.eval_steps.index(self.best_step) if self.best_step in self.eval_steps else None

    @property
    def best_val_loss(self) -> float:
        return min(self.val_loss) if self.val_loss else math.inf

    def final(self, metric: str = "val_loss") -> float:
        values = getattr(self, metric)
        return values[-1] if values else math.nan

    def same_run(self, other: "History") -> bool:
        """Equal records (everything but wall time and the model object)."""
        mine, theirs = asdict(self), asdict(other)
        for record in (mine, theirs):
            record.pop("wall_time"), record.pop("model", None)
        return mine == theirs

    # ---- CSV --------------------------------------------------------------------------
    def to_csv(self, path: str | Path | None = None) -> str:
        """One row per batch; returns the text and writes it to ``path`` if given."""
        meta = {name: getattr(self, name) for name in _SCALARS}
        out = io.StringIO()
        out.write(f"# config={json.dumps(self.config.to_dict())}\n")
        out.write(f"# meta={json.dumps(meta)}\n")
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["step", "train_loss", "lr", *_PER_EVAL])
        at_eval = {step: i for i, step in enumerate(self.eval_steps)}
        for step in range(1, self.steps + 1):
            i = at_eval.get(step)
            values = [getattr(self, name)[i] if i is not None and i < len(getattr(self, name)) else ""
                      for name in _PER_EVAL]
            writer.writerow([step, repr(self.train_loss[step - 1]), repr(self.lrs[step - 1]),
                             *(repr(v) if v != "" else "" for v in values)])
        text = out.getvalue()
        if path is not None:
            Path(path).write_text(text, encoding="utf-8")
        return text

    @classmethod
    def from_csv(cls, source: str | Path) -> "History":
        """Read a History written by :meth:`to_csv` (a path, or the CSV text itself)."""
        text = source if isinstance(source, str) and "\n" in source else Path(source).read_text(encoding="utf-8")
        lines = text.splitlines()
        config = Seq2SeqConfig.from_dict(json.loads(lines[0].split("=", 1)[1]))
        meta = json.loads(lines[1].split("=", 1)[1])
        history = cls(config=config, **meta)
        for row in csv.DictReader(lines[2:]):
            history.train_loss.append(float(row["train_loss"]))
            history.lrs.append(float(row["lr"]))
            if any(row[name] for name in _PER_EVAL):
                history.eval_steps.append(int(row["step"]))
                for name in _PER_EVAL:
                    if row[name]:
                        getattr(history, name).append(float(row[name]))
        return history


HISTORY_FIELDS = tuple(f.name for f in fields(History))


# ---- what changed in a History (how ``compare``'s worker processes report, workers.py) ----
class Changes:
    """Remembers what was sent of each History, to send only what changed since.

    Lists (losses, rates, scores) only grow, so their new tail is sent; every other field is
    sent when it differs from what was sent last.  The model is not: its weights travel once,
    with ``on_run_end`` (``worker_process._Reporter``).
    """

    def __init__(self):
        self.sent: dict[int, dict[str, Any]] = {}

    def of(self, history: History) -> dict[str, Any]:
        sent = self.sent.setdefault(id(history), {})
        changes = {}
        for name in HISTORY_FIELDS:
            if name == "model":
                continue
            value = getattr(history, name)
            if isinstance(value, list):
                if len(value) > sent.get(name, 0):
                    changes[name] = value[sent.get(name, 0):]
                    sent[name] = len(value)
            elif name not in sent or sent[name] != value:
                changes[name] = value
                sent[name] = value
        return changes


def apply_changes(history: History | None, changes: dict[str, Any]) -> History:
    """A History with ``changes`` (from :class:`Changes`) applied; None: the first changes,
    which hold every field, make a new History."""
    if history is None:
        return History(**changes)
    for name, value in changes.items():
        if isinstance(value, list):
            getattr(history, name).extend(value)
        else:
            setattr(history, name, value)
    return history
