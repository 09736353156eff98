"""Offline, seeded sequence-to-sequence tasks: vocabularies, splits and padded batches.

Lessons: all (01-05 use ``reverse``, 06 adds ``noise`` and small ``train_size``, 07 ``recall``,
08 ``dates`` and ``numbers``); ``pairs``, a learner's own TSV/CSV file (read by pairs.py).

Every example is generated from a seed, so a lesson never downloads anything and the same seed
gives the same data on every machine.  Splits are drawn from distinct sources, so validation
measures generalisation rather than memory.  ``noise`` corrupts a fraction of *training*
targets only: the model can fit those only by memorising them, which is what overfitting is.
The ``pairs`` task splits a file's distinct rows by a seeded shuffle, the same way.
"""
from __future__ import annotations

import difflib
import functools
import random
from dataclasses import dataclass, field
from typing import Callable, Iterator

import torch

from . import pairs as pairs_file
from .i18n import t

PAD, BOS, EOS, UNK = "<pad>", "<s>", "</s>", "<unk>"
SPECIALS = (PAD, BOS, EOS, UNK)
PAD_ID, BOS_ID, EOS_ID, UNK_ID = range(4)


class Vocabulary:
    """Token <-> id; ids 0-3 are PAD, BOS, EOS, UNK in every vocabulary."""

    def __init__(self, tokens):
        self.tokens = list(SPECIALS) + sorted(set(tokens) - set(SPECIALS))
        self.index = {token: i for i, token in enumerate(self.tokens)}

    def __len__(self) -> int:
        return len(self.tokens)

    def encode(self, tokens) -> list[int]:
        return [self.index.get(token, UNK_ID) for token in tokens]

    def decode(self, ids, stop_at_eos: bool = True) -> list[str]:
        """Tokens for ``ids``, dropping PAD and BOS and ending at the first EOS."""
        out = []
        for i in ids:
            i = int(i)
            if i == EOS_ID and stop_at_eos:
                break
            if i not in (PAD_ID, BOS_ID):
                out.append(self.tokens[i])
        return out


@dataclass
class Batch:
    """One padded batch.  ``target_in`` starts with BOS, ``target_out`` ends with EOS."""

    source: torch.Tensor            # batch x source_time, PAD_ID beyond each length
    source_lengths: torch.Tensor    # batch
    target_in: torch.Tensor         # batch x target_time
    target_out: torch.Tensor        # batch x target_time

    def to(self, device) -> "Batch":
        return Batch(*(x.to(device) for x in (self.source, self.source_lengths, self.target_in,
                                               self.target_out)))

    @property
    def num_tokens(self) -> int:
        return int((self.target_out != PAD_ID).sum())


@dataclass
class Split:
    """One split as token lists and as padded tensors (built once, sliced per batch)."""

    pairs: list[tuple[list[str], list[str]]]
    source: torch.Tensor
    source_lengths: torch.Tensor
    target_in: torch.Tensor
    target_out: torch.Tensor
    target_lengths: torch.Tensor  # including EOS

    def __len__(self) -> int:
        return len(self.pairs)


@dataclass
class Task:
    """A task: three disjoint splits and the two vocabularies."""

    name: str
    options: dict            # the make_task arguments: make_task(name, **options) rebuilds it
    source_vocab: Vocabulary
    target_vocab: Vocabulary
    splits: dict[str, Split] = field(repr=False)
    # What goes between two tokens when a side is shown (source, target): "" for characters,
    # " " for words (the numbers task's source, a pairs file read with word tokens).
    joiners: tuple[str, str] = ("", "")
    # A pairs task's file as it was read (resolved path, mtime_ns, size); None when generated.
    # Caches key on it: taken when the file was read, it cannot describe a later version.
    source_file: tuple | None = None

    @property
    def train(self) -> Split:
        return self.splits["train"]

    @property
    def validation(self) -> Split:
        return self.splits["validation"]

    @property
    def test(self) -> Split:
        return self.splits["test"]

    def batches(self, split: str = "train", batch_size: int = 64, shuffle: bool = False,
                generator: torch.Generator | None = None, max_source_len: int | None = None,
                max_target_len: int | None = None) -> Iterator[Batch]:
        """Padded batches of ``split``; the last may be smaller.  Shuffling uses ``generator``.

        Each batch is trimmed to its own longest sequence, so short batches cost less; the
        ``max_*_len`` limits (SageMaker's ``max_seq_len_source/target``) cut longer sequences.
        """
        data = self.splits[split]
        order = torch.randperm(len(data), generator=generator) if shuffle else torch.arange(len(data))
        for start in range(0, len(data), batch_size):
            rows = order[start:start + batch_size]
            source_lengths = data.source_lengths[rows]
            target_lengths = data.target_lengths[rows]
            if max_source_len:
                source_lengths = source_lengths.clamp(max=max_source_len)
            if max_target_len:
                target_lengths = target_lengths.clamp(max=max_target_len)
            source_time, target_time = int(source_lengths.max()), int(target_lengths.max())
            source = data.source[rows, :source_time]
            if max_source_len:  # a cut sequence must not keep tokens beyond its new length
                source = source.masked_fill(_beyond(source_lengths, source_time), PAD_ID)
            target_out = data.target_out[rows, :target_time]
            if max_target_len:
                target_out = target_out.masked_fill(_beyond(target_lengths, target_time), PAD_ID)
            yield Batch(source, source_lengths, data.target_in[rows, :target_time], target_out)

    def batches_per_epoch(self, batch_size: int) -> int:
        return -(-len(self.train) // batch_size)

    def examples(self, split: str = "validation", n: int = 5) -> list[tuple[str, str]]:
        """A few (source, target) strings, for showing a learner what the task is."""
        return [(self.show(s, "source"), self.show(t_, "target")) for s, t_ in self.splits[split].pairs[:n]]

    def show(self, tokens, side: str = "target") -> str:
        """Tokens (or ids) as the text a person reads."""
        vocab = self.source_vocab if side == "source" else self.target_vocab
        if tokens and not isinstance(tokens[0], str):
            tokens = vocab.decode(tokens)
        return self.joiners[0 if side == "source" else 1].join(tokens)


def _beyond(lengths: torch.Tensor, time: int) -> torch.Tensor:
    return torch.arange(time).unsqueeze(0) >= lengths.unsqueeze(1)


# ---- generators: each returns (source tokens, target tokens) from a random.Random ------------
DIGITS = "0123456789"


def _random_digits(rng: random.Random, seq_len: int) -> list[str]:
    # Lengths vary from half to the full seq_len so that padding and masks matter.
    length = rng.randint(max(1, (seq_len + 1) // 2), seq_len)
    return [rng.choice(DIGITS) for _ in range(length)]


def _reverse(rng, seq_len):
    source = _random_digits(rng, seq_len)
    return source, source[::-1]


def _copy(rng, seq_len):
    source = _random_digits(rng, seq_len)
    return source, list(source)


def _sort(rng, seq_len):
    source = _random_digits(rng, seq_len)
    return source, sorted(source)


def _recall(rng, seq_len):
    """Recall the first 3 tokens of a long sequence: the memory test of lesson 07.

    The answer sits at the very start, so the encoder must carry it across every later step:
    a long delay that a vanilla RNN struggles to bridge (measured 2026-11-29, length 30, 800
    steps, attention off: GRU 92-100% token accuracy, vanilla RNN 34-50%).
    """
    source = [rng.choice(DIGITS) for _ in range(seq_len)]
    return source, source[:3]


def _add(rng, seq_len):
    """``"37+5"`` -> ``"42"``: ``seq_len`` is the most digits of each operand."""
    a = rng.randint(0, 10 ** rng.randint(1, seq_len) - 1)
    b = rng.randint(0, 10 ** rng.randint(1, seq_len) - 1)
    return list(f"{a}+{b}"), list(str(a + b))


MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august",
          "september", "october", "november", "december")
_DATE_FORMATS = (
    lambda y, m, d: f"{MONTHS[m - 1]} {d}, {y}",
    lambda y, m, d: f"{d} {MONTHS[m - 1]} {y}",
    lambda y, m, d: f"{MONTHS[m - 1][:3]} {d:02d} {y}",
    lambda y, m, d: f"{d}.{m}.{y}",
    lambda y, m, d: f"{m}/{d}/{y}",          # US order, as written in the US
    lambda y, m, d: f"{y}{m:02d}{d:02d}",
    lambda y, m, d: f"{d:02d}-{MONTHS[m - 1][:3]}-{y % 100:02d}",
)
_DAYS_IN_MONTH = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _dates(rng, seq_len):
    """Many written date formats -> ISO ``YYYY-MM-DD`` (``seq_len`` is unused)."""
    year = rng.randint(1950, 2049)
    month = rng.randint(1, 12)
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    day = rng.randint(1, _DAYS_IN_MONTH[month - 1] + (leap and month == 2))
    written = rng.choice(_DATE_FORMATS)(year, month, day)
    if "-" in written:  # two-digit years: 50-99 -> 19xx, 00-49 -> 20xx, so the answer is unique
        year = int(written[-2:]) + (1900 if int(written[-2:]) >= 50 else 2000)
    return list(written), list(f"{year:04d}-{month:02d}-{day:02d}")


_ONES = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
         "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
         "eighteen", "nineteen")
_TENS = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")


def english_words(n: int) -> list[str]:
    """321 -> ['three', 'hundred', 'twenty-one'] (up to 999,999)."""
    if n < 20:
        return [_ONES[n]]
    if n < 100:
        return [_TENS[n // 10] + ("-" + _ONES[n % 10] if n % 10 else "")]
    if n < 1000:
        return [_ONES[n // 100], "hundred"] + (english_words(n % 100) if n % 100 else [])
    return english_words(n // 1000) + ["thousand"] + (english_words(n % 1000) if n % 1000 else [])


_KO_DIGITS = "영일이삼사오육칠팔구"
_KO_UNITS = ("", "십", "백", "천")


def korean_numerals(n: int) -> str:
    """321 -> '삼백이십일'; a leading 1 before 십/백/천/만 is silent, as Koreans write it."""
    if n == 0:
        return "영"
    if n >= 10000:
        high, low = divmod(n, 10000)
        return ("" if high == 1 else korean_numerals(high)) + "만" + (korean_numerals(low) if low else "")
    out = ""
    for position in range(3, -1, -1):
        digit = n // 10 ** position % 10
        if digit:
            out += ("" if digit == 1 and position else _KO_DIGITS[digit]) + _KO_UNITS[position]
    return out


def _numbers(rng, seq_len):
    """English number words -> Korean numerals; ``seq_len`` is the most digits (up to 6)."""
    n = rng.randint(1, 10 ** rng.randint(1, min(seq_len, 6)) - 1)
    words = []
    for word in english_words(n):  # "twenty-one" -> "twenty", "one": fewer distinct tokens
        words.extend(word.split("-"))
    return words, list(korean_numerals(n))


GENERATORS: dict[str, Callable] = {
    "reverse": _reverse, "copy": _copy, "sort": _sort, "recall": _recall, "add": _add,
    "dates": _dates, "numbers": _numbers,
}
DEFAULT_SEQ_LEN = {"reverse": 8, "copy": 8, "sort": 8, "recall": 30, "add": 3, "dates": 0,
                   "numbers": 4}


def _distinct_sources(name: str, seq_len: int) -> float:
    """How many distinct sources a task can produce (an upper bound used for a clear error)."""
    if name in ("reverse", "copy", "sort"):
        return sum(10 ** n for n in range(max(1, (seq_len + 1) // 2), seq_len + 1))
    if name == "recall":
        return 10 ** seq_len
    if name == "add":
        return (10 ** seq_len) ** 2
    if name == "numbers":
        return 10 ** min(seq_len, 6) - 1
    return 100 * 365 * len(_DATE_FORMATS)


PAIRS = "pairs"  # the task read from a learner's own file (pairs.py), not generated


def task_names() -> tuple[str, ...]:
    return (*GENERATORS, PAIRS)


# make_task's options as a learner may set them (a slider in ``Lab``, a value list in
# ``Compare``): type, valid range (None: no limit), the slider's range and step (what is worth
# trying in seconds, not all that is valid) and a one-line help.  Stated once: make_task checks
# its arguments against this table too.  Not ``seed``: a widget's seed is the run's seed.
TASK_OPTION_FIELDS: dict[str, dict] = {
    "seq_len": dict(
        type=int, low=1, high=200, slider=(2, 40, 1),
        en="Longest sequence (add, numbers: most digits); longer sequences are harder to carry.",
        ko="가장 긴 시퀀스 길이 (add, numbers: 최대 자릿수); 길수록 기억하기 어렵습니다."),
    "train_size": dict(
        type=int, low=1, high=None, slider=(50, 5000, 50),
        en="Training examples; fewer examples are easier to memorise than to learn from.",
        ko="학습 예제 수; 적을수록 배우기보다 외우기 쉬워집니다."),
    "val_size": dict(
        type=int, low=1, high=None, slider=(50, 2000, 50),
        en="Validation examples, never trained on; more give a steadier validation curve.",
        ko="학습에 쓰지 않는 검증 예제 수; 많을수록 검증 곡선이 안정됩니다."),
    "test_size": dict(
        type=int, low=0, high=None, slider=(0, 2000, 50),
        en="Test examples, kept aside until the end.",
        ko="끝까지 따로 두는 테스트 예제 수."),
    "noise": dict(
        type=float, low=0.0, high=1.0, slider=(0.0, 0.5, 0.05),
        en="Fraction of training targets swapped with another's: only memorising can fit them.",
        ko="다른 예제의 정답으로 바뀐 학습 예제의 비율: 외워야만 맞출 수 있습니다."),
}


def task_option_value(name: str, value):
    """``value`` (a number, or the text a learner typed) as option ``name`` of make_task, or a
    ValueError that says what is allowed."""
    meta = TASK_OPTION_FIELDS[name]
    low, high = meta["low"], meta["high"]
    rule = f"{low} .. {high}" if high is not None else f">= {low}"
    number = value
    if isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            number = None
    if isinstance(number, bool) or not isinstance(number, (int, float)) or number != number:
        raise ValueError(t("bad_task_option", name=name, rule=rule, value=value))
    if meta["type"] is int:
        if number != int(number):
            raise ValueError(t("bad_task_option", name=name, rule=rule, value=value))
        number = int(number)
    else:
        number = float(number)
    if number < low or (high is not None and number > high):
        raise ValueError(t("bad_task_option", name=name, rule=rule, value=value))
    return number


def make_task(name: str = "reverse", *args, **options) -> Task:
    """Task ``name`` with disjoint train / validation / test splits (a Task is never modified,
    so callers may share one: both kinds are cached).

    A generated task (``reverse``, ``copy``, ``sort``, ``recall``, ``add``, ``dates``,
    ``numbers``) takes ``seq_len=None, train_size=2000, val_size=500, test_size=500,
    noise=0.0, seed=0``:

    :param seq_len: longest sequence (``add`` and ``numbers``: most digits); task default if None
    :param noise: fraction of training pairs whose target is swapped with another's (0 to 1)
    :param seed: the data seed; the same seed always gives the same task

    ``"pairs"`` reads a learner's own file: ``path, tokens="char", train_size=None,
    val_size=None, test_size=None, noise=0.0, seed=0, max_seq_len_source=None,
    max_seq_len_target=None`` (see :func:`_pairs_task`).
    """
    return _make_task(name, True, args, options)


def _uncached_make_task(name: str = "reverse", *args, **options) -> Task:
    """make_task, built afresh (tests compare it with the cached one)."""
    return _make_task(name, False, args, options)


make_task.__wrapped__ = _uncached_make_task


_PAIRS_OPTIONS = ("path", "tokens", "max_seq_len_source", "max_seq_len_target")
MAX_PAIRS_CELLS = 50_000_000   # padded token cells of a pairs task: 400 MB of int64 tensors


def _make_task(name, cached: bool, args: tuple, options: dict) -> Task:
    # An option of the other kind of task is a learner's mix-up (a shared set-up's file options
    # meeting --task reverse, seq_len typed for a file): a message naming it, not a TypeError.
    if name == PAIRS:
        if "seq_len" in options:
            raise ValueError(t("setup_option_not_for_pairs", name="seq_len"))
        if not args and not options.get("path"):
            raise pairs_file.PairsFileError("pairs_no_path", "")
        return _pairs_task(*args, cached=cached, **options)
    if name not in GENERATORS:
        choices = task_names()
        close = difflib.get_close_matches(str(name), choices, n=1)
        raise ValueError(t("unknown_task", name=name, choices=", ".join(choices),
                           hint=t("did_you_mean", suggestion=close[0]) if close else ""))
    for option in options:
        if option in _PAIRS_OPTIONS:
            raise ValueError(t("setup_option_pairs_only", name=option, task=name))
    return (_generated_task if cached else _generated_task.__wrapped__)(name, *args, **options)


@functools.lru_cache(maxsize=32)  # the cache make_task always had, keyed on its arguments as given
def _generated_task(name: str = "reverse", seq_len: int | None = None, train_size: int = 2000,
                    val_size: int = 500, test_size: int = 500, noise: float = 0.0,
                    seed: int = 0) -> Task:
    seq_len = DEFAULT_SEQ_LEN[name] if seq_len is None else seq_len
    given = dict(seq_len=seq_len, train_size=train_size, val_size=val_size, test_size=test_size,
                 noise=noise)
    for option, value in given.items():
        if option == "seq_len" and name == "dates":
            continue   # dates ignore seq_len
        checked = task_option_value(option, value)
        if TASK_OPTION_FIELDS[option]["type"] is int and not isinstance(value, int):
            # 2.0 examples is not a size: the caller mixed something up (a widget passes ints)
            raise ValueError(t("bad_task_option", name=option, rule="a whole number",
                               value=value))
        given[option] = checked
    seq_len, train_size, val_size, test_size, noise = given.values()
    wanted = train_size + val_size + test_size
    available = _distinct_sources(name, seq_len)
    if wanted > 0.8 * available:  # beyond ~80% rejection sampling crawls; say so instead
        raise ValueError(t("task_too_small", name=name, seq_len=seq_len, available=int(available),
                           wanted=wanted))

    rng = random.Random(f"{name}:{seq_len}:{seed}")
    generate, seen, pairs = GENERATORS[name], set(), []
    while len(pairs) < wanted:
        source, target = generate(rng, seq_len)
        key = tuple(source)
        if key not in seen:  # distinct sources: no validation example was seen in training
            seen.add(key)
            pairs.append((source, target))
    train = pairs[:train_size]
    if noise:
        train = _corrupt(train, noise, rng)
    raw = {"train": train, "validation": pairs[train_size:train_size + val_size],
           "test": pairs[train_size + val_size:]}
    source_vocab = Vocabulary(tok for s, _ in pairs for tok in s)
    target_vocab = Vocabulary(tok for _, t_ in pairs for tok in t_)
    options = dict(seq_len=seq_len, train_size=train_size, val_size=val_size,
                   test_size=test_size, noise=noise, seed=seed)
    splits = {k: _tensorise(v, source_vocab, target_vocab) for k, v in raw.items()}
    joiners = (" ", "") if name == "numbers" else ("", "")
    return Task(name, options, source_vocab, target_vocab, splits, joiners)


def _pairs_task(path, tokens="char", train_size: int | None = None, val_size: int | None = None,
                test_size: int | None = None, noise: float = 0.0, seed: int = 0,
                max_seq_len_source: int | None = None, max_seq_len_target: int | None = None,
                cached: bool = True) -> Task:
    """The ``pairs`` task: the distinct rows of a learner's TSV/CSV file (pairs.py reads and
    checks it), shuffled by ``seed``, then validation, test and training rows in that order.

    :param path: the file; ``task.options["path"]`` holds it resolved, as text
    :param tokens: ``"char"``, ``"word"``, or per side ``"word/char"`` (source words, target
        characters)
    :param val_size: default 10% of the rows, at least 1; ``test_size``: default 10%
    :param train_size: default every row left; fewer uses the first of them
    :param max_seq_len_source: a row with more tokens is an error (default: the config's
        default, so a default run never cuts a row)
    :raises pairs.PairsFileError: a file that cannot be used, or sizes beyond its rows
    """
    tokens = pairs_file.tokens_option(tokens)
    limits = []
    for field_name, value in (("max_seq_len_source", max_seq_len_source),
                              ("max_seq_len_target", max_seq_len_target)):
        default = pairs_file.DEFAULT_MAX_SOURCE if field_name.endswith("source") \
            else pairs_file.DEFAULT_MAX_TARGET
        limits.append(default if value is None else _whole(field_name, value, 1))
    sizes = [None if value is None else _option(option, value)
             for option, value in (("train_size", train_size), ("val_size", val_size),
                                   ("test_size", test_size))]
    noise = _option("noise", noise)
    # The file's identity (resolved path, mtime_ns, size) is part of the cache key: an edited
    # file gets a new identity and is read again, while an unchanged one is read once.
    identity = pairs_file.file_identity(path)
    build = _pairs_task_of if cached else _pairs_task_of.__wrapped__
    return build(identity, tokens, *sizes, noise, seed, *limits)


def _option(name: str, value):
    """A TASK_OPTION_FIELDS option checked as make_task checks a generated task's."""
    checked = task_option_value(name, value)
    if TASK_OPTION_FIELDS[name]["type"] is int and not isinstance(value, int):
        raise ValueError(t("bad_task_option", name=name, rule="a whole number", value=value))
    return checked


def _whole(name: str, value, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ValueError(t("bad_task_option", name=name, rule=f">= {low}", value=value))
    return value


# Two: the file in use and the one before; each edit is a new key, and a big file's task holds
# its tensors, so more would keep old versions of one file in memory.
@functools.lru_cache(maxsize=2)
def _pairs_task_of(identity: tuple, tokens: str, train_size, val_size, test_size, noise: float,
                   seed: int, max_seq_len_source: int, max_seq_len_target: int) -> Task:
    path = identity[0]
    pairs = pairs_file.read_pairs(path, tokens, max_seq_len_source, max_seq_len_target)
    rows = len(pairs)
    val_size = max(1, rows // 10) if val_size is None else val_size
    test_size = rows // 10 if test_size is None else test_size
    if train_size is None:
        train_size = rows - val_size - test_size
    wanted = train_size + val_size + test_size
    if train_size < 1 or wanted > rows:
        raise pairs_file.PairsFileError("pairs_sizes_exceed", path, available=rows,
                                        wanted=val_size + test_size + max(train_size, 1))
    rng = random.Random(f"{PAIRS}:{seed}")
    rng.shuffle(pairs)
    # Validation and test come first, so a smaller train_size (lesson 06) keeps the very same
    # validation rows and the curves stay comparable.
    held_out = val_size + test_size
    train = pairs[held_out:held_out + train_size]
    if noise:
        train = _corrupt(train, noise, rng)
    raw = {"train": train, "validation": pairs[:val_size], "test": pairs[val_size:held_out]}
    # The padded tensors hold every row at the longest row's length (source, and target twice),
    # 8 bytes a cell: a file under the size limit with one long row among millions of short ones
    # would still fill the kernel's memory.  Say so before building them.
    cells = len(pairs) * (max(len(s) for s, _ in pairs) + 2 * (max(len(t_) for _, t_ in pairs) + 1))
    if cells > MAX_PAIRS_CELLS:
        raise pairs_file.PairsFileError("pairs_too_many_cells", path, rows=rows,
                                        megabytes=f"{cells * 8 / 1e6:,.0f}",
                                        limit=f"{MAX_PAIRS_CELLS * 8 / 1e6:,.0f}")
    source_vocab = Vocabulary(tok for s, _ in pairs for tok in s)
    target_vocab = Vocabulary(tok for _, t_ in pairs for tok in t_)
    options = dict(path=path, tokens=tokens, train_size=train_size, val_size=val_size,
                   test_size=test_size, noise=noise, seed=seed,
                   max_seq_len_source=max_seq_len_source, max_seq_len_target=max_seq_len_target)
    splits = {k: _tensorise(v, source_vocab, target_vocab) for k, v in raw.items()}
    kinds = pairs_file.token_kinds(tokens)
    joiners = tuple(" " if kind == "word" else "" for kind in kinds)
    return Task(PAIRS, options, source_vocab, target_vocab, splits, joiners, identity)


def _corrupt(train, noise, rng):
    """Swap the targets of a ``noise`` fraction of pairs among themselves (label noise)."""
    chosen = sorted(rng.sample(range(len(train)), round(noise * len(train))))
    targets = [train[i][1] for i in chosen]
    rng.shuffle(targets)
    train = list(train)
    for i, target in zip(chosen, targets):
        train[i] = (train[i][0], target)
    return train


def _tensorise(pairs, source_vocab: Vocabulary, target_vocab: Vocabulary) -> Split:
    n = len(pairs)
    source_time = max((len(s) for s, _ in pairs), default=1)
    target_time = max((len(t_) for _, t_ in pairs), default=0) + 1  # + BOS or EOS
    source = torch.full((n, source_time), PAD_ID, dtype=torch.long)
    target_in = torch.full((n, target_time), PAD_ID, dtype=torch.long)
    target_out = torch.full((n, target_time), PAD_ID, dtype=torch.long)
    for row, (s, t_) in enumerate(pairs):
        source[row, :len(s)] = torch.tensor(source_vocab.encode(s), dtype=torch.long)
        ids = target_vocab.encode(t_)
        target_in[row, :len(ids) + 1] = torch.tensor([BOS_ID] + ids, dtype=torch.long)
        target_out[row, :len(ids) + 1] = torch.tensor(ids + [EOS_ID], dtype=torch.long)
    source_lengths = torch.tensor([len(s) for s, _ in pairs], dtype=torch.long)
    target_lengths = torch.tensor([len(t_) + 1 for _, t_ in pairs], dtype=torch.long)
    return Split(pairs, source, source_lengths, target_in, target_out, target_lengths)
