"""The Lab's live figure: the current run in full colour, earlier runs as faded ghosts.

Lessons: 01-09 (every ``Lab`` and ``Compare`` widget draws its frames here).

One ``LabFigure`` owns one Agg ``Figure`` for the life of a widget and redraws it in place.  A
fresh figure per frame cost 250-500 ms on our 2 cores, almost all of it building tick objects
for the log axis; keeping the axes and only swapping the lines kept a frame near 100-130 ms,
and pasting the axes and earlier runs from a cached background (``_live_png``) brought a live
frame to ~30 ms, which is what lets the widget draw live without slowing training (see
BENCHMARKS.md).

Layout: losses on the left (training per batch: raw and faint behind a centred average;
validation per evaluation: dashed with dots; the best validation point ringed), validation
accuracy on the right, both on one step axis that is fixed to the planned length of the run so
a curve grows into the frame instead of the frame rescaling under it.  A key of line styles sits
above the panels; the runs' legend (what differed, e.g. ``learning_rate=0.1``) sits under both.
Live frames leave both legends out and the widget shows them as HTML (much cheaper to draw).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import (FuncFormatter, LogLocator, MaxNLocator, NullFormatter,
                               NullLocator)

from ..history import History
from ..i18n import get_language, t
from ..plots import (PALETTE, centered_average, encode_png, font_families, to_png,
                    wants_log_scale)

# Okabe-Ito without its yellow, which vanishes on white and on projectors; runs cycle these.
RUN_COLORS = tuple(c for c in PALETTE if c != "#F0E442")
MIN_LOSS_RATIO = 1.5     # the loss axis spans at least this factor (see ``_settle_loss_axis``)
MAX_RAW_POINTS = 1500  # raw per-batch losses drawn at most this many points: frame cost stays flat


_PLAIN = FuncFormatter(lambda value, _position: f"{value:g}")


def _round_log(value: float, up: bool) -> float:
    """The next 1-2-5 number (..., 0.5, 1, 2, 5, 10, ...) above (``up``) or below ``value``."""
    if value <= 0:
        return value
    power = 10.0 ** math.floor(math.log10(value))
    stops = [m * power for m in (0.5, 1, 2, 5, 10)]
    return min(x for x in stops if x >= value * (1 - 1e-9)) if up else \
        max(x for x in stops if x <= value * (1 + 1e-9))


def _add_line(ax, x, y, **style) -> Line2D:
    """``ax.plot`` without its argument parsing (format strings, unit conversion, the colour
    cycle): with ~30 lines a frame that parsing was a third of the frame's cost, and every
    style here is given explicitly anyway."""
    line = Line2D(x, y, **style)
    ax.add_line(line)
    return line


@dataclass(frozen=True)
class Theme:
    """Sizes of one look: ``notebook`` for a laptop screen, ``projector`` for a classroom wall."""

    name: str
    width: float          # inches
    height: float
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


def theme_named(name: str | Theme) -> Theme:
    if isinstance(name, Theme):
        return name
    if name not in THEMES:
        raise ValueError(f"theme must be one of {', '.join(THEMES)}, not {name!r}")
    return THEMES[name]


@dataclass
class RunView:
    """One run as the figure shows it.  ``role``: ``current`` (full colour, raw losses behind),
    ``member`` (full colour, one of several trained together), ``pinned`` or ``ghost``."""

    history: History
    label: str
    color: str
    role: str = "ghost"
    planned_steps: int = 0


class LabFigure:
    """A persistent two-panel figure that renders a list of RunViews to PNG bytes."""

    def __init__(self, theme: str | Theme = "notebook", language: str | None = None):
        self.theme = theme_named(theme)
        self.language = language
        # The Hangul fallback only where needed: a font list makes every text layout slower.
        self.fonts = font_families() if (language or get_language()) == "ko" else ["DejaVu Sans"]
        # The figure's own dpi is the theme's: live frames are encoded from its canvas.
        self.figure = Figure(figsize=(self.theme.width, self.theme.height), dpi=self.theme.dpi)
        # Artists of ghosts and pinned runs, in the order they were added: equal-zorder lines
        # must be pasted in that order, as a full draw does (a set's order changed overlaps).
        self._still: dict = {}
        self._still_key = None
        self._background, self._background_key = None, None   # axes + ghosts (pixels)
        self._axes_background, self._axes_key = None, None     # axes alone (pixels)
        FigureCanvasAgg(self.figure)
        self.loss_ax, self.accuracy_ax = self.figure.subplots(
            1, 2, sharex=True, gridspec_kw={"width_ratios": [3, 2]})
        self.key_legend = self.runs_legend = None   # the two legends of the last frame
        self._setup_axes()

    def _setup_axes(self) -> None:
        """What never changes, set once: a frame then only redraws lines and tick labels.
        Few ticks on purpose: tick labels were the largest part of a frame's cost."""
        theme, font = self.theme, self._font()
        for ax in (self.loss_ax, self.accuracy_ax):
            ax.set_xlabel(self._t("axis_step"), fontdict=font)
            ax.tick_params(labelsize=theme.font_size * 0.9, width=max(0.8, theme.line_width / 3))
            ax.grid(True, alpha=0.3)
            ax.xaxis.set_major_locator(MaxNLocator(nbins=5, integer=True))
        self.loss_ax.set_ylabel(self._t("axis_loss"), fontdict=font)
        self.accuracy_ax.set_ylabel(self._t("axis_accuracy"), fontdict=font)
        self.accuracy_ax.set_yticks([0, 0.25, 0.5, 0.75, 1.0])
        self.accuracy_ax.set_ylim(0, 1.02)

    # ---- text helpers ----------------------------------------------------------------
    def _t(self, key: str, **values) -> str:
        return t(key, self.language, **values)

    def _font(self, scale: float = 1.0) -> dict:
        return {"family": self.fonts, "size": self.theme.font_size * scale}

    # ---- drawing ---------------------------------------------------------------------
    def render(self, views: list[RunView], note: str = "", dpi: int | None = None,
               compress_level: int = 1, legends: bool = True) -> bytes:
        """Draw ``views`` (ghosts first, current last, so it is on top) and return a PNG.

        Live frames pass ``legends=False`` and the widget shows the legend as HTML beside the
        image (:func:`legend_entries`): the two matplotlib legends were a third of a frame's
        cost.  Exported PNGs keep them, so a saved figure explains itself.
        """
        self.draw(views, note, legends)
        if not legends and dpi in (None, self.theme.dpi):
            return self._live_png(views, compress_level)
        self._background_key = self._axes_key = None   # savefig re-renders at its own size
        try:
            return to_png(self.figure, dpi=dpi or self.theme.dpi, compress_level=compress_level)
        finally:
            self.figure.set_size_inches(self.theme.width, self.theme.height)

    def _live_png(self, views: list[RunView], compress_level: int) -> bytes:
        """A live frame: the frame's still parts come from a cached background.

        Why: drawing the axes (ticks, tick labels, grid) was over half of a frame's cost, and
        the faded earlier runs most of the rest, yet neither changes while a run trains: the
        step axis is fixed to the planned length and the loss axis only moves when the
        current run leaves its range.  So the axes and ghosts are drawn once into a
        background, kept as pixels while the limits and the ghosts stay the same, and each
        frame pastes it and draws only the current run's lines on top.
        """
        canvas = self.figure.canvas
        artists = [artist for ax in (self.loss_ax, self.accuracy_ax) for artist in (*ax.lines, *ax.texts)]
        moving = [artist for artist in artists if artist not in self._still]
        limits = (self.loss_ax.get_xlim(), self.loss_ax.get_ylim(), self.loss_ax.get_yscale())
        key = (limits, self._still_key)   # ``draw`` just set it: which ghosts, as drawn
        if key != self._background_key:
            # Two layers: the axes alone (ticks, labels, grid: the costly text) change only
            # with the limits; the ghosts change at the start of every run, when the run just
            # finished joins them.  So a new run with the same limits pastes the axes and
            # draws only the ghosts' lines on them: its first frame took ~120 ms, now 25-40.
            for artist in artists:
                artist.set_visible(False)
            if limits != self._axes_key:
                canvas.draw()
                self._axes_background = canvas.copy_from_bbox(self.figure.bbox)
                self._axes_key = limits
            else:
                canvas.restore_region(self._axes_background)
            for artist in artists:
                artist.set_visible(True)
            for artist in sorted(self._still, key=lambda a: a.get_zorder()):
                artist.axes.draw_artist(artist)
            self._background = canvas.copy_from_bbox(self.figure.bbox)
            self._background_key = key
        else:
            canvas.restore_region(self._background)
        for artist in sorted(moving, key=lambda a: a.get_zorder()):
            artist.axes.draw_artist(artist)
        return encode_png(canvas, compress_level)

    def draw(self, views: list[RunView], note: str = "", legends: bool = True) -> None:
        theme, loss_ax, accuracy_ax = self.theme, self.loss_ax, self.accuracy_ax
        # Ghosts and pinned runs are finished: while they stay the same, their lines are kept
        # from the last frame and only the current run's are rebuilt (a third of a frame's
        # Python time went to rebuilding five ghosts that had not changed).
        still_key = tuple((v.label, v.role, v.color, v.history.steps, len(v.history.eval_steps))
                          for v in views if v.role in ("ghost", "pinned"))
        keep = still_key == self._still_key
        for ax in (loss_ax, accuracy_ax):
            for artist in [*ax.lines, *ax.collections, *ax.texts]:
                if not (keep and artist in self._still):
                    artist.remove()
            if ax.get_legend() is not None:
                ax.get_legend().remove()
        for legend in list(self.figure.legends):
            legend.remove()

        if not keep:
            self._still = {}    # artists of ghosts and pinned runs (see ``_live_png``)
            self._still_key = still_key
        for view in views:
            if view.role in ("ghost", "pinned"):
                if keep:
                    continue
                before = {*loss_ax.lines, *accuracy_ax.lines}
                self._draw_run(view)
                self._still.update((artist, None) for artist in [*loss_ax.lines, *accuracy_ax.lines]
                                   if artist not in before)
            else:
                self._draw_run(view)
        histories = [view.history for view in views]
        if wants_log_scale(histories):
            loss_ax.set_yscale("log")
            # Plain numbers (0.01, 0.1, 1) read better than 10^-2 for a learner, and skip
            # mathtext, which was a third of a frame's cost.
            # 1-2-5 steps: a run between 0.3 and 2.5 otherwise showed one tick label, "1".
            loss_ax.yaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0), numticks=8))
            loss_ax.yaxis.set_major_formatter(_PLAIN)
            loss_ax.yaxis.set_minor_formatter(NullFormatter())
            loss_ax.yaxis.set_minor_locator(NullLocator())
        else:
            loss_ax.set_yscale("linear")
            loss_ax.yaxis.set_major_locator(MaxNLocator(nbins=6))
        last_step = max([v.planned_steps for v in views] + [h.steps for h in histories] + [10])
        # Room on the right only: a negative tick ("-4 steps") would puzzle a learner, and on
        # the left the rings are drawn unclipped (nothing is evaluated at step 0 anyway).
        loss_ax.set_xlim(0, last_step * (1 + self._marker_room()))
        loss_ax.set_autoscaley_on(True)  # set_ylim on an empty frame turns autoscaling off
        loss_ax.relim()
        loss_ax.autoscale_view(scalex=False)
        self._settle_loss_axis()
        if not views or not any(h.train_loss for h in histories):
            loss_ax.set_ylim(0.01 if loss_ax.get_yscale() == "log" else 0, 3)
            loss_ax.text(0.5, 0.5, note or self._t("lab_press_train"), transform=loss_ax.transAxes,
                         ha="center", va="center", fontdict=self._font(1.1), color="#555555")
        self._decorate(views, legends)

    def _gap(self, left: float) -> float:
        """``wspace`` that leaves the accuracy panel's tick labels and y label room: a fixed
        size in inches (it scales with the font), converted to a fraction of a panel's mean
        width as matplotlib wants it; a constant fraction left a wide hole on the wide
        projector figure."""
        gap = self.theme.font_size * 5.8 / 72                                     # inches
        mean_panel = (self.theme.width * (0.985 - left) - gap) / 2
        return gap / mean_panel

    def _marker_room(self) -> float:
        """Room right of the last step, as a fraction of the steps: the radius of the ring
        around the best validation point in the narrower (accuracy) panel, so a best point
        at the last step is drawn whole, not cut in half by the panel's edge."""
        theme = self.theme
        ring_radius = (theme.marker_size * 3 / 2 + theme.line_width) / 72        # inches
        panel_width = theme.width * 0.8 * 2 / 5                                    # inches
        return ring_radius / panel_width

    def _settle_loss_axis(self) -> None:
        """Round the loss axis outwards to round numbers, with a span of at least a factor
        ``MIN_LOSS_RATIO``.

        Why a minimum span: when every run barely moves (a learning rate far too small),
        autoscaling zoomed into 2.59-2.65 and made differences of 1% look like a real gap
        between runs.  The span grows downwards: the data, which includes the initial loss,
        stays at the top.  Why round numbers (1-2-5 on a log axis, halves of a power of ten
        on a linear one): the limits then change only when a curve crosses one, not with
        every new batch, so the axis jumps less while a run trains and live frames can reuse
        their cached background (``_live_png``)."""
        low, high = self.loss_ax.get_ylim()
        if not (math.isfinite(low) and math.isfinite(high) and high > low):
            return
        if self.loss_ax.get_yscale() == "log":
            low, high = _round_log(low, up=False), _round_log(high, up=True)
        else:
            step = 10 ** math.floor(math.log10(high - low)) / 2
            low = math.floor(low / step) * step
            high = math.ceil(high / step) * step
        # low <= 0: a linear axis that reaches 0 already shows the whole scale.
        if 0 < low and high / low < MIN_LOSS_RATIO:
            # Barely moving runs hug their maximum: a little headroom keeps them off the frame.
            high *= MIN_LOSS_RATIO ** 0.05
            low = high / MIN_LOSS_RATIO
        self.loss_ax.set_ylim(low, high)

    def legend_entries(self, views: list[RunView]) -> list[tuple[str, str, bool]]:
        """(label, colour, drawn in full colour) of each run, for a legend."""
        entries = []
        for view in views:
            suffix = {"current": self._t("lab_tag_current"), "pinned": self._t("lab_tag_pinned")
                      }.get(view.role, "")
            entries.append((f"{view.label}{suffix}", view.color, view.role in ("current", "member")))
        return entries

    def style_key(self, views: list[RunView]) -> list[str]:
        """Names of the line styles in use, for a legend (same order as the drawn key)."""
        names = [self._t("legend_train_smoothed"), self._t("legend_val"), self._t("legend_best")]
        if any(v.history.diverged for v in views):
            names.append(self._t("legend_diverged"))
        return names

    def _draw_run(self, view: RunView) -> None:
        theme, history, color = self.theme, view.history, view.color
        faded = view.role in ("ghost", "pinned")
        alpha = theme.ghost_alpha if view.role == "ghost" else (0.6 if faded else 1.0)
        width = theme.line_width * (0.7 if faded else 1.0)
        steps = list(range(1, history.steps + 1))
        if history.train_loss:
            if view.role == "current":
                stride = max(1, len(steps) // MAX_RAW_POINTS)
                _add_line(self.loss_ax, steps[::stride], history.train_loss[::stride], color=color,
                                  alpha=0.25, linewidth=max(0.8, width * 0.4))
            # Centred, not a trailing EMA: a lagging line sat above every raw point of a
            # falling loss (see ``centered_average``).
            _add_line(self.loss_ax, steps, centered_average(history.train_loss), color=color,
                              alpha=alpha,
                              linewidth=width)
        evals = min(len(history.eval_steps), len(history.val_loss), len(history.val_accuracy))
        if evals:
            marker = dict(marker="o", markersize=theme.marker_size * (0.8 if faded else 1.0))
            _add_line(self.loss_ax, history.eval_steps[:evals], history.val_loss[:evals], color=color,
                              alpha=alpha, linestyle="--", linewidth=width * 0.8, **marker)
            _add_line(self.accuracy_ax, history.eval_steps[:evals], history.val_accuracy[:evals],
                                  color=color, alpha=alpha, linewidth=width, **marker)
            best = history.best_index
            if best is not None and best < evals:
                ring = dict(marker="o", markersize=theme.marker_size * 3, markerfacecolor="none",
                            markeredgecolor=color, markeredgewidth=width, alpha=alpha,
                            linestyle="none", clip_on=False)  # whole even at 100% accuracy
                _add_line(self.loss_ax, [history.eval_steps[best]], [history.val_loss[best]], **ring)
                _add_line(self.accuracy_ax, [history.eval_steps[best]], [history.val_accuracy[best]],
                                      **ring)
        if history.diverged and history.train_loss:
            _add_line(self.loss_ax, [history.steps], [history.train_loss[-1]], marker="X",
                              markersize=theme.marker_size * 3.5, color=color, alpha=alpha,
                              markeredgecolor="black", linestyle="none")

    def _decorate(self, views: list[RunView], legends: bool) -> None:
        theme = self.theme
        self.key_legend = self.runs_legend = None
        left = theme.font_size * 6.0 / 72 / theme.width
        # Tick labels and the x label (~1.3 line heights each), and no more: a wider margin
        # left an empty band between the figure and the HTML legend under it.
        label_room = theme.font_size * 3.3 / 72 / theme.height
        if not legends:
            self.figure.subplots_adjust(left=left, right=0.985, top=0.97, bottom=label_room,
                                        wspace=self._gap(left))
            return
        # Key of line styles (the same for every run) in one row above both panels: inside a
        # panel it covered the curves of slow runs, which stay high on the loss axis.
        grey, width = "#444444", theme.line_width * 0.8
        key = [Line2D([], [], color=grey, linewidth=width, label=self._t("legend_train_smoothed")),
               Line2D([], [], color=grey, linewidth=width, linestyle="--", marker="o",
                      markersize=theme.marker_size, label=self._t("legend_val")),
               Line2D([], [], color=grey, marker="o", markersize=theme.marker_size * 2.2,
                      markerfacecolor="none", markeredgewidth=width, linestyle="none",
                      label=self._t("legend_best"))]
        if any(v.history.diverged for v in views):
            key.append(Line2D([], [], color=grey, marker="X", markersize=theme.marker_size * 2,
                              markeredgecolor="black", linestyle="none",
                              label=self._t("legend_diverged")))
        self.key_legend = self.figure.legend(
            handles=key, loc="upper center", ncol=len(key), prop=self._font(0.85), frameon=False,
            bbox_to_anchor=(0.5, 1.0))

        # Runs' legend under both panels; its rows decide the bottom margin.
        handles = [Line2D([], [], color=color, linewidth=theme.line_width * 1.4,
                          alpha=1.0 if strong else 0.6, label=label)
                   for label, color, strong in self.legend_entries(views)]
        # The legends get room of their own: the figure grows, the panels keep their size.
        rows = math.ceil(len(handles) / theme.legend_columns) if handles else 0
        extra = (rows + 1.2) * theme.font_size * 1.9 / 72                 # inches
        height = theme.height + extra
        self.figure.set_size_inches(theme.width, height)
        label_room = theme.font_size * 4.2 / 72 / height
        row_height = theme.font_size * 1.9 / 72 / height                  # in figure fractions
        bottom = label_room + rows * row_height + 0.01
        if handles:
            self.runs_legend = self.figure.legend(
                handles=handles, loc="lower center", ncol=theme.legend_columns,
                prop=self._font(0.9), frameon=False, bbox_to_anchor=(0.5, 0.0))
        top = 1 - theme.font_size * 2.2 / 72 / height
        self.figure.subplots_adjust(left=left, right=0.985, top=top, bottom=bottom,
                                    wspace=self._gap(left))
