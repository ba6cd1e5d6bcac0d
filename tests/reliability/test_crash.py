"""Kill the job with SIGKILL mid-run, re-run it, and compare with a run that was never interrupted."""
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
# Columns that hold wall-clock times of bookkeeping, not results.
WALL_CLOCK = {"cursors": "updated_at", "rejects": "seen_at"}


@pytest.fixture(scope="module")
def replay(tmp_path_factory):
    out = tmp_path_factory.mktemp("replay4")
    subprocess.run([sys.executable, REPO / "datasets" / "replay" / "generate.py", "--days", "4", "--out", out],
                   check=True, capture_output=True)
    return out


def demo(db: Path, replay: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "outage_signal.cli", "--db", db, "demo", "--replay", replay],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO)


def content(db: Path) -> dict[str, list]:
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    tables = [t for (t,) in conn.execute("SELECT name FROM sqlite_master WHERE type='table'") if t != "runs"]
    result = {}
    for table in tables:
        columns = [c[1] for c in conn.execute(f"PRAGMA table_info({table})")
                   if c[1] != WALL_CLOCK.get(table) and not (table == "outbox" and c[1] in
                   ("created_at", "next_attempt_at", "delivered_at", "attempts"))]
        result[table] = sorted(conn.execute(f"SELECT {', '.join(columns)} FROM {table}").fetchall(), key=repr)
    if "meta" in result:  # the author salt is random per database
        result["meta"] = [r for r in result["meta"] if r[0] != "author_salt"]
    conn.close()
    return result


def test_sigkill_at_many_points_loses_and_doubles_nothing(replay, tmp_path):
    reference = tmp_path / "reference.db"
    finished = demo(reference, replay)
    finished.communicate(timeout=300)
    assert finished.returncode == 0

    crashed = tmp_path / "crashed.db"
    notifications = []
    for delay in (1.5, 2.5, 3.5, 5.0, 6.5):
        process = demo(crashed, replay)
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)
        out, _ = process.communicate(timeout=60)
        notifications += [line for line in out.splitlines() if line.startswith("[")]
    last = demo(crashed, replay)
    out, err = last.communicate(timeout=300)
    assert last.returncode == 0, err
    notifications += [line for line in out.splitlines() if line.startswith("[")]

    # Identical content, table by table; author hashes are salted per database, so posts drop that column.
    reference_rows, crashed_rows = content(reference), content(crashed)
    without_author = lambda rows: [r[:4] + r[5:] for r in rows]  # noqa: E731 - column 4 is author_hash
    reference_rows["posts"], crashed_rows["posts"] = map(without_author, (reference_rows["posts"], crashed_rows["posts"]))
    for table, rows in reference_rows.items():
        assert crashed_rows[table] == rows, table
    conn = sqlite3.connect(crashed)
    events = conn.execute("SELECT COUNT(*) FROM incident_events").fetchone()[0]
    delivered = conn.execute("SELECT COUNT(*) FROM outbox WHERE status = 'delivered'").fetchone()[0]
    assert events > 0 and delivered == events  # every event delivered (at least once)
    assert len(set(notifications)) >= events
