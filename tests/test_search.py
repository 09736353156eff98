"""Hyperparameter search on Optuna (search.py) and ``seq2seq-lab search``: every strategy on a
tiny space with a real budget, the budget's accounting, pruning, resuming, divergence, and
the bad-input battery.  Each study is an SQLite file in the test's own folder."""
import csv
import math
import threading

import pytest

from seq2seq_lab import Seq2SeqConfig, train
from seq2seq_lab.cli import main, parse_space
from seq2seq_lab.search import (DIVERGED_VALUE, SearchError, build_space, create_study,
                                load_search, mask_url, search)

# Tiny trials (~0.1-0.3 s): a 8-unit GRU on 4-token sequences, 4 batches an epoch, a
# 16-example validation set, evaluated every 10 batches.
BASE = dict(rnn_num_hidden=8, num_embed_source=8, num_embed_target=8, batch_size=16,
            checkpoint_frequency_num_batches=10)
OPTIONS = dict(seq_len=4, train_size=64, val_size=16, test_size=0)
SPACE = {"learning_rate": (1e-3, 0.1), "rnn_cell_type": ["gru", "rnn"]}
TRIAL = 20


def tiny(tmp_path, strategy, budget, **kwargs):
    kwargs = {"space": SPACE, "base": BASE, "task_options": OPTIONS, "trial_batches": TRIAL,
              "storage": tmp_path / "search.db", **kwargs}
    return search(strategy=strategy, budget=budget, **kwargs)


@pytest.mark.parametrize("strategy", ["grid", "random", "quasi_random", "tpe"])
def test_each_strategy_spends_its_budget_on_trials_of_the_space(tmp_path, strategy):
    result = tiny(tmp_path, strategy, budget=2 * TRIAL + 15)
    assert [trial.state for trial in result.trials] == ["complete"] * 2
    assert result.batches_spent == 2 * TRIAL <= result.budget   # a third would not fit
    for trial in result.trials:
        assert 1e-3 <= trial.params["learning_rate"] <= 0.1
        assert trial.params["rnn_cell_type"] in ("gru", "rnn")
        assert trial.history.steps == trial.batches == TRIAL
        # The trial's score is its history's best validation loss, reported at each evaluation.
        assert trial.value == min(trial.history.val_loss)
        assert trial.intermediate == dict(zip(trial.history.eval_steps, trial.history.val_loss))
    assert result.trials[0].params != result.trials[1].params
    assert result.best_value == min(trial.value for trial in result.trials)
    best = result.best_trial
    assert result.best_config == Seq2SeqConfig(**BASE, **best.params, max_num_batches=TRIAL,
                                               max_num_epochs=5)
    if strategy == "grid":   # a grid tries its own points: the learning rate's slider stops
        assert {t.params["learning_rate"] for t in result.trials} <= {1e-3, 3e-3, 1e-2, 3e-2, 0.1}
    if strategy == "random":   # a trial is the very run train() gives for its config
        again = train(result.best_config, task="reverse", task_options=OPTIONS, seed=0)
        assert again.val_loss == best.history.val_loss


def test_hyperband_prunes_weak_trials_and_a_pruned_trial_costs_what_it_trained(tmp_path):
    result = tiny(tmp_path, "hyperband", budget=6 * 40, trial_batches=40)
    pruned = [trial for trial in result.trials if trial.state == "pruned"]
    assert pruned and any(trial.state == "complete" for trial in result.trials)
    # Stopped at a rung of Hyperband (evaluations every 10 batches; eta 3): 10 or 30, not 40.
    assert all(trial.batches in (10, 30) and trial.history.steps == trial.batches
               for trial in pruned)
    assert result.batches_spent == sum(trial.batches for trial in result.trials)
    assert result.batches_spent <= result.budget < result.batches_spent + 40
    # The batches pruning saved bought more trials than 6 whole ones.
    assert len(result.trials) > 6


def test_a_second_search_resumes_the_same_study(tmp_path):
    first = tiny(tmp_path, "tpe", budget=TRIAL, study_name="resume")
    # Joining: the settings left out are the study's own.
    second = search(budget=TRIAL, storage=tmp_path / "search.db", study_name="resume")
    assert [t.number for t in first.trials] == [0] and [t.number for t in second.trials] == [1]
    assert second.settings == first.settings
    assert [t.number for t in second.all_trials()] == [0, 1]
    assert second.best_value == min(t.value for t in first.trials + second.trials)
    # A joining worker samples with a seed of its own, not the same values again.
    assert first.trials[0].params != second.trials[0].params
    # Settings that differ from the study's are refused, naming the setting.
    with pytest.raises(SearchError, match="strategy = tpe, not random"):
        search(strategy="random", budget=TRIAL, storage=tmp_path / "search.db",
               study_name="resume")
    with pytest.raises(SearchError, match="created with space"):
        search({"learning_rate": (1e-4, 1e-2)}, budget=TRIAL, storage=tmp_path / "search.db",
               study_name="resume")


def test_a_diverged_trial_is_a_marked_result_not_a_failure(tmp_path):
    # Adam at the highest rate the config allows, unclipped, blows up within a few batches.
    result = tiny(tmp_path, "grid", budget=2 * TRIAL, space={"learning_rate": [3e-3, 10.0]},
                  base={**BASE, "clip_gradient": -1.0})
    by_rate = {trial.params["learning_rate"]: trial for trial in result.trials}
    diverged, fine = by_rate[10.0], by_rate[3e-3]
    assert diverged.state == "complete" and diverged.diverged and diverged.history.diverged
    assert diverged.value == DIVERGED_VALUE and diverged.batches < TRIAL
    stored = next(t for t in result.study.trials if t.number == diverged.number)
    assert stored.user_attrs["diverged"] is True
    assert not fine.diverged and fine.value < 5
    assert result.best_trial.number == fine.number
    assert result.batches_spent == TRIAL + diverged.batches


def test_stop_event_ends_the_search_within_a_batch_and_marks_the_trial(tmp_path):
    stop = threading.Event()

    class StopAtBatch5:
        def on_batch_end(self, history):
            if history.steps == 5:
                stop.set()

    result = tiny(tmp_path, "tpe", budget=10 * TRIAL, stop_event=stop, callbacks=[StopAtBatch5()])
    assert [(t.state, t.batches) for t in result.trials] == [("pruned", 5)]
    assert result.study.trials[0].user_attrs["stopped"] is True
    assert result.batches_spent == 5


def test_a_trial_another_worker_failed_as_dead_is_not_told_twice(tmp_path):
    """A laptop that slept past the grace period finds its trial failed (and retried by
    another worker): its late result is dropped, and the search goes on."""
    class FailedElsewhere:
        def on_trial_start(self, number, params):
            self.number = number

        def on_batch_end(self, history):
            if self.number == 0 and history.steps == 3:
                study = result_holder["study"]
                trial_id = next(t._trial_id for t in study.trials if t.number == 0)
                study._storage.set_trial_state_values(trial_id, state=TrialState.FAIL)

    from optuna.trial import TrialState
    result_holder = {}
    created = create_study(SPACE, "random", storage=tmp_path / "search.db", study_name="sleepy",
                           base=BASE, task_options=OPTIONS, trial_batches=TRIAL)
    result_holder["study"] = created.study
    result = search(budget=2 * TRIAL, storage=tmp_path / "search.db", study_name="sleepy",
                    callbacks=[FailedElsewhere()])
    # Trial 0 learnt it at its first evaluation and stopped there; its batches were spent.
    assert [(t.number, t.state, t.batches) for t in result.trials] == [(0, "fail", 10),
                                                                       (1, "complete", TRIAL)]
    assert result.batches_spent == 10 + TRIAL
    assert [t.state for t in load_search(tmp_path / "search.db", "sleepy").all_trials()] == [
        "fail", "complete"]


def test_space_from_names_uses_each_fields_metadata():
    space = {d.name: d for d in build_space(["learning_rate", "rnn_num_hidden", "rnn_cell_type",
                                             "momentum", "rnn_residual_connections", "seq_len"])}
    assert (space["learning_rate"].kind, space["learning_rate"].log) == ("float", True)
    assert (space["learning_rate"].low, space["learning_rate"].high) == (1e-5, 3.0)
    assert (space["rnn_num_hidden"].kind, space["rnn_num_hidden"].log) == ("int", True)
    assert space["rnn_cell_type"].choices == ("rnn", "gru", "lstm")
    assert (space["momentum"].low, space["momentum"].high, space["momentum"].log) == (0.0, 0.999,
                                                                                      False)
    assert space["rnn_residual_connections"].choices == (False, True)
    assert space["seq_len"].task_option and space["seq_len"].kind == "int"
    # Grid points: slider stops where the field has them, else GRID_POINTS spread evenly.
    assert space["learning_rate"].grid_values()[:3] == [1e-5, 3e-5, 1e-4]
    assert space["rnn_num_hidden"].grid_values() == [8, 45, 256]
    assert space["momentum"].grid_values() == [0.0, 0.499, 0.999]   # 3 digits
    # A range from 0 cannot be log-scaled; text values are converted as the config does.
    (decay,) = build_space({"weight_decay": ("0", "0.1")})
    assert (decay.low, decay.high, decay.log) == (0.0, 0.1, False)


@pytest.mark.parametrize("space, words", [
    ({"learning_rat": (1e-4, 1e-2)}, ["learning_rat", "did you mean learning_rate"]),
    ({"learning_rate": (0.1, 0.001)}, ["learning_rate", "inverted", "0.1 .. 0.001"]),
    ({"learning_rate": (0.01, 0.01)}, ["learning_rate", "empty"]),
    ({"rnn_num_hidden": (16.5, 64)}, ["rnn_num_hidden", "whole number"]),
    ({"learning_rate": (1e-4, 100.0)}, ["learning_rate", "between"]),
    ({"rnn_cell_type": ["gru", "transformer"]}, ["rnn_cell_type", "transformer"]),
    ({"rnn_cell_type": []}, ["rnn_cell_type", "empty"]),
    ({"learning_rate": 0.1}, ["learning_rate", "(low, high)"]),
    ({"max_num_batches": (10, 20)}, ["max_num_batches", "trial_batches"]),
    ({}, ["empty"]),
])
def test_a_bad_space_is_a_message_naming_the_problem(space, words):
    with pytest.raises(SearchError) as caught:
        build_space(space)
    for word in words:
        assert word in str(caught.value)


def test_bad_strategy_budget_and_storage_are_messages(tmp_path):
    with pytest.raises(SearchError, match="unknown search strategy 'tpx': did you mean tpe"):
        tiny(tmp_path, "tpx", budget=100)
    for budget in (0, -5, 2.5, True):
        with pytest.raises(SearchError, match="budget must be a whole number"):
            tiny(tmp_path, "tpe", budget=budget)
    with pytest.raises(SearchError, match="budget of 10 batches cannot pay for one trial of 20"):
        tiny(tmp_path, "tpe", budget=10)
    with pytest.raises(SearchError, match="not a storage"):
        tiny(tmp_path, "tpe", budget=100, storage="http://example.org/db")
    with pytest.raises(SearchError, match="no study 'missing'.*studies there: -"):
        load_search(tmp_path / "empty.db", "missing")


def test_messages_come_in_korean_too(tmp_path):
    from seq2seq_lab import set_language
    set_language("ko")
    with pytest.raises(SearchError, match="탐색 전략") as caught:
        tiny(tmp_path, "tpx", budget=100)
    assert "unknown search strategy" in caught.value.message("en")


def test_a_password_never_shows_and_callbacks_hear_each_trial(tmp_path):
    url = "postgresql://learner:s3cret-pw@127.0.0.1:1/class"
    assert mask_url(url) == "postgresql://learner:***@127.0.0.1:1/class"
    with pytest.raises(SearchError) as caught:
        search(SPACE, "tpe", budget=100, storage=url)
    error = caught.value
    assert "cannot reach the database at postgresql://learner:***@127.0.0.1:1/class" in str(error)
    for text in (str(error), repr(error), error.message("ko"), repr(error.values)):
        assert "s3cret-pw" not in text
    assert error.__cause__ is None and error.__suppress_context__   # no chained driver error
    # What a search stores and shows holds no URL at all, or the masked one.
    heard = []

    class Listen:
        def on_trial_start(self, number, params):
            heard.append(("start", number, sorted(params)))

        def on_evaluation_end(self, history):
            heard.append(("evaluation", history.steps))

        def on_trial_end(self, trial):
            heard.append(("end", trial.number, trial.state))

    result = tiny(tmp_path, "random", budget=TRIAL, callbacks=[Listen()])
    assert heard == [("start", 0, ["learning_rate", "rnn_cell_type"]), ("evaluation", 10),
                     ("evaluation", 20), ("end", 0, "complete")]
    assert "***" not in repr(result) and "s3cret" not in repr(result)
    path = tmp_path / "trials.csv"
    result.to_csv(path)
    rows = list(csv.DictReader(path.open()))
    assert rows[0]["state"] == "complete" and math.isclose(float(rows[0]["val_loss"]),
                                                           result.trials[0].value)


def test_cli_space_flags_become_a_space():
    assert parse_space(["learning_rate=1e-4:0.1", "rnn_cell_type=gru,lstm", "rnn_num_hidden"]) == {
        "learning_rate": ("1e-4", "0.1"), "rnn_cell_type": ["gru", "lstm"], "rnn_num_hidden": None}


def test_cli_searches_then_reports(tmp_path, capsys):
    flags = ["--storage", str(tmp_path / "cli.db"), "--study", "cli", "--strategy", "random",
             "--space", "learning_rate=1e-3:0.1", "--space", "rnn_cell_type=gru,rnn",
             "--seq_len", "4", "--train_size", "64", "--val_size", "16", "--rnn_num_hidden", "8",
             "--num_embed_source", "8", "--num_embed_target", "8", "--batch_size", "16",
             "--checkpoint_frequency_num_batches", "10", "--trial_batches", str(TRIAL)]
    assert main(["search", *flags, "--budget", str(TRIAL + 5)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("trial 0 complete: val_loss ") and "learning_rate=" in out[0]
    assert out[1].startswith(f"spent {TRIAL} of {TRIAL + 5} batches on 1 trial in study 'cli'")
    assert main(["search", "--storage", str(tmp_path / "cli.db"), "--study", "cli",
                 "--report"]) == 0
    report = capsys.readouterr().out.splitlines()
    assert report[0] == "study 'cli' (random): 1 trial (1 complete)"
    assert report[1].split() == ["rank", "trial", "val_loss", "batches", "learning_rate",
                                 "rnn_cell_type"]
    assert report[3].split()[:2] == ["1", "0"] and len(report) == 4


@pytest.mark.parametrize("flags, words", [
    (["--budget", "100", "--strategy", "tpx"], "unknown search strategy 'tpx'"),
    (["--budget", "lots"], "--budget must be a whole number"),
    (["--budget", "0"], "budget must be a whole number"),
    (["--budget", "100", "--space", "learning_rat=1:2"], "did you mean learning_rate"),
    (["--budget", "100", "--space", "learning_rate=0.1:0.01"], "is inverted"),
    (["--budget", "100", "--rnn_num_hidden", "-3"], "rnn_num_hidden must be between"),
    (["--budget", "100", "--storage", "postgresql://u:pw-9z@127.0.0.1:1/x"], "cannot reach"),
    (["--report"], "which study?"),
    ([], "give --budget"),
    (["--budget", "100", "--bogus", "1"], "unexpected argument '--bogus'"),
])
def test_cli_bad_input_is_one_line_and_exit_2(tmp_path, monkeypatch, capsys, flags, words):
    monkeypatch.chdir(tmp_path)
    assert main(["search", *flags]) == 2
    captured = capsys.readouterr()
    assert captured.err.count("\n") == 1 and words in captured.err
    assert "Traceback" not in captured.err and "pw-9z" not in captured.err + captured.out


def test_every_search_message_has_both_languages_with_the_same_blanks():
    import string
    from seq2seq_lab.i18n import MESSAGES
    keys = [key for key in MESSAGES if key.startswith("search_")]
    assert len(keys) >= 20
    for key in keys:
        blanks = [{name for _, name, _, _ in string.Formatter().parse(MESSAGES[key][language])
                   if name} for language in ("en", "ko")]
        assert blanks[0] == blanks[1], key
