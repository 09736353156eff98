"""Lesson 08's claims, trained with the lesson's own presets over seeds 0, 1 and 2.

The notebook (notebooks/08_seq2seq_hyperparameters.ipynb) says: on ``dates``, no attention
leaves the model far behind, fixed (uniform) attention helps part of the way, and the three
scored kinds (dot, bilinear, mlp) all learn, their heatmaps reading the month's letters for the
month's 4 and each of the year's last digits at its own place; a source embedding of 2 numbers
holds the model back, 8 get most of the way to 32, and the target embedding matters less; with
attention off the decoder's first state is all it knows (last > avg > zero, zero guessing),
with attention even zero learns; too large a uniform initial scale stalls with every batch
clipped and saturates at 3; plain SGD too fast blows up unclipped and learns clipped; the
90th-percentile rule, and that with Adam the norms do not reveal a bad rate and clipping at 1
changes little.  Each is asserted here on the same presets and values.

Every setting trains once per test process (``lesson_runs``, shared between claims), its
values and seeds spread over the worker processes by ``compare``.
"""
import math

import numpy as np
import pytest

from lesson_runs import SEEDS, lesson_runs
from seq2seq_lab import preset
from seq2seq_lab.attention_maps import attention_maps
from seq2seq_lab.gradients import clip_suggestion
from seq2seq_lab.presets import (LESSON_08_ADAM_RATES, LESSON_08_ATTENTION,
                                 LESSON_08_ATTENTION_ALL, LESSON_08_CLIPS, LESSON_08_EMBED_SIZES,
                                 LESSON_08_INIT_SCALES, LESSON_08_STATE_INITS)



runs = lesson_runs   # {(value, seed): History} of a preset at each value of a setting


def final(history):
    return history.val_accuracy[-1]


# ---- attention ----------------------------------------------------------------------------
def attention():
    """The widget's four and bilinear, which the lesson asks the learner to type in."""
    assert set(LESSON_08_ATTENTION) < set(LESSON_08_ATTENTION_ALL)
    return runs("lesson_08_attention", "rnn_attention_type", LESSON_08_ATTENTION_ALL)


@pytest.mark.parametrize("seed", SEEDS)
def test_scored_attention_learns_dates_fixed_helps_part_way_none_stays_behind(seed):
    got = {kind: attention()[(kind, seed)] for kind in LESSON_08_ATTENTION_ALL}
    assert all(h.steps == 160 and not h.diverged for h in got.values())
    assert final(got["none"]) < 0.75 and got["none"].val_exact[-1] < 0.05
    assert 0.7 < final(got["fixed"]) < 0.85
    assert final(got["none"]) + 0.05 < final(got["fixed"])
    for kind in ("dot", "bilinear", "mlp"):
        assert final(got[kind]) >= 0.93, kind
        assert final(got[kind]) > final(got["fixed"]) + 0.1
    # The parameter counts the lesson quotes: scorers add weights, fixed adds the same as dot.
    counts = {kind: h.num_parameters for kind, h in got.items()}
    assert counts["none"] < counts["fixed"] == counts["dot"] < counts["bilinear"] < counts["mlp"]


@pytest.mark.parametrize("seed", SEEDS)
def test_heatmaps_the_month_digit_reads_apr_the_year_digits_read_themselves(seed):
    """The probe is 'apr 29 2031' -> '2031-04-29'."""
    for kind in ("dot", "bilinear", "mlp"):
        probe = attention()[(kind, seed)].attention[-1]
        source, output, weights = probe["source"], probe["output"], np.array(probe["weights"])
        assert "".join(source) == "apr 29 2031" and "".join(output[:10]) == "2031-04-29"
        # the month's 4 (output 6): most of its weight on the letters a, p, r (source 0-2)
        assert int(np.argmax(weights[6])) <= 2 and weights[6][:3].sum() > 0.6, kind
        # the year's 3 and 1 (outputs 2, 3) look hardest at that very digit (source 9, 10)
        assert int(np.argmax(weights[2])) == 9 and int(np.argmax(weights[3])) == 10, kind
    fixed = attention()[("fixed", seed)].attention[-1]
    assert np.allclose(fixed["weights"], 1 / len(fixed["source"]), atol=1e-3)
    assert attention()[("none", seed)].attention == []


def test_attention_maps_draws_one_heatmap_per_run_and_asks_for_runs_when_there_are_none():
    image = attention_maps([attention()[(kind, 0)] for kind in LESSON_08_ATTENTION_ALL])
    assert image.data[:8] == b"\x89PNG\r\n\x1a\n"
    assert "Train" in attention_maps([])._repr_markdown_()


# ---- embeddings ---------------------------------------------------------------------------
def embeddings(side="source"):
    # dot attention (the preset's): at 32 this is the attention comparison's dot run
    return runs("lesson_08_embeddings", f"num_embed_{side}", LESSON_08_EMBED_SIZES)


@pytest.mark.parametrize("seed", SEEDS)
def test_a_tiny_source_embedding_holds_the_model_back_eight_get_most_of_the_way(seed):
    tiny, eight, default = (final(embeddings()[(size, seed)]) for size in LESSON_08_EMBED_SIZES)
    assert tiny < 0.72                    # "55-71%" on the three seeds
    assert 0.75 < eight < 0.9 and eight > tiny + 0.15
    assert default >= 0.93 and default > eight
    # ... and the embedding is a small part of the weights: 2 -> 32 adds ~7,000 of ~53,000
    weights = [embeddings()[(size, seed)].num_parameters for size in LESSON_08_EMBED_SIZES]
    assert weights[2] - weights[0] < 0.15 * weights[2]


@pytest.mark.parametrize("seed", SEEDS)
def test_the_target_embedding_matters_less(seed):
    one = runs("lesson_08_embeddings", "num_embed_target", (1,))[(1, seed)]
    default = embeddings()[(32, seed)]       # 32 on both sides: the preset itself
    two_source = embeddings()[(2, seed)]
    assert default.config.num_embed_target == 32
    assert final(one) >= 0.85 and final(default) - final(one) < 0.1
    assert final(default) - final(two_source) > 2 * (final(default) - final(one))


# ---- the decoder's first state ------------------------------------------------------------
def state_inits(attention_type="none", values=LESSON_08_STATE_INITS):
    return runs("lesson_08_state_init", "rnn_decoder_state_init", values,
                rnn_attention_type=attention_type)


@pytest.mark.parametrize("seed", SEEDS)
def test_without_attention_last_beats_avg_and_zero_is_guessing(seed):
    last, avg, zero = (final(state_inits()[(init, seed)]) for init in LESSON_08_STATE_INITS)
    assert 0.5 < last < 0.7               # "55-62%" on the three seeds
    assert last > avg + 0.1
    assert avg > zero + 0.2
    assert abs(zero - 1 / 11) < 0.03      # 10 digits and the end token: a blind guess
    assert abs(state_inits()[("zero", seed)].val_loss[-1] - math.log(10)) < 0.15


@pytest.mark.parametrize("seed", SEEDS)
def test_with_attention_even_a_zero_first_state_learns(seed):
    got = {init: final(state_inits("mlp", ("last", "zero"))[(init, seed)])
           for init in ("last", "zero")}
    assert got["last"] >= 0.98
    assert 0.8 < got["zero"] < got["last"]


# ---- initial weights ----------------------------------------------------------------------
def inits():
    return runs("lesson_08_init", "weight_init_scale", LESSON_08_INIT_SCALES)


@pytest.mark.parametrize("seed", SEEDS)
def test_too_large_an_initial_scale_stalls_and_saturates(seed):
    small, one, three = (inits()[(scale, seed)] for scale in LESSON_08_INIT_SCALES)
    assert final(small) >= 0.75
    assert final(one) < 0.3 and final(three) < 0.15
    # at 1 and 3 nearly every batch is clipped; at 3 the norms reach 10,000s and the loss
    # stays far above the guessing loss ln 11 = 2.4
    assert one.clipped_fraction > 0.9 and three.clipped_fraction > 0.9
    assert max(three.grad_norm) > 1e4 and three.val_loss[-1] > 8
    assert max(small.grad_norm) < max(one.grad_norm) < max(three.grad_norm)


# ---- clipping -----------------------------------------------------------------------------
def clips():
    return runs("lesson_08_clip", "clip_gradient", LESSON_08_CLIPS)


@pytest.mark.parametrize("seed", SEEDS)
def test_sgd_too_fast_blows_up_unclipped_and_learns_clipped(seed):
    off, on = (clips()[(clip, seed)] for clip in LESSON_08_CLIPS)
    assert off.diverged and off.diverged_step <= 30
    assert max(off.grad_norm) > 5 * on.config.clip_gradient       # the norms explode first
    assert not on.diverged and on.steps == 200
    assert 0.3 < final(on) and on.best_val_loss < 1.4
    assert 0.1 < on.clipped_fraction < 0.4


def adam_rates():
    return runs("lesson_08_clip_adam", "learning_rate", LESSON_08_ADAM_RATES)


@pytest.mark.parametrize("seed", SEEDS)
def test_the_90th_percentile_rule_and_adam_norms_do_not_reveal_a_bad_rate(seed):
    good, bad = (adam_rates()[(rate, seed)] for rate in LESSON_08_ADAM_RATES)
    assert final(good) >= 0.98 and final(bad) < 0.35
    suggested = clip_suggestion(good)
    assert 1.5 < suggested < 3.0
    share_above = sum(norm > suggested for norm in good.grad_norm) / len(good.grad_norm)
    assert abs(share_above - 0.1) < 0.01
    # A too-high Adam rate has gradients no bigger than a good one's.
    assert clip_suggestion(bad) < 1.5 * suggested


@pytest.mark.parametrize("seed", SEEDS)
def test_with_adam_clipping_half_the_batches_at_1_changes_little(seed):
    # lesson_08_clip_adam clipped at 1 is lesson_08_state_init with mlp attention, "last":
    # the same config, so the same run (trained once, for both claims)
    clipped = state_inits("mlp", ("last", "zero"))[("last", seed)]
    plain = adam_rates()[(3e-3, seed)]
    assert clipped.config == plain.config.replace(clip_gradient=1.0)
    assert 0.3 < clipped.clipped_fraction < 0.7
    assert final(clipped) >= 0.98 and abs(final(clipped) - final(plain)) < 0.02
