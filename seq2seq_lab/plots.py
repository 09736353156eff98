"""Drawing helpers shared by every figure: palette, Hangul font, lag-free smoothing, PNG bytes.

Lessons: all.  The figure itself (losses and accuracy of one or many runs) is drawn by
``widgets/figure.py``, for the Lab widget's live frames, its "Save PNG" and the CLI's ``--out``.

No pyplot anywhere: figures are ``matplotlib.figure.Figure`` objects with an Agg canvas, so a
thread can render PNG bytes without touching the notebook's backend, and no figure leaks into
pyplot's registry.  Colours come from Okabe & Ito's colour-blind-safe palette.  Korean labels
need a Hangul font: :func:`font_families` finds one (a system Nanum or Noto CJK font, or the
NanumGothic that the ``koreanize-matplotlib`` package ships) and names it as a per-text fallback,
so no global matplotlib setting is changed.
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

from .history import History

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
    """The smoothed training loss that the figures draw: a moving average over ``2 * fraction``
    of the steps (at least 5), centred on each step, and as wide at both ends as in the middle.

    Why not a trailing EMA (``training.running_average``): with beta 0.9 it averages the last
    ~10 steps, so on a falling loss it lags ~10 steps behind and sits *above* every raw point,
    and learners read that as "the training loss is higher than the validation loss".  A
    centred window has no lag on a straight trend (the points before and after cancel), so the
    line runs through the middle of the raw band.  The EMA stays for decisions made *during*
    training (divergence, the learning-rate finder), which cannot look ahead.

    Why full width at the ends: a centred window that shrank to fit drew the last step from
    that batch alone.  Late in a run the batch losses are skewed (most batches tiny, a few
    large), so a single batch is usually far below their mean, and every smoothed line ended in
    a hook (0.077 -> 0.011 at the last step) that no trend supports.  Near an end the window
    slides inwards instead (the first or last ``2 * half + 1`` steps), so every point is the
    mean of equally many batches: the last point is the mean of the last window.  The price is
    a little lag in the last and first ``half`` steps on a steep trend, which is the honest
    reading of "what the loss has been lately".
    """
    count = len(values)
    if count < 3:
        return list(values)
    half = max(2, round(fraction * count))
    width = min(2 * half + 1, count)
    totals = np.concatenate(([0.0], np.cumsum(np.asarray(values, dtype=float))))
    # Each window's first step: centred where it fits, slid inwards at either end.
    first = np.clip(np.arange(count) - half, 0, count - width)
    sums = totals[first + width] - totals[first]
    return (sums / width).tolist()


def wants_log_scale(histories: list[History]) -> bool:
    """Log y when the losses span more than a factor of 10 (a diverging run next to a good
    one): on a linear axis the good run would be a flat line at the bottom.  10, not more: a
    run diverged at 14 beside a good one at 0.6 (a factor of 23) squashed the good one."""
    values = [v for h in histories for v in h.train_loss + h.val_loss if v > 0 and math.isfinite(v)]
    return bool(values) and max(values) / min(values) > 10


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
    frames are drawn piecewise, see ``widgets/figure.py``).  RGB, not RGBA: the figure is opaque,
    and a quarter fewer bytes to compress."""
    from PIL import Image

    width, height = canvas.get_width_height(physical=True)
    image = Image.frombuffer("RGBA", (width, height), canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, format="png", compress_level=compress_level)
    return buffer.getvalue()
