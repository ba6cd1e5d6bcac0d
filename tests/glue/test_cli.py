import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from outage_signal.cli import cli
from outage_signal.lock import LockHeld, RunLock
from outage_signal.store import Store

NAB = Path(__file__).resolve().parents[1] / "data" / "nab" / "Twitter_volume_AAPL.csv"  # see its SOURCE.txt


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
    Store(db).close()
    import sqlite3
    conn = sqlite3.connect(db)
    conn.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    conn.commit()
    conn.close()
    result = invoke("--db", str(db), "incidents")
    assert result.exit_code == 1 and "written by a newer Outage Signal" in result.output


def test_classify_from_stdin():
    result = invoke("classify", input="is slack down? messages not sending\nlove the new slack sidebar, so tidy\n")
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


# --- issue 14: global options after the command; one line for every bad input ---

def test_global_options_are_accepted_after_the_command(tmp_path):
    before, after = tmp_path / "before.db", tmp_path / "after.db"
    assert f"no such database: {after}" in invoke("incidents", "--db", str(after)).output
    Store(after).close()
    assert invoke("incidents", "--db", str(after)).exit_code == 0
    # Given in both places, the one after the command wins; not given after it, the one before holds.
    assert invoke("--db", str(before), "incidents", "--db", str(after), "-q").exit_code == 0
    assert not before.exists()
    log = tmp_path / "log.txt"
    result = invoke("--db", str(after), "--log-level", "info", "--log-file", str(log), "classify", "--quiet",
                    input="is github down?\n")
    assert result.exit_code == 0 and '"services": ["github"]' in result.output
    assert "--db FILE" in invoke("demo", "--help").output


def test_log_file_in_a_missing_folder_is_one_line(tmp_path):
    result = invoke("incidents", "--db", str(tmp_path / "a.db"), "--log-file", str(tmp_path / "no" / "log.txt"))
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.output.strip() == f"Error: --log-file {tmp_path / 'no' / 'log.txt'}: cannot open it: No such file or directory"


def test_classify_reports_each_bad_json_line_and_labels_the_rest():
    result = invoke("classify", input='{"text": 5}\n{"title": "x"}\nis slack down? messages not sending\n'
                                      '{"text": null}\n{"text": "github is down, 502s"}\n')
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert rows[:2] == [{"line": 1, "error": "JSON line whose 'text' is int, not a string"},
                        {"line": 2, "error": "JSON line without a 'text' field"}]
    assert rows[2]["line"] == 3 and rows[2]["services"] == ["slack"]
    assert rows[3] == {"line": 4, "error": "JSON line whose 'text' is NoneType, not a string"}
    assert rows[4]["line"] == 5 and rows[4]["services"] == ["github"]


def test_test_webhook_without_a_secret_warns_that_the_event_went_unsigned(make_receiver):
    receiver = make_receiver()
    result = CliRunner().invoke(cli, ["test-webhook", receiver.url], env={"OUTAGE_SIGNAL_WEBHOOK_SECRET": None})
    assert result.exit_code == 0
    assert "OUTAGE_SIGNAL_WEBHOOK_SECRET is not set: the sample event is sent unsigned" in result.stderr
    assert result.stdout.strip() == f"delivered an unsigned sample event to {receiver.url}"
    assert "webhook-signature" not in {k.lower() for k in receiver.requests[0][0]}


def test_test_webhook_with_a_malformed_secret_is_one_line(make_receiver):
    receiver = make_receiver()
    result = CliRunner().invoke(cli, ["test-webhook", receiver.url], env={"OUTAGE_SIGNAL_WEBHOOK_SECRET": "notbase64"})
    assert result.exit_code == 1 and result.exception is None or isinstance(result.exception, SystemExit)
    assert "OUTAGE_SIGNAL_WEBHOOK_SECRET does not hold a Standard Webhooks secret" in result.output
    assert "notbase64" not in result.output and receiver.requests == []


@pytest.mark.parametrize("command", [["report", "--out"], ["plot", "github", "--out"]])
def test_a_window_that_ends_before_it_starts_is_refused(tmp_path, command):
    result = invoke("--db", str(tmp_path / "a.db"), *command, str(tmp_path / "out"), "--since", "2026-09-13",
                    "--until", "2026-09-09")
    assert result.exit_code == 1
    assert result.output.strip() == "Error: --since 2026-09-13 is not before --until 2026-09-09: the window is empty"


def test_backfill_of_a_future_window_is_refused_before_any_collection(tmp_path, monkeypatch):
    from outage_signal import pipeline
    monkeypatch.setattr(pipeline, "backfill", lambda *a, **k: pytest.fail("backfill reached the collectors"))
    result = invoke("--db", str(tmp_path / "a.db"), "backfill", "--source", "bluesky", "--since", "2030-01-01")
    assert result.exit_code == 1
    assert result.output.strip() == "Error: --since 2030-01-01 is in the future: there is nothing to collect yet"
    result = invoke("--db", str(tmp_path / "a.db"), "backfill", "--source", "status", "--since", "2026-09-02",
                    "--until", "2026-09-01")
    assert result.exit_code == 1 and "the window is empty" in result.output


def test_posts_limit_must_be_positive(tmp_path):
    result = invoke("--db", str(tmp_path / "a.db"), "posts", "--limit", "-1")
    assert result.exit_code == 2 and "-1 is not in the range x>=1" in result.output


@pytest.mark.parametrize("command", ["incidents", "posts"])
def test_an_unknown_service_names_the_catalogs_services(tmp_path, command):
    result = invoke("--db", str(tmp_path / "a.db"), command, "--service", "nosuch")
    assert result.exit_code == 1 and len(result.output.splitlines()) == 1
    assert result.output.startswith("Error: unknown service 'nosuch'; the catalog has ") and "github" in result.output


def test_posts_json_has_the_same_shape_as_classify(demo_run):
    result = invoke("--db", str(demo_run[0]), "posts", "--service", "github", "--complaints-only", "--limit", "3",
                    "--json")
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert len(rows) == 3 and all(r["services"] == ["github"] or "github" in r["services"] for r in rows)
    assert all(r["is_complaint"] is True for r in rows)
    classified = json.loads(invoke("classify", input=rows[0]["text"] + "\n").output)
    assert {type(classified[k]) for k in ("services", "is_complaint")} == {type(rows[0][k]) for k in ("services", "is_complaint")}


def test_every_listing_prints_json_lines_or_csv(demo_run):
    db = str(demo_run[0])
    for command in (["incidents"], ["posts", "--limit", "2"], ["status"], ["deliveries", "--status", "delivered"]):
        as_json = invoke("--db", db, *command, "--json")
        assert as_json.exit_code == 0, (command, as_json.output)
        rows = [json.loads(line) for line in as_json.output.splitlines()]
        assert rows and all(isinstance(r, dict) for r in rows), command
        as_csv = invoke("--db", db, *command, "--csv")
        assert as_csv.exit_code == 0 and as_csv.output.splitlines()[0] == ",".join(rows[0]), command
    assert invoke("--db", db, "incidents", "--json", "--csv").output.strip() == "Error: --json and --csv: choose one"
    posts_csv = invoke("--db", db, "posts", "--service", "github", "--complaints-only", "--limit", "1", "--csv").output
    assert '"[""github""]"' in posts_csv  # a list in a CSV cell is JSON text, not Python's repr
