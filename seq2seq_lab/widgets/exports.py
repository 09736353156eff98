"""Save what a widget shows: the figure as PNG, every run as one CSV, never overwriting.

Lessons: 01-09 (the "Save PNG" and "Save CSV" buttons of ``Lab`` and ``Compare``).

Files go to a folder (``runs/`` beside the notebook by default) under names with the time, and
an existing file is never replaced, so nothing a learner made is lost.  The widget shows the
path and a download link; the link carries the file itself as a data URL because a widget's
HTML is not rewritten by JupyterLab the way cell output is, so a relative link would point to
the wrong place (and Voila serves no files at all).
"""
from __future__ import annotations

import base64
import csv
import html
import io
import time
from pathlib import Path

from ..config import Seq2SeqConfig
from ..history import History

LINK_LIMIT = 4_000_000  # bytes; a larger file is offered by its path only (a data URL that big
                        # would be sent through the widget channel)


def unique_path(folder: str | Path, stem: str, suffix: str) -> Path:
    """``folder/stem-YYYYmmdd-HHMMSS.suffix``, with ``-2``, ``-3`` ... if it exists already."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    base = f"{stem}-{time.strftime('%Y%m%d-%H%M%S')}"
    path, number = folder / f"{base}{suffix}", 2
    while path.exists():
        path, number = folder / f"{base}-{number}{suffix}", number + 1
    return path


def runs_csv(runs: list[tuple[int, History]]) -> str:
    """One row per batch of every run: run number, label, seed, task, the run's cost (weights,
    wall time, steps per second: compute is part of every comparison), every hyperparameter,
    then the step's losses.  Long format: a spreadsheet or pandas filters by ``run``."""
    names = list(Seq2SeqConfig.fields())
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["run", "label", "seed", "task", "task_options", "num_parameters",
                     "wall_time", "steps_per_second", *names, "step",
                     "train_loss", "lr", "val_loss", "val_accuracy", "val_exact", "diverged",
                     "stopped_by_user"])
    for number, history in runs:
        settings = [getattr(history.config, name) for name in names]
        ended = history.wall_time > 0    # a run still training has no wall time yet
        cost = [history.num_parameters, f"{history.wall_time:.3f}" if ended else "",
                f"{history.steps_per_second:.2f}" if ended else ""]
        at_eval = {step: i for i, step in enumerate(history.eval_steps)}
        for step in range(1, history.steps + 1):
            i = at_eval.get(step)
            scores = ["" if i is None or i >= len(getattr(history, n)) else getattr(history, n)[i]
                      for n in ("val_loss", "val_accuracy", "val_exact")]
            writer.writerow([number, history.label, history.seed, history.task,
                             history.task_options or "", *cost, *settings, step,
                             history.train_loss[step - 1],
                             history.lrs[step - 1] if step <= len(history.lrs) else "",
                             *scores, history.diverged, history.stopped_by_user])
    return out.getvalue()


def saved_html(path: Path, data: bytes, mime: str, saved: str, download: str) -> str:
    """"Saved runs/lab-...png (download)": the path, and a link that downloads the bytes."""
    text = f"{html.escape(saved)} <code>{html.escape(str(path))}</code>"
    if len(data) <= LINK_LIMIT:
        url = f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"
        text += (f' <a href="{url}" download="{html.escape(path.name)}" '
                 f'style="text-decoration:underline">{html.escape(download)}</a>')
    return text
