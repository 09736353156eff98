"""Pure drawing functions: a History (or several) onto matplotlib Axes of an Agg Figure.

Lessons: all (every loss curve); the CLI's ``--out`` PNG; the Lab widget's live frames.

No pyplot anywhere: figures are ``matplotlib.figure.Figure`` objects with an Agg canvas, so a
thread can render PNG bytes without touching the notebook's backend, and no figure leaks into
pyplot's registry.  Colours come from Okabe & Ito's colour-blind-safe palette.  Korean labels
need a Hangul font: :func:`font_families` finds one (a system Nanum or Noto CJK font, or the
NanumGothic that the ``koreanize-matplotlib`` package ships) and names it as a per-text fallback,
so no global matplotlib setting is changed.  The Lab's live figure is in ``lab_figure.py``.
"""
from __future__ import annotations

import functools
import importlib.util
import io
import math
from pathlib import Path

import numpy as np
from matplotlib import font_manager

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from .history import History
from .i18n import t

# Okabe & Ito (2008), "Color Universal Design": distinguishable with every common colour-vision
# deficiency, and in greyscale on a projector.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000")


# Hangul fonts tried in this order; the first one matplotlib knows is the fallback after DejaVu.
_HANGUL_FONTS = ("NanumGothic", "Noto Sans CJK KR", "Noto Sans KR", "Noto Sans CJK JP",
                 "UnDotum", "Malgun Gothic", "AppleGothic")


@functools.lru_cache(maxsize=1)
def hangul_font() -> str | None:
    """The name of a font with Hangul glyphs, registering koreanize-matplotlib's if needed.

    Looked up once per process.  The package is found without importing it, because importing
    ``koreanize_matplotlib`` rewrites the global rcParams of whoever imported us.
    """
    known = {font.name for font in font_manager.fontManager.ttflist}
    for name in _HANGUL_FONTS:
        if name in known:
            return name
    spec = importlib.util.find_spec("koreanize_matplotlib")
    if spec is not None and spec.submodule_search_locations:
        for folder in spec.submodule_search_locations:
            path = Path(folder) / "fonts" / "NanumGothic.ttf"
            if path.exists():
                font_manager.fontManager.addfont(str(path))
                return font_manager.FontProperties(fname=str(path)).get_name()
    return None


def font_families() -> list[str]:
    """Font list for every text we draw: DejaVu for Latin and digits, Hangul as a fallback
    (matplotlib >= 3.6 takes each missing glyph from the next font in the list)."""
    hangul = hangul_font()
    return ["DejaVu Sans", hangul] if hangul else ["DejaVu Sans"]


def centered_average(values: list[float], fraction: float = 0.02) -> list[float]:
    """The smoothed training loss that the figures draw: a moving average centred on each
    step, over ``2 * fraction`` of the steps (at least 5), its window shrinking
    symmetrically near both ends.

    Why not a trailing EMA (``training.running_average``): with beta 0.9 it averages the last ~10 steps, so
    on a falling loss it lags ~10 steps behind and sits *above* every raw point, and learners
    read that as "the training loss is higher than the validation loss".  A centred window
    has no lag on a straight trend (the points before and after cancel), so the line runs
    through the middle of the raw band.  The price is the last few points: their window is
    small, so the line's tip is as noisy as the raw loss there, which is honest while a run
    is in progress.  The EMA stays for decisions made *during* training (divergence, the
    learning-rate finder), which cannot look ahead.
    """
    count = len(values)
    if count < 3:
        return list(values)
    half = max(2, round(fraction * count))
    totals = np.concatenate(([0.0], np.cumsum(np.asarray(values, dtype=float))))
    index = np.arange(count)
    # The widest symmetric window that fits: ``half`` inside, smaller near either end.
    reach = np.minimum(half, np.minimum(index, count - 1 - index))
    sums = totals[index + reach + 1] - totals[index - reach]
    return (sums / (2 * reach + 1)).tolist()


def new_figure(panels: int = 1, width: float = 7.0, height: float = 3.6) -> Figure:
    """A figure with its own Agg canvas and ``panels`` side-by-side axes."""
    figure = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(figure)
    figure.subplots(1, panels, squeeze=False)
    return figure


def draw_losses(ax, history: History, color: str = PALETTE[0], label: str | None = None,
                alpha: float = 1.0, raw: bool = True, smoothing: float = 0.02) -> None:
    """Training loss per batch (raw, faint; smoothed, solid) and validation loss per
    evaluation (dashed, dots), the best validation point ringed, a divergence marked by x.
    ``smoothing``: the half-width of the centred average, as a fraction of the steps."""
    steps = range(1, history.steps + 1)
    name = label if label is not None else (history.label or "run")
    if raw and history.train_loss:
        ax.plot(steps, history.train_loss, color=color, alpha=0.2 * alpha, linewidth=0.8)
    if history.train_loss:
        ax.plot(steps, centered_average(history.train_loss, smoothing), color=color, alpha=alpha,
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
    ax.set_xlabel(t("axis_step"), fontfamily=font_families())
    ax.set_ylabel(t("axis_loss"), fontfamily=font_families())
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))   # steps are whole: no "2.5" tick


def wants_log_scale(histories: list[History]) -> bool:
    """Log y when the losses span more than a factor of 10 (a diverging run next to a good
    one): on a linear axis the good run would be a flat line at the bottom.  10, not more: a
    run diverged at 14 beside a good one at 0.6 (a factor of 23) squashed the good one."""
    values = [v for h in histories for v in h.train_loss + h.val_loss if v > 0 and math.isfinite(v)]
    return bool(values) and max(values) / min(values) > 10


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
    fonts = font_families()
    loss_ax.legend(prop={"family": fonts, "size": 8})
    accuracy_ax.set_ylim(0, 1.02)
    accuracy_ax.set_xlabel(t("axis_step"), fontfamily=fonts)
    accuracy_ax.set_ylabel(t("axis_accuracy"), fontfamily=fonts)
    if title:
        figure.suptitle(title, fontfamily=fonts)
    return figure


def to_png(figure: Figure, dpi: int = 100, compress_level: int = 6) -> bytes:
    """PNG bytes of a figure (for an ipywidgets.Image, or a file).

    Live frames pass ``compress_level=1``: zlib's fastest level makes files ~10% larger but
    encodes several times faster, and a frame is sent once and thrown away.
    """
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi, pil_kwargs={"compress_level": compress_level})
    return buffer.getvalue()


def encode_png(canvas: FigureCanvasAgg, compress_level: int = 1) -> bytes:
    """PNG bytes of what an Agg canvas holds now, without drawing the figure again (live
    frames are drawn piecewise, see ``lab_figure.py``).  RGB, not RGBA: the figure is opaque,
    and a quarter fewer bytes to compress."""
    from PIL import Image

    width, height = canvas.get_width_height(physical=True)
    image = Image.frombuffer("RGBA", (width, height), canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, format="png", compress_level=compress_level)
    return buffer.getvalue()
