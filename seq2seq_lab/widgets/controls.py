"""One ipywidgets control per hyperparameter, built from the config's own metadata.

Lessons: 01-09 (the sliders of every ``Lab``).

``Seq2SeqConfig.fields()`` already says, for every field, its type, range or choices, whether
it is log-scaled and its "nice" values, so the control follows from the field:

- ``widget_values`` (learning_rate, weight_decay): a SelectionSlider of those stops, because a
  FloatLogSlider stepped by keyboard sends 1.9999999999999998 and reads awkwardly;
- a few choices: ToggleButtons (every option visible); many choices: a Dropdown;
- whole numbers: an IntSlider over a range that makes sense to explore here (the config's own
  range, up to 4096 units, would make every useful value a pixel wide);
- other numbers: a FloatSlider with round steps; true/false: a Checkbox;
- ``text_params`` or a field that may be none: a Text box, so any value can be typed, and a
  bad one is reported by the config, in plain words, when Train is pressed.
- a task option of ``make_task`` (``seq_len``, ``train_size``, ``noise``, ...): a slider
  over the range ``data.TASK_OPTION_FIELDS`` gives it (:func:`make_task_control`).

Every control is labelled with the full config name (never cut: ``description_width`` fits the
longest name of the Lab, see :func:`label_width`) and carries the one-line explanation as its tooltip and the DOM class
``s2s-param-<name>`` that browser tests look for.
"""
from __future__ import annotations

import ipywidgets as widgets

from ..config import Seq2SeqConfig, format_value
from ..data import TASK_OPTION_FIELDS

# Ranges for sliders where the config's valid range is far wider than what is worth trying on
# a toy task in seconds: (low, high, step).
SLIDER_RANGES: dict[str, tuple] = {
    "batch_size": (4, 512, 4),
    "rnn_num_hidden": (4, 512, 4),
    "num_embed_source": (4, 256, 4),
    "num_embed_target": (4, 256, 4),
    "max_num_epochs": (1, 50, 1),
    "min_num_epochs": (0, 50, 1),
    "checkpoint_frequency_num_batches": (1, 64, 1),
    "early_stopping_patience": (0, 20, 1),
    "lr_step_size": (1, 500, 1),
    "lr_warmup_steps": (0, 200, 1),
    "plateau_reduce_lr_threshold": (1, 20, 1),
    "max_seq_len_source": (1, 100, 1),
    "max_seq_len_target": (1, 100, 1),
    "clip_gradient": (-1.0, 20.0, 0.5),
    "momentum": (0.0, 0.99, 0.01),
    "weight_init_scale": (0.1, 5.0, 0.01),
}
STOPS_CLASS = "s2s-stops"
STOPS_CSS = (f"<style>.{STOPS_CLASS} .widget-readout {{pointer-events: none; "
             "-webkit-user-modify: read-only; user-select: none}</style>")
TOGGLE_MAX_CHOICES = 3   # more options than this would not fit in a row: use a Dropdown


def label_width(names) -> str:
    """A description width that fits the longest name, so that labels are never cut and the
    sliders of one Lab start at the same x (``initial`` fits each label but staggers them).
    ``ch`` is the width of "0"; our names are lower-case letters and underscores, ~1ch each."""
    longest = max((len(name) for name in names), default=10)
    return f"{longest * 1.1 + 1.5:.1f}ch"


def make_control(name: str, value, text: bool = False, language: str = "en",
                 continuous_update: bool = False, width: str = "initial") -> widgets.Widget:
    """The control for config field ``name`` showing ``value``; ``width`` of the label."""
    fields = Seq2SeqConfig.fields()
    meta = fields[name]
    kind = meta["type"]
    common = dict(description=name, style={"description_width": width},
                  tooltip=meta.get(language) or meta["en"])
    if text or (meta["allow_none"] and kind is not str):
        control = widgets.Text(value="none" if value is None else format_value(value),
                               continuous_update=False, layout=widgets.Layout(width="auto"),
                               **common)
    elif meta["choices"]:
        choices = list(meta["choices"])
        cls = widgets.ToggleButtons if len(choices) <= TOGGLE_MAX_CHOICES else widgets.Dropdown
        control = cls(options=choices, value=value, **common)
    elif kind is bool:
        control = widgets.Checkbox(value=bool(value), indent=False, **common)
    elif meta["widget_values"]:
        stops = sorted(set(meta["widget_values"]) | {value})
        control = widgets.SelectionSlider(
            options=[(format_value(stop), stop) for stop in stops], value=value,
            continuous_update=continuous_update, layout=widgets.Layout(width="420px"), **common)
        # Its readout looks editable (ipywidgets 8.1 makes every slider's readout editable)
        # but a SelectionSlider ignores what is typed there and blanks it: a learner typed
        # 0.3 and trained at the old rate.  STOPS_CSS makes it plain text; drag or use the
        # arrow keys (typed rates: ``text_params``).
        control.add_class(STOPS_CLASS)
    elif kind is int:
        low, high, step = SLIDER_RANGES.get(name, (meta["low"], min(meta["high"], 64), 1))
        control = widgets.IntSlider(value=value, min=min(low, value), max=max(high, value),
                                    step=step, continuous_update=continuous_update,
                                    layout=widgets.Layout(width="420px"), **common)
    else:
        low, high, step = SLIDER_RANGES.get(name, (meta["low"], meta["high"],
                                                   _round_step(meta["low"], meta["high"])))
        control = widgets.FloatSlider(value=value, min=min(low, value), max=max(high, value),
                                      step=step, continuous_update=continuous_update,
                                      readout_format=".3g", layout=widgets.Layout(width="420px"),
                                      **common)
    control.add_class(f"s2s-param-{name}")
    return control


def make_task_control(name: str, value, text: bool = False, language: str = "en",
                      continuous_update: bool = False, width: str = "initial") -> widgets.Widget:
    """The control for task option ``name`` of ``make_task`` (``data.TASK_OPTION_FIELDS``
    holds its type, range, slider stops and help), labelled and classed like a field's."""
    meta = TASK_OPTION_FIELDS[name]
    common = dict(description=name, style={"description_width": width},
                  tooltip=meta.get(language) or meta["en"])
    low, high, step = meta["slider"]
    if text:
        control = widgets.Text(value=format_value(value), continuous_update=False,
                               layout=widgets.Layout(width="auto"), **common)
    elif meta["type"] is int:
        control = widgets.IntSlider(value=value, min=min(low, value), max=max(high, value),
                                    step=step, continuous_update=continuous_update,
                                    layout=widgets.Layout(width="420px"), **common)
    else:
        control = widgets.FloatSlider(value=value, min=min(low, value), max=max(high, value),
                                      step=step, continuous_update=continuous_update,
                                      readout_format=".3g", layout=widgets.Layout(width="420px"),
                                      **common)
    control.add_class(f"s2s-param-{name}")
    return control


def control_value(control: widgets.Widget):
    """What the config should receive: typed text stays text (the config parses and judges it);
    float sliders are rounded because keyboard steps leave 0.30000000000000004 behind."""
    value = control.value
    if isinstance(value, float):
        return float(f"{value:.10g}")
    return value


def _round_step(low: float, high: float) -> float:
    """A round step giving ~100 positions: 0..0.9 -> 0.01, 0..0.5 -> 0.005."""
    span = high - low
    for step in (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0):
        if span / step <= 200:
            return step
    return span / 100
