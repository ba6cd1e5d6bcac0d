"""Kill the job with SIGKILL mid-work, re-run it, and compare with a run that was never interrupted.

Three jobs: the demo (collect, classify, detect, notify on the console), ``import`` of a bulk dump,
and ``run`` delivering to a real webhook receiver over HTTP. Kills land at several points of each: each
waits until the phase it means to interrupt has committed work (polling the database, or the receiver),
never a fixed time, so a slow machine moves the kill rather than the phase it lands in.
"""
import base64
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path
from typing import Callable

import pytest
from outage_signal.config import DEFAULT_CONFIG

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow  # whole jobs started and killed, minutes


@pytest.fixture(scope="module")
def replay(tmp_path_factory):
    out = tmp_path_factory.mktemp("replay4")
    subprocess.run([sys.executable, REPO / "datasets" / "replay" / "generate.py", "--days", "4", "--out", out],
                   check=True, capture_output=True)
    return out


def job(db: Path, *args, env: dict | None = None) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "outage_signal.cli", "--db", db, *map(str, args)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO,
                            env={**os.environ, **(env or {})})


def finish(process: subprocess.Popen) -> str:
    out, err = process.communicate(timeout=300)
    assert process.returncode == 0, err
    return out


def count(db: Path, query: str) -> int:
    """``query``'s count as another process sees the database (0 while the database or its table is not there)."""
    try:
        with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)) as conn:
            return conn.execute(query).fetchone()[0]
    except sqlite3.OperationalError:
        return 0


# Each phase of a pass, by the rows it commits as it goes.
PHASES = {"collecting": "SELECT COUNT(*) FROM posts", "classifying": "SELECT COUNT(*) FROM labels",
          "detecting": "SELECT COUNT(*) FROM detector_state"}


def began(db: Path, phase: str) -> Callable[[], bool]:
    """Whether a job started after this call has committed work of ``phase`` to ``db`` yet."""
    before = count(db, PHASES[phase])
    return lambda: count(db, PHASES[phase]) > before


def kill_when(process: subprocess.Popen, reached: Callable[[], bool]) -> str:
    """SIGKILL ``process`` as soon as ``reached()``; its output. Fails if it finished before that."""
    while not reached() and process.poll() is None:
        time.sleep(0.005)
    assert process.poll() is None, "the job finished before the phase its kill was meant for"
    process.send_signal(signal.SIGKILL)
    return process.communicate(timeout=60)[0]


def test_sigkill_during_the_demo_loses_and_doubles_nothing(replay, tmp_path, assert_same_content):
    reference = tmp_path / "reference.db"
    finish(job(reference, "demo", "--replay", replay))

    crashed = tmp_path / "crashed.db"
    notifications = []
    for phase in ("collecting", "collecting", "classifying", "classifying", "detecting"):
        reached = began(crashed, phase)
        out = kill_when(job(crashed, "demo", "--replay", replay), reached)
        notifications += [line for line in out.splitlines() if line.startswith("[")]
    notifications += [line for line in finish(job(crashed, "demo", "--replay", replay)).splitlines()
                      if line.startswith("[")]

    assert_same_content(crashed, reference)
    conn = sqlite3.connect(crashed)
    events = conn.execute("SELECT COUNT(*) FROM incident_events").fetchone()[0]
    delivered = conn.execute("SELECT COUNT(*) FROM outbox WHERE status = 'delivered'").fetchone()[0]
    assert events > 0 and delivered == events  # every event delivered (at least once)
    assert len(set(notifications)) >= events


# --- import -------------------------------------------------------------------------------------

def committed_lines(db: Path) -> int:
    """The import's cursor as another process sees it (0 before the first commit)."""
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
            row = conn.execute("SELECT cursor FROM cursors WHERE source LIKE 'import:%'").fetchone()
        return int(row[0]) if row else 0
    except sqlite3.OperationalError:  # the database or its table is not there yet
        return 0


def processes_naming(text: str) -> list[int]:
    """Pids of the live processes whose command line contains ``text``."""
    pids = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if text.encode() in cmdline.read_bytes() and (cmdline.parent / "stat").read_text().split()[2] != "Z":
                pids.append(int(cmdline.parent.name))
        except OSError:  # it ended while we looked
            pass
    return pids


def test_sigkill_during_import_loses_and_doubles_nothing(dump, imported_dump, tmp_path, assert_same_content):
    crashed, rng = tmp_path / "crashed.db", random.Random(5)
    # Kill once the import has committed past each mark, a random moment later (mid-batch, mid-commit).
    for mark in (0, 20_000, 45_000, 70_000, 100_000):
        process = job(crashed, "import", dump)
        while committed_lines(crashed) < mark and process.poll() is None:
            time.sleep(0.02)
        time.sleep(rng.uniform(0, 0.4))
        process.send_signal(signal.SIGKILL)
        process.communicate(timeout=60)
        # The helper process that reads the dump (outage_signal.prefetch) must not outlive its parent.
        deadline = time.monotonic() + 10
        while processes_naming(str(crashed)) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not processes_naming(str(crashed)), "the import's helper process outlived the killed import"
    out = finish(job(crashed, "import", dump))
    assert "malformed" in out
    assert_same_content(crashed, imported_dump)
    conn = sqlite3.connect(crashed)
    assert conn.execute("SELECT COUNT(*) FROM posts").fetchone()[0] == 120_000 - 240
    assert conn.execute("SELECT COUNT(*) FROM rejects").fetchone()[0] == 240


# --- run, delivering to a webhook over HTTP -------------------------------------------------------

SECRET = "whsec_" + base64.b64encode(b"crash-test-secret-0123456789").decode()


def webhook_config(tmp_path: Path, url: str) -> Path:
    path = tmp_path / f"config-{url.rsplit(':', 1)[1].split('/')[0]}.toml"
    path.write_text(DEFAULT_CONFIG.read_text() + f'\n[[webhooks]]\nname = "ops"\nurl = "{url}"\n'
                    'format = "generic"\nsecret_env = "CRASH_WEBHOOK_SECRET"\n')
    return path


def expire_leases(db: Path) -> None:
    """Let the two minutes pass after which a killed run's claimed outbox rows are due again."""
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE outbox SET next_attempt_at = '2000-01-01' WHERE status = 'pending'")
    conn.close()


def test_sigkill_during_run_and_delivery_loses_no_notification(replay, tmp_path, assert_same_content, make_receiver):
    env = {"CRASH_WEBHOOK_SECRET": SECRET}
    # Receivers that take a while to answer, so kills land mid-delivery.
    reference_receiver, receiver = make_receiver(delay=0.05), make_receiver(delay=0.05)
    reference = tmp_path / "reference.db"
    finish(job(reference, "--config", webhook_config(tmp_path, reference_receiver.url), "run", "--replay",
               replay, "--no-status-pages", env=env))
    crashed, config = tmp_path / "crashed.db", webhook_config(tmp_path, receiver.url)
    for phase in ("collecting", "classifying", "detecting"):
        reached = began(crashed, phase)
        kill_when(job(crashed, "--config", config, "run", "--replay", replay, "--no-status-pages", env=env), reached)
    for sent in (1, 4, 9):  # while delivering: after a few webhooks went out
        expire_leases(crashed)
        before = len(receiver.ids())
        kill_when(job(crashed, "--config", config, "run", "--replay", replay, "--no-status-pages", env=env),
                  lambda: len(receiver.ids()) >= before + sent)
    expire_leases(crashed)
    finish(job(crashed, "--config", config, "run", "--replay", replay, "--no-status-pages", env=env))

    assert_same_content(crashed, reference)
    conn = sqlite3.connect(crashed)
    events = {f"{event_id}@ops" for (event_id,) in conn.execute("SELECT id FROM incident_events")}
    assert len(events) >= 3
    assert set(receiver.ids()) == events == set(reference_receiver.ids())  # each at least once, stable ids
    assert conn.execute("SELECT COUNT(*) FROM outbox WHERE status != 'delivered'").fetchone()[0] == 0
