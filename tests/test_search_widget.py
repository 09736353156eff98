"""The ``Search`` widget (seq2seq_lab/widgets/search.py) driven from Python: Start searches and
draws, Stop stops, bad input is a message in the widget, other machines' trials appear.

Tiny trials (8 batches) in SQLite files under tmp_path, never the working directory.
"""
import pytest

pytest.importorskip("optuna")

import time  # noqa: E402

import seq2seq_lab.widgets.search as search_widget  # noqa: E402
from seq2seq_lab import Search  # noqa: E402
from seq2seq_lab.search import search  # noqa: E402
from seq2seq_lab.widgets.search import format_space, parse_space  # noqa: E402

TINY = {"max_num_batches": 8, "checkpoint_frequency_num_batches": 4}
SPACE = {"learning_rate": (0.001, 0.1)}


def widget(tmp_path, strategy="random", trials=3, **kwargs):
    kwargs.setdefault("storage", str(tmp_path / "search.db"))
    return Search(SPACE, strategy, trials, preset="lesson_09_search", config=TINY, **kwargs)


def test_start_runs_a_search_and_draws_its_trials(tmp_path):
    panel = widget(tmp_path)
    first = panel.image.value
    assert "8 batches = 24 batches" in panel.budget_note.value
    panel.start()
    assert panel.wait(60)
    assert panel.result is not None and len(panel.trials) == 3
    assert all(trial.state == "complete" for trial in panel.trials)
    assert len(panel.runs) == 3 and all(h.steps == 8 for h in panel.runs)
    assert panel.image.value[:8] == b"\x89PNG\r\n\x1a\n" and panel.image.value != first
    assert "done" in panel.status.value and panel.message == ""
    assert "s2s-search" in panel.widget._dom_classes
    panel.close()


def test_stop_ends_the_search_within_a_trial(tmp_path):
    panel = widget(tmp_path, trials=40)
    panel.start()
    # Wait for a trial to finish, then stop.
    import time
    deadline = time.monotonic() + 30
    while not panel._this_run and time.monotonic() < deadline:
        time.sleep(0.05)
    panel.stop()
    assert panel.wait(30)
    assert 1 <= len(panel.result.trials) < 40
    assert "stopped" in panel.status.value
    panel.close()


@pytest.mark.parametrize("text, words", [
    ("learning_rate=0.001..; rnn_cell_type=rnn", "is not name=low:high"),
    ("learnin_rate=0.001:0.1", "did you mean learning_rate"),
    ("learning_rate=0.1:0.001", "inverted"),
    ("rnn_cell_type=rnn, cnn", "rnn_cell_type"),
])
def test_bad_space_text_is_a_message_in_the_widget(tmp_path, text, words):
    panel = widget(tmp_path)
    panel.space_box.value = text
    panel.start()                       # no exception, no search
    assert panel.wait(5)
    assert words in panel.message and panel.result is None
    assert "s2s-invalid" in panel.space_box._dom_classes
    assert "Cannot search" in panel.message_box.value
    panel.close()


def test_an_unreachable_server_is_a_message_and_the_password_stays_hidden(tmp_path):
    panel = widget(tmp_path, storage="postgresql://learner:secret@127.0.0.1:1/class09")
    assert "secret" not in panel.storage_box.value and "***" in panel.storage_box.value
    panel.start()
    assert panel.wait(30)
    assert panel.result is None and "Cannot search" in panel.message
    assert "secret" not in panel.message and "secret" not in panel.status.value
    panel.close()


def test_other_machines_trials_appear_after_a_refresh(tmp_path, monkeypatch):
    monkeypatch.setattr(search_widget, "WATCH_SECONDS", 3600.0)   # only Refresh reads here
    panel = widget(tmp_path, trials=2, study_name="class")
    panel.start()
    assert panel.wait(60) and len(panel.trials) == 2
    # Another machine: a second worker into the same SQLite study (its own settings: the study's).
    search(budget=16, storage=tmp_path / "search.db", study_name="class")
    assert len(panel.trials) == 2
    panel.refresh()
    assert panel.wait(10)
    assert len(panel.trials) == 4 and "4 trials" in panel.message
    assert sum(trial.history is not None for trial in panel.trials) == 2   # ours have Histories
    panel.close()


def test_an_idle_widget_shows_other_machines_trials_as_they_finish(tmp_path, monkeypatch):
    monkeypatch.setattr(search_widget, "WATCH_SECONDS", 0.05)
    panel = widget(tmp_path, trials=2, study_name="class")
    panel.start()
    assert panel.wait(60) and len(panel.trials) == 2
    frames = panel.drawer.frames
    search(budget=16, storage=tmp_path / "search.db", study_name="class")   # another machine
    # Without a click: the watcher re-reads the study and redraws (waits on those events).
    def shown():
        return (len(panel.trials) == 4 and all(t.state == "complete" for t in panel.trials)
                and "now holds 4 trials" in panel.status.value)
    deadline = time.monotonic() + 60
    while not shown() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert shown(), (panel.trials, panel.status.value)
    assert panel.drawer.frames > frames
    panel.close()
    panel._watcher.join(5)
    assert not panel._watcher.is_alive()                    # close ends the watcher too


def test_the_kernel_exit_ends_every_watcher(tmp_path, monkeypatch):
    """The exit handler ends an idle widget's watcher and waits for it, so no study read is
    cut off inside the database driver when the kernel goes."""
    monkeypatch.setattr(search_widget, "WATCH_SECONDS", 0.05)
    panel = widget(tmp_path, trials=1)
    panel.start()
    assert panel.wait(60) and panel._watcher is not None and panel._watcher.is_alive()
    # A join long enough for a read in flight: the handler returns as soon as the thread ends.
    monkeypatch.setattr(search_widget, "WATCH_SECONDS", 30.0)
    search_widget._end_watchers()
    assert not panel._watcher.is_alive()
    panel.close()


def test_space_text_round_trips():
    space = {"learning_rate": (0.001, 1.0), "rnn_cell_type": ["rnn", "gru"], "batch_size": None}
    assert parse_space(format_space(space)) == space
    assert parse_space("learning_rate=0.001..0.1") == {"learning_rate": (0.001, 0.1)}
    with pytest.raises(ValueError):
        parse_space("   ")


def test_searches_table_counts_the_values_each_search_tried(tmp_path):
    """The lesson's table: a 2 x 2 grid tries 2 rates and 2 cells in its 4 trials; random
    search a new rate in every trial."""
    from seq2seq_lab.widgets.search import searches_table
    common = dict(task="reverse", task_options={"seq_len": 4, "val_size": 20},
                  base={"rnn_num_hidden": 16, "checkpoint_frequency_num_batches": 4},
                  trial_batches=8, storage=str(tmp_path / "table.db"))
    grid = search({"learning_rate": [0.01, 0.1], "rnn_cell_type": ["rnn", "gru"]}, "grid",
                  budget=32, **common)
    random = search({"learning_rate": (0.001, 0.1), "rnn_cell_type": ["rnn", "gru"]},
                    "random", budget=32, **common)
    table = searches_table(grid, random).data
    assert "learning_rate: 2, rnn_cell_type: 2" in table           # the grid's 2 x 2 points
    assert "learning_rate: 4, rnn_cell_type:" in table             # a new rate each trial
    assert table.count("<tr>") == 3                                # a head and two searches
