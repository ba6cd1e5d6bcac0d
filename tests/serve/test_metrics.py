"""/metrics scraped from a running `serve` and parsed with prometheus_client's own parser, against the database."""
import json
import re
import shutil
import sqlite3
import time
import urllib.request
from contextlib import closing
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

DASHBOARD = Path(__file__).resolve().parents[2] / "deploy" / "grafana" / "outage-signal.json"

SLACK = "slack:20260920T1437Z"  # the demo's last incident, made open below


@pytest.fixture(scope="module")
def served(demo_run, tmp_path_factory, start_serve):
    """`serve` over the demo database with what the demo leaves empty: an open incident, failed deliveries, a
    run, a stream."""
    db = tmp_path_factory.mktemp("metrics") / "demo.db"
    shutil.copy(demo_run[0], db)
    with closing(sqlite3.connect(db)) as conn, conn:
        conn.execute("UPDATE incidents SET status = 'open', resolved_at = NULL WHERE id = ?", (SLACK,))
        conn.execute("UPDATE outbox SET status = 'dead' WHERE rowid IN (SELECT rowid FROM outbox LIMIT 3)")
        conn.execute("UPDATE outbox SET status = 'pending' WHERE rowid IN (SELECT rowid FROM outbox LIMIT 2 OFFSET 3)")
        conn.execute("INSERT INTO runs (command, started_at, finished_at, status) VALUES"
                     " ('run', '2026-11-01T10:00:00+00:00', '2026-11-01T10:01:30+00:00', 'ok')")
        conn.execute("INSERT INTO cursors VALUES ('bluesky:jetstream', ?, '2026-11-01T10:00:00+00:00')",
                     (str(int((time.time() - 42) * 1_000_000)),))
    return db, start_serve(db)


def exposition(url: str) -> str:
    with urllib.request.urlopen(url + "/metrics", timeout=30) as answer:
        assert answer.headers["content-type"].startswith("text/plain; version=")  # the exposition format
        return answer.read().decode()


def scrape(url: str) -> dict[str, dict[tuple, float]]:
    """{sample name: {sorted label items: value}}."""
    samples: dict[str, dict[tuple, float]] = {}
    for family in text_string_to_metric_families(exposition(url)):
        for sample in family.samples:
            samples.setdefault(sample.name, {})[tuple(sorted(sample.labels.items()))] = sample.value
    return samples


def by_service(samples: dict[tuple, float]) -> dict[str, float]:
    return {dict(labels)["service"]: value for labels, value in samples.items()}


def test_metrics_match_the_database(served):
    db, served = served
    metrics = scrape(served.url)
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    newest = conn.execute("SELECT MAX(minute) FROM counts").fetchone()[0]
    since = (datetime.fromisoformat(newest) - timedelta(minutes=4)).isoformat()
    services = [s for (s,) in conn.execute("SELECT service FROM detector_state")]

    for name, column in (("complaints", "complaints"), ("mentions", "mentions"), ("complaining_authors", "authors")):
        per_service = by_service(metrics[f"outage_signal_{name}_per_minute"])
        assert set(per_service) == set(services)
        for service in services:
            (total,) = conn.execute(f"SELECT COALESCE(SUM({column}), 0) FROM counts WHERE service = ? AND minute"
                                    " BETWEEN ? AND ?", (service, since, newest)).fetchone()
            assert per_service[service] == pytest.approx(total / 5), (name, service)
    assert sum(by_service(metrics["outage_signal_complaints_per_minute"]).values()) > 0

    cusum = {s: json.loads(state)["cusum"] for s, state in conn.execute("SELECT service, state FROM detector_state")}
    assert by_service(metrics["outage_signal_alarm_statistic"]) == pytest.approx(cusum, abs=1e-3)
    assert all(level > 0 for level in by_service(metrics["outage_signal_alarm_level"]).values())
    expected = by_service(metrics["outage_signal_expected_authors_per_minute"])
    upper = by_service(metrics["outage_signal_band_upper_authors_per_minute"])
    assert expected["chatgpt"] > 0 and all(upper[s] >= expected[s] for s in expected)

    open_incidents = by_service(metrics["outage_signal_open_incidents"])
    assert open_incidents == {s: (1 if s == "slack" else 0) for s in services}

    deliveries = {(dict(k)["endpoint"], dict(k)["status"]): v for k, v in metrics["outage_signal_deliveries"].items()}
    stored = {(e, s): n for e, s, n in conn.execute("SELECT endpoint, status, COUNT(*) FROM outbox GROUP BY 1, 2")}
    assert deliveries == stored and stored[("console", "dead")] == 3 and stored[("console", "pending")] == 2

    assert metrics["outage_signal_last_run_timestamp_seconds"] == {
        (("command", "run"), ("status", "ok")): datetime.fromisoformat("2026-11-01T10:01:30+00:00").timestamp()}
    assert metrics["outage_signal_newest_count_timestamp_seconds"][()] == datetime.fromisoformat(newest).timestamp()
    lag = {dict(k)["source"]: v for k, v in metrics["outage_signal_source_lag_seconds"].items()}
    assert 42 <= lag["bluesky:jetstream"] < 42 + 60
    collected = datetime.fromisoformat(conn.execute(
        "SELECT updated_at FROM cursors WHERE source = 'replay:posts.jsonl.zst'").fetchone()[0]).timestamp()
    assert 0 <= (time.time() - collected) - lag["replay:posts.jsonl.zst"] < 60  # scraped a moment ago
    # serve's own memory, from prometheus_client's process collector: the target is under 150 MB.
    assert 0 < metrics["process_resident_memory_bytes"][()] < 150 * 2**20


def test_the_grafana_dashboard_queries_only_exported_metrics(served):
    exported = {family.name for family in text_string_to_metric_families(exposition(served[1].url))}
    used = set(re.findall(r"\b(?:outage_signal|process)_[a-z_]+", DASHBOARD.read_text()))
    assert len(used) >= 12 and used <= exported, used - exported
