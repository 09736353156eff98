"""A learner's own pairs file (pairs.py, make_task("pairs")): every bad file gets a message
that names the file, the line and the problem; good TSV and CSV files load with character or
word tokens; the split is seeded, disjoint and free of repeated rows; an edited file is read
again; and the shipped example trains, alone and in compare's worker processes."""
import builtins
import fnmatch
import json
import os
import pathlib
import pickle
import tomllib

import pytest

from seq2seq_lab import Seq2SeqConfig, compare, make_task, task_names, train
from seq2seq_lab import pairs
from seq2seq_lab.data import TASK_OPTION_FIELDS, english_words
from seq2seq_lab.pairs import EXAMPLE, MAX_FILE_BYTES, PairsFileError, read_pairs


def write(tmp_path, text, name="pairs.tsv", encoding="utf-8"):
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding=encoding, newline="")
    return path


ROWS = "".join(f"{word}\t{n}\n" for n, word in enumerate(
    ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
     "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
     "nineteen"]))


# ---- bad files: one test per case, each message names the file and (where any) the line ----
def test_missing_file(tmp_path):
    with pytest.raises(PairsFileError, match=r"nope\.tsv: no such file"):
        read_pairs(tmp_path / "nope.tsv")
    with pytest.raises(PairsFileError, match="no such file"):
        make_task("pairs", path=tmp_path / "nope.tsv")


def test_a_directory(tmp_path):
    with pytest.raises(PairsFileError, match="this is a folder, not a file"):
        read_pairs(tmp_path)


def test_empty_file_and_a_file_of_blank_lines_and_header(tmp_path):
    with pytest.raises(PairsFileError, match=r"empty\.tsv: no source/target rows"):
        read_pairs(write(tmp_path, "", "empty.tsv"))
    with pytest.raises(PairsFileError, match="no source/target rows"):
        read_pairs(write(tmp_path, "Source\tTarget\n\n  \n\t\n", "blank.tsv"))


def test_binary_file(tmp_path):
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256))
    with pytest.raises(PairsFileError, match=r"image\.tsv: this is not a text file"):
        read_pairs(write(tmp_path, png, "image.tsv"))


def test_undecodable_bytes_name_the_line(tmp_path):
    latin1 = "caf\u00e9\tcoffee\n".encode("latin-1")
    path = write(tmp_path, b"tea\tcha\nmilk\tuyu\n" + latin1)
    with pytest.raises(PairsFileError, match=r"pairs\.tsv, line 3: this line is not UTF-8") as error:
        read_pairs(path)
    assert error.value.line == 3
    # ...but a UTF-8 BOM (Excel, Notepad) is fine and not part of the first source.
    bom = write(tmp_path, "\ufeffcaf\u00e9\tcoffee\ntea\tcha\n", "bom.tsv", encoding="utf-8")
    assert read_pairs(bom)[0] == (list("caf\u00e9"), list("coffee"))


def test_missing_column(tmp_path):
    with pytest.raises(PairsFileError, match=r"line 2: only one column.*one TAB"):
        read_pairs(write(tmp_path, "a\tb\nno tab here\nc\td\n"))
    with pytest.raises(PairsFileError, match=r"line 1: only one column.*comma"):
        read_pairs(write(tmp_path, "no comma here\n", "pairs.csv"))


def test_too_many_columns(tmp_path):
    with pytest.raises(PairsFileError, match=r"line 3: 3 columns, but a line has exactly two"):
        read_pairs(write(tmp_path, "a\tb\nc\td\ne\tf\tg\n"))
    with pytest.raises(PairsFileError, match=r"line 2: 3 columns.*double quotes"):
        read_pairs(write(tmp_path, "a,b\n1,000,one thousand\n", "pairs.csv"))


def test_an_empty_side(tmp_path):
    with pytest.raises(PairsFileError, match=r"line 2: the target side is empty"):
        read_pairs(write(tmp_path, "a\tb\nc\t  \n"))
    with pytest.raises(PairsFileError, match=r"line 1: the source side is empty"):
        read_pairs(write(tmp_path, ',"b"\n', "pairs.csv"))


def test_a_line_over_the_length_limit(tmp_path):
    path = write(tmp_path, "ab\tc\nabcdef\tg\n")
    with pytest.raises(PairsFileError, match=r"line 2: the source side has 6 tokens, more than "
                                             r"max_seq_len_source = 5"):
        read_pairs(path, max_seq_len_source=5)
    with pytest.raises(PairsFileError, match="line 2: the source side has 6 tokens"):
        make_task("pairs", path=path, max_seq_len_source=5)
    assert len(read_pairs(path, max_seq_len_source=6)) == 2
    # Word tokens count words: "one two three" is 3 tokens, within a limit of 3.
    words = write(tmp_path, "one two three\t123\nfour five six seven\t4567\n", "words.tsv")
    with pytest.raises(PairsFileError, match="line 2: the source side has 4 tokens"):
        read_pairs(words, tokens="word", max_seq_len_source=3)
    # The default limit is the config's default, so a default run never cuts a row.
    long_target = write(tmp_path, f"a\t{'x' * 101}\nb\tc\n", "long.tsv")
    with pytest.raises(PairsFileError, match=r"target side has 101 tokens.*max_seq_len_target = 100"):
        read_pairs(long_target)


def test_too_few_rows_for_a_validation_split(tmp_path):
    # Two lines, but one row once duplicates are dropped: nothing left to validate on.
    with pytest.raises(PairsFileError, match=r"only 1 distinct row: at least 2 are needed"):
        make_task("pairs", path=write(tmp_path, "a\tb\na\tb\n"))


def test_a_file_over_the_size_limit_is_refused_without_being_read(tmp_path, monkeypatch):
    path = tmp_path / "huge.tsv"
    path.touch()
    os.truncate(path, 200_000_000)   # sparse: nothing is written to disk
    assert path.stat().st_size > MAX_FILE_BYTES

    def no_reading(*args, **kwargs):
        raise AssertionError("the file was opened")
    monkeypatch.setattr(builtins, "open", no_reading)
    monkeypatch.setattr(pathlib.Path, "open", no_reading)
    monkeypatch.setattr(pathlib.Path, "read_bytes", no_reading)
    monkeypatch.setattr(pathlib.Path, "read_text", no_reading)
    with pytest.raises(PairsFileError, match=r"huge\.tsv: the file is 200\.0 MB, more than the "
                                             r"50\.0 MB this lab reads"):
        read_pairs(path)
    with pytest.raises(PairsFileError, match="more than the 50.0 MB"):
        make_task("pairs", path=path)


def test_sizes_beyond_the_rows(tmp_path):
    path = write(tmp_path, ROWS)   # 20 rows
    with pytest.raises(PairsFileError, match=r"25 rows were asked for .* the file has 20 "
                                             r"distinct rows"):
        make_task("pairs", path=path, train_size=20, val_size=5, test_size=0)
    with pytest.raises(PairsFileError, match="21 rows were asked for"):
        make_task("pairs", path=path, val_size=10, test_size=10)   # leaves no training row
    assert len(make_task("pairs", path=path, train_size=15, val_size=5, test_size=0).train) == 15


def test_bad_options_are_clear(tmp_path):
    path = write(tmp_path, ROWS)
    with pytest.raises(ValueError, match="tokens must be char, word, word/char"):
        make_task("pairs", path=path, tokens="letters")
    with pytest.raises(ValueError, match="noise"):
        make_task("pairs", path=path, noise=1.5)
    with pytest.raises(ValueError, match="seq_len is not for the pairs task"):
        make_task("pairs", path=path, seq_len=5)   # a file's rows have no generated length
    with pytest.raises(ValueError, match="no data file chosen"):
        make_task("pairs", path="  ".strip())
    with pytest.raises(ValueError, match="path belongs to the pairs task"):
        make_task("reverse", path=path)           # a shared file option meeting another task


def test_a_file_too_big_for_memory_once_padded_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr("seq2seq_lab.data.MAX_PAIRS_CELLS", 50)
    rows = "".join(f"w{i}\t{i}\n" for i in range(20))
    with pytest.raises(PairsFileError, match="padded to the longest row"):
        make_task("pairs", path=write(tmp_path, rows))


def test_messages_speak_korean(tmp_path):
    with pytest.raises(PairsFileError) as error:
        read_pairs(write(tmp_path, "a\tb\nc\n"))
    assert "2번째 줄" in error.value.message("ko") and "열이 하나뿐입니다" in error.value.message("ko")
    assert "line 2" in error.value.message("en")
    copy = pickle.loads(pickle.dumps(error.value))   # as a worker process would send it
    assert (copy.key, copy.line, str(copy)) == ("pairs_one_column", 2, str(error.value))


# ---- good files ------------------------------------------------------------------------------
def test_a_tsv_with_char_and_word_tokens_and_a_header(tmp_path):
    path = write(tmp_path, "SOURCE\tTarget\r\nthe cat\tle chat\r\n\r\na dog\tun chien\r\n")
    assert read_pairs(path) == [(list("the cat"), list("le chat")),
                                (list("a dog"), list("un chien"))]
    assert read_pairs(path, tokens="word") == [(["the", "cat"], ["le", "chat"]),
                                               (["a", "dog"], ["un", "chien"])]
    assert read_pairs(path, tokens="word/char")[0] == (["the", "cat"], list("le chat"))
    assert read_pairs(path, tokens=("char", "word"))[0] == (list("the cat"), ["le", "chat"])
    # A header is only a header on the first row.
    later = write(tmp_path, "a\tb\nsource\ttarget\n", "later.tsv")
    assert read_pairs(later)[1] == (list("source"), list("target"))


def test_a_csv_with_a_quoted_comma(tmp_path):
    path = write(tmp_path, 'source,target\n"one thousand, two",1002\nthree, 3\n'
                           '"two\nlines",2\n', "pairs.csv")
    assert read_pairs(path) == [(list("one thousand, two"), list("1002")),
                                (list("three"), list("3")),
                                (list("two\nlines"), list("2"))]
    assert read_pairs(path, tokens="word")[0] == (["one", "thousand,", "two"], ["1002"])


def test_word_tokens_are_shown_with_spaces(tmp_path):
    path = write(tmp_path, ROWS.replace("\t", " apples\t"))
    words = make_task("pairs", path=path, tokens="word/char")
    source, target = words.validation.pairs[0]
    assert source[-1] == "apples" and words.show(source, "source") == " ".join(source)
    assert words.show(target, "target") == "".join(target)
    chars = make_task("pairs", path=path)
    assert chars.show(chars.validation.pairs[0][0], "source").endswith(" apples")
    # The numbers task still shows its word source with spaces.
    numbers = make_task("numbers", train_size=20, val_size=5, test_size=0)
    shown = numbers.examples(n=1)[0][0]
    assert shown == " ".join(numbers.validation.pairs[0][0])


def test_the_split_is_seeded_disjoint_and_free_of_duplicates(tmp_path):
    again = "".join(ROWS.splitlines(keepends=True)[:5])   # five rows written twice
    path = write(tmp_path, ROWS + again + "".join(f"{n}x\t{n}\n" for n in range(80)))
    task = make_task("pairs", path=path, seed=1)
    rows = [tuple(map(tuple, pair)) for split in (task.train, task.validation, task.test)
            for pair in split.pairs]
    assert len(rows) == len(set(rows)) == 100            # duplicated rows were kept once
    assert (len(task.train), len(task.validation), len(task.test)) == (80, 10, 10)
    assert make_task.__wrapped__("pairs", path=path, seed=1).validation.pairs == \
        task.validation.pairs                             # same seed, same split
    other = make_task("pairs", path=path, seed=2)
    assert other.validation.pairs != task.validation.pairs
    assert sorted(other.train.pairs) != sorted(task.train.pairs)
    # A smaller training set keeps the very same validation rows.
    small = make_task("pairs", path=path, seed=1, train_size=30)
    assert len(small.train) == 30 and small.validation.pairs == task.validation.pairs
    # Noise corrupts training targets only.
    noisy = make_task("pairs", path=path, seed=1, noise=0.5)
    assert noisy.validation.pairs == task.validation.pairs
    assert sum(a != b for a, b in zip(noisy.train.pairs, task.train.pairs)) > 20


def test_options_rebuild_the_task_and_are_plain_values(tmp_path):
    path = write(tmp_path, ROWS)
    task = make_task("pairs", path=path, tokens=("word", "char"), seed=3)
    assert task.options == dict(path=str(path.resolve()), tokens="word/char", train_size=16,
                                val_size=2, test_size=2, noise=0.0, seed=3,
                                max_seq_len_source=100, max_seq_len_target=100)
    json.dumps(task.options)  # saved with every History
    again = make_task.__wrapped__(task.name, **task.options)
    assert again.options == task.options and again.train.pairs == task.train.pairs
    assert "pairs" in task_names()
    with pytest.raises(ValueError, match="tasks: .*numbers, pairs"):
        make_task("pears")
    # Every option a learner may vary applies to a pairs file too, except seq_len.
    assert set(TASK_OPTION_FIELDS) - set(task.options) == {"seq_len"}


def test_an_edited_file_is_read_again(tmp_path):
    path = write(tmp_path, ROWS)
    first = make_task("pairs", path=path)
    assert make_task("pairs", path=path) is first          # unchanged: the cached task
    path.write_text(ROWS.replace("\t", "!\t"), encoding="utf-8")
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10 ** 9))
    edited = make_task("pairs", path=path)
    assert edited is not first and edited.validation.pairs[0][0][-1] == "!"


# ---- the shipped example -------------------------------------------------------------------
def test_the_example_ships_and_reads():
    assert EXAMPLE == pathlib.Path(pairs.__file__).parent / "examples" / "number_words.tsv"
    assert EXAMPLE.read_text(encoding="utf-8").startswith("source\ttarget\n")
    rows = read_pairs(EXAMPLE, tokens="word/char")
    numbers = [int("".join(target)) for _, target in rows]   # the header row is not a row
    assert len(rows) == len(set(numbers)) == 1500 and max(numbers) < 10000
    assert all(english_words(n) == source for n, (source, _) in zip(numbers, rows))
    # package data: installed with the package, not only present in this checkout
    project = tomllib.loads((pathlib.Path(__file__).parent.parent / "pyproject.toml").read_text())
    patterns = project["tool"]["setuptools"]["package-data"]["seq2seq_lab"]
    relative = EXAMPLE.relative_to(pathlib.Path(pairs.__file__).parent).as_posix()
    assert any(fnmatch.fnmatch(relative, pattern) for pattern in patterns)


def test_train_runs_on_the_example():
    history = train(Seq2SeqConfig(max_num_batches=20, checkpoint_frequency_num_batches=10),
                    task="pairs", task_options={"path": str(EXAMPLE), "tokens": "word/char"})
    assert history.steps == 20 and history.task == "pairs"
    assert history.task_options["path"] == str(EXAMPLE.resolve())
    assert history.train_loss[-1] < history.train_loss[0]


def test_compare_over_the_example_in_worker_processes(monkeypatch):
    from seq2seq_lab.parallel import pool
    jobs = []
    original = pool.WorkerPool._train

    def counted(self, *args, **kwargs):
        jobs.append(1)
        return original(self, *args, **kwargs)
    monkeypatch.setattr(pool.WorkerPool, "_train", counted)
    config = Seq2SeqConfig(batch_size=32, max_num_batches=8, checkpoint_frequency_num_batches=4)
    options = {"path": str(EXAMPLE), "tokens": "word/char", "train_size": 256, "val_size": 64,
               "test_size": 0}
    histories = compare(config, task="pairs", task_options=options, seeds=[0, 1], workers=2,
                        device="cpu")
    assert jobs, "the runs did not go to the worker processes"
    assert [h.seed for h in histories] == [0, 1] and all(h.steps == 8 for h in histories)
    assert histories[0].train_loss != histories[1].train_loss
    lone = train(config, task="pairs", task_options=histories[1].task_options, seed=1,
                 device="cpu")
    assert lone.val_loss == histories[1].val_loss


def test_every_pairs_message_speaks_english_and_korean_with_the_same_blanks():
    import string

    from seq2seq_lab.i18n import MESSAGES
    keys = [key for key in MESSAGES if key.startswith("pairs_")]
    assert len(keys) >= 15
    for key in keys:
        blanks = [{name for _, name, _, _ in string.Formatter().parse(MESSAGES[key][language])
                   if name} for language in ("en", "ko")]
        assert blanks[0] == blanks[1], key
