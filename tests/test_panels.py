"""Figure panels (``panels.py``) drawn from real runs, and checked for what they drew; then the
live figure (``widgets/figure.py``) with several panels, and ``Lab(panels=...)``.

Runs are tiny (320 training examples, 10 steps; a few runs in one process take seconds); each
is trained once per module (``functools.cache``) and drawn by several tests.
"""
from __future__ import annotations

import functools
import io

import numpy as np
import pytest
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from PIL import Image

from seq2seq_lab import Lab, lr_find, set_language, train
from seq2seq_lab.compare import compare
from seq2seq_lab.config import Seq2SeqConfig
from seq2seq_lab.plots import centered_average
from seq2seq_lab.panels import (RunView, draw_accuracy, draw_attention, draw_bands,
                                draw_gradient_norm, draw_grid, draw_learning_rate, draw_loss,
                                draw_range_test)
from seq2seq_lab.schedules import learning_rate_at
from seq2seq_lab.training import total_steps
from seq2seq_lab.widgets.figure import LabFigure, rows_of
from seq2seq_lab.widgets.live import build_task, snapshot

pytestmark = pytest.mark.usefixtures("no_thread_exceptions")   # tests/conftest.py

TASK = {"train_size": 320, "val_size": 100, "test_size": 10}
SMALL = Seq2SeqConfig(max_num_epochs=2, checkpoint_frequency_num_batches=4)


def task():
    return build_task("reverse", TASK)


@functools.cache
def run(**changes):
    """A real run of SMALL with ``changes``: 10 steps, evaluated at 4, 8 and 10."""
    return train(SMALL.replace(**changes), task=task(), seed=0)


def axes():
    return Figure(figsize=(6, 4), dpi=80).add_subplot()


def line_with(ax, ydata, xdata=None, linestyle=None):
    """The line on ``ax`` whose data (and style, if given) equal these, to float rounding;
    AssertionError if none."""
    for line in ax.lines:
        if linestyle is not None and line.get_linestyle() != linestyle:
            continue
        y = np.asarray(line.get_ydata(), dtype=float)
        if y.shape == np.shape(ydata) and np.allclose(y, ydata, equal_nan=True):
            if xdata is None or np.allclose(np.asarray(line.get_xdata(), dtype=float), xdata):
                return line
    raise AssertionError(f"no line with y = {list(ydata)[:5]}...")


def texts(ax) -> list[str]:
    legend = ax.get_legend()
    return [t.get_text() for t in ax.texts] + \
        ([t.get_text() for t in legend.get_texts()] if legend else [])


# ---- pure panels --------------------------------------------------------------------------
def test_loss_and_accuracy_panels_draw_the_runs_curves():
    history = run()
    ax = axes()
    draw_loss(ax, [history], theme="notebook", language="en")
    steps = list(range(1, history.steps + 1))
    line_with(ax, centered_average(history.train_loss), steps)
    dashed = line_with(ax, history.val_loss, history.eval_steps)
    assert dashed.get_linestyle() == "--"
    assert ax.get_ylabel() == "loss (cross-entropy)"
    assert ax.get_xlim()[1] >= history.steps
    ax = axes()
    draw_accuracy(ax, [history], language="en")
    line_with(ax, history.val_accuracy, history.eval_steps)
    best = history.best_index
    ring = line_with(ax, [history.val_accuracy[best]], [history.eval_steps[best]])
    assert ring.get_markerfacecolor() == "none"
    assert ax.get_ylim() == (0, 1.02)


def test_learning_rate_panel_plans_before_and_fills_while_training():
    config = SMALL.replace(lr_scheduler_type="cosine", lr_warmup_steps=3, lr_min_ratio=0.1)
    planned = total_steps(config, task())
    seen = {}

    class AfterFirstBatch:   # draws the panel the moment the run has one batch
        def on_batch_end(self, history):
            if history.steps == 1:
                ax = axes()
                draw_learning_rate(ax, [RunView(snapshot(history), "run", "#0072B2", "current",
                                                planned)], language="en")
                seen["ax"] = ax

    history = train(config, task=task(), seed=0, callbacks=[AfterFirstBatch()])
    schedule = [learning_rate_at(step, config, planned) for step in range(planned)]
    early = seen["ax"]
    plan = line_with(early, schedule, list(range(1, planned + 1)))
    assert plan.get_linestyle() == "--"                       # the whole plan, dashed
    used = line_with(early, history.lrs[:1], [1])             # one batch so far, solid
    assert used.get_linestyle() == "-"
    ax = axes()
    draw_learning_rate(ax, [history], planned_steps=planned, language="en")
    line_with(ax, history.lrs, linestyle="-")                 # used
    line_with(ax, schedule, linestyle="--")                   # planned
    assert np.allclose(history.lrs, schedule)                 # cosine: the plan was followed
    assert ax.get_title(loc="right") == "dashed: plan · solid: used"   # the key, above


def test_gradient_norm_panel_shows_norms_threshold_and_clipped_share():
    clipped, free = run(clip_gradient=0.1), run(clip_gradient=-1.0)
    assert 0 < clipped.clipped_fraction <= 1 and not any(free.clipped)
    ax = axes()
    draw_gradient_norm(ax, [clipped], language="en")
    assert ax.get_yscale() == "log"
    line_with(ax, clipped.grad_norm, list(range(1, clipped.steps + 1)))   # raw, before clipping
    threshold = line_with(ax, [0.1, 0.1])
    assert threshold.get_linestyle() == ":"
    legend = texts(ax)
    assert "clip_gradient = 0.1" in legend
    assert f"{100 * clipped.clipped_fraction:.0f}% of batches clipped" in legend
    ax = axes()
    draw_gradient_norm(ax, [free], language="ko")
    assert not [line for line in ax.lines if len(set(line.get_ydata())) == 1]   # no threshold
    assert "자르지 않음 (clip_gradient <= 0)" in texts(ax)
    assert ax.get_ylabel() == "기울기 노름 (자르기 전)"


def test_attention_panel_is_the_probe_heatmap_with_token_labels():
    history = run(rnn_attention_type="mlp")
    entry = history.attention[-1]
    ax = axes()
    draw_attention(ax, [history], language="en")
    image, = ax.images
    assert np.allclose(image.get_array(), entry["weights"])
    assert [t.get_text() for t in ax.get_xticklabels()] == entry["source"]
    assert [t.get_text() for t in ax.get_yticklabels()] == entry["output"]
    assert f"step {history.eval_steps[-1]}" in " ".join(texts(ax))
    first = axes()
    draw_attention(first, [history], index=0, language="en")
    assert np.allclose(first.images[0].get_array(), history.attention[0]["weights"])
    plain = run(rnn_attention_type="none")
    assert plain.attention == []
    ax = axes()
    draw_attention(ax, [plain], language="en")
    assert not ax.images and "rnn_attention_type = none" in " ".join(texts(ax))


def test_range_test_panel_marks_and_labels_the_suggestion():
    result = lr_find(SMALL, task=task(), num=30, seed=0)
    history = run()
    ax = axes()
    draw_range_test(ax, result, [history], language="en")
    assert ax.get_xscale() == "log"
    line_with(ax, result.smoothed, result.lrs)
    suggestion = line_with(ax, [0, 1], [result.suggestion, result.suggestion])  # axvline
    assert suggestion.get_linestyle() == "--"
    assert "dashed: the suggestion" in ax.get_title()           # the key, above the axes
    assert f"{result.suggestion:.2g}" in texts(ax)               # written on the curve
    line_with(ax, [0, 1], [history.config.learning_rate] * 2)     # where the run sat


def test_grid_panel_fills_cells_marks_column_bests_and_leaves_the_rest_blank():
    histories = compare(SMALL, vary={"learning_rate": [1e-3, 1e-2], "batch_size": [32, 64]},
                        task="reverse", task_options=TASK, workers=0)
    finished = [h for h in histories
                if (h.config.learning_rate, h.config.batch_size) != (1e-2, 32)]  # one to come
    ax = axes()
    draw_grid(ax, finished, x="learning_rate", y="batch_size", language="en")
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0.001", "0.01"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["32", "64"]
    written = {(round(t.get_position()[0]), round(t.get_position()[1])): t.get_text()
               for t in ax.texts}
    expected = {(0 if h.config.learning_rate == 1e-3 else 1,
                 0 if h.config.batch_size == 32 else 1): f"{min(h.val_loss):.3g}"
                for h in finished}
    assert written == expected                        # (1, 0) is blank
    image, = ax.images
    assert np.ma.is_masked(image.get_array()[0, 1])
    frames = [p for p in ax.patches if isinstance(p, Rectangle) and not p.get_fill()]
    marked = sorted((round(p.get_x() + p.get_width() / 2), round(p.get_y() + p.get_height() / 2))
                    for p in frames)
    column0 = min((h for h in finished if h.config.learning_rate == 1e-3),
                  key=lambda h: min(h.val_loss))
    assert marked == sorted([(0, 0 if column0.config.batch_size == 32 else 1), (1, 1)])
    assert ax.get_title() == "best validation loss"


def test_bands_panel_draws_the_mean_of_seeds_and_their_range():
    histories = compare(SMALL, vary={"learning_rate": [3e-3, 3e-2]}, seeds=[0, 1, 2],
                        task="reverse", task_options=TASK, workers=0)
    assert len(histories) == 6
    ax = axes()
    draw_bands(ax, histories, language="en")
    for rate in (3e-3, 3e-2):
        group = [h for h in histories if h.config.learning_rate == rate]
        values = np.array([h.val_loss for h in group])
        line_with(ax, values.mean(axis=0), group[0].eval_steps)
    bands = [c for c in ax.collections if isinstance(c, PolyCollection)]
    assert len(bands) == 2
    first = np.array([h.val_loss for h in histories if h.config.learning_rate == 3e-3])
    outline = bands[0].get_paths()[0].vertices[:, 1]
    assert np.isclose(outline.min(), first.min()) and np.isclose(outline.max(), first.max())
    assert sorted(texts(ax)) == ["0.003 (3 seeds)", "0.03 (3 seeds)"]
    assert ax.get_legend().get_title().get_text() == "learning_rate"
    named = [RunView(h, "slow" if h.config.learning_rate == 3e-3 else "fast", color, "member")
             for h, color in zip(histories, ["#0072B2", "#D55E00"] * 3)]
    ax = axes()
    draw_bands(ax, named, language="en")                   # a caller's own labels stay
    assert sorted(texts(ax)) == ["fast (3 seeds)", "slow (3 seeds)"]
    ax = axes()
    draw_bands(ax, histories, metric="val_accuracy", language="ko")
    assert ax.get_ylabel() == "검증 토큰 정확도"
    with pytest.raises(ValueError, match="metric must be one of"):
        draw_bands(axes(), histories, metric="bleu")


# ---- the live figure ---------------------------------------------------------------------
def pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)


def test_rows_hold_up_to_three_panels():
    assert rows_of(1) == [1] and rows_of(3) == [3]
    assert rows_of(4) == [2, 2] and rows_of(5) == [3, 2] and rows_of(7) == [3, 3, 1]


@pytest.mark.parametrize("theme, language, panels, rows", [
    ("notebook", "en", ["loss", "accuracy", "gradient_norm", "attention"], [2, 2]),
    ("projector", "ko", ["loss", "gradient_norm", "attention", "learning_rate", "bands"], [3, 2]),
])
def test_live_frames_of_several_panels_equal_frames_drawn_from_scratch(theme, language, panels,
                                                                        rows):
    """Each panel keys its own part of the cached background, and a panel whose key alone
    changed is redrawn in its own region: across a run in progress (the attention's tokens
    change at evaluations) and a new run over a ghost, a live frame must look like one drawn
    from nothing."""
    frames = []

    class Capture:
        def on_batch_end(self, history):
            if history.steps in (1, 4, 5, 9):
                frames.append(snapshot(history))

        on_evaluation_end = on_batch_end

    first = train(SMALL.replace(learning_rate=1e-2), task=task(), seed=0, callbacks=[Capture()])
    count = len(frames)
    train(SMALL, task=task(), seed=1, callbacks=[Capture()])
    planned = first.steps
    live = LabFigure(theme, language, panels)
    assert live.rows == rows
    scenes = [[RunView(f, "#1", "#0072B2", "current", planned)] for f in frames[:count]]
    scenes += [[RunView(snapshot(first), "#1", "#0072B2", "ghost", planned),
                RunView(f, "#2", "#D55E00", "current", planned)] for f in frames[count:]]
    # Then back through the same scenes: each panel's axes come back to keys drawn before,
    # and are pasted from the pixels kept then.
    redrawn = []      # panels drawn again, not pasted
    redraw = live._redraw_region
    live._redraw_region = lambda panel: (redrawn.append(panel.name), redraw(panel))
    for index, views in enumerate(scenes + scenes[::-1]):
        if index == len(scenes):
            assert redrawn, "the scenes changed some panel's axes"
            redrawn.clear()
        cached = pixels(live.render(views, legends=False))
        scratch = pixels(LabFigure(theme, language, panels).render(views, legends=False))
        assert cached.shape == scratch.shape
        # Anti-aliasing may round an edge pixel by a few levels; a misplaced artist differs by tens.
        assert np.abs(cached - scratch).max() <= 6, [v.history.steps for v in views]
    assert redrawn == [], "on the way back every panel's axes were pasted"
    live.render(scenes[-1], legends=False)
    attention = live.panel("attention")
    assert attention.ax.images and attention.key()[-1] == (
        tuple(frames[-1].attention[-1]["source"]), tuple(frames[-1].attention[-1]["output"]))


def test_sensitivity_rows_are_drawn_when_a_run_finishes_and_frames_equal_a_fresh_figure():
    """The sensitivity panel's rows change only when a run finishes, so they are drawn into
    the cached background then; the frames of a run in progress between those moments must
    still look like a figure drawn from nothing, and must not draw the rows again."""
    from seq2seq_lab.sensitivity import around_settings
    settings = around_settings(SMALL, {"learning_rate": [1e-2]}, seeds=(0,))
    finished, frames = [], []

    class Capture:
        def on_batch_end(self, history):
            if history.steps in (2, 6):
                frames.append(snapshot(history))

    for setting in settings:
        finished.append(train(setting.config, task=task(), seed=setting.seed,
                              callbacks=[Capture()], label=setting.label))
    planned = finished[0].steps
    scenes = [[RunView(frames[0], settings[0].label, "#0072B2", "current", planned)],
              [RunView(finished[0], settings[0].label, "#0072B2", "member", planned),
               RunView(frames[2], settings[1].label, "#D55E00", "current", planned)],
              [RunView(finished[0], settings[0].label, "#0072B2", "member", planned),
               RunView(frames[3], settings[1].label, "#D55E00", "current", planned)],
              [RunView(h, s.label, c, "member", planned)
               for h, s, c in zip(finished, settings, ("#0072B2", "#D55E00"))]]
    live = LabFigure("notebook", "en", ["sensitivity"])
    rows = live.panel("sensitivity")
    built = []
    original = rows._rows
    rows._rows = lambda: (built.append(tuple(rows._finished)), original())[1]
    for views in scenes:
        cached = pixels(live.render(views, legends=False))
        scratch = pixels(LabFigure("notebook", "en", ["sensitivity"]).render(views, legends=False))
        assert np.abs(cached - scratch).max() <= 6, [v.label for v in views]
    # Drawn with nothing finished, then once per finished run: not in the frame in between.
    assert built == [(), (settings[0].label,), (settings[0].label, settings[1].label)]


def test_default_panels_are_loss_and_accuracy_side_by_side():
    figure = LabFigure("projector", "en")
    assert [p.name for p in figure.panels] == ["loss", "accuracy"] and figure.rows == [2]
    loss, accuracy = figure.loss_ax.get_position(), figure.accuracy_ax.get_position()
    assert loss.width / accuracy.width == pytest.approx(1.5)     # the 3:2 of before
    assert loss.y0 == accuracy.y0


# ---- Lab(panels=...) -----------------------------------------------------------------------
@pytest.fixture
def make_lab(tmp_path):
    made = []

    def make(**kwargs):
        kwargs.setdefault("config", SMALL.to_dict())
        kwargs.setdefault("task_options", TASK)
        kwargs.setdefault("export_dir", str(tmp_path / "runs"))
        lab = Lab(**kwargs)
        made.append(lab)
        return lab

    yield make
    for lab in made:
        lab.close()


def test_lab_draws_the_chosen_panels_live(make_lab):
    lab = make_lab(params=["learning_rate"],
                   panels=["loss", "learning_rate", "gradient_norm", "attention", "grid"])
    assert [p.name for p in lab.figure.panels] == ["loss", "learning_rate", "gradient_norm",
                                                   "attention", "grid"]
    lab.train()
    assert lab.wait(60)
    lab.controls["learning_rate"].value = 0.01
    lab.train()
    assert lab.wait(60) and not lab.message
    first, second = lab.runs
    figure = lab.figure
    line_with(figure.panel("gradient_norm").ax, second.grad_norm)
    line_with(figure.panel("learning_rate").ax, second.lrs)
    image, = figure.panel("attention").ax.images
    assert np.allclose(image.get_array(), second.attention[-1]["weights"])
    grid = figure.panel("grid").ax
    assert [t.get_text() for t in grid.get_xticklabels()] == ["0.003", "0.01"]
    assert sorted(t.get_text() for t in grid.texts) == sorted(
        f"{min(h.val_loss):.3g}" for h in (first, second))


def test_bad_panels_are_a_message_and_the_default_figure(make_lab):
    lab = make_lab(params=["learning_rate"], panels=["loss", "atention"])
    assert "unknown panel 'atention'" in lab.message and "gradient_norm" in lab.message
    assert [p.name for p in lab.figure.panels] == ["loss", "accuracy"]
    lab = make_lab(params=["learning_rate"], panels=[("grid", {"metric": "speed"})])
    assert "metric must be one of" in lab.message
    set_language("ko")
    try:
        lab = make_lab(params=["learning_rate"], panels=["nope"])
        assert "알 수 없는 패널 'nope'" in lab.message
    finally:
        set_language("en")


def test_korean_panel_labels():
    figure = LabFigure("notebook", "ko", ["learning_rate", "gradient_norm", "attention"])
    assert figure.panel("learning_rate").ax.get_ylabel() == "학습률"
    assert figure.panel("attention").ax.get_xlabel() == "입력 토큰"
    history = run(rnn_attention_type="none")
    figure.render([RunView(history, "#1", "#0072B2", "current", history.steps)], legends=False)
    assert "rnn_attention_type = none" in " ".join(texts(figure.panel("attention").ax))
    assert figure.panel("gradient_norm").ax.get_yscale() == "log"


@functools.cache
def _weights_run():
    """Lesson 00's Lab run (the default preset), cut short: its probe has a few evaluations."""
    return train(Seq2SeqConfig(max_num_batches=24, checkpoint_frequency_num_batches=4),
                 task="reverse", seed=0)


def _points_under(legend, artist, ax) -> list:
    """Display points along ``artist`` (a line or a step patch), its segments sampled finely,
    that fall inside ``legend``'s box."""
    if hasattr(artist, "get_xydata"):
        data = artist.get_xydata()
    else:
        data = artist.get_path().vertices
    display = ax.transData.transform(data)
    box = legend.get_window_extent()
    inside = []
    for start, end in zip(display[:-1], display[1:]):
        for share in np.linspace(0, 1, 25):
            x, y = start + (end - start) * share
            if box.x0 <= x <= box.x1 and box.y0 <= y <= box.y1:
                inside.append((round(x), round(y)))
    return inside


@pytest.mark.parametrize("theme", ["notebook", "projector"])
@pytest.mark.parametrize("language", ["en", "ko"])
def test_the_weight_panels_legends_sit_above_their_lines(theme, language):
    """Lesson 00's weight panels name their lines in a legend in the panel's corner: it must
    not hide the lines it names (it covered the top weight and the histogram's peak)."""
    history = _weights_run()
    figure = LabFigure(theme, language, ["loss", "weights", "weight_histogram"])
    views = [RunView(history, "#1", "#0072B2", "current", history.steps)]
    # A live frame, then an exported PNG (legends around the panels: they are shorter), then
    # a live frame again: each as drawn (``render`` draws the same, then encodes).
    for legends in (False, True, False):
        figure.draw(views, "", legends)
        figure.figure.canvas.draw()
        for name in ("weights", "weight_histogram"):
            ax = figure.panel(name).ax
            legend = ax.get_legend()
            assert legend is not None
            for artist in [*ax.lines, *ax.patches]:
                assert not _points_under(legend, artist, ax), (legends, name, artist.get_label())
