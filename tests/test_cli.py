import subprocess
import sys

import pytest

from seq2seq_lab import History
from seq2seq_lab.cli import main


@pytest.mark.parametrize("argv, message", [
    (["train", "--lerning_rate", "0.1"], "did you mean learning_rate"),
    (["train", "--learning_rate", "20"], "learning_rate must be between"),
    (["train", "--rnn_cell_type", "cnn"], "must be one of rnn, gru, lstm"),
    (["train", "--batch_size", "many"], "batch_size must be a whole number"),
    (["train", "--task", "revers"], "did you mean reverse"),
    (["nonsense"], "usage"),
])
def test_bad_flags_exit_2_with_the_config_message(argv, message, capsys):
    assert main(argv) == 2
    error = capsys.readouterr().err
    assert message in error and "Traceback" not in error


def test_train_logs_classic_lines_and_writes_outputs(tmp_path, capsys):
    out = tmp_path / "run"
    code = main(["train", "--task", "copy", "--seq_len", "5", "--train_size", "200", "--max_num_batches", "8",
                 "--checkpoint_frequency_num_batches", "4", "--rnn_num_hidden", "16", "--log_every", "2",
                 "--out", str(out)])
    assert code == 0
    captured = capsys.readouterr()
    assert "Epoch 1, Batch 2, Training Error: " in captured.err
    assert "Validation Error" in captured.err and "finished: 8 batches" in captured.out
    history = History.from_csv(out / "history.csv")
    assert history.steps == 8 and history.config.rnn_num_hidden == 16 and history.task == "copy"
    # the run's cost beside its result, as in the widgets' legends
    assert (f"finished: 8 batches in {history.wall_time:.1f} s ({history.steps_per_second:.0f} "
            f"steps/s, {history.num_parameters:,} weights)") in captured.out
    assert (out / "curves.png").read_bytes()[:4] == b"\x89PNG"
    assert "rnn_num_hidden: 16" in (out / "config.yaml").read_text()


def test_config_file_with_flag_override(tmp_path, capsys):
    (tmp_path / "c.yaml").write_text("rnn_num_hidden: 12\nmax_num_batches: 2\n")
    assert main(["train", "--config", str(tmp_path / "c.yaml"), "--max_num_batches", "3",
                 "--train_size", "100", "--out", str(tmp_path / "o")]) == 0
    history = History.from_csv(tmp_path / "o" / "history.csv")
    assert history.steps == 3 and history.config.rnn_num_hidden == 12


def test_describe_prints_the_table_in_both_languages():
    english = subprocess.run([sys.executable, "-m", "seq2seq_lab.cli", "describe"], capture_output=True,
                             text=True, check=True).stdout
    assert "rnn_num_hidden" in english and "1024" in english and "SageMaker" in english
    korean = subprocess.run([sys.executable, "-m", "seq2seq_lab.cli", "describe", "--language", "ko"],
                            capture_output=True, text=True, check=True).stdout
    assert "학습률" in korean or "보폭" in korean


def test_train_on_an_own_pairs_file(tmp_path, capsys):
    from seq2seq_lab.pairs import EXAMPLE
    out = tmp_path / "run"
    code = main(["train", "--task", "pairs", "--path", str(EXAMPLE), "--tokens", "word/char",
                 "--max_num_batches", "4", "--rnn_num_hidden", "16", "--out", str(out)])
    assert code == 0 and "finished: 4 batches" in capsys.readouterr().out
    history = History.from_csv(out / "history.csv")
    assert history.task == "pairs" and history.task_options["path"] == str(EXAMPLE)
    assert history.task_options["tokens"] == "word/char"


def test_train_a_shared_setup_flags_win(tmp_path, capsys):
    from seq2seq_lab import Setup
    text = Setup(config={"rnn_num_hidden": 16, "max_num_batches": 3, "learning_rate": 0.01},
                 task_options={"train_size": 100, "val_size": 20}, seed=4).to_text()
    out = tmp_path / "run"
    assert main(["train", "--share", text, "--max_num_batches", "2", "--out", str(out)]) == 0
    history = History.from_csv(out / "history.csv")
    assert history.config.learning_rate == 0.01 and history.config.rnn_num_hidden == 16
    assert history.steps == 2 and history.seed == 4 and history.task_options["train_size"] == 100


@pytest.mark.parametrize("argv, message", [
    (["--share", "s2s1.not-a-share"], "set-up"),
    (["--task", "pairs"], "--task pairs needs --path"),
    (["--path", "x.tsv"], "--path and --tokens are for --task pairs"),
])
def test_bad_share_or_pairs_flags_exit_2_with_a_message(argv, message, capsys):
    assert main(["train", *argv]) == 2
    error = capsys.readouterr().err
    assert message in error and "Traceback" not in error


def test_a_file_share_with_another_task_and_the_config_s_limits(tmp_path, capsys):
    from seq2seq_lab import Setup
    long = tmp_path / "long.tsv"
    long.write_text("".join([f"{'x' * 150}\tlong\n"] + [f"w{i}\t{i}\n" for i in range(20)]))
    share = Setup(task="pairs", task_options={"path": str(long)},
                  config={"max_num_batches": 2, "rnn_num_hidden": 16}).to_text()
    # --task reverse: the shared file options are dropped with the shared task
    assert main(["train", "--share", share, "--task", "reverse", "--train_size", "100"]) == 0
    # the file's rows are checked against the run's own max_seq_len_source
    assert main(["train", "--share", share]) == 2
    assert "max_seq_len_source" in capsys.readouterr().err
    assert main(["train", "--share", share, "--max_seq_len_source", "200"]) == 0
    assert main(["train", "--task", "pairs", "--path", str(long), "--seq_len", "5"]) == 2
    assert "seq_len is not for the pairs task" in capsys.readouterr().err
