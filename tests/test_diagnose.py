"""diagnose(): each verdict on real runs built to show it (the ``diagnose_*`` presets, three
seeds each), and edge cases on hand-made Histories."""
import math

import pytest

from seq2seq_lab import Diagnosis, History, Seq2SeqConfig, compare, diagnose, preset
from seq2seq_lab.diagnose import KINDS
from seq2seq_lab.presets import LESSON_01_COMPARE_RATES


@pytest.mark.parametrize("kind", ["good", "diverged", "too_slow", "oscillating", "overfitting",
                                  "underfitting"])
def test_real_runs_get_the_verdict_they_were_built_for(kind):
    setting = preset(f"diagnose_{kind}", fast=False)
    # compare() trains the three seeds as one batched model (each equals a lone train()).
    histories = compare(setting.config, {"seed": [0, 1, 2]}, task=setting.task,
                        task_options=setting.task_options)
    for history in histories:
        verdict = diagnose(history, "en")
        assert verdict.kind == kind, (history.label, verdict.message, verdict.evidence)
        assert verdict.next_step and verdict.message
        korean = diagnose(history, "ko")
        assert korean.kind == kind and korean.message != verdict.message
        e = verdict.evidence
        # The message cites the evidence it was read from.
        if kind == "overfitting":
            assert f"since step {e['best_step']}" in verdict.message
            assert f"for {e['evaluations_since_best']} evaluations" in verdict.message
        elif kind == "diverged":
            assert f"at step {history.diverged_step}" in verdict.message
            assert "10x smaller" in verdict.next_step
        elif kind == "too_slow":
            assert f"only {100 * e['progress']:.0f}%" in verdict.message
            assert "10x larger" in verdict.next_step
        elif kind == "oscillating":
            assert f"went up in {e['val_rises']} of its last {e['val_changes']}" in verdict.message
            assert f"jumping by {100 * e['batch_to_batch_change']:.0f}%" in verdict.message
        elif kind == "underfitting":
            assert "rnn_num_hidden=16 instead of 4" in verdict.next_step
        else:
            assert f"{100 * e['final_val_accuracy']:.0f}%" in verdict.message


def test_a_run_still_learning_fast_at_the_end_is_not_called_underfitting():
    """Lesson 01's Compare cell: 0.001 is still falling steeply after 160 steps (87-96%
    accuracy).  "The model is too weak" would send the learner the wrong way."""
    setting = preset("default", fast=False)   # the preset of lesson 01's Compare cell
    config = setting.config.replace(learning_rate=LESSON_01_COMPARE_RATES[1])   # 0.001
    histories = compare(config, {"seed": [0, 1, 2]}, task=setting.task,
                        task_options=setting.task_options)
    for history in histories:
        verdict = diagnose(history, "en")
        assert verdict.kind in ("good", "too_slow"), (history.label, verdict.message)
        if verdict.kind == "too_slow":
            second = 100 * verdict.evidence["second_half_progress"]
            assert f"fell {second:.0f}% in the second half" in verdict.message
            assert "train for more epochs" in verdict.next_step


def test_empty_and_partial_histories_are_pending_and_never_raise():
    config = Seq2SeqConfig()
    empty = diagnose(History(config=config))
    assert isinstance(empty, Diagnosis) and empty.kind == "pending"
    assert "0 batches" in empty.message
    one_eval = History(config=config, train_loss=[2.6, 2.5, 2.4], lrs=[3e-3] * 3, eval_steps=[3],
                       val_loss=[2.4], val_accuracy=[0.1], val_exact=[0.0])
    assert diagnose(one_eval).kind == "pending"
    batches_only = History(config=config, train_loss=[2.6], lrs=[3e-3])
    assert diagnose(batches_only).kind == "pending"
    # Lists of unequal length (a History caught between a batch and its evaluation).
    racing = History(config=config, train_loss=[2.6, 2.4, 2.3, 2.2], lrs=[3e-3] * 4,
                     eval_steps=[2, 4], val_loss=[2.5], val_accuracy=[])
    assert diagnose(racing).kind in KINDS


def test_hand_made_divergence_and_nan():
    config = Seq2SeqConfig(learning_rate=0.5)
    flagged = History(config=config, train_loss=[2.6, 9.0, 40.0], lrs=[0.5] * 3, diverged=True,
                      diverged_step=4)
    verdict = diagnose(flagged)
    assert verdict.kind == "diverged" and "step 4" in verdict.message and "0.05" in verdict.next_step
    nan = History(config=config, train_loss=[2.6, 2.5, math.nan], lrs=[0.5] * 3)
    assert diagnose(nan).kind == "diverged"


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
