"""Where each output token looked: the attention heatmaps of several runs side by side.

Lesson 08 (``rnn_attention_type``: none, fixed, dot, bilinear, mlp on the ``dates`` task).
Every run with attention records, at each evaluation, the weights its decoder gave each source
token of one fixed validation example, the probe (``evaluation.attention_probe``, kept in
``history.attention``).  ``attention_maps(histories)`` draws the last of them for each run, one
heatmap per run, up to three in a row, with the same colour scale, so a learner compares what the scorers
learned to look at: a sharp diagonal-like path (each output token reads the source token it
copies), or a uniform grey (``fixed``), or nothing (``none``: the note says why).

The heatmap itself is ``panels.draw_attention``, the same drawing as the live ``attention``
panel of ``Lab`` and ``Compare``.
"""
from __future__ import annotations

from typing import Sequence

from matplotlib.figure import Figure

from .history import History
from .panels import (RUN_COLORS, RunView, draw_attention, look_for, note, setup_attention,
                     short_label)
from .plots import to_png


def attention_maps(runs, *, theme: str = "notebook", language: str | None = None,
                   columns: int | None = None):
    """One heatmap per run (its last evaluation), titled with the run's setting and its final
    validation token accuracy; returned as an ``IPython.display.Image`` (no pyplot).

    :param runs: Histories, or a ``Compare`` / ``Lab`` widget (its finished runs)
    :param columns: heatmaps per row (default: up to 3)
    :return: the image, or, when there is no finished run yet (a Compare not trained), a
        one-line note saying to press Train: a lesson cell never ends in a traceback
    """
    from IPython.display import Image, Markdown

    from .i18n import t

    if hasattr(runs, "latest"):       # a Compare: the comparison on its figure
        runs = runs.latest
    histories: Sequence[History] = [h for h in getattr(runs, "runs", runs) if h.steps]
    if not histories:
        return Markdown(t("no_runs_to_draw", language))
    look = look_for(theme, language)
    count = len(histories)
    # Three across at most: a heatmap needs room for its tokens on both axes (five in one row
    # left each a sliver, and the layout collapsed).
    columns = columns or min(count, 3)
    rows = -(-count // columns)
    figure = Figure(figsize=(look.theme.width, look.theme.height * 0.8 * rows),
                    dpi=look.theme.dpi, layout="constrained")
    for i, history in enumerate(histories):
        ax = figure.add_subplot(rows, columns, i + 1)
        view = RunView(history, history.label or f"#{i + 1}", RUN_COLORS[i % len(RUN_COLORS)],
                       "member")
        if history.config.rnn_attention_type == "none":
            # The live panel's note is three lines wide; a third of a figure needs less.
            setup_attention(ax, look, (), ())
            ax.set_xticks([])
            ax.set_yticks([])
            note(ax, t("attention_map_none", look.language), look)
        else:
            draw_attention(ax, [view], theme=look, language=look.language, caption=False)
        if i % columns:        # one "output tokens" label per row, one title per heatmap
            ax.set_ylabel("")
        accuracy = history.val_accuracy[-1] if history.val_accuracy else float("nan")
        ax.set_title(f"{short_label(history.label)}: "
                     f"{t('attention_map_accuracy', look.language, accuracy=accuracy)}",
                     fontdict=look.font(0.8), loc="left")
    return Image(to_png(figure, dpi=look.theme.dpi))


__all__ = ["attention_maps"]
