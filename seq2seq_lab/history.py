"""``History``: everything one training run recorded, with the config and seed that made it.

Lessons: all (every curve is drawn from a History by ``panels.py``).

A plain dataclass in the spirit of fastai's Recorder: series recorded once per batch (the
training loss, the learning rate, the gradient norm), series recorded once per evaluation
(validation scores, the attention of a probe example, the time so far), and how the run ended.
``SERIES`` below lists every series once, with when it is recorded and how it goes into a CSV
cell: ``to_csv``/``from_csv``, the live snapshots of the widgets and the messages of
``compare``'s worker processes all read it, so a new series is added in two places: a field
of ``History`` and a row of ``SERIES``.
"""
from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, Callable

from .config import Seq2SeqConfig

BATCH, EVALUATION = "batch", "evaluation"


@dataclass(frozen=True)
class Series:
    """One recorded series: its History field, when it grows (``BATCH`` or ``EVALUATION``),
    its CSV column, and how a value becomes CSV text and back.  ``timing``: wall-clock
    readings, which differ between two runs of the same setting, so ``same_run`` skips them."""

    name: str
    every: str
    column: str = ""
    write: Callable[[Any], str] = repr
    read: Callable[[str], Any] = float
    timing: bool = False

    @property
    def csv_column(self) -> str:
        return self.column or self.name


def _write_flag(value: bool) -> str:
    return "1" if value else "0"


def _read_flag(text: str) -> bool:
    return text == "1"


def _write_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


SERIES = (
    Series("train_loss", BATCH),
    Series("lrs", BATCH, column="lr"),
    Series("grad_norm", BATCH),                       # before clipping: what the batch asked for
    Series("clipped", BATCH, write=_write_flag, read=_read_flag),
    Series("val_loss", EVALUATION),
    Series("val_accuracy", EVALUATION),
    Series("val_exact", EVALUATION),
    Series("val_bleu", EVALUATION),                   # only when optimized_metric = bleu
    Series("attention", EVALUATION, write=_write_json, read=json.loads),  # models with attention
    Series("weights", EVALUATION, write=_write_json, read=json.loads),    # evaluation.weight_probe
    Series("elapsed", EVALUATION, timing=True),
)
PER_BATCH = tuple(series for series in SERIES if series.every == BATCH)
PER_EVALUATION = tuple(series for series in SERIES if series.every == EVALUATION)
_SCALARS = ("seed", "task", "task_options", "batches_per_epoch", "epochs", "diverged",
            "diverged_step", "stopped_early", "stopped_by_user", "best_step", "wall_time",
            "num_parameters", "device", "label", "weights_start")


@dataclass
class History:
    """What one run recorded.  Steps count batches from 1; ``eval_steps[i]`` is the number of
    batches done when ``val_loss[i]`` was measured."""

    config: Seq2SeqConfig
    seed: int = 0
    task: str = "reverse"
    task_options: dict = field(default_factory=dict)
    batches_per_epoch: int = 0
    # ---- per batch ----
    train_loss: list[float] = field(default_factory=list)
    lrs: list[float] = field(default_factory=list)
    grad_norm: list[float] = field(default_factory=list)    # L2 norm of all gradients, unclipped
    clipped: list[bool] = field(default_factory=list)       # the norm was above clip_gradient
    # ---- per evaluation, at eval_steps ----
    eval_steps: list[int] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)     # token-weighted, teacher forced
    val_accuracy: list[float] = field(default_factory=list)  # tokens right, greedy decoding
    val_exact: list[float] = field(default_factory=list)    # whole sequences right, greedy
    val_bleu: list[float] = field(default_factory=list)     # only when optimized_metric = bleu
    attention: list[dict] = field(default_factory=list)     # evaluation.attention_probe's
    weights: list[dict] = field(default_factory=list)       # evaluation.weight_probe's
    elapsed: list[float] = field(default_factory=list)      # seconds since the run began
    # ---- how it ended ----
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
    weights_start: dict | None = None                        # weight_probe before the first batch
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

    @property
    def steps_per_second(self) -> float:
        """Training speed so far (evaluations included: what a learner waits for)."""
        if self.wall_time > 0:
            return self.steps / self.wall_time
        if self.elapsed and self.elapsed[-1] > 0:
            return self.eval_steps[-1] / self.elapsed[-1]
        return math.nan

    @property
    def clipped_fraction(self) -> float:
        """Share of batches whose gradient was clipped (0 when clipping is off)."""
        return sum(self.clipped) / len(self.clipped) if self.clipped else 0.0

    def final(self, metric: str = "val_loss") -> float:
        values = getattr(self, metric)
        return values[-1] if values else math.nan

    def same_run(self, other: "History") -> bool:
        """Equal records: everything but the wall-clock readings and the model object."""
        mine, theirs = asdict(self), asdict(other)
        skipped = ["wall_time", "model"] + [s.name for s in SERIES if s.timing]
        for record in (mine, theirs):
            for name in skipped:
                record.pop(name, None)
        return mine == theirs

    # ---- CSV --------------------------------------------------------------------------
    def to_csv(self, path: str | Path | None = None) -> str:
        """One row per batch (evaluation columns filled at evaluation steps); the config and
        the run's scalars ride in two comment lines.  Returns the text, and writes it to
        ``path`` if given."""
        meta = {name: getattr(self, name) for name in _SCALARS}
        out = io.StringIO()
        out.write(f"# config={json.dumps(self.config.to_dict())}\n")
        out.write(f"# meta={json.dumps(meta)}\n")
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["step", *(s.csv_column for s in PER_BATCH),
                         *(s.csv_column for s in PER_EVALUATION)])
        at_eval = {step: i for i, step in enumerate(self.eval_steps)}

        def cell(series: Series, i: int | None) -> str:
            values = getattr(self, series.name)
            return series.write(values[i]) if i is not None and i < len(values) else ""
        for step in range(1, self.steps + 1):
            writer.writerow([step, *(cell(s, step - 1) for s in PER_BATCH),
                             *(cell(s, at_eval.get(step)) for s in PER_EVALUATION)])
        text = out.getvalue()
        if path is not None:
            Path(path).write_text(text, encoding="utf-8")
        return text

    @classmethod
    def from_csv(cls, source: str | Path) -> "History":
        """Read a History written by :meth:`to_csv` (a path, or the CSV text itself).  A column
        a CSV lacks (one written before that series existed) stays empty."""
        text = source if isinstance(source, str) and "\n" in source else Path(source).read_text(encoding="utf-8")
        lines = text.splitlines()
        config = Seq2SeqConfig.from_dict(json.loads(lines[0].split("=", 1)[1]))
        meta = json.loads(lines[1].split("=", 1)[1])
        history = cls(config=config, **meta)
        for row in csv.DictReader(lines[2:]):
            for series in PER_BATCH:
                if row.get(series.csv_column):
                    getattr(history, series.name).append(series.read(row[series.csv_column]))
            if any(row.get(s.csv_column) for s in PER_EVALUATION):
                history.eval_steps.append(int(row["step"]))
                for series in PER_EVALUATION:
                    if row.get(series.csv_column):
                        getattr(history, series.name).append(series.read(row[series.csv_column]))
        return history


HISTORY_FIELDS = tuple(f.name for f in fields(History))


# ---- what changed in a History (how ``compare``'s worker processes report, parallel/) ----
class Changes:
    """Remembers what was sent of each History, to send only what changed since.

    Lists (losses, rates, scores) only grow, so their new tail is sent; every other field is
    sent when it differs from what was sent last.  The model is not: its weights travel once,
    with ``on_run_end`` (``parallel.worker._Reporter``).
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
