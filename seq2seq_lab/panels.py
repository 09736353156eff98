"""Figure panels: one pure function per panel, drawing runs on a matplotlib ``Axes`` you give it.

Lessons: 01-09 through the live widgets (``Lab(panels=[...])``, ``Compare(panels=[...])``,
which draw with these same functions, see ``widgets/figure.py``), and any lesson cell or script
that draws finished runs on its own ``Figure``; each function names the lessons that use it.

====================== ===================================================================
``draw_loss``           training loss per batch and validation loss per evaluation
``draw_accuracy``       validation token accuracy per evaluation
``draw_learning_rate``  the schedule: planned (dashed) before a run, the rates used (solid)
``draw_gradient_norm``  gradient norm per batch before clipping, the clipping threshold
``draw_attention``      the attention weights of one fixed probe example, as a heatmap
``draw_range_test``     loss against learning rate from ``lr_find``, the suggestion marked
``draw_grid``           one number per run over two hyperparameters (best val loss, ...)
``draw_bands``          several seeds of a setting: their mean and a min-max band
``draw_gradient_flow``  |dL/dh_t| against the source position t (``gradients.py``), log y
====================== ===================================================================

Every function takes ``runs``: Histories, or ``RunView``s when the caller chooses labels,
colours and roles (a ``ghost`` is an earlier run, drawn faded), plus ``theme`` (``notebook``
or ``projector``: large fonts and thick lines read from the back of a classroom) and
``language`` (``en``/``ko``, labels from ``i18n.py``).  No pyplot: draw on the Axes of a
``matplotlib.figure.Figure`` (see ``plots.py`` for why)::

    figure = Figure(figsize=(6, 4))
    draw_gradient_norm(figure.add_subplot(), [history], theme="notebook")

The pieces a panel is made of (``setup_*``, ``*_run``, ``settle_*``) are public too, because
the live figure calls them separately: it draws earlier runs once and keeps their lines, and
re-draws only the run in progress (``widgets/figure.py``).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle
from matplotlib.ticker import (FuncFormatter, LogLocator, MaxNLocator, NullFormatter,
                               NullLocator)

from .config import Seq2SeqConfig, format_value
from .history import History
from .i18n import get_language, t
from .plots import PALETTE, centered_average, font_families
from .schedules import learning_rate_at

# Okabe-Ito without its yellow, which vanishes on white and on projectors; runs cycle these.
RUN_COLORS = tuple(c for c in PALETTE if c != "#F0E442")
MIN_LOSS_RATIO = 1.5     # the loss axis spans at least this factor (see ``settle_loss``)
MAX_RAW_POINTS = 1500  # raw per-batch values drawn at most this many points: frame cost stays flat
STILL_ROLES = ("ghost", "pinned")   # finished runs drawn faded behind the current one
GREY = "#444444"
MARK = "#D55E00"       # vermillion: suggestions and best cells, the palette's loudest colour

_PLAIN = FuncFormatter(lambda value, _position: f"{value:g}")
# 1e-5 rather than 1e-05: narrow panels of rates spanning decades need every character.
_SHORT = FuncFormatter(lambda value, _position: f"{value:g}".replace("e-0", "e-"))


# ---- looks -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Theme:
    """Sizes of one look: ``notebook`` for a laptop screen, ``projector`` for a classroom wall."""

    name: str
    width: float          # inches
    height: float         # inches, of one row of panels
    dpi: int
    font_size: float
    line_width: float
    marker_size: float
    ghost_alpha: float    # how faded earlier runs are
    legend_columns: int


THEMES = {
    "notebook": Theme("notebook", 9.6, 3.8, 90, 9.0, 1.8, 3.5, 0.35, 3),
    # Read from the back of a room: fonts ~2x, lines thick, fewer legend columns.  Wide and
    # flat so the whole widget (controls, figure, legend, diagnosis) fits a 1280x720 projector:
    # 1140x380 px, rendered at the size it is shown (the widget fixes the Image's width to
    # width x dpi), because a browser scaling a PNG up blurs its text.
    "projector": Theme("projector", 11.4, 3.8, 100, 15.0, 3.4, 6.5, 0.45, 2),
}


def theme_named(name: "str | Theme") -> Theme:
    if isinstance(name, Theme):
        return name
    if name not in THEMES:
        raise ValueError(f"theme must be one of {', '.join(THEMES)}, not {name!r}")
    return THEMES[name]


@dataclass(frozen=True)
class Look:
    """A theme, a language and the fonts that language needs: everything a panel's text
    and line sizes depend on."""

    theme: Theme
    language: str
    fonts: tuple

    def t(self, key: str, **values) -> str:
        return t(key, self.language, **values)

    def font(self, scale: float = 1.0) -> dict:
        # Never under 7.5 pt: the notebook theme's small legends (0.75 x 9 pt) were hard to read.
        return {"family": list(self.fonts), "size": max(self.theme.font_size * scale, 7.5)}


def look_for(theme: "str | Theme | Look" = "notebook", language: str | None = None) -> Look:
    if isinstance(theme, Look):
        return theme
    language = language or get_language()
    # The Hangul fallback only where needed: a font list makes every text layout slower.
    fonts = font_families() if language == "ko" else ["DejaVu Sans"]
    return Look(theme_named(theme), language, tuple(fonts))


@dataclass
class RunView:
    """One run as a figure shows it.  ``role``: ``current`` (full colour, raw values behind),
    ``member`` (full colour, one of several trained together), ``pinned`` or ``ghost``."""

    history: History
    label: str
    color: str
    role: str = "ghost"
    planned_steps: int = 0


def as_views(runs: "History | RunView | Iterable") -> list[RunView]:
    """RunViews of ``runs``: a bare History gets its own label and the next palette colour,
    and is drawn in full colour."""
    if isinstance(runs, (History, RunView)):
        runs = [runs]
    views = []
    for index, run in enumerate(runs):
        if isinstance(run, RunView):
            views.append(run)
        else:
            views.append(RunView(run, run.label or f"run {index + 1}",
                                 RUN_COLORS[index % len(RUN_COLORS)], "member", run.steps))
    return views


def _fade(view: RunView, theme: Theme) -> tuple[float, float]:
    """(alpha, line width) of a run: earlier runs faded and thinner than the current one."""
    faded = view.role in STILL_ROLES
    alpha = theme.ghost_alpha if view.role == "ghost" else (0.6 if faded else 1.0)
    return alpha, theme.line_width * (0.7 if faded else 1.0)


def add_line(ax: Axes, x, y, **style) -> Line2D:
    """``ax.plot`` without its argument parsing (format strings, unit conversion, the colour
    cycle): with ~30 lines a frame that parsing was a third of a live frame's cost, and every
    style here is given explicitly anyway."""
    line = Line2D(x, y, **style)
    ax.add_line(line)
    return line


def note(ax: Axes, text: str, look: Look) -> None:
    """A grey sentence in the middle of an empty panel, saying why it is empty."""
    ax.text(0.5, 0.5, text, transform=ax.transAxes, ha="center", va="center", wrap=True,
            fontdict=look.font(0.95), color="#555555")


def style_axes(ax: Axes, look: Look, xlabel: str = "", ylabel: str = "",
               grid: bool = True) -> None:
    """Labels, tick sizes and grid, set once.  Few ticks on purpose: tick labels were the
    largest part of a live frame's cost."""
    theme, font = look.theme, look.font()
    if xlabel:
        ax.set_xlabel(xlabel, fontdict=font)
    if ylabel:
        ax.set_ylabel(ylabel, fontdict=font)
    ax.tick_params(labelsize=theme.font_size * 0.9, width=max(0.8, theme.line_width / 3))
    if grid:
        ax.grid(True, alpha=0.3)
    else:
        ax.grid(False)


def round_log(value: float, up: bool) -> float:
    """The next 1-2-5 number (..., 0.5, 1, 2, 5, 10, ...) above (``up``) or below ``value``."""
    if value <= 0:
        return value
    power = 10.0 ** math.floor(math.log10(value))
    stops = [m * power for m in (0.5, 1, 2, 5, 10)]
    return min(x for x in stops if x >= value * (1 - 1e-9)) if up else \
        max(x for x in stops if x <= value * (1 + 1e-9))


def spans_decade(values: Iterable[float]) -> bool:
    """Log y when positive values span more than a factor of 10: on a linear axis the small
    ones would be a flat line at the bottom (``plots.wants_log_scale`` for losses)."""
    return decades_of(values) > 1


def decades_of(values: Iterable[float]) -> float:
    """How many powers of ten the positive, finite ``values`` span."""
    values = [v for v in values if v > 0 and math.isfinite(v)]
    return math.log10(max(values) / min(values)) if values else 0.0


def set_y_scale(ax: Axes, log: bool, decades: float = 0.0) -> None:
    """Log or linear y with few, plain tick labels.  ``decades``: how many the values span;
    past two, 1-2-5 steps crowd the axis, so only powers of ten are labelled."""
    if log:
        ax.set_yscale("log")
        # Plain numbers (0.01, 0.1, 1) read better than 10^-2 for a learner, and skip
        # mathtext, which was a third of a frame's cost.  1-2-5 steps: a run between 0.3 and
        # 2.5 otherwise showed one tick label, "1".
        subs = (1.0,) if decades > 2 else (1.0, 2.0, 5.0)
        ax.yaxis.set_major_locator(LogLocator(base=10, subs=subs, numticks=8))
        ax.yaxis.set_major_formatter(_PLAIN if decades <= 2 else _SHORT)
        ax.yaxis.set_minor_formatter(NullFormatter())
        ax.yaxis.set_minor_locator(NullLocator())
    else:
        ax.set_yscale("linear")
        ax.yaxis.set_major_locator(MaxNLocator(nbins=6))


def settle_y(ax: Axes, min_ratio: float = 1.0) -> None:
    """Autoscale y to the data, then round outwards to round numbers, with a span of at least
    a factor ``min_ratio``.

    Why round numbers (1-2-5 on a log axis, halves of a power of ten on a linear one): the
    limits then change only when a curve crosses one, not with every new batch, so the axis
    jumps less while a run trains and live frames can reuse their cached background
    (``widgets/figure.py``).  Why a minimum span: when every run barely moves (a learning rate
    far too small), autoscaling zoomed into 2.59-2.65 and made differences of 1% look like a
    real gap between runs.  The span grows downwards: the data, which includes the initial
    loss, stays at the top."""
    ax.set_autoscaley_on(True)  # set_ylim on an empty frame turns autoscaling off
    ax.relim()
    ax.autoscale_view(scalex=False)
    low, high = ax.get_ylim()
    if not (math.isfinite(low) and math.isfinite(high) and high > low):
        return
    if ax.get_yscale() == "log":
        low, high = round_log(low, up=False), round_log(high, up=True)
    else:
        step = 10 ** math.floor(math.log10(high - low)) / 2
        low = math.floor(low / step) * step
        high = math.ceil(high / step) * step
    # low <= 0: a linear axis that reaches 0 already shows the whole scale.
    if 0 < low and high / low < min_ratio:
        # Barely moving runs hug their maximum: a little headroom keeps them off the frame.
        high *= min_ratio ** 0.05
        low = high / min_ratio
    ax.set_ylim(low, high)


def room_for_legend(ax: Axes) -> None:
    """Raise the top of the y axis so that the data stay under the panel's legend, which sits
    in an upper corner: a legend of five weights' names covers a fifth (notebook) to over a
    third (projector) of a panel, and there it hid the lines it named.  Measured, not a fixed
    share, because the legend's height depends on the theme's fonts and the panel's size."""
    legend = ax.get_legend()
    if legend is None:
        return
    share = legend.get_window_extent().height / max(ax.get_window_extent().height, 1.0)
    share = min(share + 0.04, 0.7)   # a little air under the legend; never the whole panel
    low, high = ax.get_ylim()
    if ax.get_yscale() == "log":
        ax.set_ylim(low, low * (high / low) ** (1 / (1 - share)))
    else:
        ax.set_ylim(low, low + (high - low) / (1 - share))


def _finite(values: Sequence[float]) -> list[float]:
    """NaN for every non-finite value: the line breaks there instead of stretching the axis
    to infinity."""
    return [v if math.isfinite(v) else math.nan for v in values]


# ---- the step axis, shared by loss, accuracy, learning rate, gradient norm and bands -------
def marker_room(ax: Axes, theme: Theme) -> float:
    """Room right of the last step, as a fraction of the steps: the radius of the ring around
    the best validation point, so a best point at the last step is drawn whole, not cut in
    half by the panel's edge."""
    ring_radius = (theme.marker_size * 3 / 2 + theme.line_width) / 72        # inches
    width = ax.get_position().width * ax.figure.get_figwidth()                # inches
    return ring_radius / max(width, 0.5)


def set_step_limit(ax: Axes, views: list[RunView], room: float) -> None:
    """Fix the step axis to the planned length of the longest run, so a curve grows into the
    frame instead of the frame rescaling under it.  Room on the right only: a negative tick
    ("-4 steps") would puzzle a learner."""
    last = max([v.planned_steps for v in views] + [v.history.steps for v in views] + [10])
    ax.set_xlim(0, last * (1 + room))


def setup_step_axis(ax: Axes, look: Look, ylabel_key: str) -> None:
    style_axes(ax, look, look.t("axis_step"), look.t(ylabel_key))
    ax.xaxis.set_major_locator(MaxNLocator(nbins=5, integer=True))


# ---- loss ----------------------------------------------------------------------------------
def setup_loss(ax: Axes, look: Look) -> None:
    setup_step_axis(ax, look, "axis_loss")


def loss_run(ax: Axes, view: RunView, look: Look) -> None:
    """One run's losses: training per batch (raw and faint for the current run, behind a
    centred average), validation per evaluation (dashed with dots), the best validation
    point ringed, a cross where the run diverged."""
    theme, history, color = look.theme, view.history, view.color
    alpha, width = _fade(view, theme)
    faded = view.role in STILL_ROLES
    steps = list(range(1, history.steps + 1))
    if history.train_loss:
        if view.role == "current":
            stride = max(1, len(steps) // MAX_RAW_POINTS)
            add_line(ax, steps[::stride], history.train_loss[::stride], color=color, alpha=0.25,
                     linewidth=max(0.8, width * 0.4))
        # Centred, not a trailing EMA: a lagging line sat above every raw point of a falling
        # loss (see ``plots.centered_average``).
        add_line(ax, steps, centered_average(history.train_loss), color=color, alpha=alpha,
                 linewidth=width)
    evals = min(len(history.eval_steps), len(history.val_loss))
    if evals:
        add_line(ax, history.eval_steps[:evals], history.val_loss[:evals], color=color,
                 alpha=alpha, linestyle="--", linewidth=width * 0.8, marker="o",
                 markersize=theme.marker_size * (0.8 if faded else 1.0))
        _ring_best(ax, view, history.val_loss, evals, look)
    if history.diverged and history.train_loss:
        add_line(ax, [history.steps], [history.train_loss[-1]], marker="X",
                 markersize=theme.marker_size * 3.5, color=color, alpha=alpha,
                 markeredgecolor="black", linestyle="none")


def _ring_best(ax: Axes, view: RunView, values: list[float], evals: int, look: Look) -> None:
    history = view.history
    best = history.best_index
    if best is None or best >= evals:
        return
    alpha, width = _fade(view, look.theme)
    ring = dict(marker="o", markersize=look.theme.marker_size * 3, markerfacecolor="none",
                markeredgecolor=view.color, markeredgewidth=width, alpha=alpha,
                linestyle="none", clip_on=False)  # whole even at 100% accuracy
    add_line(ax, [history.eval_steps[best]], [values[best]], **ring)


def settle_loss(ax: Axes, views: list[RunView], look: Look, empty_note: str = "") -> None:
    """Log or linear y, round limits of at least ``MIN_LOSS_RATIO``; a note when empty."""
    histories = [v.history for v in views]
    set_y_scale(ax, spans_decade(v for h in histories for v in h.train_loss + h.val_loss))
    settle_y(ax, MIN_LOSS_RATIO)
    if not any(h.train_loss for h in histories):
        ax.set_ylim(0.01 if ax.get_yscale() == "log" else 0, 3)
        if empty_note:
            note(ax, empty_note, look)


def draw_loss(ax: Axes, runs, *, theme="notebook", language: str | None = None) -> Axes:
    """Training and validation loss of each run against the training step.

    Lessons: 01-09 (the first panel of every Lab and Compare)."""
    look, views = look_for(theme, language), as_views(runs)
    setup_loss(ax, look)
    for view in views:
        loss_run(ax, view, look)
    set_step_limit(ax, views, marker_room(ax, look.theme))
    settle_loss(ax, views, look, look.t("lab_press_train"))
    return ax


# ---- accuracy ------------------------------------------------------------------------------
def setup_accuracy(ax: Axes, look: Look) -> None:
    setup_step_axis(ax, look, "axis_accuracy")
    ax.set_yticks([0, 0.25, 0.5, 0.75, 1.0])
    ax.set_ylim(0, 1.02)


def target_line(ax: Axes, target: float, look: Look) -> list:
    """A dotted horizontal line at ``target`` with its value written at the left end."""
    line = ax.axhline(target, color=GREY, linestyle=":", linewidth=look.theme.line_width * 0.8,
                      zorder=1)
    text = ax.annotate(f"{target:.0%}", (0, target), xycoords=("axes fraction", "data"),
                       xytext=(4, 3), textcoords="offset points", color=GREY,
                       fontsize=look.font(0.75)["size"], va="bottom")
    return [line, text]


def accuracy_run(ax: Axes, view: RunView, look: Look) -> None:
    history = view.history
    evals = min(len(history.eval_steps), len(history.val_accuracy))
    if not evals:
        return
    alpha, width = _fade(view, look.theme)
    faded = view.role in STILL_ROLES
    add_line(ax, history.eval_steps[:evals], history.val_accuracy[:evals], color=view.color,
             alpha=alpha, linewidth=width, marker="o",
             markersize=look.theme.marker_size * (0.8 if faded else 1.0))
    _ring_best(ax, view, history.val_accuracy, evals, look)


def draw_accuracy(ax: Axes, runs, *, theme="notebook", language: str | None = None,
                  target: float | None = None) -> Axes:
    """Validation token accuracy of each run against the training step, the best validation
    point ringed; ``target`` (0.95): a dotted line to read "which run crosses it first".

    Lessons: 01-09 (the second panel of every Lab and Compare)."""
    look, views = look_for(theme, language), as_views(runs)
    setup_accuracy(ax, look)
    if target is not None:
        target_line(ax, target, look)
    for view in views:
        accuracy_run(ax, view, look)
    set_step_limit(ax, views, marker_room(ax, look.theme))
    return ax


# ---- learning rate -------------------------------------------------------------------------
def setup_learning_rate(ax: Axes, look: Look) -> None:
    setup_step_axis(ax, look, "axis_learning_rate")


def planned_rates(config: Seq2SeqConfig, steps: int) -> tuple[list[int], list[float]]:
    """(steps, rates) of the schedule over ``steps`` batches, at most ``MAX_RAW_POINTS``
    points (a long run's plan is otherwise the frame's biggest line)."""
    stride = max(1, steps // MAX_RAW_POINTS)
    batches = list(range(0, steps, stride))
    return [b + 1 for b in batches], [learning_rate_at(b, config, steps) for b in batches]


def learning_rate_run(ax: Axes, view: RunView, look: Look) -> None:
    """The planned schedule dashed (``schedules.learning_rate_at`` over the planned steps),
    the rates used so far solid on top (``history.lrs``): they differ where the trainer
    changes the rate itself (``plateau_reduce``)."""
    history = view.history
    alpha, width = _fade(view, look.theme)
    planned = max(view.planned_steps, history.steps)
    if planned and view.role not in STILL_ROLES:
        steps, rates = planned_rates(history.config, planned)
        add_line(ax, steps, rates, color=view.color, alpha=alpha * 0.8, linestyle="--",
                 linewidth=width * 0.7)
    used = history.lrs[:history.steps] if history.steps else history.lrs
    if used:
        stride = max(1, len(used) // MAX_RAW_POINTS)
        add_line(ax, list(range(1, len(used) + 1))[::stride], used[::stride], color=view.color,
                 alpha=alpha, linewidth=width)


def settle_learning_rate(ax: Axes, views: list[RunView]) -> None:
    rates = [y for line in ax.lines for y in line.get_ydata()]
    log = spans_decade(rates)
    set_y_scale(ax, log, decades_of(rates))
    settle_y(ax)
    if not log:
        # From 0: a constant rate was zoomed into 0.0028-0.0032, ticks like 0.00296 that
        # pushed the axis label off, and a warm-up starts near 0 anyway.
        ax.set_ylim(0, round_log(max(ax.get_ylim()[1], 1e-12), up=True))


def draw_learning_rate(ax: Axes, runs, *, theme="notebook", language: str | None = None,
                       planned_steps: int | None = None) -> Axes:
    """Each run's learning-rate schedule against the training step: planned (dashed, from
    ``schedules.learning_rate_at``; drawn before training when a History has no steps yet)
    and used (solid, ``history.lrs``).  ``planned_steps`` overrides each run's planned length
    (``training.total_steps(config, task)``).

    Lessons: 02 (schedules: warm-up, step, cosine, one-cycle), 03 (after the range test)."""
    look, views = look_for(theme, language), as_views(runs)
    if planned_steps is not None:
        views = [RunView(v.history, v.label, v.color, "member" if v.role in STILL_ROLES
                         else v.role, planned_steps) for v in views]
    setup_learning_rate(ax, look)
    for view in views:
        learning_rate_run(ax, view, look)
    set_step_limit(ax, views, 0.0)
    settle_learning_rate(ax, views)
    learning_rate_key(ax, look)
    return ax


def learning_rate_key(ax: Axes, look: Look) -> None:
    """The two line styles, said in a title line: a legend inside the axes covered a
    schedule's line on a projector (a constant rate runs along the top)."""
    # Right-aligned: it may then reach left over the y label's room, never off the figure.
    ax.set_title(look.t("learning_rate_key"), fontdict=look.font(0.9), loc="right")


# ---- gradient norm -------------------------------------------------------------------------
def setup_gradient_norm(ax: Axes, look: Look) -> None:
    setup_step_axis(ax, look, "axis_gradient_norm")


def gradient_norm_run(ax: Axes, view: RunView, look: Look) -> None:
    """Gradient norm per batch before clipping: raw and faint for the current run, behind a
    centred average (the raw norm of one batch jumps by 2-3x)."""
    history = view.history
    norms = _finite(list(history.grad_norm)[:history.steps or None])
    if not norms:
        return
    alpha, width = _fade(view, look.theme)
    steps = list(range(1, len(norms) + 1))
    if view.role in ("current", "member"):
        stride = max(1, len(steps) // MAX_RAW_POINTS)
        add_line(ax, steps[::stride], norms[::stride], color=view.color, alpha=0.3,
                 linewidth=max(0.8, width * 0.4))
    add_line(ax, steps, centered_average(norms), color=view.color, alpha=alpha, linewidth=width)


def clip_thresholds(views: list[RunView]) -> tuple:
    """The distinct ``clip_gradient`` values > 0 of the runs (clipping on)."""
    return tuple(sorted({v.history.config.clip_gradient for v in views
                         if v.history.config.clip_gradient > 0}))


def threshold_lines(ax: Axes, thresholds: Sequence[float], look: Look,
                    labelled: bool = False) -> list:
    """Each threshold as a dotted grey line; ``labelled``: its name written on it, at the
    left (the live figure's way: a legend cost more than the rest of the frame)."""
    width = look.theme.line_width * 0.7
    artists = []
    for threshold in thresholds:
        artists.append(ax.axhline(threshold, color=GREY, linestyle=":", linewidth=width))
        if labelled:
            # On a pale box: the norms cross the threshold right where the name is written.
            artists.append(ax.text(0.01, threshold, f"clip_gradient = {format_value(threshold)}",
                                   transform=ax.get_yaxis_transform(), ha="left", va="bottom",
                                   fontdict=look.font(0.75), color=GREY,
                                   bbox={"facecolor": "white", "alpha": 0.75, "edgecolor": "none",
                                         "pad": 1.0}))
    return artists


def clipped_shares(views: list[RunView], look: Look) -> list[tuple[str, str]]:
    """(text, colour) of the share of clipped batches of each run in full colour; at most
    four by name: a Compare of eight filled half the panel."""
    shown = [v for v in views if v.role in ("current", "member") and v.history.clipped
             and v.history.config.clip_gradient > 0]
    shares = [(look.t("legend_clipped", percent=100 * v.history.clipped_fraction), v.color)
              for v in shown[:4]]
    if len(shown) > 4:
        fractions = [100 * v.history.clipped_fraction for v in shown]
        shares.append((look.t("legend_clipped_range", low=min(fractions), high=max(fractions)),
                       GREY))
    return shares


def clipped_notes(ax: Axes, views: list[RunView], look: Look) -> None:
    """The shares as coloured lines of text in the top right corner (live frames)."""
    height = look.theme.font_size * 0.75 * 1.35 / 72                         # inches a line
    step = height / max(ax.get_position().height * ax.figure.get_figheight(), 0.5)
    for row, (text, color) in enumerate(clipped_shares(views, look)):
        ax.text(0.98, 0.97 - row * step, text, transform=ax.transAxes, ha="right", va="top",
                fontdict=look.font(0.75), color=color)


def settle_gradient_norm(ax: Axes) -> None:
    """Log y: norms span decades when a run blows up, and a factor of 2 reads the same
    anywhere on the axis."""
    set_y_scale(ax, True, decades_of(y for line in ax.lines for y in line.get_ydata()))
    settle_y(ax)


def draw_gradient_norm(ax: Axes, runs, *, theme="notebook", language: str | None = None) -> Axes:
    """The total L2 norm of all gradients of each batch, before clipping (``history.grad_norm``),
    on a log axis; the ``clip_gradient`` threshold (when > 0) as a dotted line, and in the
    legend the share of batches that were clipped (``history.clipped``).

    Lessons: 01 (a rate too high: norms far above the threshold, most batches clipped), 07
    (RNN vs GRU vs LSTM: the norms of a vanilla RNN)."""
    look, views = look_for(theme, language), as_views(runs)
    setup_gradient_norm(ax, look)
    for view in views:
        gradient_norm_run(ax, view, look)
    thresholds = clip_thresholds(views)
    threshold_lines(ax, thresholds, look)
    set_step_limit(ax, views, 0.0)
    settle_gradient_norm(ax)
    width = look.theme.line_width
    handles = [Line2D([], [], color=GREY, linestyle=":", linewidth=width * 0.7,
                      label=f"clip_gradient = {format_value(threshold)}") for threshold in thresholds]
    if not thresholds and views:
        handles.append(Line2D([], [], color="none", label=look.t("legend_no_clipping")))
    handles += [Line2D([], [], color=color, linewidth=width, label=text)
                for text, color in clipped_shares(views, look)]
    if handles:
        ax.legend(handles=handles, loc="upper right", prop=look.font(0.75), frameon=True,
                  framealpha=0.8, edgecolor="none", handlelength=1.6)
    return ax


# ---- attention -----------------------------------------------------------------------------
def attention_view(views: list[RunView], run: str | None = None) -> RunView | None:
    """Whose attention to show: the run labelled ``run`` (``"rnn_attention_type=mlp"``, or just
    its value ``"mlp"``) if there is one, else the newest run in full colour (the first member
    of a Compare that has attention), else the newest run of all."""
    if run is not None:
        chosen = [v for v in views if v.label == run or short_label(v.label) == run]
        if chosen:
            return chosen[-1]
    strong = [v for v in views if v.role in ("current", "member")]
    with_attention = [v for v in strong if v.history.attention]
    if with_attention:
        return with_attention[0] if strong[0].role == "member" else with_attention[-1]
    return strong[-1] if strong else (views[-1] if views else None)


def attention_entry(history: History, index: int = -1) -> tuple[dict | None, int | None]:
    """(entry, evaluation step) of ``history.attention[index]``; (None, None) if none yet."""
    entries = list(history.attention)
    if not entries:
        return None, None
    entry = entries[index]
    position = index % len(entries)
    steps = list(history.eval_steps)
    # One entry per evaluation, so entry i belongs to eval_steps[i].
    return entry, (steps[position] if position < len(steps) else None)


def attention_tokens(entry: dict | None) -> tuple[tuple, tuple]:
    if entry is None:
        return (), ()
    return tuple(entry["source"]), tuple(entry["output"])


def setup_attention(ax: Axes, look: Look, source: Sequence[str], output: Sequence[str]) -> None:
    """Tokens as tick labels: source along x (on top, read like the input), output down y."""
    style_axes(ax, look, look.t("axis_attention_source"), look.t("axis_attention_output"),
               grid=False)
    ax.xaxis.set_label_position("top")
    ax.xaxis.tick_top()
    size = look.theme.font_size * (0.9 if max(len(source), len(output), 1) <= 12 else 0.7)
    ax.set_xticks(range(len(source)), labels=list(source), fontsize=size, fontfamily=list(look.fonts))
    ax.set_yticks(range(len(output)), labels=list(output), fontsize=size, fontfamily=list(look.fonts))
    ax.tick_params(length=0)
    if source and output:
        ax.set_xlim(-0.5, len(source) - 0.5)
        ax.set_ylim(len(output) - 0.5, -0.5)   # first output token at the top
    else:
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)


def attention_image(ax: Axes, entry: dict, look: Look):
    """The weights as an image: white is 0, dark blue 1 (one hue, readable in greyscale and
    with every colour-vision deficiency); each row sums to 1 over the source."""
    weights = np.asarray(entry["weights"], dtype=float)   # output x source
    return ax.imshow(weights, cmap="Blues", vmin=0.0, vmax=1.0, aspect="auto",
                     interpolation="nearest", extent=(-0.5, weights.shape[1] - 0.5,
                                                      weights.shape[0] - 0.5, -0.5))


def attention_message(view: RunView | None, look: Look) -> str:
    """Why there is no heatmap, or '' when there is one."""
    if view is None:
        return look.t("lab_press_train")
    if view.history.config.rnn_attention_type == "none":
        return look.t("attention_none")
    if not view.history.attention:
        return look.t("attention_waiting")
    return ""


def short_label(label: str) -> str:
    """``"rnn_attention_type=mlp"`` -> ``"mlp"``: when runs differ in one setting, its value
    alone names a run where room is short (a caption, a heatmap's title); longer labels stay."""
    label = label or ""
    return label.split("=", 1)[1] if label.count("=") == 1 and "," not in label else label


def attention_caption(view: RunView, step: int | None, look: Look) -> str:
    return look.t("attention_caption", label=short_label(view.label),
                  step=step if step is not None else "?")


def draw_attention(ax: Axes, runs, *, index: int = -1, theme="notebook",
                   language: str | None = None, caption: bool = True) -> Axes:
    """The attention weights of the probe example (one fixed validation example) as a heatmap:
    source tokens along the top, the model's output tokens down the side, from
    ``history.attention[index]`` (default: the latest evaluation).  A model without attention
    (``rnn_attention_type="none"``) gets a note instead.

    Lessons: 08 (attention on and off: the heatmap of the weights, the reversal's diagonal)."""
    look, views = look_for(theme, language), as_views(runs)
    view = attention_view(views)
    message = attention_message(view, look)
    entry, step = attention_entry(view.history, index) if not message else (None, None)
    setup_attention(ax, look, *attention_tokens(entry))
    if message:
        note(ax, message, look)
        return ax
    attention_image(ax, entry, look)
    if caption:   # which run and step (``attention_maps`` writes its own titles instead)
        ax.text(0.0, -0.02, attention_caption(view, step, look), transform=ax.transAxes,
                ha="left", va="top", fontdict=look.font(0.75), color="#555555")
    return ax


# ---- range test ----------------------------------------------------------------------------
def setup_range_test(ax: Axes, look: Look) -> None:
    style_axes(ax, look, look.t("axis_range_rate"), look.t("axis_loss"))
    ax.set_xscale("log")
    # At most ~5 labels (every other decade over a 1e-5 to 10 sweep): more overlapped in a
    # third of a projector's width.
    ax.xaxis.set_major_locator(LogLocator(base=10, numticks=5))
    ax.xaxis.set_major_formatter(_SHORT)
    ax.xaxis.set_minor_formatter(NullFormatter())


def range_test_lines(ax: Axes, result, look: Look) -> None:
    """The sweep (raw losses faint, smoothed solid) and the suggestion (a vermillion dashed
    line, a dot on the curve, its value written)."""
    theme = look.theme
    lrs, losses, smoothed = list(result.lrs), _finite(result.losses), _finite(result.smoothed)
    add_line(ax, lrs, losses, color=PALETTE[0], alpha=0.3, linewidth=max(0.8, theme.line_width * 0.4),
             label=look.t("legend_range_raw"))
    add_line(ax, lrs, smoothed, color=PALETTE[0], linewidth=theme.line_width,
             label=look.t("legend_range_smoothed"))
    rate = result.suggestion
    if rate is not None and math.isfinite(rate) and lrs:
        at = float(np.interp(math.log(rate), np.log(lrs), smoothed))
        ax.axvline(rate, color=MARK, linestyle="--", linewidth=theme.line_width * 0.8,
                   label=look.t("legend_suggestion", rate=f"{rate:.2g}"))
        add_line(ax, [rate], [at], marker="o", markersize=theme.marker_size * 1.6, color=MARK,
                 linestyle="none")
        # Two digits: the rule reads a noisy curve, 0.006579 would claim a precision it lacks.
        ax.annotate(f"{rate:.2g}", (rate, at), xytext=(6, 10), textcoords="offset points",
                    fontsize=theme.font_size, color=MARK, fontfamily=list(look.fonts))


def run_rates(ax: Axes, views: list[RunView], look: Look) -> None:
    """Each run's learning rate as a thin line in the run's colour: where the runs sit on the
    range test's curve."""
    for view in views:
        alpha, _ = _fade(view, look.theme)
        ax.axvline(view.history.config.learning_rate, color=view.color, alpha=alpha,
                   linewidth=look.theme.line_width * 0.5, linestyle="-")


def settle_range_test(ax: Axes, result) -> None:
    """x: the sweep; y: from the lowest point to a little above the start, so the blown-up
    tail (up to 4x the best) does not squash the valley."""
    lrs = list(result.lrs)
    ax.set_xlim(min(lrs), max(lrs))
    values = [v for v in result.smoothed if math.isfinite(v)]
    low = min(values + [v for v in result.losses if math.isfinite(v)])
    high = max(values[0] * 1.15, min(max(values), values[0] * 2))
    ax.set_ylim(low * 0.95 if low > 0 else low - 0.05, high)


def draw_range_test(ax: Axes, result, runs=(), *, theme="notebook",
                    language: str | None = None) -> Axes:
    """The learning-rate range test (``lr_finder.lr_find``): loss against learning rate on a
    log axis, the suggestion (``result.suggestion``) marked and labelled; ``runs`` add each
    run's learning rate as a line in its colour.

    Lessons: 03 (finding a learning rate before training)."""
    look, views = look_for(theme, language), as_views(runs)
    setup_range_test(ax, look)
    if result is None or not list(result.lrs):
        ax.set_xlim(1e-5, 10)
        note(ax, look.t("range_test_missing"), look)
        return ax
    range_test_lines(ax, result, look)
    run_rates(ax, views, look)
    settle_range_test(ax, result)
    range_test_key(ax, look)
    return ax


def range_test_key(ax: Axes, look: Look) -> None:
    """What the dashed line is, in a title line: a legend inside the axes covered the runs'
    rate lines, and on a projector the curve itself.  Faint (each batch) and bold (smoothed)
    are the loss panel's convention, said in the figure's key below."""
    ax.set_title(look.t("range_test_key"), fontdict=look.font(0.9))


# ---- grid ----------------------------------------------------------------------------------
# name: (what a cell holds, lower is better)
GRID_METRICS = {
    "best_val_loss": (lambda h: min(h.val_loss) if h.val_loss else math.nan, True),
    "final_val_loss": (lambda h: h.val_loss[-1] if h.val_loss else math.nan, True),
    "best_val_accuracy": (lambda h: max(h.val_accuracy) if h.val_accuracy else math.nan, False),
    "best_val_exact": (lambda h: max(h.val_exact) if h.val_exact else math.nan, False),
}


def varying_fields(histories: Sequence[History]) -> list[str]:
    """Config fields whose values differ between ``histories``, in the config's field order."""
    if len(histories) < 2:
        return []
    first = histories[0].config
    changed: set[str] = set()
    for history in histories[1:]:
        changed.update(history.config.diff(first))
    return [name for name in Seq2SeqConfig.fields() if name in changed]


@dataclass
class GridCells:
    """What a grid shows: its two hyperparameters, their values and a value per cell (NaN:
    no finished run there yet)."""

    x: str
    y: str | None
    x_values: list
    y_values: list
    values: np.ndarray      # len(y_values) x len(x_values)
    lower_is_better: bool

    def best_in_columns(self) -> list[tuple[int, int]]:
        """(row, column) of the best cell of every column that has a value."""
        best = []
        for column in range(len(self.x_values)):
            cells = self.values[:, column]
            if np.isnan(cells).all():
                continue
            pick = np.nanargmin(cells) if self.lower_is_better else np.nanargmax(cells)
            best.append((int(pick), column))
        return best


def grid_cells(histories: Sequence[History], x: str | None = None, y: str | None = None,
               metric: str = "best_val_loss", x_values: Sequence = (),
               y_values: Sequence = ()) -> GridCells:
    """The grid of ``metric`` over ``x`` and ``y``; each run's config gives its cell (a later
    run in the same cell replaces an earlier one).  ``x``/``y`` default to the first fields
    that differ between the runs."""
    if metric not in GRID_METRICS:
        raise ValueError(f"metric must be one of {', '.join(GRID_METRICS)}, not {metric!r}")
    fields = Seq2SeqConfig.fields()
    for name in (x, y):
        if name is not None and name not in fields:
            raise ValueError(f"unknown hyperparameter {name!r}")
    varying = [name for name in varying_fields(histories) if name not in (x, y)]
    x = x or (varying.pop(0) if varying else "learning_rate")
    y = y or (varying.pop(0) if varying else None)
    xs = sorted({*x_values, *(getattr(h.config, x) for h in histories)})
    ys = sorted({*y_values, *(getattr(h.config, y) for h in histories)}) if y else [None]
    score, lower = GRID_METRICS[metric]
    values = np.full((len(ys), len(xs)), np.nan)
    for history in histories:
        row = ys.index(getattr(history.config, y)) if y else 0
        values[row, xs.index(getattr(history.config, x))] = score(history)
    return GridCells(x, y, xs, ys, values, lower)


def setup_grid(ax: Axes, look: Look, cells: GridCells, metric: str) -> None:
    style_axes(ax, look, cells.x, cells.y or "", grid=False)
    ax.set_title(look.t(f"grid_{metric}"), fontdict=look.font(0.9))
    size = look.theme.font_size * (0.9 if len(cells.x_values) <= 5 else 0.75)
    ax.set_xticks(range(len(cells.x_values)), labels=[format_value(v) for v in cells.x_values],
                  fontsize=size)
    ax.set_yticks(range(len(cells.y_values)),
                  labels=[format_value(v) if v is not None else "" for v in cells.y_values],
                  fontsize=size)
    ax.tick_params(length=0)
    ax.set_xlim(-0.5, max(len(cells.x_values), 1) - 0.5)   # an empty grid is one blank cell
    ax.set_ylim(max(len(cells.y_values), 1) - 0.5, -0.5)


def grid_contents(ax: Axes, cells: GridCells, look: Look) -> None:
    """Filled cells coloured (darker is better), their values written; empty cells stay
    white; the best cell of each column framed in vermillion."""
    values = np.ma.masked_invalid(cells.values)
    if values.count():
        cmap = "Blues_r" if cells.lower_is_better else "Blues"
        low, high = float(values.min()), float(values.max())
        span = high - low or 1.0
        # Light colours only (up to 70% of the map): the written values stay readable.
        ax.imshow(values, cmap=cmap, vmin=low - 0.45 * span if cells.lower_is_better else low,
                  vmax=high if cells.lower_is_better else high + 0.45 * span, aspect="auto",
                  interpolation="nearest", extent=(-0.5, len(cells.x_values) - 0.5,
                                                   len(cells.y_values) - 0.5, -0.5))
    size = look.theme.font_size * (0.9 if cells.values.size <= 16 else 0.7)
    for row in range(len(cells.y_values)):
        for column in range(len(cells.x_values)):
            value = cells.values[row, column]
            if math.isfinite(value):
                ax.text(column, row, f"{value:.3g}", ha="center", va="center", fontsize=size,
                        color="black", fontfamily=list(look.fonts))
    width = look.theme.line_width * 1.1
    for row, column in cells.best_in_columns():
        ax.add_patch(Rectangle((column - 0.46, row - 0.46), 0.92, 0.92, fill=False,
                               edgecolor=MARK, linewidth=width))


def draw_grid(ax: Axes, runs, *, x: str | None = None, y: str | None = None,
              metric: str = "best_val_loss", x_values: Sequence = (), y_values: Sequence = (),
              theme="notebook", language: str | None = None) -> Axes:
    """``metric`` (``best_val_loss``, ``final_val_loss``, ``best_val_accuracy``,
    ``best_val_exact``) of each run over two hyperparameters: a run's config gives its cell,
    cells without a run stay blank (pass ``x_values``/``y_values`` to show the whole planned
    grid before it fills), values are written in the cells and the best cell of each column
    is framed.

    Lessons: any lesson that crosses two settings by hand (learning_rate x batch_size), through
    ``Lab(params=[...], panels=["loss", "grid"])``."""
    look, views = look_for(theme, language), as_views(runs)
    cells = grid_cells([v.history for v in views], x, y, metric, x_values, y_values)
    setup_grid(ax, look, cells, metric)
    grid_contents(ax, cells, look)
    if not views:
        note(ax, look.t("grid_empty"), look)
    return ax


# ---- bands ---------------------------------------------------------------------------------
BAND_METRICS = ("val_loss", "val_accuracy", "val_exact", "train_loss")


def band_groups(views: list[RunView]) -> list[list[RunView]]:
    """Runs grouped by config (the seed is not part of it), in order of first appearance."""
    groups: dict[Seq2SeqConfig, list[RunView]] = {}
    for view in views:
        groups.setdefault(view.history.config, []).append(view)
    return list(groups.values())


def band_values(group: list[RunView], metric: str) -> tuple[list[int], np.ndarray]:
    """(steps, values: runs x steps) over the steps every run of the group has reached."""
    if metric == "train_loss":
        count = min(v.history.steps for v in group)
        rows = [centered_average(v.history.train_loss)[:count] for v in group]
        return list(range(1, count + 1)), np.asarray(rows, dtype=float).reshape(len(group), count)
    count = min(min(len(v.history.eval_steps), len(getattr(v.history, metric))) for v in group)
    rows = [getattr(v.history, metric)[:count] for v in group]
    return list(group[0].history.eval_steps[:count]), \
        np.asarray(rows, dtype=float).reshape(len(group), count)


def group_label(group: list[RunView]) -> str:
    """A group's legend text: its first run's label without a run number ("#3 ") and without
    its seed ("seed=0"): the group stands for all its seeds."""
    label = group[0].label
    label = label.split(" ", 1)[1] if label.startswith("#") and " " in label else label
    parts = [part for part in label.split(", ") if not part.startswith("seed=")]
    return ", ".join(parts) or "defaults"


def band_names(groups: list[list[RunView]]) -> tuple[str, list[str]]:
    """(legend title, a name per group).  Labels that say what differs from a base config
    ("learning_rate=0.001, batch_size=32", as ``compare`` and the Lab write them) become the
    values of the fields that differ between the groups, under those fields as the title
    ("learning_rate, batch_size": "0.001, 32"): whole labels did not fit a third of a
    projector's width.  Other labels (a caller's own names) are kept."""
    labels = [group_label(group) for group in groups]
    fields = varying_fields([group[0].history for group in groups])
    if not fields or not any("=" in label for label in labels):
        return "", labels
    return ", ".join(fields), [", ".join(format_value(getattr(g[0].history.config, f))
                                         for f in fields) for g in groups]


def bands_lines(ax: Axes, views: list[RunView], metric: str, look: Look
                ) -> tuple[list[Line2D], str]:
    """For each group: the mean as a line with dots, the min-max range as a band; returns
    the mean lines (labelled for a legend) and the legend's title."""
    theme, handles = look.theme, []
    groups = band_groups(views)
    title, names = band_names(groups)
    for group, name in zip(groups, names):
        steps, values = band_values(group, metric)
        if not steps:
            continue
        color = group[0].color
        ax.fill_between(steps, values.min(axis=0), values.max(axis=0), color=color, alpha=0.22,
                        linewidth=0)
        marker = {} if metric == "train_loss" else {"marker": "o", "markersize": theme.marker_size}
        handles.append(add_line(ax, steps, values.mean(axis=0), color=color,
                                linewidth=theme.line_width, **marker,
                                label=look.t("legend_band", label=name, count=len(group))))
    return handles, title


def bands_legend(ax: Axes, handles, title: str, look: Look, loc: str = "best"):
    """The groups' legend; five groups at most by name: more fill the panel."""
    return ax.legend(handles=handles[:5], title=title or None, loc=loc, prop=look.font(0.7),
                     title_fontproperties=look.font(0.7), frameon=True, framealpha=0.8,
                     edgecolor="none")


def settle_bands(ax: Axes, views: list[RunView], metric: str, handles, look: Look) -> None:
    if metric.endswith("loss") and not ax.lines:
        # Nothing to fit: fixed limits, or the last frame's would stay (a live frame must
        # look the same whatever came before it).
        set_y_scale(ax, False)
        ax.set_ylim(0, 3)
    elif metric.endswith("loss"):
        set_y_scale(ax, spans_decade(y for line in ax.lines for y in line.get_ydata()))
        settle_y(ax)
    else:
        ax.set_ylim(0, 1.02)
    if not handles:
        note(ax, look.t("lab_press_train"), look)


def setup_bands(ax: Axes, look: Look, metric: str) -> None:
    setup_step_axis(ax, look, f"axis_{metric}")
    ax.set_title(look.t("bands_title"), fontdict=look.font(0.9))


def draw_bands(ax: Axes, runs, *, metric: str = "val_loss", theme="notebook",
               language: str | None = None) -> Axes:
    """Runs of the same config (several seeds) as one line: the mean of ``metric``
    (``val_loss`` by default, or ``val_accuracy``, ``val_exact``, ``train_loss``) with the
    band from the lowest to the highest run; one colour per config.

    Lessons: 06 (is regularisation's pull-back bigger than what a seed changes?
    ``seed_bands.bands`` draws with it), 01 (how much a seed changes a run)."""
    if metric not in BAND_METRICS:
        raise ValueError(f"metric must be one of {', '.join(BAND_METRICS)}, not {metric!r}")
    look, views = look_for(theme, language), as_views(runs)
    setup_bands(ax, look, metric)
    handles, title = bands_lines(ax, views, metric, look)
    set_step_limit(ax, views, 0.0)
    settle_bands(ax, views, metric, handles, look)
    if handles:
        bands_legend(ax, handles, title, look)
    return ax


# ---- weights (what training changes) -------------------------------------------------------
WEIGHT_COLORS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00")


def _weight_view(views: list[RunView]) -> RunView | None:
    """The run the weight panels show: the one training now, else the latest."""
    live = [v for v in views if v.role not in STILL_ROLES and v.history.weights_start]
    chosen = live or [v for v in views if v.history.weights_start]
    return chosen[-1] if chosen else None


def setup_weights(ax: Axes, look: Look) -> None:
    setup_step_axis(ax, look, "axis_weight_value")


def weights_contents(ax: Axes, views: list[RunView], look: Look) -> None:
    """A few single weights of one run against the step, from their start value (step 0):
    each moves as the run trains (``evaluation.weight_probe``)."""
    view = _weight_view(views)
    if view is None:
        return
    history, width = view.history, look.theme.line_width
    start = history.weights_start
    snapshots = history.weights[:len(history.eval_steps)]
    steps = [0, *history.eval_steps[:len(snapshots)]]
    for i, name in enumerate(start["names"]):
        values = [start["values"][i], *(s["values"][i] for s in snapshots)]
        add_line(ax, steps, values, color=WEIGHT_COLORS[i % len(WEIGHT_COLORS)],
                 linewidth=width, marker="o", markersize=width * 1.6, label=short_weight(name))
    ax.legend(loc="upper left", prop=look.font(0.65), frameon=False, ncol=1)


def short_weight(name: str) -> str:
    """``decoder.attention.key_layer.weight[1365]`` -> ``dec.attn.key_layer[1365]``: legend
    text that fits a third of the figure."""
    for long, short in (("encoder.", "enc."), ("decoder.", "dec."), ("attention.", "attn."),
                        ("embedding", "emb"), (".weight[", "[")):
        name = name.replace(long, short)
    return name


def setup_weight_histogram(ax: Axes, look: Look) -> None:
    style_axes(ax, look, look.t("axis_weight_value"), look.t("axis_weight_count"))
    ax.set_yscale("log")


def weight_histogram_contents(ax: Axes, views: list[RunView], look: Look) -> None:
    """Every parameter of one run in fixed bins: at the start (grey) and at the latest
    evaluation (the run's colour)."""
    view = _weight_view(views)
    if view is None:
        return
    history, width = view.history, look.theme.line_width
    start = history.weights_start
    edges = np.linspace(-start["range"], start["range"], len(start["counts"]) + 1)
    snapshots = history.weights[:len(history.eval_steps)]
    ax.stairs(np.maximum(start["counts"], 0.8), edges, color=GREY, linewidth=width * 0.8,
              label=look.t("legend_weights_start"))
    if snapshots:
        step = history.eval_steps[len(snapshots) - 1]
        ax.stairs(np.maximum(snapshots[-1]["counts"], 0.8), edges, color=view.color,
                  linewidth=width, label=look.t("legend_weights_at", step=step))
    ax.set_xlim(edges[0], edges[-1])
    ax.set_ylim(0.8, max(max(start["counts"]), 1) * 3)
    ax.legend(loc="upper right", prop=look.font(0.7), frameon=False)


def draw_weights(ax: Axes, runs, *, theme="notebook", language: str | None = None) -> Axes:
    """A few single weights of the latest run against the training step.

    Lessons: 00 (training changes the parameters; the hyperparameters stay as set)."""
    look, views = look_for(theme, language), as_views(runs)
    setup_weights(ax, look)
    weights_contents(ax, views, look)
    ax.relim()
    ax.autoscale_view()
    room_for_legend(ax)
    return ax


def draw_weight_histogram(ax: Axes, runs, *, theme="notebook", language: str | None = None
                          ) -> Axes:
    """All parameters of the latest run in a histogram, at the start and now.

    Lessons: 00 (thousands of numbers move; the few we set do not)."""
    look, views = look_for(theme, language), as_views(runs)
    setup_weight_histogram(ax, look)
    weight_histogram_contents(ax, views, look)
    room_for_legend(ax)
    return ax


# ---- sensitivity (one hyperparameter at a time) ---------------------------------------------
def setup_sensitivity(ax: Axes, look: Look) -> None:
    style_axes(ax, look, look.t("axis_best_val_loss"), "")
    # The key as a second title line: a legend inside the axes covered a row on a projector.
    ax.set_title(f"{look.t('sensitivity_title')}\n{look.t('sensitivity_key')}",
                 fontdict=look.font(0.8))


def sensitivity_contents(ax: Axes, views: list[RunView], look: Look) -> None:
    """One row per changed value, grouped by hyperparameter (the one that moved the loss
    furthest on top): a dot at the mean best validation loss over the seeds, a bar from the
    lowest to the highest seed; vermillion when the bar clears the defaults' band (grey, the
    vertical strip).  Names SageMaker calls most influential carry a star."""
    from .sensitivity import SAGEMAKER_MOST, effects, ranked_fields
    base, changed = effects([v.history for v in views])
    if base is None and not changed:
        ax.set_yticks([])
        note(ax, look.t("sensitivity_empty"), look)
        return
    width = look.theme.line_width
    if base is not None:
        ax.axvspan(base.low, base.high, color="#BBBBBB", alpha=0.45, linewidth=0, zorder=0)
        ax.axvline(base.mean, color=GREY, linewidth=width * 0.8, zorder=1)
    rows, labels = [], []
    order = ranked_fields(base, changed)
    for field in order:
        members = sorted((e for e in changed if e.field == field), key=lambda e: e.mean)
        for effect in members:
            star = "★ " if field in SAGEMAKER_MOST else ""
            labels.append(f"{star}{field} = {effect.value}")
            rows.append(effect)
    values = [v for e in rows for v in (e.low, e.high)]
    if base is not None:
        values += [base.low, base.high]
    low, high = min(values), max(values)
    span = (high - low) or 1.0
    left, right = max(0.0, low - 0.06 * span), high + 0.06 * span
    ax.set_xlim(left, right)
    size = look.theme.font_size * (0.8 if len(rows) <= 10 else 0.68)
    for row, (effect, label) in enumerate(zip(rows, labels)):
        clear = base is not None and effect.clear_of(base)
        color = MARK if clear else GREY
        ax.plot([effect.low, effect.high], [row, row], color=color, linewidth=width * 1.6,
                alpha=0.55, solid_capstyle="round", zorder=2)
        ax.plot([effect.mean], [row], "o", color=color, markersize=width * 2.6, zorder=3)
        # The row's name beside its bar, on the side with room: tick labels on the left were
        # cut off by the live figure's fixed margins, and long names squeezed the axes.
        on_right = effect.mean < (left + right) / 2
        gap = 0.012 * (right - left)
        ax.text(effect.high + gap if on_right else effect.low - gap, row, label,
                ha="left" if on_right else "right", va="center", fontsize=size,
                fontfamily=list(look.fonts), color="black", zorder=4)
    ax.set_yticks([])
    ax.set_ylim(len(rows) - 0.5, -0.5) if rows else ax.set_ylim(0.5, -0.5)


def draw_sensitivity(ax: Axes, runs, *, theme="notebook", language: str | None = None) -> Axes:
    """The runs of ``sensitivity.sensitivity`` (labels ``"field=value · seed n"`` and
    ``"defaults · seed n"``) as one row per changed value against the defaults' band.

    Lessons: 00 (do the hyperparameters SageMaker names move the loss most, here?)."""
    look, views = look_for(theme, language), as_views(runs)
    setup_sensitivity(ax, look)
    sensitivity_contents(ax, views, look)
    return ax


# ---- gradient flow -------------------------------------------------------------------------
def setup_gradient_flow(ax: Axes, look: Look, relative: bool) -> None:
    style_axes(ax, look, look.t("axis_source_position"),
               look.t("axis_gradient_flow_relative" if relative else "axis_gradient_flow"))
    ax.xaxis.set_major_locator(MaxNLocator(nbins=6, integer=True))


def draw_gradient_flow(ax: Axes, flows, *, title: str = "", relative: bool = True,
                       colors=None, theme="notebook", language: str | None = None) -> Axes:
    """How much training signal reaches each source position: mean |dL/dh_t| of the encoder's
    top layer against the position t (``gradients.gradient_flow``), one line per run, log y.

    :param flows: ``{label: [|dL/dh_t| for t = 1 .. S]}`` (or ``(label, values)`` pairs), all
        measured at one moment of training (``title`` says which, e.g. "at initialisation")
    :param relative: divide each line by its value at the last position, so every line ends
        at 1 and its left end reads "how much less (or more) the first token gets than the
        last": the drop is what vanishing means, the height of a line is not
    :param colors: ``{label: colour}``; default the run colours in order

    Lessons: 07 (vanishing gradients made visible: RNN vs GRU vs LSTM, the forget-gate bias)."""
    look = look_for(theme, language)
    pairs = list(flows.items()) if hasattr(flows, "items") else list(flows)
    setup_gradient_flow(ax, look, relative)
    width = look.theme.line_width
    handles = []
    for index, (label, values) in enumerate(pairs):
        values = [float(v) for v in values]
        if not values:
            continue
        if relative:
            last = values[-1]
            values = [v / last if last > 0 else math.nan for v in values]
        color = (colors or {}).get(label, RUN_COLORS[index % len(RUN_COLORS)])
        positions = list(range(1, len(values) + 1))
        handles.append(add_line(ax, positions, _finite(values), color=color, linewidth=width,
                                marker="o", markersize=look.theme.marker_size * 0.7,
                                label=str(label)))
    if relative and handles:
        # Where a line crosses this, position t gets as much signal as the last one.
        ax.axhline(1.0, color=GREY, linestyle=":", linewidth=width * 0.7)
    if title:
        ax.set_title(title, fontdict=look.font(0.95))
    if not handles:
        note(ax, look.t("gradient_flow_empty"), look)
        return ax
    longest = max(len(values) for _, values in pairs)
    ax.set_xlim(0.5, longest + 0.5)
    set_y_scale(ax, True)
    settle_y(ax, min_ratio=10.0)
    ax.legend(handles=handles, loc="best", prop=look.font(0.75), frameon=True, framealpha=0.8,
              edgecolor="none")
    return ax


DRAWERS = {"loss": draw_loss, "accuracy": draw_accuracy, "learning_rate": draw_learning_rate,
           "gradient_norm": draw_gradient_norm, "attention": draw_attention,
           "range_test": draw_range_test, "grid": draw_grid, "bands": draw_bands,
           "sensitivity": draw_sensitivity, "weights": draw_weights,
           "weight_histogram": draw_weight_histogram}
PANEL_NAMES = tuple(DRAWERS)
