"""diagnose(): the labelled battery of real runs (``seq2seq_lab/diagnose/cases.py``: whole
runs, runs in progress, runs stopped, seeds, beside the other runs of their figure), then edge
cases on hand-made Histories."""
import copy
import math

import pytest
import torch

from lesson_runs import lesson_runs, lesson_seeds
from seq2seq_lab import Diagnosis, History, Seq2SeqConfig, diagnose, preset
from seq2seq_lab.config import format_value
from seq2seq_lab.diagnose import KINDS, diagnose_seeds
from seq2seq_lab.diagnose.cases import CASES, GROUPS, history_at, train_group, verdict_of
from seq2seq_lab.diagnose.rules import TOO_LARGE, TOO_SMALL


def shared_group(name: str) -> list[History] | None:
    """A group that is the default preset varied in one setting (lesson 01's rates at seed 0,
    its 1e-3 over seeds) from the lesson tests' shared runs, labelled as its own ``compare``
    labels them; None for any other group.  The runs are the same either way (a compared run
    equals its lone run), so lesson 01's tests and this battery train them once between them."""
    group, default = GROUPS[name], preset("default", fast=False)
    if len(group.vary) != 1:
        return None
    (param, values), = group.vary.items()
    if (group.task, group.options) != (default.task, default.task_options) or \
            Seq2SeqConfig(**group.overrides) != default.config.replace(**group.overrides):
        return None
    if param == "seed":
        pairs = zip(lesson_seeds("default", values, **group.overrides),
                    (f"seed={seed}" for seed in values))
    else:
        got = lesson_runs("default", param, values, seeds=(0,), **group.overrides)
        pairs = [(got[(value, 0)], f"{param}={format_value(value)}") for value in values]
    histories = []
    for history, label in pairs:
        history = copy.copy(history)   # the shared run stays as the lesson tests see it
        history.label = label
        histories.append(history)
    return histories


@pytest.fixture(scope="module")
def runs():
    """Each group trained once, on first use (training runs at 1 torch thread: repeatable)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    trained = {}

    def get(name):
        if name not in trained:
            trained[name] = shared_group(name) or train_group(name)
        return trained[name]
    yield get
    torch.set_num_threads(threads)


def test_the_battery_is_large_and_covers_the_kinds():
    assert len(CASES) >= 30
    expected = {kind for case in CASES for kind in case.expect}
    assert {"diverged", "not_learning", "too_slow", "learning", "stalled", "unstable",
            "overfitting", "underfitting", "good", "mixed"} <= expected
    assert len({case.name for case in CASES}) == len(CASES)
    assert all(case.group in GROUPS for case in CASES)
    assert {GROUPS[c.group].task for c in CASES} >= {"reverse", "copy", "sort"}
    assert any(c.stopped for c in CASES) and any(c.in_progress for c in CASES)


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_battery_case(case, runs):
    histories = runs(case.group)
    verdict = verdict_of(case, histories, "en")
    shown = f"{case.name}: {verdict.kind}: {verdict}"
    assert verdict.kind in case.expect, shown
    assert verdict.kind not in case.wrong
    assert verdict.message and verdict.next_step
    for phrase in case.says:
        assert phrase in str(verdict), (phrase, shown)
    for phrase in case.never_says:
        assert phrase not in str(verdict), (phrase, shown)
    # Korean: the same kind, other words.
    korean = verdict_of(case, histories, "ko")
    assert korean.kind == verdict.kind and korean.message != verdict.message
    # A run in progress never claims an ending; a stopped one says so first.
    if case.in_progress:
        assert "So far (step" in verdict.message and "지금까지" in korean.message
        for ending in ("went well", "training stopped", "when the run ended"):
            assert ending not in verdict.message, shown
    if case.stopped:
        assert f"Stopped by you at step {case.at} of " in verdict.message
    # Never suggest a rate that a visible run of the same setting showed to fail.
    if case.with_others and len(case.labels) == 1:
        judged = next(h for h in histories if h.label in case.labels)
        for other in histories:
            if other.label in case.labels or other.config.replace(
                    learning_rate=judged.config.learning_rate) != judged.config:
                continue
            seen = other if case.at is None else history_at(other, case.at, case.stopped)
            other_kind = diagnose(seen, "en", in_progress=case.in_progress).kind
            if other_kind in TOO_SMALL or (other_kind in TOO_LARGE and other_kind != "unstable"):
                rate = format_value(other.config.learning_rate)
                assert f"try {rate} " not in verdict.next_step, (rate, other_kind, shown)
                assert f"({rate} instead" not in verdict.next_step, (rate, other_kind, shown)


def test_evidence_is_cited(runs):
    """The numbers in a message are the evidence's numbers."""
    histories = runs("lesson01_rates")
    stalled = next(h for h in histories if h.label == "learning_rate=0.1")
    verdict = diagnose(stalled, "en")
    e = verdict.evidence
    assert f"went flat at {format_value(e['final_train_loss'])}" in verdict.message
    assert f"{100 * e['final_val_accuracy']:.0f}% validation accuracy" in verdict.message
    seeds = [h for h in runs("lesson01_seeds")]
    mixed = diagnose(seeds, "en")          # a list: the seeds verdict
    accuracies = [h.val_accuracy[-1] for h in seeds]
    assert mixed.kind == "mixed"
    assert f"from {100 * min(accuracies):.0f}% to {100 * max(accuracies):.0f}%" in mixed.message
    assert mixed.evidence["kinds"] == [diagnose(h, "en").kind for h in seeds]


def test_in_progress_verdicts_along_a_run(runs):
    """Every 8 steps of lesson 01's runs, as the live widget sees them: "so far", never an
    ending, never diverged before the monitor stopped the run."""
    for history in runs("lesson01_rates"):
        for steps in range(8, history.steps, 8):
            partial = history_at(history, steps)
            verdict = diagnose(partial, "en", in_progress=True)
            assert verdict.kind in KINDS
            if verdict.kind != "pending":
                assert verdict.message.startswith(f"So far (step {steps} of 160)")
            assert "went well" not in verdict.message and "training stopped" not in verdict.message
            assert verdict.kind not in ("diverged", "underfitting", "oscillating"), (
                history.label, steps, str(verdict))


# ---- hand-made Histories -------------------------------------------------------------------
def test_empty_and_partial_histories_are_pending_and_never_raise():
    config = Seq2SeqConfig()
    empty = diagnose(History(config=config))
    assert isinstance(empty, Diagnosis) and empty.kind == "pending"
    assert "0 batches" in empty.message
    one_eval = History(config=config, train_loss=[2.6, 2.5, 2.4], lrs=[3e-3] * 3, eval_steps=[3],
                       val_loss=[2.4], val_accuracy=[0.1], val_exact=[0.0])
    assert diagnose(one_eval).kind == "pending"
    assert diagnose(one_eval, in_progress=True, planned_steps=160).kind == "pending"
    batches_only = History(config=config, train_loss=[2.6], lrs=[3e-3])
    assert diagnose(batches_only).kind == "pending"
    # Lists of unequal length (a History caught between a batch and its evaluation).
    racing = History(config=config, train_loss=[2.6, 2.4, 2.3, 2.2], lrs=[3e-3] * 4,
                     eval_steps=[2, 4], val_loss=[2.5], val_accuracy=[])
    assert diagnose(racing).kind in KINDS
    assert diagnose_seeds([]).kind == "pending"


def test_hand_made_divergence_and_nan():
    config = Seq2SeqConfig(learning_rate=0.5)
    flagged = History(config=config, train_loss=[2.6, 9.0, 40.0], lrs=[0.5] * 3, diverged=True,
                      diverged_step=4)
    verdict = diagnose(flagged)
    assert verdict.kind == "diverged" and "step 4" in verdict.message and "0.05" in verdict.next_step
    nan = History(config=config, train_loss=[2.6, 2.5, math.nan], lrs=[0.5] * 3)
    assert diagnose(nan).kind == "diverged"
    # Not flagged, still training: the curve is above its start, the run goes on.
    rising = History(config=config, train_loss=[2.6, 5.0, 6.0, 7.0], lrs=[0.5] * 4)
    verdict = diagnose(rising, "en", in_progress=True, planned_steps=160)
    assert verdict.kind == "unstable" and "training stopped" not in verdict.message
    assert verdict.message.startswith("So far (step 4 of 160)")
    # Stopped there by the learner: no "will be stopped", and the rate advice of a blow-up.
    rising.stopped_by_user = True
    verdict = diagnose(rising, "en", planned_steps=160)
    assert verdict.message.startswith("Stopped by you at step 4 of 160")
    assert "will be stopped" not in verdict.message and "0.05 instead of 0.5" in verdict.next_step


def test_hand_made_overfitting_cites_its_numbers():
    config = Seq2SeqConfig(checkpoint_frequency_num_batches=10)
    train_loss = [2.5 - 0.04 * i for i in range(60)]           # falls all the way
    history = History(config=config, train_loss=train_loss, lrs=[3e-3] * 60,
                      eval_steps=[10, 20, 30, 40, 50, 60],
                      val_loss=[2.0, 1.5, 1.7, 1.9, 2.1, 2.3], val_accuracy=[0.2] * 6)
    verdict = diagnose(history)
    assert verdict.kind == "overfitting"
    assert "risen for 4 evaluations since step 20" in verdict.message
    assert "from 1.5 to 2.3" in verdict.message
    assert verdict.evidence["best_step"] == 20


def test_too_weak_is_not_advised_when_the_same_model_learned_on_the_figure():
    """A plateau of SGD looks like a weak model; an Adam run of the same model beside it that
    learned shows it is not."""
    sgd = Seq2SeqConfig(optimizer_type="sgd", learning_rate=1.0, checkpoint_frequency_num_batches=10)
    flat = [2.6] + [1.9 + 0.01 * (i % 3) for i in range(79)]
    plateau = History(config=sgd, train_loss=flat, lrs=[1.0] * 80,
                      eval_steps=list(range(10, 90, 10)), val_loss=[2.0] + [1.9] * 7,
                      val_accuracy=[0.15] * 8)
    alone = diagnose(plateau, "en")
    assert alone.kind == "underfitting" and "rnn_num_hidden=256" in alone.next_step
    adam = History(config=Seq2SeqConfig(checkpoint_frequency_num_batches=10),
                   train_loss=[2.6 - 0.03 * i for i in range(80)], lrs=[3e-3] * 80,
                   eval_steps=list(range(10, 90, 10)),
                   val_loss=[2.0, 1.5, 1.0, 0.6, 0.3, 0.2, 0.1, 0.05],
                   val_accuracy=[0.2, 0.4, 0.6, 0.8, 0.9, 0.95, 0.97, 0.98])
    beside = diagnose(plateau, "en", others=[adam])
    assert "rnn_num_hidden" not in beside.next_step
    assert "reached 98% on this figure with learning_rate=0.003, optimizer_type=adam" in beside.next_step
    # A bigger model that did well says nothing about this one.
    bigger = History(**{**adam.__dict__, "config": adam.config.replace(rnn_num_hidden=256)})
    assert "rnn_num_hidden=256" in diagnose(plateau, "en", others=[bigger]).next_step


def test_too_weak_is_not_advised_when_a_model_no_bigger_learned():
    """Lesson 07's Compare of the LSTM's forget bias: bias 0 sits at guessing beside bias 2,
    which learned with the same weights; and beside a GRU with fewer weights."""
    lstm = Seq2SeqConfig(rnn_cell_type="lstm", rnn_attention_type="none",
                         checkpoint_frequency_num_batches=10)
    stuck = History(config=lstm, num_parameters=60_302,       # down to guessing, then flat
                    train_loss=[2.6] + [1.73 + 0.01 * (i % 3) for i in range(79)],
                    lrs=[3e-3] * 80, eval_steps=list(range(10, 90, 10)),
                    val_loss=[1.8] + [1.73] * 7, val_accuracy=[0.33] * 8)
    assert diagnose(stuck, "en").kind == "underfitting"
    learned = History(config=lstm.replace(lstm_forget_bias=2.0), num_parameters=60_302,
                      train_loss=[2.6 - 0.03 * i for i in range(80)], lrs=[3e-3] * 80,
                      eval_steps=list(range(10, 90, 10)),
                      val_loss=[2.0, 1.5, 1.0, 0.6, 0.3, 0.2, 0.1, 0.05],
                      val_accuracy=[0.2, 0.4, 0.6, 0.8, 0.9, 0.95, 0.97, 0.98])
    beside = diagnose(stuck, "en", others=[learned])
    assert beside.next_step.startswith("A model no bigger (60,302 weights) reached 98%")
    assert "lstm_forget_bias=2" in beside.next_step and "rnn_num_hidden" not in beside.next_step
    # A model with more weights that learned says nothing about this one's size.
    more = History(**{**learned.__dict__, "num_parameters": 90_000})
    assert "rnn_num_hidden=256" in diagnose(stuck, "en", others=[more]).next_step


def test_hand_made_bouncing_is_oscillating_and_a_flat_line_is_not():
    """Oscillating needs a bounce a learner sees: the validation loss up by 25%+ twice."""
    config = Seq2SeqConfig(learning_rate=0.02, checkpoint_frequency_num_batches=10)
    train_loss = [2.6] + [0.3 + 0.1 * (i % 2) for i in range(79)]   # flat, learned a lot
    bouncing = History(config=config, train_loss=train_loss, lrs=[0.02] * 80,
                       eval_steps=list(range(10, 90, 10)),
                       val_loss=[1.0, 0.4, 0.6, 0.35, 0.55, 0.3, 0.5, 0.36],
                       val_accuracy=[0.5, 0.8, 0.7, 0.85, 0.75, 0.86, 0.77, 0.85])
    assert diagnose(bouncing).kind == "oscillating"
    flat = History(config=config, train_loss=train_loss, lrs=[0.02] * 80,
                   eval_steps=list(range(10, 90, 10)),
                   val_loss=[1.0, 0.4, 0.41, 0.4, 0.41, 0.4, 0.41, 0.4],
                   val_accuracy=[0.5, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8])
    assert diagnose(flat).kind != "oscillating"


def test_advice_never_names_a_setting_the_run_already_uses():
    """Capacity and overfitting advice list only what the run does not do already (lesson 06
    was told to add attention to runs with attention and early stopping to runs with it)."""
    from seq2seq_lab.diagnose import _capacity, _remedies
    sizes = {"bigger": 256, "hidden": 64}
    plain = Seq2SeqConfig(rnn_attention_type="none")
    assert "rnn_attention_type=mlp" in _capacity(plain, sizes, "en")
    assert "num_layers_encoder=2" in _capacity(plain, sizes, "en")
    assert "attention" not in _capacity(Seq2SeqConfig(), sizes, "en")          # mlp already
    assert "num_layers" not in _capacity(Seq2SeqConfig(num_layers_encoder=3), sizes, "en")
    assert "early_stopping_patience" in _remedies(plain, "en")
    assert "weight_decay" in _remedies(plain, "en") and "dropout (" in _remedies(plain, "en")
    regularised = plain.replace(early_stopping_patience=3, weight_decay=1e-3,
                                embed_dropout_target=0.3)
    remedies = _remedies(regularised, "en")
    assert "early_stopping" not in remedies and "weight_decay" not in remedies
    assert "more dropout" in remedies and "조기 종료" not in _remedies(regularised, "ko")
