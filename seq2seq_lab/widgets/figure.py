"""The Lab's live figure: a row (or rows) of panels, the current run in full colour, earlier
runs as faded ghosts.

Lessons: 01-09 (every ``Lab`` and ``Compare`` widget draws its frames here).

The panels are chosen by name, ``Lab(..., panels=["loss", "accuracy", "gradient_norm"])``; the
default ``("loss", "accuracy")`` is losses on the left (training per batch: raw and faint behind
a centred average; validation per evaluation: dashed with dots; the best validation point
ringed) and validation accuracy on the right.  What each panel draws is a pure function in
``seq2seq_lab/panels.py``; this module only makes it live.  Up to three panels share a row,
more wrap to a second row; every panel over training steps shares one step axis, fixed to the
planned length of the run, so a curve grows into the frame instead of the frame rescaling
under it.  A key of line styles sits above the panels and the runs' legend (what differed,
e.g. ``learning_rate=0.1``) under them; live frames leave both out and the widget shows them
as HTML (much cheaper to draw).

Why a live frame is cheap.  One ``LabFigure`` owns one Agg ``Figure`` for the life of a widget
and redraws it in place.  A fresh figure per frame cost 250-500 ms on our 2 cores, almost all
of it building tick objects for the log axis; keeping the axes and only swapping the lines kept
a frame near 100-130 ms, and pasting the axes and earlier runs from a cached background
(``_live_png``) brought a live frame to ~30 ms.  Each live panel (:class:`FigurePanel`) says
what its part of that background depends on (:meth:`FigurePanel.key`: its limits, and for the
attention and grid panels their tick labels), so a panel added later needs no change in the
others; the background is redrawn only when one of those keys changes.
"""
from __future__ import annotations

import math
from collections import OrderedDict

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle
from matplotlib.transforms import Bbox

from .. import panels as drawing
from ..history import History
from ..i18n import t
# Re-exported: lab.py, compare.py, the CLI and the tests import these from here.
from ..panels import (MAX_RAW_POINTS, MIN_LOSS_RATIO, RUN_COLORS, STILL_ROLES, THEMES,  # noqa: F401
                      RunView, Theme, look_for, theme_named)
from ..plots import encode_png, to_png

DEFAULT_PANELS = ("loss", "accuracy")
MAX_PER_ROW = 3
_NOTHING_YET = ("no static artists yet",)


class FigurePanel:
    """One live panel on one Axes: what it draws each frame, and what its cached background
    depends on.  Subclasses call the drawing functions of ``panels.py``.

    ``weight``: its share of the row's width; ``step_axis``: it plots against the training
    step (and shares that axis); ``top_room``: lines of text it needs above the axes (a
    title, tick labels on top)."""

    name = ""
    weight = 2.0
    step_axis = False
    top_room = 0.0
    legend_inside = False   # a legend in a corner of the panel, over where data could be

    def __init__(self, figure: "LabFigure", ax, options: dict):
        self.figure, self.ax, self.look = figure, ax, figure.look
        self.options = dict(options)
        # Artists that change only with ``_static_key`` (a legend of line styles, a clipping
        # threshold): drawn into the cached background with the axes, never per frame.
        self._static: list = []
        self._static_key = _NOTHING_YET

    def setup(self) -> None:
        """What never changes, set once."""

    def set_static(self, key, build) -> None:
        """Keep the static artists ``build()`` made while ``key`` stays the same; rebuild
        them (and so the background) when it changes."""
        if key == self._static_key:
            return
        for artist in self._static:
            artist.remove()
        self._static = list(build() or [])
        self._static_key = key

    def clear(self, keep: bool) -> None:
        """Take this frame's artists off, except the earlier runs' lines when ``keep``, and
        the static ones."""
        still, static = self.figure._still, self._static
        for artist in self._drawn():
            if not (keep and artist in still) and artist not in static:
                artist.remove()
        legend = self.ax.get_legend()
        if legend is not None and legend not in static:
            legend.remove()

    def draw(self, views: list[RunView], keep: bool) -> None:
        """Add this frame's artists."""

    def settle(self, views: list[RunView], empty_note: str) -> None:
        """Scales and limits once every run is drawn; ``empty_note`` is said when empty."""

    def fit(self) -> None:
        """Once the panels are placed: a legend inside the panel gets room above the data.
        Here, not in ``settle``, because the room is the legend's share of the panel's height,
        and an exported PNG (legends around the panels) places them shorter than a live
        frame does."""
        if self.legend_inside:
            drawing.room_for_legend(self.ax)

    def key(self) -> tuple:
        """What the axes layer of the cached background (ticks, tick labels, grid) depends
        on; a subclass with more than limits in that layer adds it."""
        ax = self.ax
        return (self.name, ax.get_xlim(), ax.get_ylim(), ax.get_xscale(), ax.get_yscale(),
                self._static_key)

    def artists(self) -> list:
        """What a live frame draws on top of the background (the earlier runs' lines among
        them, which the figure pastes from its second cache layer)."""
        legend = self.ax.get_legend()
        static = self._static
        extra = [legend] if legend is not None and legend not in static else []
        return [artist for artist in self._drawn() if artist not in static] + extra

    def _drawn(self) -> list:
        ax = self.ax
        return [*ax.lines, *ax.collections, *ax.texts, *ax.images, *ax.patches]


class _PerRunPanel(FigurePanel):
    """A panel that draws each run on its own: earlier runs' artists are kept between frames
    while they stay the same, and only the current run's are rebuilt (a third of a frame's
    Python time went to rebuilding five ghosts that had not changed)."""

    step_axis = True

    def draw(self, views: list[RunView], keep: bool) -> None:
        still = self.figure._still
        for view in views:
            if view.role in STILL_ROLES:
                if keep:
                    continue
                before = set(self._drawn())
                self.draw_run(view)
                # In the order they were added: equal-zorder lines must be pasted in that
                # order, as a full draw does (a set's order changed overlaps).
                still.update((artist, None) for artist in self._drawn() if artist not in before)
            else:
                self.draw_run(view)

    def draw_run(self, view: RunView) -> None:
        raise NotImplementedError


class LossPanel(_PerRunPanel):
    name, weight = "loss", 3.0

    def setup(self) -> None:
        drawing.setup_loss(self.ax, self.look)

    def draw_run(self, view: RunView) -> None:
        drawing.loss_run(self.ax, view, self.look)

    def settle(self, views, empty_note) -> None:
        drawing.settle_loss(self.ax, views, self.look, empty_note)


class AccuracyPanel(_PerRunPanel):
    """Options: ``target`` (e.g. 0.95), a dotted line a question can ask about ("which run
    crosses it first?")."""

    name = "accuracy"

    def setup(self) -> None:
        drawing.setup_accuracy(self.ax, self.look)
        target = self.options.get("target")
        if target is not None:
            self.set_static(("target", target),
                            lambda: drawing.target_line(self.ax, float(target), self.look))

    def draw_run(self, view: RunView) -> None:
        drawing.accuracy_run(self.ax, view, self.look)


class LearningRatePanel(_PerRunPanel):
    name, top_room = "learning_rate", 1.6

    def setup(self) -> None:
        drawing.setup_learning_rate(self.ax, self.look)
        # The key of its two line styles never changes: a title, in the cached background.
        drawing.learning_rate_key(self.ax, self.look)

    def draw_run(self, view: RunView) -> None:
        drawing.learning_rate_run(self.ax, view, self.look)

    def settle(self, views, empty_note) -> None:
        drawing.settle_learning_rate(self.ax, views)


class GradientNormPanel(_PerRunPanel):
    name = "gradient_norm"

    def setup(self) -> None:
        drawing.setup_gradient_norm(self.ax, self.look)

    def draw_run(self, view: RunView) -> None:
        drawing.gradient_norm_run(self.ax, view, self.look)

    def settle(self, views, empty_note) -> None:
        """The threshold and its name are static (they change with the runs' configs only);
        the share of clipped batches is written, not a legend: a legend cost more than the
        rest of the frame."""
        ax, look = self.ax, self.look
        thresholds = drawing.clip_thresholds(views)
        off = bool(views) and not thresholds

        def build():
            artists = drawing.threshold_lines(ax, thresholds, look, labelled=True)
            if off:
                artists.append(ax.text(0.02, 0.97, look.t("legend_no_clipping"),
                                       transform=ax.transAxes, ha="left", va="top",
                                       fontdict=look.font(0.75), color=drawing.GREY))
            return artists

        self.set_static((thresholds, off), build)
        drawing.settle_gradient_norm(ax)
        drawing.clipped_notes(ax, views, look)


class AttentionPanel(FigurePanel):
    """The probe example's attention of the newest run, or of the run named by the option
    ``run`` (``("attention", {"run": "mlp"})``); its tokens are tick labels, so they are part
    of the key (they change when the model's output changes)."""

    name, top_room = "attention", 2.6

    def setup(self) -> None:
        self._tokens = ((), ())
        drawing.setup_attention(self.ax, self.look, *self._tokens)

    def draw(self, views, keep) -> None:
        look, ax = self.look, self.ax
        # ("attention", {"run": "mlp"}): show that run's weights (default: the newest run)
        view = drawing.attention_view(views, self.options.get("run"))
        message = drawing.attention_message(view, look) if views else ""
        entry, step = drawing.attention_entry(view.history) if view and not message else (None, None)
        tokens = drawing.attention_tokens(entry)
        if tokens != self._tokens:   # a new run without an evaluation yet empties them too
            self._tokens = tokens
            drawing.setup_attention(ax, look, *tokens)
        if message:
            drawing.note(ax, message, look)
        elif entry is not None:
            drawing.attention_image(ax, entry, look)
            ax.text(0.0, -0.03, drawing.attention_caption(view, step, look),
                    transform=ax.transAxes, ha="left", va="top", fontdict=look.font(0.75),
                    color="#555555")

    def key(self) -> tuple:
        return (*super().key(), self._tokens)


class RangeTestPanel(FigurePanel):
    """An ``lr_find`` result (``options["result"]``, or set ``panel.result``) with each shown
    run's learning rate on it."""

    name, top_room = "range_test", 1.6   # a title line (the key)

    def setup(self) -> None:
        self.result = self.options.get("result")
        drawing.setup_range_test(self.ax, self.look)
        drawing.range_test_key(self.ax, self.look)

    def draw(self, views, keep) -> None:
        ax, look, result = self.ax, self.look, self.result
        if result is None or not list(result.lrs):
            self.set_static(None, lambda: [])
            ax.set_xlim(1e-5, 10)
            drawing.note(ax, look.t("range_test_missing"), look)
            return

        def build():   # the sweep and its suggestion: they change with the result only
            before = set(self._drawn())
            drawing.range_test_lines(ax, result, look)
            return [a for a in self._drawn() if a not in before]

        self.set_static(id(result), build)
        drawing.run_rates(ax, views, look)

    def settle(self, views, empty_note) -> None:
        if self.result is not None and list(self.result.lrs):
            drawing.settle_range_test(self.ax, self.result)


class GridPanel(FigurePanel):
    """Cells fill in as runs finish.  Finished runs are remembered here, so a cell stays
    filled after its run has left the ghosts on the other panels (``max_ghosts``)."""

    name, top_room = "grid", 1.6
    MAX_REMEMBERED = 200

    def setup(self) -> None:
        options = self.options
        self.metric = options.get("metric", "best_val_loss")
        self._finished: dict[str, History] = {}
        self._layout = None
        # Checks the options now: a bad metric or name is a message when the widget is built.
        self._cells([])

    def _cells(self, histories):
        o = self.options
        return drawing.grid_cells(histories, o.get("x"), o.get("y"), self.metric,
                                  o.get("x_values", ()), o.get("y_values", ()))

    def draw(self, views, keep) -> None:
        for view in views:
            # wall_time is set when a run ends: a run in progress has no cell yet.
            if view.history.wall_time > 0 or view.role in STILL_ROLES:
                self._finished.pop(view.label, None)
                self._finished[view.label] = view.history
        while len(self._finished) > self.MAX_REMEMBERED:
            self._finished.pop(next(iter(self._finished)))
        cells = self._cells(list(self._finished.values()))
        layout = (cells.x, cells.y, tuple(cells.x_values), tuple(cells.y_values))
        if layout != self._layout:
            self._layout = layout
            drawing.setup_grid(self.ax, self.look, cells, self.metric)
        drawing.grid_contents(self.ax, cells, self.look)
        if not self._finished:
            drawing.note(self.ax, self.look.t("grid_empty"), self.look)

    def key(self) -> tuple:
        return (*super().key(), self._layout)


class BandsPanel(FigurePanel):
    name, step_axis, top_room = "bands", True, 1.6

    def setup(self) -> None:
        self.metric = self.options.get("metric", "val_loss")
        if self.metric not in drawing.BAND_METRICS:
            raise ValueError(f"metric must be one of {', '.join(drawing.BAND_METRICS)}, "
                             f"not {self.metric!r}")
        drawing.setup_bands(self.ax, self.look, self.metric)
        self._handles, self._title = [], ""

    def draw(self, views, keep) -> None:
        self._handles, self._title = drawing.bands_lines(self.ax, views, self.metric, self.look)

    def settle(self, views, empty_note) -> None:
        ax, look, handles, title = self.ax, self.look, self._handles, self._title
        drawing.settle_bands(ax, views, self.metric, handles, look)
        # The legend names the groups, which change only when runs join: static.
        entries = (title, *((h.get_label(), h.get_color()) for h in handles[:5]))
        # A fixed corner: "best" is decided when the background is drawn, and the curves
        # grow afterwards (a cached frame then differed from a fresh one).
        corner = "upper right" if self.metric.endswith("loss") else "lower right"
        self.set_static(entries, lambda: [drawing.bands_legend(ax, handles, title, look, corner)]
                        if handles else [])


class SensitivityPanel(FigurePanel):
    """Rows fill in as runs finish (``sensitivity.py``); finished runs are remembered here,
    as the grid does, so a row stays after its run left the other panels."""

    name, weight, top_room = "sensitivity", 3.0, 2.8   # a two-line title (the key)

    def setup(self) -> None:
        self._finished: dict[str, History] = {}
        drawing.setup_sensitivity(self.ax, self.look)

    def draw(self, views, keep) -> None:
        for view in views:
            if view.history.wall_time > 0 or view.role in STILL_ROLES:
                self._finished[view.label] = view.history
        # The rows change only when a run finishes: static artists, drawn into the cached
        # background then, not computed again for every frame of the runs in progress.
        self.set_static(tuple(self._finished), self._rows)

    def _rows(self) -> list:
        """Draw every finished run's row; returns the artists drawn."""
        before = set(self._drawn())
        finished = [RunView(h, label, drawing.GREY) for label, h in self._finished.items()]
        drawing.sensitivity_contents(self.ax, finished, self.look)
        return [artist for artist in self._drawn() if artist not in before]


class WeightsPanel(FigurePanel):
    """A few single weights of the run in progress (or the latest), redrawn each frame: one
    run only, so earlier runs' lines would only confuse whose weights these are."""

    name, step_axis, legend_inside = "weights", True, True

    def setup(self) -> None:
        drawing.setup_weights(self.ax, self.look)

    def draw(self, views, keep) -> None:
        drawing.weights_contents(self.ax, views, self.look)

    def settle(self, views, empty_note) -> None:
        drawing.settle_y(self.ax)


class WeightHistogramPanel(FigurePanel):
    name, legend_inside = "weight_histogram", True

    def setup(self) -> None:
        drawing.setup_weight_histogram(self.ax, self.look)

    def draw(self, views, keep) -> None:
        drawing.weight_histogram_contents(self.ax, views, self.look)


LIVE_PANELS = {panel.name: panel for panel in (
    LossPanel, AccuracyPanel, LearningRatePanel, GradientNormPanel, AttentionPanel,
    RangeTestPanel, GridPanel, BandsPanel, SensitivityPanel, WeightsPanel,
    WeightHistogramPanel)}


def parse_panels(panels, language: str | None = None) -> list[tuple[str, dict]]:
    """``[(name, options), ...]`` from names (``"loss"``) or ``(name, options)`` pairs
    (``("grid", {"x": "learning_rate", "y": "batch_size"})``); ValueError, in the learner's
    language, naming the valid panels."""
    if isinstance(panels, str):
        panels = [panels]
    parsed = []
    for spec in panels:
        name, options = (spec, {}) if isinstance(spec, str) else (tuple(spec) + ({},))[:2]
        if name not in LIVE_PANELS or not isinstance(options, dict):
            raise ValueError(t("panel_unknown", language, name=name,
                               choices=", ".join(LIVE_PANELS)))
        parsed.append((name, options))
    if not parsed:
        raise ValueError(t("panel_unknown", language, name="", choices=", ".join(LIVE_PANELS)))
    return parsed


def rows_of(count: int) -> list[int]:
    """Panels per row: up to three in a row, the rows as even as possible (4 -> 2 + 2)."""
    rows = math.ceil(count / MAX_PER_ROW)
    per_row = math.ceil(count / rows)
    sizes = []
    while count > 0:
        sizes.append(min(per_row, count))
        count -= sizes[-1]
    return sizes


class LabFigure:
    """A persistent figure of panels that renders a list of RunViews to PNG bytes."""

    REGIONS_KEPT = 12  # axes drawings kept per panel (a 4-panel notebook region: ~0.3 MB)
    ROW_SHRINK = 0.8   # rows after the first are this much of a theme's height: two rows
                       # of the projector theme then stay within ~680 px

    def __init__(self, theme: str | Theme = "notebook", language: str | None = None,
                 panels=DEFAULT_PANELS):
        self.theme = theme_named(theme)
        self.language = language
        self.look = look_for(self.theme, language)
        self.fonts = list(self.look.fonts)
        specs = parse_panels(panels, language)
        self.rows = rows_of(len(specs))
        self.height = self.theme.height * (1 + self.ROW_SHRINK * (len(self.rows) - 1))
        # The figure's own dpi is the theme's: live frames are encoded from its canvas.
        self.figure = Figure(figsize=(self.theme.width, self.height), dpi=self.theme.dpi)
        # Artists of ghosts and pinned runs, in the order they were added (see _PerRunPanel).
        self._still: dict = {}
        self._still_key = None
        self._background, self._background_key = None, None   # axes + ghosts (pixels)
        self._axes_background, self._axes_key = None, None     # axes alone (pixels)
        self._regions_seen: dict = {}    # panel -> {its key: its region's pixels}, newest last
        FigureCanvasAgg(self.figure)
        self._placed = None             # the arguments of the last ``_layout``
        self.panels: list[FigurePanel] = []
        first_step = None
        for name, options in specs:
            share = {"sharex": first_step} if LIVE_PANELS[name].step_axis and first_step else {}
            ax = self.figure.add_axes((0, 0, 1, 1), **share)
            panel = LIVE_PANELS[name](self, ax, options)
            self.panels.append(panel)
            if panel.step_axis and first_step is None:
                first_step = ax
            self._regions_seen[panel] = OrderedDict()
        self._layout(top=0.0, bottom=self._label_room(), height=self.height, top_fraction=0.03)
        for panel in self.panels:
            panel.setup()
        step_panels = [p for p in self.panels if p.step_axis]
        # The "press Train" note goes on the first panel over steps, as it always did.
        self._note_panel = step_panels[0] if step_panels else None
        self._step_ax = step_panels[0].ax if step_panels else None
        self._room = max((drawing.marker_room(p.ax, self.theme) for p in step_panels), default=0)
        self.key_legend = self.runs_legend = None   # the two legends of the last frame

    # ---- panels by name (tests and lessons read these) -----------------------------------
    def panel(self, name: str) -> FigurePanel | None:
        return next((p for p in self.panels if p.name == name), None)

    @property
    def loss_ax(self):
        panel = self.panel("loss")
        return panel.ax if panel else None

    @property
    def accuracy_ax(self):
        panel = self.panel("accuracy")
        return panel.ax if panel else None

    def _t(self, key: str, **values) -> str:
        return t(key, self.language, **values)

    def _font(self, scale: float = 1.0) -> dict:
        return self.look.font(scale)

    # ---- layout ----------------------------------------------------------------------------
    def _label_room(self) -> float:
        """Inches under a row: tick labels and the x label (~1.3 line heights each), and no
        more: a wider margin left an empty band between the figure and the HTML legend."""
        return self.theme.font_size * 3.3 / 72

    def _layout(self, top: float, bottom: float, height: float, top_fraction: float = 0.0) -> None:
        """Place every panel (inches converted to figure fractions).  Columns: a fixed left
        margin for the first panel's labels, then a fixed gap in inches (it scales with the
        font) for each next panel's tick labels and y label; a constant fraction left a wide
        hole on the wide projector figure.  Rows: the room a row's titles need above it,
        the x labels' room under it."""
        if (top, bottom, height, top_fraction) == self._placed:
            return   # every live frame asks; the panels are already there
        self._placed = (top, bottom, height, top_fraction)
        for seen in self._regions_seen.values():
            seen.clear()   # pixels of panels that have just moved
        theme = self.theme
        width, size = theme.width, theme.font_size / 72
        left, right, gap = size * 6.0, width * 0.015, size * 5.8
        row_gap = self._label_room() + size * 0.6
        tops = []
        start = 0
        for count in self.rows:
            tops.append(max(p.top_room for p in self.panels[start:start + count]) * size)
            start += count
        top_margin = max(top + tops[0], height * top_fraction)
        free = height - top_margin - bottom - sum(tops[1:]) - row_gap * (len(self.rows) - 1)
        shares = [1.0] + [self.ROW_SHRINK] * (len(self.rows) - 1)
        y = height - top_margin
        start = 0
        # Each panel's region: its axes and the margins its labels use (the gap on its left,
        # the room under its row, the room above for titles), disjoint from its neighbours',
        # so ``_live_png`` can redraw one panel's axes alone (figure fractions).
        self._regions = {}
        for row, count in enumerate(self.rows):
            region_top = height if row == 0 else y - row_gap
            if row:
                y -= row_gap + tops[row]
            row_height = free * shares[row] / sum(shares)
            region_bottom = 0.0 if row == len(self.rows) - 1 else y - row_height - row_gap
            members = self.panels[start:start + count]
            total = sum(p.weight for p in members)
            span = width - left - right - gap * (count - 1)
            x = left
            for index, panel in enumerate(members):
                panel_width = span * panel.weight / total
                panel.ax.set_position((x / width, (y - row_height) / height,
                                       panel_width / width, row_height / height))
                # Borders 3 px right of a spine: its anti-aliased edge belongs to its panel.
                pad = 3 / theme.dpi
                region_left = 0.0 if index == 0 else x - gap + pad
                region_right = width if index == count - 1 else x + panel_width + pad
                self._regions[panel] = (region_left / width, region_bottom / height,
                                        (region_right - region_left) / width,
                                        (region_top - region_bottom) / height)
                x += panel_width + gap
            y -= row_height
            start += count

    # ---- drawing ---------------------------------------------------------------------------
    def render(self, views: list[RunView], note: str = "", dpi: int | None = None,
               compress_level: int = 1, legends: bool = True) -> bytes:
        """Draw ``views`` (ghosts first, current last, so it is on top) and return a PNG.

        Live frames pass ``legends=False`` and the widget shows the legend as HTML beside the
        image (:meth:`legend_entries`): the two matplotlib legends were a third of a frame's
        cost.  Exported PNGs keep them, so a saved figure explains itself.
        """
        self.draw(views, note, legends)
        if not legends and dpi in (None, self.theme.dpi):
            return self._live_png(compress_level)
        self._background_key = self._axes_key = None   # savefig re-renders at its own size
        try:
            return to_png(self.figure, dpi=dpi or self.theme.dpi, compress_level=compress_level)
        finally:
            self.figure.set_size_inches(self.theme.width, self.height)

    def _live_png(self, compress_level: int) -> bytes:
        """A live frame: the frame's still parts come from a cached background.

        Why: drawing the axes (ticks, tick labels, grid) was over half of a frame's cost, and
        the faded earlier runs most of the rest, yet neither changes while a run trains: the
        step axis is fixed to the planned length and the other limits move only when a curve
        crosses a round number.  So the axes and ghosts are drawn once into a background,
        kept as pixels while every panel's key and the ghosts stay the same, and each frame
        pastes it and draws only the current run's artists on top.
        """
        canvas = self.figure.canvas
        artists = [artist for panel in self.panels for artist in panel.artists()]
        moving = [artist for artist in artists if artist not in self._still]
        limits = tuple(panel.key() for panel in self.panels)
        key = (limits, self._still_key)   # ``draw`` just set it: which ghosts, as drawn
        if key != self._background_key:
            # Two layers: the axes alone (ticks, labels, grid: the costly text) change only
            # with the panels' keys; the ghosts change at the start of every run, when the run
            # just finished joins them.  So a new run with the same limits pastes the axes and
            # draws only the ghosts' lines on them: its first frame took ~120 ms, now 25-40.
            for artist in artists:
                artist.set_visible(False)
            if limits != self._axes_key:
                unseen = [panel for panel, new, old in zip(self.panels, limits,
                                                           self._axes_key or [None] * len(limits))
                          if new != old and new not in self._regions_seen[panel]]
                if self._axes_key is None or (len(self.panels) > 2
                                              and len(unseen) >= len(self.panels) - 1):
                    # All panels, or all but one, to draw anew: one whole draw is cheaper
                    # than that many regions (151 ms against 188 for four).
                    canvas.draw()
                    for panel, panel_key in zip(self.panels, limits):
                        self._keep_region(panel, panel_key)
                else:
                    # Only the panels whose key changed (the attention's tokens at an
                    # evaluation, an axis crossing a round number) are drawn again, each in
                    # its own region over the others' pixels; drawing all four panels' axes
                    # took ~4x as long as one.
                    canvas.restore_region(self._axes_background)
                    for panel, new, old in zip(self.panels, limits, self._axes_key):
                        if new != old:
                            self._show_region(panel, new)
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

    def _region_box(self, panel: FigurePanel):
        return Bbox.from_bounds(*self._regions[panel]).transformed(self.figure.transFigure)

    def _show_region(self, panel: FigurePanel, key: tuple) -> None:
        """Paste ``panel``'s axes as they looked under ``key`` if they were drawn before, else
        draw them and keep the pixels.  Why: a panel's limits come back again and again (a
        gradient-norm axis going 0.1-20, 0.05-20, back to 0.1-20 as runs come and go, the
        attention's tokens repeating); a region costs 35-70 ms of text rendering to draw and
        well under 1 ms to paste."""
        seen = self._regions_seen[panel]
        if key in seen:
            seen.move_to_end(key)
            self.figure.canvas.restore_region(seen[key])
            return
        self._redraw_region(panel)
        self._keep_region(panel, key)

    def _keep_region(self, panel: FigurePanel, key: tuple) -> None:
        seen = self._regions_seen[panel]
        seen[key] = self.figure.canvas.copy_from_bbox(self._region_box(panel))
        seen.move_to_end(key)
        if len(seen) > self.REGIONS_KEPT:
            seen.popitem(last=False)

    def _redraw_region(self, panel: FigurePanel) -> None:
        """Blank ``panel``'s region and draw its axes there (ticks, labels, static artists)."""
        blank = Rectangle(self._regions[panel][:2], *self._regions[panel][2:],
                          transform=self.figure.transFigure, facecolor=self.figure.get_facecolor(),
                          edgecolor="none", linewidth=0, antialiased=False)
        blank.set_figure(self.figure)
        self.figure.draw_artist(blank)
        self.figure.draw_artist(panel.ax)

    def draw(self, views: list[RunView], note: str = "", legends: bool = True) -> None:
        # Ghosts and pinned runs are finished: while they stay the same, their artists are
        # kept from the last frame (see ``_PerRunPanel``).
        still_key = tuple((v.label, v.role, v.color, v.history.steps, len(v.history.eval_steps))
                          for v in views if v.role in STILL_ROLES)
        keep = still_key == self._still_key
        for panel in self.panels:
            panel.clear(keep)
        for legend in list(self.figure.legends):
            legend.remove()
        if not keep:
            self._still = {}
            self._still_key = still_key
        for panel in self.panels:
            panel.draw(views, keep)
        if self._step_ax is not None:
            drawing.set_step_limit(self._step_ax, views, self._room)
        empty = note or self._t("lab_press_train")
        for panel in self.panels:
            panel.settle(views, empty if panel is self._note_panel else "")
        self._decorate(views, legends)
        for panel in self.panels:
            panel.fit()

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

    def _decorate(self, views: list[RunView], legends: bool) -> None:
        theme = self.theme
        self.key_legend = self.runs_legend = None
        if not legends:
            self.figure.set_size_inches(theme.width, self.height)
            self._layout(top=0.0, bottom=self._label_room(), height=self.height,
                         top_fraction=0.03)
            return
        # Key of line styles (the same for every run) in one row above the panels: inside a
        # panel it covered the curves of slow runs, which stay high on the loss axis.
        grey, width = drawing.GREY, theme.line_width * 0.8
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

        # Runs' legend under the panels; its rows decide the bottom margin.
        handles = [Line2D([], [], color=color, linewidth=theme.line_width * 1.4,
                          alpha=1.0 if strong else 0.6, label=label)
                   for label, color, strong in self.legend_entries(views)]
        # The legends get room of their own: the figure grows, the panels keep their size.
        rows = math.ceil(len(handles) / theme.legend_columns) if handles else 0
        extra = (rows + 1.2) * theme.font_size * 1.9 / 72                 # inches
        height = self.height + extra
        self.figure.set_size_inches(theme.width, height)
        if handles:
            self.runs_legend = self.figure.legend(
                handles=handles, loc="lower center", ncol=theme.legend_columns,
                prop=self._font(0.9), frameon=False, bbox_to_anchor=(0.5, 0.0))
        row_height = theme.font_size * 1.9 / 72                             # inches
        bottom = theme.font_size * 4.2 / 72 + rows * row_height + 0.01 * height
        self._layout(top=theme.font_size * 2.2 / 72, bottom=bottom, height=height)
