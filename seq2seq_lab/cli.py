"""``seq2seq-lab``: train from the shell with the same names as the sliders, or print the table.

Lessons: 00 (``seq2seq-lab describe``), 09 (``seq2seq-lab search``: one worker of a class-wide
study); any lesson's run can be repeated from a terminal.

    seq2seq-lab train --learning_rate 0.01 --rnn_cell_type gru --task reverse --out runs/lr
    seq2seq-lab train --task pairs --path my.tsv --tokens word/char
    seq2seq-lab train --share s2s1.eNqr...   (a Lab's Share text; flags given as well win)
    seq2seq-lab describe --language ko
    seq2seq-lab search --strategy tpe --budget 3200 --storage postgresql://... --study class9
    seq2seq-lab search --study class9 --storage postgresql://... --report

Every config field is a flag of the same name; values are checked by ``Seq2SeqConfig``, so a
bad flag or value exits with status 2 and the config's own message, never a traceback.
"""
from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path

from .config import ConfigError, Seq2SeqConfig, describe
from .data import task_names
from .i18n import set_language


def log_line(history, step: int) -> str:
    """The classic log line of batch ``step`` (from 1): "Epoch 1, Batch 5, Training Error:
    2.6472"."""
    epoch, batch = divmod(step - 1, history.batches_per_epoch)
    return f"Epoch {epoch + 1}, Batch {batch + 1}, Training Error: {history.train_loss[step - 1]:.4f}"


def training_log(history, batches: int = 5) -> str:
    """The first ``batches`` log lines of a finished run, as ``train`` on the command line
    prints them (lesson 01 reproduces two such logs: too small a rate, too large)."""
    return "\n".join(log_line(history, step) for step in range(1, min(batches, history.steps) + 1))


class LogCallback:
    """The classic SageMaker-style log lines plus a tqdm progress bar."""

    def __init__(self, total: int, batches_per_epoch: int, log_every: int, stream=None):
        from tqdm import tqdm  # imported here: only the CLI draws a progress bar
        stream = stream or sys.stderr  # looked up now, so a redirected stderr is honoured
        self.bar = tqdm(total=total, unit="batch", file=stream, leave=False, dynamic_ncols=True)
        self.batches_per_epoch, self.log_every, self.stream = batches_per_epoch, log_every, stream

    def on_batch_end(self, history) -> None:
        self.bar.update(history.steps - self.bar.n)
        step = history.steps
        if step % self.log_every == 0:
            self.bar.write(log_line(history, step), file=self.stream)

    def on_evaluation_end(self, history) -> None:
        self.bar.write(f"Step {history.eval_steps[-1]}, Validation Error: {history.val_loss[-1]:.4f}, "
                       f"Token Accuracy: {history.val_accuracy[-1]:.4f}, "
                       f"Exact Match: {history.val_exact[-1]:.4f}", file=self.stream)

    def on_run_end(self, history) -> None:
        self.bar.close()


def _train_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="seq2seq-lab train", description="Train one model.",
                                     allow_abbrev=False)
    parser.add_argument("--task", default=None,
                        help=f"one of: {', '.join(task_names())} (default: reverse)")
    parser.add_argument("--path", help="--task pairs: your own TSV or CSV file of source/target "
                                       "pairs, one a line")
    parser.add_argument("--tokens", help="--task pairs: char, word, word/char or char/word "
                                         "(default char)")
    parser.add_argument("--seq_len", type=int, default=None, help="task sequence length")
    parser.add_argument("--train_size", type=int, default=None,
                        help="training examples (default 2000; pairs: the file's rows "
                             "less validation and test)")
    parser.add_argument("--noise", type=float, default=None,
                        help="fraction of noisy training targets (default 0)")
    parser.add_argument("--seed", type=int, default=None, help="run seed (default 0)")
    parser.add_argument("--share", help="a set-up text from a Lab's Share button (lab.share()); "
                                        "flags given as well win")
    parser.add_argument("--config", help="YAML or JSON file of hyperparameters (flags win)")
    parser.add_argument("--out", help="folder for history.csv, curves.png and config.yaml")
    parser.add_argument("--device", default=None, help="cpu or cuda (default: cuda if present)")
    parser.add_argument("--log_every", type=int, default=5, help="batches between log lines")
    for name, meta in Seq2SeqConfig.fields().items():
        # Strings on purpose: Seq2SeqConfig converts and checks them, with its own messages.
        parser.add_argument(f"--{name}", metavar=meta["type"].__name__.upper(), help=meta["en"])
    return parser


def _fail(message: str) -> int:
    print(f"seq2seq-lab: error: {message}", file=sys.stderr)
    return 2


def train_command(argv: list[str]) -> int:
    parser = _train_parser()
    args, unknown = parser.parse_known_args(argv)
    if unknown:
        name = unknown[0].lstrip("-").split("=")[0]
        try:
            Seq2SeqConfig.from_dict({name: None})
        except ConfigError as error:  # "unknown hyperparameter 'lerning_rate': did you mean ..."
            return _fail(str(error))
        return _fail(f"unexpected argument {unknown[0]!r}")
    values = {name: getattr(args, name) for name in Seq2SeqConfig.fields()
              if getattr(args, name) is not None}
    # A shared set-up is the base; a config file, then flags, change it.
    task_name, task_options, seed = "reverse", {}, 0
    try:
        base = Seq2SeqConfig()
        if args.share:
            from .setups import Setup, SetupError
            try:
                setup = Setup.from_text(args.share)
            except SetupError as error:
                return _fail(error.message())
            base, task_name, seed = setup.seq2seq_config(), setup.task, setup.seed
            task_options = dict(setup.task_options)
        if args.config:
            base = base.replace(**Seq2SeqConfig.from_file(args.config).diff(Seq2SeqConfig()))
        config = base.replace(**values)
    except ConfigError as error:
        return _fail(str(error))
    if args.task and args.task != task_name:
        task_options = {}     # a shared set-up's task options belong to its own task
    task_name = args.task or task_name
    given = {"path": args.path, "tokens": args.tokens, "seq_len": args.seq_len,
             "train_size": args.train_size, "noise": args.noise}
    task_options.update({name: value for name, value in given.items() if value is not None})
    if task_name != "pairs" and (args.path or args.tokens):
        return _fail("--path and --tokens are for --task pairs (your own file)")
    if task_name == "pairs" and not task_options.get("path"):
        return _fail("--task pairs needs --path: your own TSV or CSV file of source/target pairs")
    if task_name == "pairs":   # the file's rows are checked against the run's own limits
        task_options.update(max_seq_len_source=config.max_seq_len_source,
                            max_seq_len_target=config.max_seq_len_target)
    seed = seed if args.seed is None else args.seed

    from .training import resolve_task, total_steps, train  # torch import only when training
    try:
        task = resolve_task(task_name, task_options)
    except (ValueError, TypeError) as error:
        return _fail(str(error))
    log = LogCallback(total_steps(config, task), task.batches_per_epoch(config.batch_size),
                      max(1, args.log_every))
    history = train(config, task=task, seed=seed, callbacks=[log], device=args.device)
    ending = ("diverged at step {}".format(history.diverged_step) if history.diverged
              else "stopped early" if history.stopped_early else "finished")
    # The cost with the result, as beside every run in the widgets' legends.
    print(f"{ending}: {history.steps} batches in {history.wall_time:.1f} s "
          f"({history.steps_per_second:.0f} steps/s, {history.num_parameters:,} weights); final validation loss "
          f"{history.final('val_loss'):.4f}, token accuracy {history.final('val_accuracy'):.4f}")
    if args.out:
        # The same figure as the Lab widget's "Save PNG": one drawing of a run, not two.
        from .widgets.figure import LabFigure, RunView
        from .plots import PALETTE
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        history.to_csv(out / "history.csv")
        config.to_file(out / "config.yaml")
        view = RunView(history, history.label, PALETTE[0], role="current")
        (out / "curves.png").write_bytes(LabFigure().render([view], compress_level=6))
        print(f"wrote {out / 'history.csv'}, {out / 'curves.png'}, {out / 'config.yaml'}")
    return 0


def describe_command(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="seq2seq-lab describe",
                                     description="Print every hyperparameter: ours vs SageMaker's.")
    parser.add_argument("--language", choices=("en", "ko"), default=None)
    parser.add_argument("--kind", choices=("training", "architecture"), default=None)
    args = parser.parse_args(argv)
    if args.language:
        set_language(args.language)
    print(describe(kind=args.kind))
    return 0


def _search_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="seq2seq-lab search", allow_abbrev=False,
        description="Search hyperparameters with Optuna; the budget is in training batches. "
                    "Give the same --storage and --study on several machines to search together.")
    # Numbers as text: search() checks them and says what is wrong in one line.
    parser.add_argument("--strategy", help="grid, random, quasi_random, tpe or hyperband "
                                           "(default: tpe, or the study's own)")
    parser.add_argument("--budget", help="training batches this worker may spend")
    parser.add_argument("--storage", help="postgresql://user:password@host:port/db or an SQLite "
                                          "file (default: seq2seq_lab_search.db here)")
    parser.add_argument("--study", help="study name (default: <task>_<strategy>); an existing "
                                        "study is joined")
    parser.add_argument("--space", action="append", metavar="FIELD[=LOW:HIGH|=A,B,C]",
                        help="a searched hyperparameter: a range, values, or its default range "
                             "(repeat the flag; default: learning_rate, rnn_num_hidden, "
                             "rnn_cell_type)")
    parser.add_argument("--task", help=f"one of: {', '.join(task_names())} (default: reverse)")
    for option in ("seq_len", "train_size", "val_size", "noise"):
        parser.add_argument(f"--{option}", help=f"task option {option}")
    parser.add_argument("--seed", help="training seed of every trial (default 0)")
    parser.add_argument("--trial_batches", help="batches per trial (default: the epochs of the "
                                                "fixed config)")
    parser.add_argument("--heartbeat", default=None, help="seconds between a running trial's "
                                                          "heartbeats (default: "
                                                          "search.HEARTBEAT_INTERVAL)")
    parser.add_argument("--report", action="store_true", help="print the study's best trials "
                                                              "(alone: without searching)")
    parser.add_argument("--top", type=int, default=10, help="trials in --report (default 10)")
    parser.add_argument("--language", choices=("en", "ko"), default=None)
    for name, meta in Seq2SeqConfig.fields().items():
        parser.add_argument(f"--{name}", metavar=meta["type"].__name__.upper(),
                            help=f"held fixed: {meta['en']}")
    return parser


def parse_space(items: list[str] | None) -> dict | None:
    """``["learning_rate=1e-4:1e-1", "rnn_cell_type=gru,lstm", "rnn_num_hidden"]`` -> the
    ``space`` of ``search``: a range, a list of values, or None (the field's default range).
    Values stay text: the config converts and checks them, with its own messages."""
    if not items:
        return None
    space: dict = {}
    for item in items:
        name, _, values = item.partition("=")
        if ":" in values:
            space[name.strip()] = tuple(v.strip() for v in values.split(":"))
        elif values:
            space[name.strip()] = [v.strip() for v in values.split(",") if v.strip()]
        else:
            space[name.strip()] = None
    return space


class SearchProgress:
    """A tqdm bar of the batches spent (stderr) and one line per finished trial (stdout)."""

    def __init__(self, budget: int, stream=None):
        self.budget, self.stream, self.bar = budget, stream or sys.stderr, None
        self.spent, self.best = 0, None

    def on_trial_start(self, number: int, params: dict) -> None:
        if self.bar is None:   # drawn once a trial starts: a bad flag is one line, no bar
            from tqdm import tqdm
            self.bar = tqdm(total=self.budget, unit="batch", file=self.stream, leave=False,
                            dynamic_ncols=True)

    def on_batch_end(self, history) -> None:
        self.bar.update(self.spent + history.steps - self.bar.n)

    def on_trial_end(self, trial) -> None:
        from .config import format_value
        self.spent += trial.batches
        values = ", ".join(f"{k}={format_value(v)}" for k, v in trial.params.items())
        if trial.diverged:
            outcome = f"diverged after {trial.batches} batches"
        elif trial.state == "complete":
            self.best = trial.value if self.best is None else min(self.best, trial.value)
            outcome = (f"val_loss {trial.value:.4f} (best {self.best:.4f}) after "
                       f"{trial.batches} batches")
        else:
            outcome = f"{trial.state} after {trial.batches} batches"
        self.bar.write(f"trial {trial.number} {trial.state}: {outcome}; {values}",
                       file=sys.stdout)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def search_command(argv: list[str]) -> int:
    args, unknown = _search_parser().parse_known_args(argv)
    if unknown:
        return _fail(f"unexpected argument {unknown[0]!r}")
    if args.language:
        set_language(args.language)
    from .search import SearchError, load_search, search  # optuna only when searching
    values = {name: getattr(args, name) for name in Seq2SeqConfig.fields()
              if getattr(args, name) is not None}
    options = {name: getattr(args, name) for name in ("seq_len", "train_size", "val_size",
                                                      "noise") if getattr(args, name) is not None}
    try:
        base = Seq2SeqConfig.from_dict(values).diff() if values else None
        from .data import task_option_value
        options = {name: task_option_value(name, value) for name, value in options.items()}
        numbers = {}
        for flag in ("budget", "seed", "trial_batches", "heartbeat"):
            text = getattr(args, flag)
            if text is not None:
                try:
                    numbers[flag] = int(text)
                except ValueError:
                    return _fail(f"--{flag} must be a whole number, got {text!r}")
        if args.budget is None:
            if not args.report:
                return _fail("give --budget (training batches to spend), or --report alone")
            result = load_search(args.storage, args.study or (
                f"{args.task or 'reverse'}_{args.strategy}" if args.strategy else None))
        else:
            progress, stop = SearchProgress(numbers["budget"]), threading.Event()
            # SIGTERM (`kill PID`) ends this worker cleanly: the running trial is cut short and
            # stored as pruned, not left running until the heartbeat declares it dead.
            try:
                previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
            except ValueError:   # not the main thread: no signals here
                previous = None
            try:
                result = search(parse_space(args.space), args.strategy, budget=numbers["budget"],
                                task=args.task, seed=numbers.get("seed"), storage=args.storage,
                                study_name=args.study, task_options=options or None, base=base,
                                trial_batches=numbers.get("trial_batches"), stop_event=stop,
                                callbacks=[progress], **({"heartbeat_interval": numbers[
                                    "heartbeat"]} if "heartbeat" in numbers else {}))
            finally:
                if previous is not None:
                    signal.signal(signal.SIGTERM, previous)
                progress.close()
            best = result.best_trial
            count = len(result.trials)
            print(f"spent {result.batches_spent} of {result.budget} batches on "
                  f"{count} trial{'' if count == 1 else 's'} in study '{result.study_name}' at "
                  f"{result.storage}" + (f"; best so far: trial {best.number}, val_loss "
                                         f"{best.value:.4f}" if best else ""))
    except (SearchError, ConfigError, ValueError) as error:
        return _fail(str(error))
    if args.report:
        print(result.table(top=args.top))
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    commands = {"train": train_command, "describe": describe_command, "search": search_command}
    if not argv or argv[0] not in commands:
        print("usage: seq2seq-lab {train,describe,search} [options]   (--help after a command "
              "for more)", file=sys.stderr)
        return 2
    try:
        return commands[argv[0]](argv[1:])
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `seq2seq-lab describe | head` closed the pipe: not an error
        return 0


if __name__ == "__main__":
    sys.exit(main())
