"""A learner's own parallel data: source/target pairs read from a TSV or CSV file, checked.

Feature: ``make_task("pairs", path=...)`` (data.py) trains on these rows instead of a generated
task, from the widgets and the CLI alike; ``EXAMPLE`` is a file we ship to try it on.

A file is one pair a line: source TAB target (any extension but ``.csv``), or a CSV row of two
fields (``.csv``, quotes allowed, so a side may hold a comma).  A first row that reads exactly
``source``, ``target`` is a header and skipped; blank lines are skipped.  Every problem is a
:class:`PairsFileError` that names the file, the line and what is wrong, in the learner's
language: a file of their own is where they make mistakes we never made, so the message has to
point at the line to fix, not at a traceback.

Tokens are characters (``"char"``: spaces are tokens too) or whitespace-separated words
(``"word"``), chosen per side with ``"word/char"`` (source words, target characters).
"""
from __future__ import annotations

import csv
import io
import os
from pathlib import Path

from .config import Seq2SeqConfig
from .i18n import t

# Refused before reading: the rows are held in memory as Python lists of tokens, 15-20 times
# the file's bytes (measured on the example, char and word tokens), and a file this big would
# not train in a lesson's minutes anyway.
MAX_FILE_BYTES = 50_000_000
BINARY_PROBE_BYTES = 8192  # a NUL byte here means an image, a spreadsheet, a zip: not text
MIN_ROWS = 2               # one to train on, one to validate on
TOKEN_KINDS = ("char", "word")
HEADER = ("source", "target")
# English number words -> digits, 1500 rows (scripts/make_example_pairs.py).  Read it with
# tokens="word/char": measured 2026-11-30, default config but max_num_epochs=1000 and
# max_num_batches=300 (15.8 epochs of its 1200 training rows), seeds 0-2: validation exact
# match 1.00, 0.97, 0.96 (0.26-0.39 after 96 batches, about where max_num_epochs=5 stops).
# tokens="char" also learns (0.95-1.00 at 300 batches), but its sources are 7x longer (33
# tokens on average, not 4.6) and each run took 3-6x the time; tokens="word" never learns it
# (exact 0.00): a whole number is then one target token, and a number only in validation was
# never a training answer.
EXAMPLE = Path(__file__).parent / "examples" / "number_words.tsv"

_FIELDS = Seq2SeqConfig.fields()
DEFAULT_MAX_SOURCE = _FIELDS["max_seq_len_source"]["default"]
DEFAULT_MAX_TARGET = _FIELDS["max_seq_len_target"]["default"]

Pair = tuple[list[str], list[str]]


_KEYED = ("hint", "side")


class PairsFileError(ValueError):
    """A pairs file that cannot be used: the message names the file, the line (where there is
    one) and what is wrong.  ``key``/``values`` render it again in another language."""

    def __init__(self, key: str, path, line: int | None = None, **values):
        self.key, self.path, self.line, self.values = key, str(path), line, values
        super().__init__(self.message())

    def message(self, language: str | None = None) -> str:
        where = (t("pairs_where_line", language, path=self.path, line=self.line)
                 if self.line is not None else
                 t("pairs_where", language, path=self.path) if self.path else "")
        # "hint" and "side" hold message keys, rendered here so that the whole message is in
        # the language asked for (a Korean Lab shows a Korean hint too).
        values = {name: t(value, language) if name in _KEYED else value
                  for name, value in self.values.items()}
        return where + t(self.key, language, **values)

    def __reduce__(self):
        # Pickled whole (to or from a worker process), not as its rendered message alone.
        return _error, (self.key, self.path, self.line, self.values)


def _error(key, path, line, values) -> PairsFileError:
    return PairsFileError(key, path, line, **values)


def token_kinds(tokens) -> tuple[str, str]:
    """``"char"``, ``"word"``, ``"word/char"`` or ``("word", "char")`` -> (source, target)."""
    parts = tokens.split("/") if isinstance(tokens, str) else list(tokens) \
        if isinstance(tokens, (tuple, list)) else None
    if parts is not None:   # " Word" typed in a box or a CLI flag means word
        parts = [p.strip().lower() if isinstance(p, str) else p for p in parts]
    if parts is not None and len(parts) == 1:
        parts = parts * 2
    if parts is None or len(parts) != 2 or any(p not in TOKEN_KINDS for p in parts):
        raise ValueError(t("bad_task_option", name="tokens",
                           rule="char, word, word/char or char/word", value=tokens))
    return parts[0], parts[1]


def tokens_option(tokens) -> str:
    """The canonical text of a ``tokens`` setting: ``"char"``, ``"word"`` or ``"word/char"``."""
    source, target = token_kinds(tokens)
    return source if source == target else f"{source}/{target}"


def split_tokens(text: str, kind: str) -> list[str]:
    return list(text) if kind == "char" else text.split()


def file_identity(path) -> tuple[str, int, int]:
    """(resolved path, mtime_ns, size) of a usable file, for caching: an edited file has a new
    identity, so it is read again.  Checks existence, directory and size without reading."""
    shown = Path(path).expanduser()
    try:
        resolved = shown.resolve()
        info = os.stat(resolved)
    except FileNotFoundError:
        raise PairsFileError("pairs_not_found", shown) from None
    except OSError as error:
        raise PairsFileError("pairs_unreadable", shown, reason=error.strerror or error) from None
    if resolved.is_dir():
        raise PairsFileError("pairs_is_directory", shown)
    if info.st_size > MAX_FILE_BYTES:
        raise PairsFileError("pairs_too_big", shown, size=megabytes(info.st_size),
                             limit=megabytes(MAX_FILE_BYTES))
    return str(resolved), info.st_mtime_ns, info.st_size


def megabytes(size: int) -> str:
    return f"{size / 1e6:.1f} MB"


def read_pairs(path, tokens="char", max_seq_len_source: int | None = None,
               max_seq_len_target: int | None = None) -> list[Pair]:
    """The distinct (source tokens, target tokens) rows of ``path``, in file order.

    :param tokens: ``"char"``, ``"word"``, or per side ``"word/char"`` / ``("word", "char")``
    :param max_seq_len_source: most source tokens a row may have (default: the config's default)
    :raises PairsFileError: for anything that makes the file unusable, naming the line
    """
    source_kind, target_kind = token_kinds(tokens)
    limits = (DEFAULT_MAX_SOURCE if max_seq_len_source is None else max_seq_len_source,
              DEFAULT_MAX_TARGET if max_seq_len_target is None else max_seq_len_target)
    name = Path(path).expanduser()
    resolved, _, size = file_identity(name)   # before reading: a 200 MB file is never read
    if size == 0:
        raise PairsFileError("pairs_empty", name)
    try:
        with open(resolved, "rb") as file:
            data = file.read()
    except OSError as error:
        raise PairsFileError("pairs_unreadable", name, reason=error.strerror or error) from None
    if b"\0" in data[:BINARY_PROBE_BYTES]:
        raise PairsFileError("pairs_binary", name)
    if data.startswith(b"\xef\xbb\xbf"):   # a UTF-8 BOM, as Excel and Notepad write it
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise PairsFileError("pairs_not_utf8", name, data.count(b"\n", 0, error.start) + 1) \
            from None

    is_csv = name.suffix.lower() == ".csv"
    hint = "pairs_hint_csv" if is_csv else "pairs_hint_tsv"   # keys: rendered in message()
    pairs, seen, first = [], set(), True
    for line, fields in (_csv_rows(text, name) if is_csv else _tsv_rows(text)):
        if not any(f.strip() for f in fields):
            continue   # a blank line
        # Spaces around a side are layout ("three, 3"), not data; spaces inside are kept.
        fields = [f.strip() for f in fields]
        if first and tuple(f.lower() for f in fields) == HEADER:
            first = False
            continue
        first = False
        if len(fields) == 1:
            raise PairsFileError("pairs_one_column", name, line, hint=hint)
        if len(fields) > 2:
            raise PairsFileError("pairs_too_many_columns", name, line, count=len(fields),
                                 hint=hint)
        row = []
        for side, text_, kind, limit in zip(("source", "target"), fields,
                                            (source_kind, target_kind), limits):
            side_name = f"pairs_side_{side}"
            if not text_:
                raise PairsFileError("pairs_empty_side", name, line, side=side_name)
            found = split_tokens(text_, kind)
            if len(found) > limit:
                raise PairsFileError("pairs_too_long", name, line, side=side_name,
                                     count=len(found), limit=limit, field=f"max_seq_len_{side}")
            row.append(found)
        key = (tuple(row[0]), tuple(row[1]))
        # An exact duplicate is kept once: otherwise the shuffle could put one copy in training
        # and the other in validation, and validation would score memory, not generalisation.
        if key not in seen:
            seen.add(key)
            pairs.append((row[0], row[1]))
    if not pairs:
        raise PairsFileError("pairs_empty", name)
    if len(pairs) < MIN_ROWS:
        raise PairsFileError("pairs_too_few_rows", name, rows=len(pairs), need=MIN_ROWS)
    return pairs


def _tsv_rows(text: str):
    # split("\n"), not splitlines(): splitlines also breaks at \x0c, \u2028 and others, and
    # the line numbers in messages must match what an editor shows.
    for number, line in enumerate(text.split("\n"), 1):
        yield number, line.removesuffix("\r").split("\t")


def _csv_rows(text: str, name: Path):
    reader = csv.reader(io.StringIO(text, newline=""))
    while True:
        start = reader.line_num + 1   # a quoted field may span lines: name the row's first
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            raise PairsFileError("pairs_bad_csv", name, start, reason=error) from None
        yield start, fields
