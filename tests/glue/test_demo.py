"""The main job end to end on the bundled replay: real model, real detector, real SQLite."""
import sqlite3

from click.testing import CliRunner

from outage_signal.classifier import DEFAULT_MODEL, ComplaintClassifier
from outage_signal import notify, pipeline
from outage_signal.cli import cli
from outage_signal.config import load_config
from outage_signal.store import Store


def test_demo_catches_most_outages_before_the_status_page(demo_run):
    _, summary, score, _ = demo_run
    assert summary.ingest.new_posts > 50_000
    assert not summary.ingest.malformed and not summary.ingest.failures
    assert score.recall >= 0.8, score.rows
    assert score.false_alarms_per_service_week <= 1.0, score.rows
    caught_and_acknowledged = [r for r in score.rows if r.get("incident") and r.get("acknowledged_at")]
    assert caught_and_acknowledged
    # Most, not all: the model is trained on real posts only (issue 19; the written posts lowered its real-post
    # figures) and finds fewer of the replay's generated, written-style posts, so two of ten acknowledged
    # outages are flagged 1 and 5 minutes after their status page.
    ahead = [r for r in caught_and_acknowledged if r["lead_minutes"] > 0]
    assert len(ahead) >= 0.75 * len(caught_and_acknowledged), caught_and_acknowledged


def test_demo_notifies_on_the_terminal_without_webhooks(demo_run):
    _, summary, _, printed = demo_run
    opened = sum(e.kind == "opened" for e in summary.events)
    assert opened and summary.delivery.delivered >= opened
    assert len(printed) == summary.delivery.delivered


def test_demo_links_incidents_to_official_acknowledgements(demo_run):
    path, summary, _, _ = demo_run
    with Store(path) as store:
        linked = [i for i in store.incidents() if i["official_id"]]
    assert len(linked) == summary.linked > 0
    assert all(i["lead_minutes"] is not None and i["acknowledged_at"] for i in linked)


def test_running_the_demo_again_changes_nothing(demo_run, tmp_path):
    path, _, _, _ = demo_run
    before = _dump(path)
    config = load_config()
    with Store(path) as store:
        summary, _ = pipeline.demo(store, config, ComplaintClassifier.load(DEFAULT_MODEL),
                                   notify.load_endpoints(config), echo=lambda _: None)
    assert summary.ingest.new_posts == 0 and summary.labeled == 0 and summary.events == []
    assert _dump(path) == before


def test_demo_command_prints_the_incident_table(demo_run):
    path, _, _, _ = demo_run
    result = CliRunner().invoke(cli, ["--db", str(path), "demo"])
    assert result.exit_code == 0, result.output
    assert "Incidents" in result.output and "lead" in result.output
    assert "outages caught" in result.output


def _dump(path) -> list:
    conn = sqlite3.connect(path)
    tables = [t for (t,) in conn.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")]
    skip = {"runs", "cursors", "rejects", "outbox"}  # bookkeeping times, not content
    rows = [(t, sorted(map(repr, conn.execute(f"SELECT * FROM {t}")))) for t in tables if t not in skip]
    conn.close()
    return rows
