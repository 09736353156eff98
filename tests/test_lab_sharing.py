"""The Lab's own data, shared set-ups and exported code: a learner's file by path or upload, a
set-up a teacher pastes into a slide (controls shown and locked), and the lines that train the
latest run again outside the widget with the same History."""
from __future__ import annotations

import builtins
import datetime

import pytest

from seq2seq_lab import Lab, Seq2SeqConfig, train
from seq2seq_lab.pairs import EXAMPLE, MAX_FILE_BYTES

pytestmark = pytest.mark.usefixtures("no_thread_exceptions")   # tests/conftest.py

TINY = {"max_num_batches": 12, "checkpoint_frequency_num_batches": 4, "rnn_num_hidden": 16}
TASK = {"train_size": 200, "val_size": 50, "test_size": 10}
NOW = datetime.datetime.now(datetime.timezone.utc)   # as the browser sends an upload's date


@pytest.fixture
def make_lab(tmp_path):
    made = []

    def make(factory=Lab, *args, **kwargs):
        kwargs.setdefault("export_dir", str(tmp_path / "runs"))
        widget = factory(*args, **kwargs)
        made.append(widget)
        return widget

    yield make
    for widget in made:
        widget.close()


def pairs_file(tmp_path, rows, name="mine.tsv"):
    path = tmp_path / name
    path.write_text("".join(f"{s}\t{t}\n" for s, t in rows), encoding="utf-8")
    return path


# ---- own data ---------------------------------------------------------------------------------
def test_lab_trains_on_the_shipped_example_file(make_lab):
    lab = make_lab(params=["learning_rate"], task="pairs", config=TINY,
                   task_options={"path": str(EXAMPLE), "tokens": "word/char"})
    assert lab.data_row.path.value == str(EXAMPLE) and lab.data_row.tokens.value == "word/char"
    assert lab.train() and lab.wait(120)
    run = lab.runs[-1]
    assert run.task == "pairs" and run.steps == 12 and run.task_options["tokens"] == "word/char"


def test_a_bad_file_is_a_message_in_the_widget_naming_the_line(make_lab, tmp_path):
    good = pairs_file(tmp_path, [("one", "1"), ("two", "2"), ("three", "3"), ("four", "4")])
    bad = tmp_path / "bad.tsv"
    bad.write_text("one\t1\ntwo\n", encoding="utf-8")
    lab = make_lab(params=["learning_rate"], task="pairs", config=TINY,
                   task_options={"path": str(good)})
    lab.data_row.path.value = str(bad)
    assert lab.train() is False
    assert "bad.tsv" in lab.message and "line 2" in lab.message
    assert "Traceback" not in lab.message and "s2s-invalid" in lab.data_row.path._dom_classes
    lab.data_row.path.value = str(tmp_path / "missing.tsv")
    assert lab.train() is False and "missing.tsv" in lab.message


def test_an_edited_file_is_read_again_not_replayed(make_lab, tmp_path):
    rows = [(f"w{i}", str(i)) for i in range(40)]
    path = pairs_file(tmp_path, rows)
    lab = make_lab(params=["learning_rate"], task="pairs", config=TINY,
                   task_options={"path": str(path)})
    assert lab.train() and lab.wait(120)
    first = lab.runs[-1]
    pairs_file(tmp_path, rows[:30])             # the learner edits the file (a new size)
    assert lab.train() and lab.wait(120)
    again = lab.runs[-1]
    assert "replayed" not in lab.status.value        # trained again: not the cached result
    assert again.train_loss != first.train_loss


def test_an_upload_is_saved_under_data_never_over_a_file(make_lab, tmp_path):
    lab = make_lab(params=["learning_rate"], task="pairs", config=TINY)
    content = b"one\t1\ntwo\t2\nthree\t3\nfour\t4\n"
    lab.data_row.upload.value = ({"name": "../../my pairs.tsv", "type": "text/tab-separated-values",
                                  "size": len(content), "content": memoryview(content),
                                  "last_modified": NOW},)
    saved = tmp_path / "runs" / "data" / "my_pairs.tsv"
    assert lab.data_row.path.value == str(saved) and saved.read_bytes() == content
    assert "Uploaded" in lab.message and lab.data_row.upload.value == ()
    assert lab.data_row.save("my pairs.tsv", content) == saved          # same bytes: same file
    other = lab.data_row.save("my pairs.tsv", b"five\t5\nsix\t6\n")    # other bytes: new name
    assert other.name == "my_pairs-2.tsv" and saved.read_bytes() == content
    assert lab.train() and lab.wait(120) and lab.runs[-1].task_options["path"] == str(saved)


def test_an_upload_over_the_limit_is_refused_before_it_is_written(make_lab, tmp_path,
                                                                  monkeypatch):
    monkeypatch.setattr("seq2seq_lab.widgets.data_file.MAX_FILE_BYTES", 10)
    lab = make_lab(params=["learning_rate"], task="pairs", config=TINY)
    content = b"one\t1\ntwo\t2\n"
    lab.data_row.upload.value = ({"name": "big.tsv", "type": "", "size": len(content),
                                  "content": memoryview(content), "last_modified": NOW},)
    assert "big.tsv" in lab.message and "not saved" in lab.message
    assert not (tmp_path / "runs" / "data").exists() or not any(
        (tmp_path / "runs" / "data").iterdir())
    assert MAX_FILE_BYTES >= 1_000_000      # the real limit leaves room for any lesson's file


# ---- shared set-ups ---------------------------------------------------------------------------
def test_a_share_opens_the_same_lab_with_its_locked_controls(make_lab):
    lab = make_lab(params=["learning_rate", "rnn_cell_type", "noise"], locked=["rnn_cell_type"],
                   config={**TINY, "rnn_cell_type": "lstm"}, task_options=TASK, seed=3,
                   panels=["loss", "gradient_norm"])
    lab.controls["learning_rate"].value = 0.01
    assert lab.controls["rnn_cell_type"].disabled and not lab.controls["learning_rate"].disabled
    text = lab.share()
    assert text in lab.message and len(text) < 320    # 5 fields, 4 task options, 3 controls
    again = make_lab(Lab.from_share, text)
    assert list(again.controls) == ["learning_rate", "rnn_cell_type", "noise"]
    assert again.controls["rnn_cell_type"].disabled and again.locked == ("rnn_cell_type",)
    assert again.controls["learning_rate"].value == 0.01 and again.seed == 3
    assert again.base_config == lab.read_config()
    assert again.task_options == {**TASK, "noise": 0.0}     # the noise slider's value with them
    assert [p.name for p in again.figure.panels] == [p.name for p in lab.figure.panels]
    # ... and it trains exactly what the original trains
    assert lab.train() and lab.wait(60) and again.train() and again.wait(60)
    assert again.runs[-1].train_loss == lab.runs[-1].train_loss


def test_a_setup_file_round_trips_and_is_never_overwritten(make_lab, tmp_path):
    lab = make_lab(params=["learning_rate"], config=TINY, task_options=TASK)
    first, second = lab.save_setup(), lab.save_setup()
    assert first != second and first.endswith(".json")
    again = make_lab(Lab.from_setup_file, first)
    assert again.base_config == lab.base_config and list(again.controls) == ["learning_rate"]


@pytest.mark.parametrize("damage", [lambda s: s[:-9], lambda s: s[:12] + "A" + s[13:],
                                    lambda s: "s2s9" + s[4:], lambda s: "hello"])
def test_a_damaged_share_opens_a_lab_that_says_why(make_lab, damage):
    text = make_lab(params=["learning_rate"], config=TINY).setup().to_text()
    bad = damage(text)
    lab = make_lab(Lab.from_share, bad)
    assert lab.message.startswith("This set-up cannot be opened:") and "Traceback" not in lab.message


def test_a_share_naming_a_file_does_not_open_it_until_train(make_lab, tmp_path, monkeypatch):
    secret = tmp_path / "secret.tsv"
    secret.write_text("a\tb\nc\td\ne\tf\n", encoding="utf-8")
    text = make_lab(params=["learning_rate"], task="pairs", config=TINY,
                    task_options={"path": str(secret)}).setup().to_text()
    opened = []
    real_open = builtins.open
    monkeypatch.setattr(builtins, "open", lambda file, *a, **k: (
        opened.append(str(file)), real_open(file, *a, **k))[1])
    lab = make_lab(Lab.from_share, text)
    assert not [name for name in opened if "secret" in name]
    assert lab.data_row.path.value == str(secret) and "not opened until you press Train" in lab.message
    monkeypatch.setattr(builtins, "open", real_open)
    assert lab.train() and lab.wait(120) and lab.runs[-1].task_options["path"] == str(secret)


# ---- export as code ----------------------------------------------------------------------------
def test_the_exported_code_trains_the_same_history(make_lab):
    lab = make_lab(params=["learning_rate", "rnn_cell_type"], config=TINY,
                   task_options=TASK, seed=2)
    before = lab.code()                       # nothing run yet: the controls' settings
    assert "train(" in before and "No run yet" in lab.message
    lab.controls["learning_rate"].value = 0.01
    lab.controls["rnn_cell_type"].value = "lstm"
    assert lab.train() and lab.wait(60)
    text = lab.code()
    assert "learning_rate=0.01" in text and "seed=2" in text and text in lab.message
    namespace: dict = {}
    exec(text, namespace)                     # the learner's own cell, outside the widget
    run, again = lab.runs[-1], namespace["history"]
    assert again.train_loss == run.train_loss and again.val_loss == run.val_loss
    assert again.config == run.config == Seq2SeqConfig(**{**TINY, "learning_rate": 0.01,
                                                         "rnn_cell_type": "lstm"})


def test_the_exported_code_of_an_own_file_run_names_the_file(make_lab):
    lab = make_lab(params=["learning_rate"], task="pairs", config=TINY,
                   task_options={"path": str(EXAMPLE), "tokens": "word/char"})
    assert lab.train() and lab.wait(120)
    namespace: dict = {}
    exec(lab.code(), namespace)
    assert namespace["history"].train_loss == lab.runs[-1].train_loss
    assert namespace["history"].train_loss == train(
        TINY, task="pairs", task_options={"path": str(EXAMPLE), "tokens": "word/char"}).train_loss


# ---- what a review found: limits, language, locks, shares that must not drop a change ----------
def test_the_file_s_length_limit_is_the_run_s_max_seq_len_source(make_lab, tmp_path):
    path = pairs_file(tmp_path, [("x" * 150, "long")] + [(f"w{i}", str(i)) for i in range(20)])
    lab = make_lab(params=["max_seq_len_source"], text_params=["max_seq_len_source"],
                   task="pairs", config=TINY, task_options={"path": str(path)})
    assert lab.train() is False and "line 1" in lab.message and "max_seq_len_source" in lab.message
    lab.controls["max_seq_len_source"].value = "200"
    assert lab.train() and lab.wait(120)
    assert lab.runs[-1].task_options["max_seq_len_source"] == 200


def test_file_messages_speak_the_lab_s_language(make_lab, tmp_path):
    bad = tmp_path / "bad.tsv"
    bad.write_text("one\t1\ntwo\n", encoding="utf-8")
    lab = make_lab(params=["learning_rate"], task="pairs", config=TINY,
                   task_options={"path": str(bad)}, language="ko")
    assert lab.train() is False and "2번째 줄" in lab.message and "열이 하나뿐" in lab.message


def test_no_file_chosen_says_so(make_lab):
    lab = make_lab(params=["learning_rate"], task="pairs", config=TINY)
    assert "no data file chosen" in lab.message
    assert lab.train() is False and "no data file chosen" in lab.message


def test_a_teacher_locks_the_data_file_and_its_tokens(make_lab):
    lab = make_lab(params=["learning_rate"], task="pairs", config=TINY, locked=["path", "tokens"],
                   task_options={"path": str(EXAMPLE), "tokens": "word/char"})
    row = lab.data_row
    assert row.path.disabled and row.upload.disabled and row.tokens.disabled
    again = make_lab(Lab.from_share, lab.share())
    assert again.locked == ("path", "tokens") and again.data_row.tokens.disabled


def test_a_share_keeps_the_data_seed_and_a_single_panel_name(make_lab):
    lab = make_lab(params=["learning_rate"], config=TINY, panels="gradient_norm",
                   task_options={**TASK, "seed": 3})
    again = make_lab(Lab.from_share, lab.share())
    assert again.task_options["seed"] == 3
    assert [p.name for p in again.figure.panels] == ["gradient_norm"]


def test_a_share_is_refused_while_a_control_holds_a_bad_value(make_lab):
    lab = make_lab(params=["learning_rate", "batch_size"], config=TINY,
                   text_params=["batch_size"])
    lab.controls["learning_rate"].value = 0.01
    lab.controls["batch_size"].value = "many"
    assert lab.share() is None and lab.setup() is None
    assert "batch_size" in lab.message            # the reason, not a share without the change
    lab.controls["batch_size"].value = "16"
    assert Lab.from_share(lab.share()).base_config.learning_rate == 0.01


def test_an_upload_that_cannot_be_written_is_a_message(make_lab, tmp_path):
    blocker = tmp_path / "not_a_folder"
    blocker.write_text("a file where the export folder should be")
    lab = make_lab(params=["learning_rate"], task="pairs", config=TINY,
                   export_dir=str(blocker))
    content = b"one\t1\ntwo\t2\n"
    lab.data_row.upload.value = ({"name": "p.tsv", "type": "", "size": len(content),
                                  "content": memoryview(content), "last_modified": NOW},)
    assert "not_a_folder" in lab.message and lab.data_row.path.value == ""


def test_an_upload_never_follows_a_link_out_of_its_folder(make_lab, tmp_path):
    lab = make_lab(params=["learning_rate"], task="pairs", config=TINY)
    folder = tmp_path / "runs" / "data"
    folder.mkdir(parents=True)
    outside = tmp_path / "outside.txt"
    (folder / "p.tsv").symlink_to(outside)        # dangling: exists() is False for it
    saved = lab.data_row.save("p.tsv", b"one\t1\ntwo\t2\n")
    assert saved.name == "p-2.tsv" and not outside.exists()
