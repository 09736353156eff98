import json

import pytest

from seq2seq_lab import ConfigError, Seq2SeqConfig, describe, set_language
from seq2seq_lab.config import ARCHITECTURE, TRAINING


def test_defaults_validate_and_round_trip_through_dict_yaml_and_json(tmp_path):
    config = Seq2SeqConfig(learning_rate=0.01, rnn_cell_type="lstm", max_num_batches=50)
    assert Seq2SeqConfig.from_dict(config.to_dict()) == config
    for name in ("c.yaml", "c.json"):
        config.to_file(tmp_path / name)
        assert Seq2SeqConfig.from_file(tmp_path / name) == config


def test_every_required_sagemaker_name_is_a_field():
    names = set(Seq2SeqConfig.fields())
    required = """batch_size learning_rate optimizer_type momentum weight_decay clip_gradient
        num_layers_encoder num_layers_decoder rnn_cell_type rnn_num_hidden num_embed_source
        num_embed_target embed_dropout_source embed_dropout_target rnn_decoder_hidden_dropout
        rnn_attention_type rnn_decoder_state_init rnn_residual_connections weight_init_type
        weight_init_scale max_num_epochs min_num_epochs max_num_batches
        checkpoint_frequency_num_batches max_seq_len_source max_seq_len_target optimized_metric
        lr_scheduler_type lr_warmup_steps early_stopping_patience""".split()
    assert not set(required) - names


def test_unknown_name_suggests_the_nearest():
    with pytest.raises(ConfigError, match="did you mean learning_rate") as error:
        Seq2SeqConfig.from_dict({"learning_rat": 0.1})
    assert error.value.field == "learning_rat"


def test_out_of_range_names_field_and_range():
    with pytest.raises(ConfigError, match=r"rnn_num_hidden must be between 1 and 4096, got 0"):
        Seq2SeqConfig(rnn_num_hidden=0)


def test_bad_choice_lists_the_choices():
    with pytest.raises(ConfigError, match="rnn_cell_type must be one of rnn, gru, lstm"):
        Seq2SeqConfig(rnn_cell_type="transformer")


@pytest.mark.parametrize("name, value, expected", [
    ("batch_size", 3.5, "a whole number"), ("learning_rate", "fast", "a number"),
    ("learning_rate", True, "a number"), ("rnn_residual_connections", "maybe", "true or false"),
    ("learning_rate", float("nan"), "a number"), ("max_num_epochs", None, "a whole number")])
def test_wrong_type_says_what_was_expected(name, value, expected):
    with pytest.raises(ConfigError, match=expected) as error:
        Seq2SeqConfig(**{name: value})
    assert error.value.field == name


def test_cross_field_check():
    with pytest.raises(ConfigError, match="min_num_epochs"):
        Seq2SeqConfig(min_num_epochs=9, max_num_epochs=3)


def test_strings_from_cli_and_slider_floats_are_coerced():
    config = Seq2SeqConfig(batch_size="32", learning_rate="1e-2", rnn_residual_connections="true",
                           rnn_cell_type="LSTM", max_num_batches="none", rnn_num_hidden=64.0)
    assert (config.batch_size, config.learning_rate, config.rnn_residual_connections) == (32, 0.01, True)
    assert (config.rnn_cell_type, config.max_num_batches, config.rnn_num_hidden) == ("lstm", None, 64)
    # a keyboard-stepped slider sends 1.9999999999999998 for 2
    assert Seq2SeqConfig(clip_gradient=1.9999999999999998).clip_gradient == 2.0


def test_config_is_immutable_and_replace_validates():
    config = Seq2SeqConfig()
    with pytest.raises(Exception):
        config.learning_rate = 1.0
    with pytest.raises(ConfigError):
        config.replace(learning_rate=-1)
    assert config.replace(batch_size=8).batch_size == 8


def test_diff_and_label_name_what_changed():
    config = Seq2SeqConfig(learning_rate=0.1, rnn_cell_type="lstm")
    assert config.diff() == {"learning_rate": 0.1, "rnn_cell_type": "lstm"}
    assert config.label() == "learning_rate=0.1, rnn_cell_type=lstm"
    assert Seq2SeqConfig().label() == "defaults"


def test_every_field_has_kind_and_both_languages():
    for name, meta in Seq2SeqConfig.fields().items():
        assert meta["kind"] in (TRAINING, ARCHITECTURE), name
        assert meta["en"] and meta["ko"], name
        # one line each, short enough for a tooltip
        assert "\n" not in meta["en"] and len(meta["en"]) < 110, name


def test_describe_table_has_sagemaker_defaults_and_reasons():
    rows = {row["name"]: row for row in describe()}
    assert rows["rnn_num_hidden"]["ours"] == "64" and rows["rnn_num_hidden"]["sagemaker"] == "1024"
    assert "why" in rows["rnn_num_hidden"]["help"]
    assert rows["rnn_attention_type"]["sagemaker"] == "mlp"
    assert rows["rnn_cell_type"]["kind"] == "architecture" and rows["learning_rate"]["kind"] == "training"
    assert "<table>" in describe()._repr_html_()
    assert len(describe(kind="training")) + len(describe(kind="architecture")) == len(rows)


def test_korean_messages_and_table():
    set_language("ko")
    with pytest.raises(ConfigError, match="사이여야"):
        Seq2SeqConfig(batch_size=0)
    assert describe()[0]["kind"] == "학습"
    error = ConfigError("out_of_range", "batch_size", name="batch_size", low=1, high=2, value=3)
    assert "between" in error.message("en")


def test_config_is_json_serialisable():
    json.dumps(Seq2SeqConfig().to_dict())


def test_constructor_rejects_an_unknown_keyword_like_from_dict():
    with pytest.raises(ConfigError, match="unknown hyperparameter 'learning_rte': did you mean "
                                          "learning_rate") as error:
        Seq2SeqConfig(learning_rte=0.1)
    assert error.value.field == "learning_rte"
    with pytest.raises(ConfigError, match="unknown hyperparameter 'zzz'$"):
        Seq2SeqConfig(zzz=1)
    # Everything else behaves as a dataclass: keywords, positionals, replace, pickling.
    import dataclasses
    import pickle
    assert Seq2SeqConfig(0.01).learning_rate == 0.01
    assert Seq2SeqConfig(learning_rate=0.01) == Seq2SeqConfig(0.01)
    assert dataclasses.replace(Seq2SeqConfig(), batch_size=8).batch_size == 8
    assert pickle.loads(pickle.dumps(Seq2SeqConfig(batch_size=8))) == Seq2SeqConfig(batch_size=8)
