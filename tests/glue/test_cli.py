import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from outage_signal.cli import cli
from outage_signal.lock import LockHeld, RunLock

NAB = Path(__file__).resolve().parents[3] / "shared" / "data" / "nab" / "realTweets" / "Twitter_volume_AAPL.csv"


def invoke(*args, input=None):
    return CliRunner().invoke(cli, list(args), input=input)


def test_config_error_is_one_actionable_line(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[services.acme]\naliases = 'acme'\n")
    result = invoke("--config", str(bad), "classify", input="x\n")
    assert result.exit_code == 1
    assert result.output.strip() == f"Error: {bad}: key 'services.acme.aliases': expected a list of strings, got 'acme'"


def test_newer_database_is_refused_with_exit_1(tmp_path):
    db = tmp_path / "a.db"
    assert invoke("--db", str(db), "incidents").exit_code == 0
    import sqlite3
    conn = sqlite3.connect(db)
    conn.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    conn.commit()
    conn.close()
    result = invoke("--db", str(db), "incidents")
    assert result.exit_code == 1 and "written by a newer Outage Signal" in result.output


def test_classify_from_stdin():
    result = invoke("classify", input="is slack down? messages not sending\nslack tips thread\n")
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert [r["is_complaint"] for r in rows] == [True, False]
    assert rows[0]["services"] == ["slack"]


def test_run_is_refused_while_another_holds_the_lock(tmp_path):
    db = tmp_path / "a.db"
    with RunLock(db, "run"):
        result = invoke("--db", str(db), "run", "--no-status-pages")
    assert result.exit_code == 2 and "another run holds the lock" in result.output
    result = invoke("--db", str(db), "run", "--no-status-pages")
    assert result.exit_code == 0 and "0 new posts" in result.output


def test_stale_lock_of_a_killed_process_is_recovered(tmp_path):
    db = tmp_path / "a.db"
    subprocess.run([sys.executable, "-c", f"from outage_signal.lock import RunLock; RunLock({str(db)!r}, 'run').acquire()"],
                            check=True)
    assert Path(f"{db}.lock").exists()  # left behind by a process that is gone
    with RunLock(db, "run"):
        with pytest.raises(LockHeld, match=f"pid {os.getpid()}"):
            RunLock(db, "watch").acquire()
    assert not Path(f"{db}.lock").exists()


@pytest.mark.skipif(not NAB.exists(), reason="NAB data not beside the project")
def test_detect_series_prints_alarm_timestamps():
    result = invoke("detect-series", str(NAB))
    lines = result.output.splitlines()
    assert result.exit_code == 0 and lines[0] == "timestamp" and len(lines) > 1
    assert all(len(line) == 19 for line in lines[1:])


def test_every_command_explains_itself():
    for command in cli.commands:
        result = invoke(command, "--help")
        assert result.exit_code == 0 and len(result.output) > 100, command


def test_watch_runs_passes_in_a_loop(tmp_path):
    result = invoke("--db", str(tmp_path / "a.db"), "watch", "--every", "0s", "--passes", "2", "--no-status-pages")
    assert result.exit_code == 0 and result.output.count("0 new posts") == 2
    assert invoke("watch", "--every", "soon").exit_code == 2
