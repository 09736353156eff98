"""The pictures of a hyperparameter search, drawn from its trials (``search.SearchTrial``).

Lessons: 09 (the ``Search`` widget's live figure, and the lesson's isolation plot).

Four panels, each a pure function drawing on an ``Axes`` you give it, with the look of
``panels.py`` (themes, fonts, colours, ``en``/``ko`` labels):

======================== =================================================================
``draw_trials``           each trial's score (best validation loss) against its number, and
                          the running best: how fast the search found what it found
``draw_dimension``        score against one searched hyperparameter's value (log x where the
                          search is log-scaled), a warning when the best sits at the range's edge
``draw_curves``           validation loss against batches, one line per trial: the curves a
                          pruner judged, pruned trials cut short and marked
``draw_isolation``        the best trial for each value of one (scientific) hyperparameter,
                          every other (nuisance) hyperparameter searched for each
======================== =================================================================

``best_text`` is the fourth corner, the best trial in words.  ``search_figure`` puts them on
one ``Figure`` (the widget's frame).  Trials from other machines have no History, only what
the study stores (values, score, intermediate losses), so everything here reads only that.

A diverged trial scores ``search.DIVERGED_VALUE`` (100): drawn as a cross at the top edge of
a panel, never at 100, which would squash every real score into a line at the bottom.
"""
from __future__ import annotations

import math
from typing import Sequence

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, LogLocator, MaxNLocator, NullFormatter

from .config import format_value
from .panels import (GREY, MARK, RUN_COLORS, add_line, look_for, note, set_y_scale, settle_y,
                     spans_decade, style_axes)
from .plots import to_png
from .search import Dimension, SearchTrial

# The best value in the outer tenth of a range (of its logarithm, on a log scale) is "at the
# edge": the optimum may lie outside, and the range should grow that way (tuning playbook).
EDGE_FRACTION = 0.1
DONE_COLOR = "#0072B2"
PRUNED_COLOR = "#999999"
_SHORT = FuncFormatter(lambda value, _position: f"{value:g}".replace("e-0", "e-"))


# ---- reading trials ----------------------------------------------------------------------
def finished(trials: Sequence[SearchTrial]) -> list[SearchTrial]:
    """Trials with a score (complete or pruned), in trial-number order."""
    return sorted((t for t in trials if t.state in ("complete", "pruned") and t.value is not None),
                  key=lambda t: t.number)


def scored(trials: Sequence[SearchTrial]) -> list[SearchTrial]:
    """Complete trials that did not diverge: the ones a best is chosen from."""
    return [t for t in finished(trials) if t.state == "complete" and not t.diverged]


def best_of(trials: Sequence[SearchTrial]) -> SearchTrial | None:
    """The complete trial with the lowest validation loss (None if none finished)."""
    good = scored(trials)
    return min(good, key=lambda t: t.value) if good else None


def running_best(trials: Sequence[SearchTrial]) -> tuple[list[int], list[float]]:
    """(trial numbers, best score so far) over the finished trials, in number order."""
    numbers, values, best = [], [], math.inf
    for trial in finished(trials):
        if trial.state == "complete" and not trial.diverged:
            best = min(best, trial.value)
        if math.isfinite(best):
            numbers.append(trial.number)
            values.append(best)
    return numbers, values


def best_per_value(trials: Sequence[SearchTrial], name: str) -> dict:
    """{value of ``name``: its best complete trial}: the isolation of a scientific
    hyperparameter, every other searched hyperparameter tuned separately for each value."""
    best: dict = {}
    for trial in scored(trials):
        value = trial.params.get(name)
        if value is not None and (value not in best or trial.value < best[value].value):
            best[value] = trial
    return best


def at_edge(trials: Sequence[SearchTrial], dimension: Dimension) -> str | None:
    """``"low"`` or ``"high"`` when the best trial's value of a range sits in the outer
    EDGE_FRACTION of it, else None (choices have no edge)."""
    best = best_of(trials)
    if best is None or dimension.kind == "categorical" or dimension.name not in best.params:
        return None
    low, high, value = dimension.low, dimension.high, best.params[dimension.name]
    if dimension.log and low > 0:
        low, high, value = math.log(low), math.log(high), math.log(max(value, 1e-300))
    if high <= low:
        return None
    place = (value - low) / (high - low)
    return "low" if place <= EDGE_FRACTION else "high" if place >= 1 - EDGE_FRACTION else None


def _ceiling(values: Sequence[float], log: bool) -> float:
    """Where diverged trials are drawn: a little above the highest real score."""
    top = max(values) if values else 3.0
    return top * 1.6 if log else top * 1.12


def _marks(ax: Axes, look, x, y, kind: str, **extra) -> None:
    """Markers of one kind: ``done`` (filled dot), ``pruned`` (hollow dot), ``diverged``
    (cross), ``best`` (a ring around a point)."""
    size = look.theme.marker_size
    styles = {
        "done": dict(marker="o", markersize=size * 1.5, color=DONE_COLOR, alpha=0.8),
        "pruned": dict(marker="o", markersize=size * 1.5, markerfacecolor="none",
                       markeredgecolor=PRUNED_COLOR, markeredgewidth=look.theme.line_width * 0.6),
        "diverged": dict(marker="X", markersize=size * 2.2, color=MARK, markeredgecolor="black",
                         markeredgewidth=0.5),
        "best": dict(marker="o", markersize=size * 3.2, markerfacecolor="none",
                     markeredgecolor=MARK, markeredgewidth=look.theme.line_width),
    }
    if len(x):
        add_line(ax, list(x), list(y), linestyle="none", clip_on=False, zorder=4,
                 **{**styles[kind], **extra})


def _empty(ax: Axes, look) -> Axes:
    """No finished trial yet: a note where the dots will be."""
    ax.set_ylim(0, 3)
    note(ax, look.t("search_empty"), look)
    return ax


def _scored_marks(ax: Axes, look, done: Sequence[SearchTrial], x_of) -> list[SearchTrial]:
    """The trials that have a score (not diverged) at ``x_of(trial)``: dots, hollow if pruned;
    returns them."""
    real = [t for t in done if not t.diverged]
    for kind, group in (("done", [t for t in real if t.state == "complete"]),
                        ("pruned", [t for t in real if t.state == "pruned"])):
        _marks(ax, look, [x_of(t) for t in group], [t.value for t in group], kind)
    return real


def _scale_scores(ax: Axes, values: Sequence[float]) -> bool:
    """Log y when the scores span a decade; round limits (``panels.settle_y``)."""
    log = spans_decade(values)
    set_y_scale(ax, log)
    settle_y(ax, 1.5)
    return log


# ---- the panels ---------------------------------------------------------------------------
def draw_trials(ax: Axes, trials: Sequence[SearchTrial], *, theme="notebook",
                language: str | None = None) -> Axes:
    """Each finished trial's score against its number (dots; hollow: pruned, its score then
    the last loss it reached; cross: diverged, at the top edge) and the running best (a
    vermillion step line), the best trial ringed."""
    look = look_for(theme, language)
    style_axes(ax, look, look.t("search_axis_trial"), look.t("search_axis_score"))
    ax.xaxis.set_major_locator(MaxNLocator(nbins=6, integer=True))
    done = finished(trials)
    if not done:
        ax.set_xlim(-0.5, 10)
        return _empty(ax, look)
    real = _scored_marks(ax, look, done, lambda t: t.number)
    numbers, best = running_best(done)
    if numbers:
        # Extended to the last trial: the line says "the best so far" at every trial.
        last = max(t.number for t in done)
        add_line(ax, numbers + [last], best + [best[-1]], color=MARK, drawstyle="steps-post",
                 linewidth=look.theme.line_width, zorder=3)
        winner = best_of(done)
        _marks(ax, look, [winner.number], [winner.value], "best")
    log = _scale_scores(ax, [t.value for t in real] or [1.0])
    diverged = [t for t in done if t.diverged]
    if diverged:
        top = _ceiling([t.value for t in real], log)
        ax.set_ylim(ax.get_ylim()[0], max(ax.get_ylim()[1], top * (1.25 if log else 1.05)))
        _marks(ax, look, [t.number for t in diverged], [top] * len(diverged), "diverged")
    # At least trials 0 and 1 on the axis: with one trial the integer locator found no two
    # whole numbers and fell back to ticks at -0.4, -0.2, ...
    ax.set_xlim(-0.5, max(1, max(t.number for t in done)) + 0.5)
    return ax


def draw_dimension(ax: Axes, trials: Sequence[SearchTrial], dimension: Dimension, *,
                   theme="notebook", language: str | None = None) -> Axes:
    """Score against the value of one searched hyperparameter: one dot per trial (hollow:
    pruned; cross at the top: diverged), the best ringed; choices side by side.  A dashed
    vermillion line and a warning when the best sits at the edge of the range searched."""
    look = look_for(theme, language)
    name = dimension.name
    style_axes(ax, look, name, look.t("search_axis_score"))
    done = [t for t in finished(trials) if name in t.params]
    choices = list(dimension.choices)

    def x_of(trial):
        value = trial.params[name]
        if dimension.kind != "categorical":
            return value
        # A little spread inside each choice, so trials on one value do not hide each other.
        return choices.index(value) + ((trial.number * 0.37) % 1 - 0.5) * 0.3 \
            if value in choices else math.nan

    if dimension.kind == "categorical":
        ax.set_xticks(range(len(choices)))
        ax.set_xticklabels([format_value(c) for c in choices])
        ax.set_xlim(-0.6, len(choices) - 0.4)
    else:
        if dimension.log:
            ax.set_xscale("log")
            ax.xaxis.set_major_locator(LogLocator(base=10, numticks=6))
            ax.xaxis.set_major_formatter(_SHORT)
            ax.xaxis.set_minor_formatter(NullFormatter())
        else:
            ax.xaxis.set_major_locator(MaxNLocator(nbins=5))
        pad = (dimension.high / dimension.low) ** 0.04 if dimension.log and dimension.low > 0 \
            else None
        low, high = ((dimension.low / pad, dimension.high * pad) if pad else
                     (dimension.low - 0.04 * (dimension.high - dimension.low),
                      dimension.high + 0.04 * (dimension.high - dimension.low)))
        ax.set_xlim(low, high)
        # The range searched, shaded: dots outside it would mean a bug, empty parts a gap.
        ax.axvspan(dimension.low, dimension.high, color="#EEEEEE", zorder=0, linewidth=0)
    if not done:
        return _empty(ax, look)
    real = _scored_marks(ax, look, done, x_of)
    winner = best_of(done)
    if winner is not None:
        _marks(ax, look, [x_of(winner)], [winner.value], "best")
    log = _scale_scores(ax, [t.value for t in real] or [1.0])
    diverged = [t for t in done if t.diverged]
    if diverged:
        top = _ceiling([t.value for t in real], log)
        ax.set_ylim(ax.get_ylim()[0], max(ax.get_ylim()[1], top * (1.25 if log else 1.05)))
        _marks(ax, look, [x_of(t) for t in diverged], [top] * len(diverged), "diverged")
    edge = at_edge(done, dimension)
    if edge is not None:
        ax.axvline(dimension.low if edge == "low" else dimension.high, color=MARK,
                   linestyle="--", linewidth=look.theme.line_width)
        ax.set_title(look.t("search_edge_" + edge), fontdict=look.font(0.8), color=MARK)
    return ax


def draw_curves(ax: Axes, trials: Sequence[SearchTrial], *, theme="notebook",
                language: str | None = None, planned: int | None = None) -> Axes:
    """Validation loss against batches trained, one line per trial: complete trials blue,
    pruned ones grey and cut short with a hollow dot where the pruner stopped them, diverged
    ones ending in a cross; the best trial vermillion.  ``planned``: a trial's batches (the
    x axis's end)."""
    look = look_for(theme, language)
    style_axes(ax, look, look.t("search_axis_batches"), look.t("axis_val_loss"))
    ax.xaxis.set_major_locator(MaxNLocator(nbins=5, integer=True))
    done = [t for t in finished(trials) if t.intermediate]
    width = look.theme.line_width
    winner = best_of(done)
    values = []
    for trial in done:
        steps = sorted(int(s) for s in trial.intermediate)
        losses = [trial.intermediate[s] if s in trial.intermediate else trial.intermediate[str(s)]
                  for s in steps]
        losses = [v if math.isfinite(v) else math.nan for v in losses]
        values += [v for v in losses if math.isfinite(v)]
        is_best = winner is not None and trial.number == winner.number
        color = MARK if is_best else PRUNED_COLOR if trial.state == "pruned" else DONE_COLOR
        add_line(ax, steps, losses, color=color, alpha=1.0 if is_best else 0.55,
                 linewidth=width * (1.0 if is_best else 0.55), zorder=5 if is_best else 2,
                 linestyle="--" if trial.state == "pruned" else "-")
        if trial.state == "pruned":
            _marks(ax, look, steps[-1:], losses[-1:], "pruned")
    last = max([planned or 0] + [max(int(s) for s in t.intermediate) for t in done] + [1])
    ax.set_xlim(0, last * 1.03)
    if not values:
        ax.set_ylim(0, 3)
        note(ax, look.t("search_empty"), look)
        return ax
    _scale_scores(ax, values)
    return ax


def draw_isolation(ax: Axes, trials: Sequence[SearchTrial], scientific: str, *,
                   choices: Sequence | None = None, theme="notebook",
                   language: str | None = None) -> Axes:
    """The isolation plot of the tuning playbook: for each value of the ``scientific``
    hyperparameter, every trial (grey) and the best of them (a vermillion bar), the other
    searched hyperparameters (the nuisance ones) tuned for each value by the search."""
    look = look_for(theme, language)
    style_axes(ax, look, scientific, look.t("search_axis_score"))
    best = best_per_value(trials, scientific)
    choices = list(choices) if choices is not None else sorted(best, key=str)
    ax.set_xticks(range(len(choices)))
    ax.set_xticklabels([format_value(c) for c in choices])
    ax.set_xlim(-0.6, len(choices) - 0.4)
    real = scored(trials)
    if not real:
        ax.set_ylim(0, 3)
        note(ax, look.t("search_empty"), look)
        return ax
    for index, choice in enumerate(choices):
        members = [t for t in real if t.params.get(scientific) == choice]
        _marks(ax, look, [index] * len(members), [t.value for t in members], "done",
               color=GREY, alpha=0.35)
        if choice in best:
            add_line(ax, [index - 0.3, index + 0.3], [best[choice].value] * 2, color=MARK,
                     linewidth=look.theme.line_width * 1.6, zorder=5)
    _scale_scores(ax, [t.value for t in real])
    ax.set_title(look.t("search_isolation_title", name=scientific), fontdict=look.font(0.85))
    return ax


def best_text(trials: Sequence[SearchTrial], names: Sequence[str], *,
              language: str | None = None) -> str:
    """The best trial in words: its number, score and the value of each searched name."""
    look = look_for("notebook", language)
    winner = best_of(trials)
    done = finished(trials)
    counts = {state: sum(1 for t in done if t.state == state) for state in ("complete", "pruned")}
    diverged = sum(1 for t in done if t.diverged)
    head = look.t("search_counts", complete=counts["complete"] - diverged,
                  pruned=counts["pruned"], diverged=diverged)
    if winner is None:
        return "\n".join([head, look.t("search_key"), "", look.t("search_no_best")])
    lines = [head, look.t("search_key"), "",
             look.t("search_best_head", number=winner.number, value=winner.value)]
    lines += [f"  {name} = {format_value(winner.params[name])}" for name in names
              if name in winner.params]
    return "\n".join(lines)


# ---- the whole figure ---------------------------------------------------------------------
def search_figure(trials: Sequence[SearchTrial], dimensions: Sequence[Dimension], *,
                  theme="notebook", language: str | None = None, planned: int | None = None,
                  figure: Figure | None = None) -> Figure:
    """Trials, curves and the best in words on top; one panel per searched hyperparameter
    below.  ``figure``: draw into this one (cleared first) instead of a new one."""
    look = look_for(theme, language)
    per_row = max(1, min(len(dimensions), 4))
    rows = 2 if dimensions else 1
    size = (look.theme.width, look.theme.height * 0.9 * rows)
    if figure is None:
        figure = Figure(figsize=size, dpi=look.theme.dpi)
    else:
        figure.clear()
        figure.set_size_inches(*size)
    grid = figure.add_gridspec(rows, 12, hspace=0.45, wspace=3.0, left=0.07, right=0.985,
                               top=0.95, bottom=0.1 if rows == 2 else 0.18)
    draw_trials(figure.add_subplot(grid[0, 0:4]), trials, theme=look.theme, language=look.language)
    draw_curves(figure.add_subplot(grid[0, 4:8]), trials, theme=look.theme, language=look.language,
                planned=planned)
    text_ax = figure.add_subplot(grid[0, 8:12])
    text_ax.set_axis_off()
    text_ax.text(0.0, 1.0, best_text(trials, [d.name for d in dimensions], language=look.language),
                 va="top", ha="left", transform=text_ax.transAxes, fontdict=look.font(0.8),
                 linespacing=1.45)
    span = 12 // per_row
    for index, dimension in enumerate(dimensions[:per_row]):
        draw_dimension(figure.add_subplot(grid[1, index * span:(index + 1) * span]), trials,
                       dimension, theme=look.theme, language=look.language)
    return figure


def search_png(trials: Sequence[SearchTrial], dimensions: Sequence[Dimension], *,
               theme="notebook", language: str | None = None, planned: int | None = None,
               figure: Figure | None = None, compress_level: int = 1) -> bytes:
    """``search_figure`` as PNG bytes (the widget's frame)."""
    figure = search_figure(trials, dimensions, theme=theme, language=language, planned=planned,
                           figure=figure)
    return to_png(figure, dpi=figure.dpi, compress_level=compress_level)


def isolation_plot(result, scientific: str, *, theme="notebook", language: str | None = None):
    """A finished search's isolation plot of ``scientific`` as an image a notebook shows
    (one call in a lesson cell)."""
    from IPython.display import Image
    look = look_for(theme, language)
    figure = Figure(figsize=(look.theme.width * 0.55, look.theme.height), dpi=look.theme.dpi)
    trials = result.all_trials() if hasattr(result, "all_trials") else list(result)
    settings = getattr(result, "settings", None) or {}
    choices = next((d.get("choices") for d in settings.get("space", ())
                    if d.get("name") == scientific and d.get("choices")), None)
    draw_isolation(figure.add_subplot(), trials, scientific, choices=choices, theme=look.theme,
                   language=look.language)
    figure.tight_layout()
    return Image(to_png(figure, dpi=look.theme.dpi))


__all__ = ["at_edge", "best_of", "best_per_value", "best_text", "draw_curves", "draw_dimension",
           "draw_isolation", "draw_trials", "finished", "isolation_plot", "running_best",
           "scored", "search_figure", "search_png"]
