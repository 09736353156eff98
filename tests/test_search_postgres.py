"""A class-wide study on a real PostgreSQL server (search.py): three worker processes search
one study, one is killed mid-trial, and nothing is lost or stored twice.

The server is this module's own: ``scripts/ensure_postgres.sh`` installs Debian's package when
it is missing (as root), then the fixture runs initdb and pg_ctl on a temporary data directory
and a free loopback port, and stops the server at the end, whatever happened.  Where
PostgreSQL is not installed and cannot be (not root), the tests are skipped with that reason.
"""
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from seq2seq_lab.search import SearchError, create_study, load_search, search

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "class-9-pw"
TRIAL = 40        # batches a trial: 4 evaluations, so a trial is seen "mid-trial" after one
HEARTBEAT = 1     # seconds; grace 3 s (search.GRACE_FACTOR): a dead worker's trial fails fast
SETTINGS = dict(space={"learning_rate": (1e-3, 0.1), "rnn_cell_type": ["gru", "rnn"]},
                strategy="tpe", trial_batches=TRIAL,
                base=dict(rnn_num_hidden=8, num_embed_source=8, num_embed_target=8,
                          batch_size=16, checkpoint_frequency_num_batches=10),
                task_options=dict(seq_len=4, train_size=64, val_size=16, test_size=0))


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def postgres():
    """A PostgreSQL server of our own; yields its URL (user ``learner``, password checked)."""
    found = subprocess.run(["bash", str(ROOT / "scripts" / "ensure_postgres.sh")],
                           capture_output=True, text=True)
    if found.returncode != 0:
        pytest.skip(f"PostgreSQL cannot start here: {found.stderr.strip()}")
    bin_dir = Path(found.stdout.strip().splitlines()[-1])
    # The server refuses to run as root: as root, every server command runs as the postgres
    # user, in a folder that user owns (/tmp itself lets anyone in).
    as_root = os.geteuid() == 0
    folder = Path(tempfile.mkdtemp(prefix="seq2seq-lab-pg-"))
    if as_root:
        shutil.chown(folder, "postgres", "postgres")
    port, data, log = _free_port(), folder / "data", folder / "server.log"

    def run(*command: str) -> None:
        line = shlex.join([str(bin_dir / command[0]), *command[1:]])
        argv = (["su", "postgres", "-s", "/bin/bash", "-c", line] if as_root
                else ["bash", "-c", line])
        done = subprocess.run(argv, capture_output=True, text=True, timeout=60)
        if done.returncode != 0:
            server_log = log.read_text() if log.exists() else ""
            pytest.fail(f"{command[0]} failed: {done.stderr}{server_log[-2000:]}")

    # Unix socket (in our folder): trusted, for setting up; TCP on loopback only: passwords,
    # what learners' laptops use, so that a wrong password is refused as it would be in class.
    run("initdb", "-D", str(data), "-U", "postgres", "--auth-local=trust",
        "--auth-host=scram-sha-256", "--no-sync")
    started = False
    try:
        # fsync off: a throw-away server need not survive a power cut, and commits are faster.
        run("pg_ctl", "-D", str(data), "-l", str(log), "-w", "-t", "30", "start", "-o",
            f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off")
        started = True
        run("psql", "-h", str(folder), "-p", str(port), "-U", "postgres", "-q", "-c",
            f"CREATE ROLE learner LOGIN PASSWORD '{PASSWORD}'")
        run("createdb", "-h", str(folder), "-p", str(port), "-U", "postgres", "-O", "learner",
            "search")
        yield f"postgresql://learner:{PASSWORD}@127.0.0.1:{port}/search"
    finally:
        if started:
            run("pg_ctl", "-D", str(data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(folder, ignore_errors=True)


def _worker(url: str, study: str, budget: int, out: Path) -> subprocess.Popen:
    """A learner's worker: the CLI with only the URL and the study's name (it joins)."""
    command = [sys.executable, "-m", "seq2seq_lab.cli", "search", "--storage", url, "--study",
               study, "--budget", str(budget), "--heartbeat", str(HEARTBEAT)]
    # Unbuffered, so the lines of a killed worker are in its file up to the kill.
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with out.open("w") as stdout:
        return subprocess.Popen(command, cwd=ROOT, env=env, stdout=stdout,
                                stderr=subprocess.DEVNULL)


def _wait_for(condition, what: str, timeout: float = 90.0):
    """Poll ``condition`` until it returns something true (never a fixed sleep)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    pytest.fail(f"timed out waiting for {what}")


def _reported(out: Path) -> list[tuple[int, str]]:
    """(trial number, state) of each ``trial N state: ...`` line a worker printed."""
    return [(int(m[1]), m[2]) for m in re.finditer(r"^trial (\d+) (\w+):", out.read_text(), re.M)]


def test_three_workers_one_killed_lose_nothing_and_store_nothing_twice(postgres, tmp_path):
    # The teacher creates the study once; learners join with the URL and the name only.
    create_study(storage=postgres, study_name="class", **SETTINGS)
    study = load_search(postgres, "class").study
    outs = {name: tmp_path / f"{name}.out" for name in "ABC"}
    # B and C get far more budget than they need: they are stopped (SIGTERM, a clean stop)
    # once the killed worker's trial has been retried.
    workers = {name: _worker(postgres, "class", 1000 * TRIAL, outs[name]) for name in "ABC"}
    try:
        def a_running_mid_trial():
            for trial in study.get_trials(deepcopy=False):
                if (trial.state.name == "RUNNING" and trial.intermediate_values
                        and trial.user_attrs.get("worker", {}).get("pid") == workers["A"].pid):
                    return trial
        # Generous: three processes importing torch at once on a loaded 2-core machine.
        _wait_for(a_running_mid_trial, "worker A to be in the middle of a trial", timeout=240)
        workers["A"].send_signal(signal.SIGKILL)
        workers["A"].wait(timeout=30)
        # The trial A was running when it died: left RUNNING, with A's pid.
        killed = [t for t in study.get_trials(deepcopy=False) if t.state.name == "RUNNING"
                  and t.user_attrs.get("worker", {}).get("pid") == workers["A"].pid]
        assert len(killed) == 1
        killed = killed[0].number

        def retried_and_done():
            trials = load_search(postgres, "class").study.get_trials(deepcopy=False)
            failed = [t for t in trials if t.number == killed and t.state.name == "FAIL"]
            retries = [t for t in trials if t.system_attrs.get("failed_trial") == killed]
            return failed and retries and all(t.state.name == "COMPLETE" for t in retries)
        _wait_for(retried_and_done, "another worker to fail the dead trial and retry it")
        for name in "BC":
            workers[name].send_signal(signal.SIGTERM)
        for name in "BC":
            assert workers[name].wait(timeout=60) == 0
    finally:
        for process in workers.values():
            if process.poll() is None:
                process.kill()
                process.wait()

    trials = load_search(postgres, "class").all_trials()
    by_number = {t.number: t for t in trials}
    assert not [t for t in trials if t.state in ("running", "waiting")]
    # Every trial a worker saw complete is stored complete, and no two workers ran one trial.
    reported = [(n, state) for name in "ABC" for n, state in _reported(outs[name])]
    complete = sorted(n for n, state in reported if state == "complete")
    assert complete == sorted(set(complete)) == sorted(t.number for t in trials
                                                        if t.state == "complete")
    assert len(complete) >= 3
    # The killed trial failed, and exactly one retry of it ran, with its values, elsewhere.
    assert by_number[killed].state == "fail"
    (retry,) = [t for t in trials if t.retry_of == killed]
    assert retry.state == "complete" and retry.params == by_number[killed].params
    stored_retry = next(t for t in study.get_trials(deepcopy=False) if t.number == retry.number)
    assert stored_retry.system_attrs["retry_history"] == [killed]
    assert stored_retry.user_attrs["worker"]["pid"] in (workers["B"].pid, workers["C"].pid)
    # What each worker saw is what is stored (the stopped ones' last trials: pruned).
    assert all(by_number[number].state == state for number, state in reported)
    assert any(state == "pruned" for _, state in reported)
    # The study's best is the best of every complete trial, whoever ran it.
    best = load_search(postgres, "class").best_trial
    assert best.value == min(t.value for t in trials if t.state == "complete")
    assert best.value == study.best_value


def test_wrong_password_and_unreachable_port_are_clear_messages(postgres):
    wrong = postgres.replace(PASSWORD, "not-the-password")
    with pytest.raises(SearchError, match="refused user 'learner': wrong password") as caught:
        search(budget=TRIAL, storage=wrong, study_name="class")
    assert "not-the-password" not in str(caught.value) and "learner:***@" in str(caught.value)
    port = int(postgres.rsplit(":", 1)[1].split("/")[0])
    closed = postgres.replace(f":{port}/", f":{_free_port()}/")
    with pytest.raises(SearchError, match="cannot reach the database at postgresql://learner:"
                                          r"\*\*\*@127\.0\.0\.1") as caught:
        search(budget=TRIAL, storage=closed, study_name="class")
    assert PASSWORD not in str(caught.value)
    missing = postgres.rsplit("/", 1)[0] + "/no_such_db"
    with pytest.raises(SearchError, match="has no database 'no_such_db'"):
        search(budget=TRIAL, storage=missing, study_name="class")
