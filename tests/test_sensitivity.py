"""One hyperparameter at a time (sensitivity.py), its panel and its widget; the weight probe
and its panels (lesson 00); the accuracy panel's target line (lesson 01)."""
import pytest
from matplotlib.figure import Figure

from seq2seq_lab import ConfigError, Seq2SeqConfig, Sensitivity, panels, train
from seq2seq_lab.history import History
from seq2seq_lab.sensitivity import (DEFAULTS, around_settings, effects, group_of,
                                     parse_around, ranked_fields)

pytestmark = pytest.mark.usefixtures("no_thread_exceptions")
BASE = Seq2SeqConfig()


def test_text_becomes_fields_and_checked_values():
    around = parse_around("learning_rate=0.0003, 0.03; optimizer_type=sgd", BASE)
    assert around == {"learning_rate": [3e-4, 3e-2], "optimizer_type": ["sgd"]}
    with pytest.raises(ConfigError, match="learning_rat"):
        parse_around("learning_rat=0.1", BASE)
    with pytest.raises(ConfigError):
        parse_around("learning_rate=-1", BASE)
    with pytest.raises(ValueError):
        parse_around("learning_rate 0.1", BASE)


def test_settings_change_one_field_each_and_skip_the_default():
    settings = around_settings(BASE, {"learning_rate": [BASE.learning_rate, 0.03],
                                      "batch_size": [16]}, seeds=[0, 1])
    assert [s.label for s in settings] == [
        "defaults · seed 0", "defaults · seed 1", "learning_rate=0.03 · seed 0",
        "learning_rate=0.03 · seed 1", "batch_size=16 · seed 0", "batch_size=16 · seed 1"]
    assert group_of(settings[2].label) == ("learning_rate", "0.03")
    assert group_of(settings[0].label) == (None, DEFAULTS)
    changed = settings[4].config
    assert changed.batch_size == 16 and changed.replace(batch_size=BASE.batch_size) == BASE


def fake(label, best, steps=10):
    return History(config=BASE, label=label, train_loss=[3.0] * steps, lrs=[1e-3] * steps,
                   eval_steps=[steps],
                   val_loss=[best], val_accuracy=[0.5], val_exact=[0.0])


def test_effects_group_by_label_and_bands_decide_what_is_clear():
    runs = [fake("defaults · seed 0", 1.0), fake("defaults · seed 1", 1.2),
            fake("learning_rate=0.03 · seed 0", 0.5), fake("learning_rate=0.03 · seed 1", 0.7),
            fake("batch_size=16 · seed 0", 1.1), fake("batch_size=16 · seed 1", 1.3)]
    base, changed = effects(runs)
    assert (base.mean, base.low, base.high) == pytest.approx((1.1, 1.0, 1.2))
    by_field = {e.field: e for e in changed}
    assert by_field["learning_rate"].clear_of(base)
    assert not by_field["batch_size"].clear_of(base)
    assert ranked_fields(base, changed) == ["learning_rate", "batch_size"]


def test_a_bad_value_is_a_message_in_the_widget_not_an_exception():
    widget = Sensitivity(around={"learning_rate": [0.03]}, preset="lesson_00_sensitivity")
    widget.values_box.value = "learning_rate=0.03; rnn_cel_type=lstm"
    assert widget.train() is False
    assert "rnn_cel_type" in widget.message and "s2s-invalid" in widget.values_box._dom_classes
    widget.values_box.value = "learning_rate"
    assert widget.train() is False and "name=value" in widget.message
    widget.values_box.value = "learning_rate=0.03"
    widget.seeds_box.value = "one"
    assert widget.train() is False


def test_the_widget_trains_the_defaults_and_each_change_over_its_seeds():
    widget = Sensitivity(around={"learning_rate": [0.03]}, seeds=[0, 1],
                         preset="lesson_00_sensitivity", config={"max_num_batches": 3})
    assert widget.train()
    assert widget.runner.wait(timeout=300)
    labels = sorted(m.label for m in widget.latest)
    assert labels == ["defaults · seed 0", "defaults · seed 1", "learning_rate=0.03 · seed 0",
                      "learning_rate=0.03 · seed 1"]


def test_the_weight_probe_follows_weights_from_before_the_first_step():
    history = train(Seq2SeqConfig(max_num_batches=4, checkpoint_frequency_num_batches=2),
                    task="reverse", seed=0)
    start = history.weights_start
    assert len(history.weights) == len(history.eval_steps) == 2
    assert len(start["names"]) == len(start["values"]) == 5
    assert sum(start["counts"]) == history.num_parameters
    assert start["values"] != history.weights[-1]["values"]
    assert History.from_csv(history.to_csv()).weights_start == start
    figure = Figure()
    for i, draw in enumerate((panels.draw_weights, panels.draw_weight_histogram,
                              panels.draw_sensitivity)):
        draw(figure.add_subplot(1, 3, i + 1), [history])
    panels.draw_accuracy(Figure().add_subplot(), [history], target=0.95)


def test_the_widget_sums_up_each_setting_and_reads_the_chart_in_one_sentence():
    from seq2seq_lab.widgets.panel import RunRecord
    runs = [fake("defaults · seed 0", 1.0), fake("defaults · seed 1", 1.2),
            fake("learning_rate=0.03 · seed 0", 0.5), fake("learning_rate=0.03 · seed 1", 0.7),
            fake("batch_size=16 · seed 0", 1.1), fake("batch_size=16 · seed 1", 1.3)]
    for run in runs:
        run.wall_time = 2.0
    widget = Sensitivity(around={"learning_rate": [0.03]}, preset="lesson_00_sensitivity")
    widget._members = [RunRecord(i + 1, h, h.label, "#000000", planned=h.steps)
                       for i, h in enumerate(runs)]
    widget._render()
    assert widget.legend_labels == ["defaults", "learning_rate=0.03", "batch_size=16"]
    assert "2 seeds" in widget.legend.value
    assert "range over 2 seeds (furthest first): learning_rate." in widget.diagnosis.value
    assert "no more than chance: batch_size." in widget.diagnosis.value
