"""Pure drawing functions: a History (or several) onto matplotlib Axes of an Agg Figure.

Lessons: all (every loss curve); the CLI's ``--out`` PNG; the Lab widget's live frames.

No pyplot anywhere: figures are ``matplotlib.figure.Figure`` objects with an Agg canvas, so a
thread can render PNG bytes without touching the notebook's backend, and no figure leaks into
pyplot's registry.  Colours come from Okabe & Ito's colour-blind-safe palette.
"""
from __future__ import annotations

import io
import math

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from .history import History
from .i18n import t

# Okabe & Ito (2008), "Color Universal Design": distinguishable with every common colour-vision
# deficiency, and in greyscale on a projector.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000")


def smooth(values: list[float], beta: float = 0.9) -> list[float]:
    """Debiased exponential moving average (fastai's AvgSmoothLoss): early points are not
    dragged towards zero, and a higher ``beta`` smooths more."""
    out, average = [], 0.0
    for i, value in enumerate(values, start=1):
        average = beta * average + (1 - beta) * value
        out.append(average / (1 - beta ** i))
    return out


def new_figure(panels: int = 1, width: float = 7.0, height: float = 3.6) -> Figure:
    """A figure with its own Agg canvas and ``panels`` side-by-side axes."""
    figure = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(figure)
    figure.subplots(1, panels, squeeze=False)
    return figure


def draw_losses(ax, history: History, color: str = PALETTE[0], label: str | None = None,
                alpha: float = 1.0, raw: bool = True, smoothing: float = 0.9) -> None:
    """Training loss per batch (raw, faint; smoothed, solid) and validation loss per
    evaluation (dashed, dots), the best validation point ringed, a divergence marked by x."""
    steps = range(1, history.steps + 1)
    name = label if label is not None else (history.label or "run")
    if raw and history.train_loss:
        ax.plot(steps, history.train_loss, color=color, alpha=0.2 * alpha, linewidth=0.8)
    if history.train_loss:
        ax.plot(steps, smooth(history.train_loss, smoothing), color=color, alpha=alpha,
                linewidth=1.8, label=f"{name}: {t('legend_train')}")
    if history.val_loss:
        ax.plot(history.eval_steps, history.val_loss, color=color, alpha=alpha, linestyle="--",
                marker="o", markersize=3, linewidth=1.5, label=f"{name}: {t('legend_val')}")
    best = history.best_index
    if best is not None and history.val_loss:
        ax.plot([history.eval_steps[best]], [history.val_loss[best]], marker="o", markersize=10,
                markerfacecolor="none", markeredgecolor=color, markeredgewidth=2, alpha=alpha,
                linestyle="none")
    if history.diverged and history.train_loss:
        ax.plot([history.steps], [history.train_loss[-1]], marker="x", markersize=12,
                markeredgewidth=3, color=PALETTE[3], alpha=alpha, linestyle="none",
                label=t("legend_diverged"))
    ax.set_xlabel(t("axis_step"))
    ax.set_ylabel(t("axis_loss"))


def wants_log_scale(histories: list[History]) -> bool:
    """Log y when the losses span more than a factor of 30 (a diverging run next to a good
    one): on a linear axis the good run would be a flat line at the bottom."""
    values = [v for h in histories for v in h.train_loss + h.val_loss if v > 0 and math.isfinite(v)]
    return bool(values) and max(values) / min(values) > 30


def plot_histories(histories: list[History], title: str | None = None) -> Figure:
    """One figure: losses of every history (left), validation accuracy (right)."""
    figure = new_figure(panels=2, width=10, height=3.8)
    loss_ax, accuracy_ax = figure.axes
    for i, history in enumerate(histories):
        color = PALETTE[i % len(PALETTE)]
        draw_losses(loss_ax, history, color=color, raw=len(histories) == 1)
        if history.val_accuracy:
            accuracy_ax.plot(history.eval_steps, history.val_accuracy, color=color, marker="o",
                             markersize=3, label=history.label or "run")
    if wants_log_scale(histories):
        loss_ax.set_yscale("log")
    loss_ax.legend(fontsize=8)
    accuracy_ax.set_ylim(0, 1.02)
    accuracy_ax.set_xlabel(t("axis_step"))
    accuracy_ax.set_ylabel(t("axis_accuracy"))
    if title:
        figure.suptitle(title)
    return figure


def to_png(figure: Figure, dpi: int = 100) -> bytes:
    """PNG bytes of a figure (for an ipywidgets.Image, or a file)."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()
