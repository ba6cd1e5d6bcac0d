"""The run lock: held by one process at a time, released by the kernel however its holder ends."""
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from outage_signal.cli import cli
from outage_signal.lock import LockHeld, RunLock

HOLD = "from outage_signal.lock import RunLock; import sys; RunLock(sys.argv[1], 'run').acquire(); print('held', flush=True); sys.stdin.read()"


@pytest.fixture
def holder(tmp_path):
    """Another process holding the lock of tmp_path/a.db until its stdin closes (or it is killed)."""
    db = tmp_path / "a.db"
    process = subprocess.Popen([sys.executable, "-c", HOLD, str(db)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               text=True)
    assert process.stdout.readline() == "held\n"  # waits until the lock is taken
    yield db, process
    process.kill()
    process.wait()


def test_a_half_written_lock_file_does_not_block(tmp_path):
    db = tmp_path / "a.db"
    Path(f"{db}.lock").write_text('{"pid": 12')  # a run killed while writing it
    with RunLock(db, "run"):
        pass
    assert not Path(f"{db}.lock").exists()


def test_a_second_holder_is_refused_and_told_who_holds_it(holder):
    db, process = holder
    with pytest.raises(LockHeld, match=f"another run holds the lock \\(run, pid {process.pid} on "):
        RunLock(db, "watch").acquire()


def test_the_lock_of_a_process_killed_with_sigkill_is_free(holder):
    db, process = holder
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert Path(f"{db}.lock").exists()  # left behind, still naming the dead process
    with RunLock(db, "run"):
        with pytest.raises(LockHeld, match=f"pid {os.getpid()}"):
            RunLock(db, "watch").acquire()


def test_demo_is_refused_while_a_run_holds_the_lock(holder):
    db, process = holder
    result = CliRunner().invoke(cli, ["--db", str(db), "demo"])
    assert result.exit_code == 2, result.output
    assert result.output.strip() == result.output.strip().splitlines()[0]
    assert f"another run holds the lock (run, pid {process.pid}" in result.output
    assert not db.exists()  # refused before opening the database
