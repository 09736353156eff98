import base64
import builtins
import io
import json
import os
import string
import tracemalloc
import zlib

import pytest

from seq2seq_lab import Seq2SeqConfig, Setup, SetupError, run_code, train
from seq2seq_lab import setups
from seq2seq_lab.i18n import MESSAGES

PAIRS_PATH = "/no/such/folder/나의 데이터\\pairs file.tsv"


def rich_setup():
    return Setup.from_config(
        Seq2SeqConfig(learning_rate=0.1, rnn_cell_type="lstm", batch_size=32, max_num_batches=40),
        task="copy", task_options={"seq_len": 10, "noise": 0.25, "train_size": 300}, seed=7,
        params=("learning_rate", "seq_len", "rnn_cell_type"), locked=("seq_len",),
        panels=("loss", ("grid", {"x": "learning_rate", "y": "batch_size", "cells": [1, 2]})))


def pairs_setup():
    return Setup(task="pairs", task_options={"path": PAIRS_PATH, "tokens": "word/char",
                                             "val_size": 20},
                 config={"rnn_num_hidden": 48}, params=("rnn_num_hidden", "val_size"),
                 locked=("val_size",))


def encode(data: bytes, checksum_of: bytes | None = None, version: int = 1) -> str:
    """A share text around ``data``, as to_text builds it (tests make damaged ones with it)."""
    b64 = lambda raw: base64.urlsafe_b64encode(raw).decode().rstrip("=")
    crc = zlib.crc32(data if checksum_of is None else checksum_of).to_bytes(4, "big")
    return f"s2s{version}.{b64(zlib.compress(data))}.{b64(crc)}"


def json_of(values: dict) -> bytes:
    return json.dumps(values).encode()


# ---- round trips --------------------------------------------------------------------------
@pytest.mark.parametrize("make", [Setup, rich_setup, pairs_setup])
def test_text_and_json_file_round_trip(make, tmp_path):
    setup = make()
    assert Setup.from_text(setup.to_text()) == setup
    assert Setup.from_json(setup.to_json()) == setup
    path = setup.save(tmp_path / "setup.json")
    assert Setup.load(path) == setup
    assert json.loads(path.read_text(encoding="utf-8"))["version"] == setups.FORMAT_VERSION


def test_values_survive_exactly():
    setup = pairs_setup()
    again = Setup.from_text(setup.to_text())
    assert again.task_options["path"] == PAIRS_PATH
    assert again.locked == ("val_size",) and again.params == ("rnn_num_hidden", "val_size")
    rich = Setup.from_text(rich_setup().to_text())
    assert rich.seq2seq_config() == Seq2SeqConfig(learning_rate=0.1, rnn_cell_type="lstm",
                                                  batch_size=32, max_num_batches=40)
    assert rich.panels == ("loss", ("grid", {"x": "learning_rate", "y": "batch_size",
                                             "cells": [1, 2]}))
    assert rich.task == "copy" and rich.seed == 7 and rich.task_options["noise"] == 0.25


@pytest.mark.parametrize("rate", [0.1, 3e-4, 1e-7, 0.0023, 1 / 3])
def test_floats_round_trip(rate):
    config = Seq2SeqConfig(learning_rate=rate)
    setup = Setup.from_config(config)
    assert Setup.from_text(setup.to_text()).seq2seq_config() == config
    assert Setup.from_json(setup.to_json()).seq2seq_config() == config
    code = run_code(config)
    namespace = {}
    exec(code.split("\nhistory =")[0], namespace)  # the import and the config line only
    assert namespace["config"] == config


def test_config_keeps_only_changes_and_is_canonical():
    assert Setup(config={"learning_rate": 3e-3, "rnn_cell_type": "LSTM"}).config == \
        {"rnn_cell_type": "lstm"}
    assert Setup.from_config(Seq2SeqConfig()).to_text() == Setup().to_text()
    # Same set-up, keys in another order: the same text.
    one = Setup(config={"batch_size": 16, "learning_rate": 0.01})
    two = Setup(config={"learning_rate": 0.01, "batch_size": 16})
    assert one.to_text() == two.to_text()


def test_text_is_short():
    setup = Setup.from_config(Seq2SeqConfig(learning_rate=0.01, rnn_cell_type="lstm"))
    text = setup.to_text()
    assert text.startswith("s2s1.") and len(text) < 120, text
    assert len(Setup().to_text()) < 40
    assert len(rich_setup().to_text()) < 400


def test_chat_whitespace_and_quotes_are_ignored():
    setup = rich_setup()
    text = setup.to_text()
    chunks = [text[i:i + 17] for i in range(0, len(text), 17)]
    mangled = "  `" + "\n ".join(chunks[:3]) + "\u200b" + " \r\n\t".join(chunks[3:]) + "`\n"
    assert Setup.from_text(mangled) == setup
    assert Setup.from_text(text[0].upper() + text[1:]) == setup  # a phone capitalised it


def test_from_text_also_takes_the_json():
    assert Setup.from_text(rich_setup().to_json()) == rich_setup()


def test_setup_object_is_frozen_and_validated_when_built():
    setup = Setup()
    with pytest.raises(AttributeError):
        setup.seed = 3
    with pytest.raises(SetupError, match="unknown task 'revers'.*did you mean reverse"):
        Setup(task="revers")


# ---- export as code -----------------------------------------------------------------------
def test_run_code_text():
    config = Seq2SeqConfig(learning_rate=0.01, rnn_cell_type="lstm")
    assert run_code(config, task_options={"seq_len": 8}) == (
        "from seq2seq_lab import Seq2SeqConfig, train\n\n"
        "config = Seq2SeqConfig(learning_rate=0.01, rnn_cell_type=\"lstm\")\n"
        "history = train(config, task=\"reverse\", task_options={\"seq_len\": 8}, seed=0)\n")
    assert "task_options" not in run_code(Seq2SeqConfig(), task="sort", seed=2)
    assert "config = Seq2SeqConfig()\n" in run_code(Seq2SeqConfig())
    pairs = pairs_setup().code()
    assert 'task="pairs"' in pairs and repr(PAIRS_PATH)[1:-1] in pairs
    assert compile(pairs, "<export>", "exec")  # a backslash in the path stays a valid literal


def test_run_code_reproduces_the_run():
    config = Seq2SeqConfig(max_num_batches=12, checkpoint_frequency_num_batches=6,
                           rnn_num_hidden=16, learning_rate=0.01, rnn_cell_type="lstm")
    options = {"seq_len": 6, "train_size": 400, "val_size": 50, "test_size": 0}
    setup = Setup.from_config(config, task="reverse", task_options=options, seed=3)
    namespace = {}
    exec(setup.code(), namespace)
    exported = namespace["history"]
    direct = train(config, task="reverse", task_options=options, seed=3)
    assert exported.steps == 12 and len(exported.val_loss) == 2
    assert exported.train_loss == direct.train_loss
    assert exported.val_loss == direct.val_loss
    assert exported.config == direct.config and exported.seed == 3


def test_run_code_checks_its_arguments():
    with pytest.raises(SetupError, match="unknown task"):
        run_code(Seq2SeqConfig(), task="nope")
    with pytest.raises(SetupError, match="Seq2SeqConfig"):
        run_code({"learning_rate": 0.1})


# ---- files ---------------------------------------------------------------------------------
def test_save_never_overwrites(tmp_path):
    path = tmp_path / "mine.json"
    path.write_text("a teacher's notes", encoding="utf-8")
    with pytest.raises(SetupError, match="exists already"):
        rich_setup().save(path)
    assert path.read_text(encoding="utf-8") == "a teacher's notes"


def test_save_into_a_folder_picks_new_names(tmp_path):
    first, second = Setup().save(tmp_path), rich_setup().save(tmp_path)
    assert first != second and first.parent == second.parent == tmp_path
    assert first.name.startswith("setup-") and first.suffix == ".json"
    assert Setup.load(first) == Setup() and Setup.load(second) == rich_setup()
    third = Setup().save(f"{tmp_path}/new/folder/")
    assert third.parent == tmp_path / "new" / "folder"


def test_load_reads_a_saved_share_text_and_says_when_it_cannot(tmp_path):
    path = tmp_path / "from-the-slide.txt"
    path.write_text(rich_setup().to_text() + "\n", encoding="utf-8")
    assert Setup.load(path) == rich_setup()
    with pytest.raises(SetupError, match="cannot read a set-up from .*missing.json"):
        Setup.load(tmp_path / "missing.json")


def test_no_file_the_setup_names_is_opened(monkeypatch, tmp_path):
    saved = pairs_setup().save(tmp_path / "pairs-setup.json")
    text = pairs_setup().to_text()
    opened, real_open, real_stat = [], builtins.open, os.stat

    def spy_open(file, *args, **kwargs):
        opened.append(str(file))
        if "pairs file" in str(file):
            raise AssertionError(f"opened {file}")
        return real_open(file, *args, **kwargs)

    def spy_stat(file, *args, **kwargs):
        if "pairs file" in str(file):
            opened.append(str(file))
        return real_stat(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", spy_open)
    monkeypatch.setattr(io, "open", spy_open)
    monkeypatch.setattr(os, "stat", spy_stat)
    for setup in (Setup.from_text(text), Setup.from_json(saved.read_bytes()), Setup.load(saved),
                  Setup.from_text(saved.read_text(encoding="utf-8"))):
        assert setup.task_options["path"] == PAIRS_PATH
    assert all("pairs file" not in name for name in opened), opened
    assert str(saved) in opened  # the spy saw the set-up file itself: it does watch


# ---- what cannot be read -------------------------------------------------------------------
@pytest.mark.parametrize("text", ["", "hello", "https://example.com/s2s1.abc", "s2s.abc.def",
                                  '{"task": "reverse"}', "[1, 2]", "{not json"])
def test_not_a_setup(text):
    with pytest.raises(SetupError, match="not a seq2seq_lab set-up|not valid JSON"):
        Setup.from_text(text)


def test_a_config_file_is_not_a_setup(tmp_path):
    Seq2SeqConfig(learning_rate=0.1).to_file(tmp_path / "config.json")
    with pytest.raises(SetupError, match="not a seq2seq_lab set-up"):
        Setup.load(tmp_path / "config.json")


def test_newer_version_names_both_versions_and_says_update():
    text = encode(b'{"seed":1,"new_key":2}', version=2)
    for attempt in (lambda: Setup.from_text(text),
                    lambda: Setup.from_json('{"format": "seq2seq_lab.setup", "version": 5}')):
        with pytest.raises(SetupError) as error:
            attempt()
        message = str(error.value)
        assert "newer seq2seq_lab" in message and "update" in message
        assert "format 1" in message and ("format 2" in message or "format 5" in message)
        assert "0.1.0" in message


def test_unknown_older_version_is_named():
    for attempt in (lambda: Setup.from_text(encode(b"{}", version=0)),
                    lambda: Setup.from_json('{"format": "seq2seq_lab.setup", "version": 0}')):
        with pytest.raises(SetupError, match="format 0, older than this seq2seq_lab"):
            attempt()


def test_a_registered_migration_reads_an_older_version(monkeypatch):
    # Where format 2 will go: a version-0 set-up called the seed "random_seed".
    monkeypatch.setitem(setups._MIGRATIONS, 0, lambda values: {
        ("seed" if k == "random_seed" else k): v for k, v in values.items()})
    assert Setup.from_text(encode(b'{"random_seed":4}', version=0)) == Setup(seed=4)
    old_json = '{"format": "seq2seq_lab.setup", "version": 0, "random_seed": 5}'
    assert Setup.from_json(old_json) == Setup(seed=5)


def test_truncated_text():
    text = rich_setup().to_text()
    payload_end = text.rindex(".")
    for cut in (text[:-2], text[:payload_end], text[:payload_end - 9] + text[payload_end:],
                text[:8]):
        with pytest.raises(SetupError, match="cut short|damaged"):
            Setup.from_text(cut)
    with pytest.raises(SetupError, match="cut short"):
        Setup.from_text(text[:payload_end])


@pytest.mark.parametrize("damage", [
    lambda text: text.replace(".", ".!", 1),                       # not base64url
    lambda text: encode(b"")[:5] + "bm90IHpsaWI" + text[text.rindex("."):],  # not zlib
    lambda text: text[:text.rindex(".")] + "AAAA" + text[text.rindex("."):],  # bytes after it
    lambda text: text + "A",                                       # a longer checksum
])
def test_damaged_text(damage):
    with pytest.raises(SetupError, match="damaged"):
        Setup.from_text(damage(rich_setup().to_text()))


def test_no_single_character_change_reads_as_another_setup():
    setup = Setup.from_config(Seq2SeqConfig(learning_rate=0.01))
    text, caught = setup.to_text(), 0
    for i in range(len("s2s1."), len(text)):
        if text[i] == ".":
            continue
        for other in "AB":
            if other == text[i]:
                continue
            try:
                # Only the padding bits after deflate's last block may change unnoticed: they
                # carry nothing, so the set-up read is the very one that was shared.
                assert Setup.from_text(text[:i] + other + text[i + 1:]) == setup
            except SetupError:
                caught += 1
    assert caught >= 2 * (len(text) - 7) - 4


def test_changed_after_it_was_made():
    original = json.loads(zlib.decompress(base64.urlsafe_b64decode(
        Setup(seed=1).to_text().split(".")[1] + "==")))
    edited = dict(original, seed=2)
    with pytest.raises(SetupError, match="changed after it was made"):
        Setup.from_text(encode(json_of(edited), checksum_of=json_of(original)))


def test_a_zip_bomb_stops_at_the_cap():
    compressor, parts = zlib.compressobj(9), [b'{"task": "']
    parts += [compressor.compress(parts.pop())]
    chunk = b"x" * (1 << 20)
    parts += [compressor.compress(chunk) for _ in range(64)]  # 64 MiB of JSON text
    parts.append(compressor.flush())
    data = b"".join(parts)
    text = encode(b"")[:5] + base64.urlsafe_b64encode(data).decode().rstrip("=") + ".AAAAAA"
    assert len(text) < setups.MAX_TEXT_CHARS  # short enough to be inflated, not refused unread
    tracemalloc.start()
    try:
        with pytest.raises(SetupError, match="larger than 64 KiB"):
            Setup.from_text(text)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8 * 1024 * 1024, peak  # inflating it all would take 64 MiB


def test_too_large_json_and_setup():
    with pytest.raises(SetupError, match="larger than"):
        Setup.from_json("{" + " " * (setups.MAX_JSON_BYTES + 1) + "}")
    with pytest.raises(SetupError, match="larger than"):
        Setup(panels=(("grid", {"notes": "x" * setups.MAX_JSON_BYTES}),))


def file_of(**values) -> str:
    return json.dumps({"format": "seq2seq_lab.setup", "version": 1, **values})


@pytest.mark.parametrize("values, expected", [
    ({"seeds": 3}, r"unknown key 'seeds' in the set-up: did you mean seed\?"),
    ({"config": {"rnn_num_hidden": 0}},
     "hyperparameters cannot be used: rnn_num_hidden must be between 1 and 4096, got 0"),
    ({"config": {"learning_rat": 0.1}}, "unknown hyperparameter 'learning_rat': did you mean"),
    ({"config": {"learning_rate": "fast"}}, "learning_rate must be a number"),
    ({"config": {"learning_rate": 10 ** 400}}, "far too large"),
    ({"task": "revese"}, "unknown task 'revese': did you mean reverse"),
    ({"task": 3}, "task in the set-up must be text"),
    ({"task_options": {"seq_len": 0}}, r"task option seq_len must be 1 \.\. 200, got 0"),
    ({"task_options": {"seq_len": 2.5}}, "task option seq_len must be"),
    ({"task_options": {"seq_len": "8"}}, "task option seq_len must be"),
    ({"task_options": {"noise": 2}}, r"task option noise must be 0.0 \.\. 1.0"),
    ({"task_options": {"noise": True}}, "task option noise must be"),
    ({"task_options": {"sequence_len": 8}}, "unknown task option 'sequence_len'"),
    ({"task_options": {"path": "data.tsv"}}, "belongs to the pairs task"),
    ({"task": "pairs", "task_options": {"path": 3}}, "task option path must be text, got 3"),
    ({"task": "pairs", "task_options": {"path": "a.tsv", "tokens": ["word"]}},
     "task option tokens must be text"),
    ({"task": "pairs", "task_options": {"path": "a.tsv", "max_seq_len_source": 0}},
     "max_seq_len_source must be >= 1"),
    ({"task": "pairs", "task_options": {"path": "bad\udcff.tsv"}}, "path must be text"),
    ({"task_options": ["seq_len", 8]}, "task_options in the set-up must be an object"),
    ({"config": [["learning_rate", 0.1]]}, "config in the set-up must be an object"),
    ({"seed": "0"}, "seed in the set-up must be a whole number from 0 up"),
    ({"seed": 1.5}, "seed in the set-up must be a whole number"),
    ({"seed": True}, "seed in the set-up must be a whole number"),
    ({"seed": -1}, "seed in the set-up must be a whole number from 0 up"),
    ({"params": "learning_rate"}, "params in the set-up must be a list of names"),
    ({"params": ["learning_rate", 3]}, "params in the set-up must be a list of names"),
    ({"params": ["learning_rte"]}, "params names 'learning_rte'.*did you mean learning_rate"),
    ({"params": ["learning_rate"], "locked": ["batch_size", "learning_rate"]},
     "locked names batch_size, which params does not show"),
    ({"panels": "loss"}, "panels in the set-up must be a list"),
    ({"panels": [["grid", {"x": "learning_rate"}, "extra"]]}, "panels in the set-up must be"),
    ({"panels": [["grid", "x"]]}, "panels in the set-up must be"),
    ({"panels": ["los"]}, "unknown panel 'los'"),
    ({"version": "1"}, "version in the set-up must be a whole number"),
])
def test_bad_setups_say_what_is_wrong(values, expected):
    with pytest.raises(SetupError, match=expected):
        Setup.from_json(file_of(**values))
    if "version" not in values:  # the same content as a share text says the same
        with pytest.raises(SetupError, match=expected):
            Setup.from_text(encode(json_of(values)))


def test_json_oddities():
    with pytest.raises(SetupError, match="learning_rate must be a number, got NaN"):
        Setup.from_json('{"format": "seq2seq_lab.setup", "version": 1, '
                        '"config": {"learning_rate": NaN}}')
    with pytest.raises(SetupError, match="names 'seed' twice"):
        Setup.from_json('{"format": "seq2seq_lab.setup", "version": 1, "seed": 1, "seed": 2}')
    with pytest.raises(SetupError, match=r"not valid JSON \(line 2"):
        Setup.from_json('{"format": "seq2seq_lab.setup",\n "version": 1,,}')
    with pytest.raises(SetupError, match="damaged"):
        Setup.from_json("[" * 20_000 + "]" * 20_000)
    with pytest.raises(SetupError, match="set-up in the set-up must be an object"):
        Setup.from_text(encode(b"[1, 2]"))


def test_setup_error_is_a_value_error_in_both_languages():
    with pytest.raises(ValueError) as error:
        Setup.from_json(file_of(config={"rnn_num_hidden": 0}))
    english, korean = error.value.message("en"), error.value.message("ko")
    assert "hyperparameters cannot be used" in english and "4096" in english
    assert "하이퍼파라미터를 쓸 수 없습니다" in korean
    assert "사이여야 합니다" in korean  # the config's own message, in Korean too
    with pytest.raises(SetupError) as error:
        Setup(task="revese")
    assert "알 수 없는 과제" in error.value.message("ko")
    assert "혹시 reverse" in error.value.message("ko")


def test_every_setup_message_speaks_english_and_korean():
    keys = [key for key in MESSAGES if key.startswith("setup_")]
    assert len(keys) > 20
    fields = lambda text: {f for _, f, _, _ in string.Formatter().parse(text) if f}
    for key in keys:
        entry = MESSAGES[key]
        assert entry["en"] and entry["ko"] and entry["en"] != entry["ko"], key
        assert fields(entry["en"]) == fields(entry["ko"]), key


def test_a_version_too_long_to_be_a_number_is_a_damaged_text():
    with pytest.raises(SetupError):
        Setup.from_text("s2s" + "9" * 5000 + ".abc.defghi")
    with pytest.raises(SetupError):
        Setup.from_text("s2s\u0661.abc.defghi")       # an Arabic-Indic one is not our digit
