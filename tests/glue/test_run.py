"""The scheduled `run`: what its summary line and exit status tell cron, and its bookkeeping in `runs`."""
import base64
import sqlite3
from datetime import datetime, timedelta, timezone

from click.testing import CliRunner

from outage_signal import notify, pipeline
from outage_signal.cli import cli
from outage_signal.config import DEFAULT_CONFIG
from outage_signal.detector import IncidentEvent
from outage_signal.store import Store

SECRET = "whsec_" + base64.b64encode(b"run-test-secret-0123456789").decode()
T0 = datetime(2026, 9, 10, 16, 8, tzinfo=timezone.utc)


def run(db, *args, config=None):
    options = ["--db", str(db)] + (["--config", str(config)] if config else [])
    return CliRunner().invoke(cli, [*options, "run", "--no-status-pages", *args], env={"RUN_TEST_SECRET": SECRET})


def test_dead_deliveries_are_in_the_summary_and_the_exit_status(tmp_path, receiver):
    receiver.statuses = [404] * 3  # the endpoint is gone: a 404 is not retried
    config = tmp_path / "config.toml"
    config.write_text(DEFAULT_CONFIG.read_text() + f'\n[[webhooks]]\nname = "ops"\nurl = "{receiver.url}"\n'
                      'format = "generic"\nsecret_env = "RUN_TEST_SECRET"\n')
    db = tmp_path / "a.db"
    hook = notify.Endpoint(name="ops", url=receiver.url, secret=SECRET)
    with Store(db) as store, store.transaction():  # three incidents opened, their notifications due
        for n in range(3):
            pipeline._apply(store, IncidentEvent("opened", "github", f"github:{n}", T0 + timedelta(minutes=n), T0,
                                                 complaints=40, peak_per_minute=9, expected=1.5, score=30), [hook])

    result = run(db, config=config)
    assert len(receiver.requests) == 3
    assert "0 notification(s) sent, 0 pending, 3 dead" in result.output
    assert result.exit_code == 4, result.output
    assert "4 some notification could not be delivered" in " ".join(CliRunner().invoke(cli, ["run", "--help"]).output.split())
    # Dead is final: the next run sends nothing and all is well again.
    again = run(db, config=config)
    assert again.exit_code == 0 and "dead" not in again.output and len(receiver.requests) == 3


def test_a_killed_runs_row_is_marked_interrupted_by_the_next_run(tmp_path):
    db = tmp_path / "a.db"
    with Store(db) as store:
        store.start_run("run")  # and never finished: what a run killed with SIGKILL leaves behind
    assert run(db).exit_code == 0
    assert run(db).exit_code == 0
    with sqlite3.connect(db) as conn:
        runs = conn.execute("SELECT id, status, finished_at IS NOT NULL FROM runs ORDER BY id").fetchall()
    assert runs == [(1, "interrupted", False), (2, "ok", True), (3, "ok", True)]


def test_a_run_that_raises_is_recorded_as_failed(tmp_path, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("bug")

    monkeypatch.setattr(pipeline, "run_pass", broken)
    db = tmp_path / "a.db"
    assert run(db).exit_code == 1
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT status, summary FROM runs").fetchall() == [("failed", '{"error": "RuntimeError: bug"}')]
