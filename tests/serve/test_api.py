"""The JSON API and the pages, in process (Starlette's test client), over the demo database."""
import re
import shutil
import socket
from datetime import datetime, timedelta, timezone

import pytest
from click.testing import CliRunner
from starlette.testclient import TestClient

from outage_signal.cli import cli
from outage_signal.config import load_config
from outage_signal.serve import board_now, create_app
from outage_signal.store import Store

CONFIG = load_config()


def client(db, now: str | None = None) -> TestClient:
    return TestClient(create_app(db, CONFIG, datetime.fromisoformat(now) if now else None))


@pytest.fixture(scope="module")
def demo(demo_run):
    return client(demo_run[0])


@pytest.fixture(scope="module")
def first(demo_run) -> dict:
    """The demo's first incident, as stored: ChatGPT's outage of 09-09, opened before its status page spoke."""
    with Store(demo_run[0], readonly=True) as store:
        incident = store.incidents()[0]
    assert incident["service"] == "chatgpt" and incident["opened_at"].startswith("2026-09-09")
    assert incident["lead_minutes"] >= 5
    return incident


def _plus(moment: str, minutes: float) -> str:
    return (datetime.fromisoformat(moment) + timedelta(minutes=minutes)).isoformat()


def test_services_lists_every_catalog_service_as_of_the_newest_minute(demo, demo_run):
    body = demo.get("/api/services").json()
    with Store(demo_run[0], readonly=True) as store:
        newest = store.newest_count_minute()
        hour = store.counts("chatgpt", since=(datetime.fromisoformat(newest) - timedelta(minutes=59)).isoformat(),
                            until=newest)
    # The demo's data is from 2026: "now" is its newest minute, and the answer says why.
    assert body["now"] == newest and body["note"].startswith("No data since")
    assert [s["service"] for s in body["services"]] == list(CONFIG.services)  # nothing open: catalog order
    chatgpt = body["services"][0]
    assert chatgpt["complaints_last_hour"] == sum(c for _, c, _, _ in hour) > 0
    assert chatgpt["authors_last_hour"] == sum(a for _, _, a, _ in hour)
    assert chatgpt["expected_authors_last_hour"] > 0 and chatgpt["alarm_level"] > 0
    assert chatgpt["open_incident"] is None
    assert chatgpt["last_official"]["title"] == "Elevated error rates on chatgpt"


def test_one_service_has_its_series_against_the_band(demo):
    body = demo.get("/api/services/github?hours=2").json()
    series = body["series"]
    assert len(series) == 120 and series[-1]["minute"] == body["now"]
    assert all(p["band_upper"] >= p["expected"] > 0 for p in series)
    assert demo.get("/api/services/nosuch").status_code == 404
    assert demo.get("/api/services/github?hours=0").status_code == 400


def test_incidents_newest_first_with_filters(demo, demo_run):
    with Store(demo_run[0], readonly=True) as store:
        stored = store.incidents()
    body = demo.get("/api/incidents").json()
    assert [i["id"] for i in body["incidents"]] == [i["id"] for i in reversed(stored)]
    assert [i["id"] for i in demo.get("/api/incidents?service=github").json()["incidents"]] == \
        [i["id"] for i in reversed(stored) if i["service"] == "github"]
    assert len(demo.get("/api/incidents?limit=2").json()["incidents"]) == 2
    assert demo.get("/api/incidents?status=open").json()["incidents"] == []
    assert len(demo.get("/api/incidents?status=resolved").json()["incidents"]) == len(stored)
    for query in ("limit=0", "limit=x", "status=maybe", "service=nosuch"):
        answer = demo.get(f"/api/incidents?{query}")
        assert answer.status_code == 400 and query.split("=")[1] in answer.json()["error"]


def test_one_incident_with_its_official_incident_events_and_posts(demo, first):
    incident = demo.get(f"/api/incidents/{first['id']}").json()
    assert incident["lead_minutes"] == first["lead_minutes"]
    assert incident["official"]["title"] == "Elevated error rates on chatgpt"
    assert [e["kind"] for e in incident["events"]][:2] == ["opened", "acknowledged"]
    assert len(incident["sample_posts"]) == 10
    assert demo.get("/api/incidents/nosuch:1").status_code == 404
    assert demo.get("/incidents/nosuch:1").status_code == 404


def test_pinned_now_shows_the_incident_as_it_stood(demo_run, first):
    silent = int(first["lead_minutes"]) - 3  # minutes since the alarm, 3 before the status page spoke
    before_acknowledgement = client(demo_run[0], _plus(first["opened_at"], silent))
    body = before_acknowledgement.get("/api/services").json()
    chatgpt = body["services"][0]  # an open incident puts its service first
    assert chatgpt["service"] == "chatgpt" and body["note"].startswith("The time is pinned")
    incident = chatgpt["open_incident"]
    assert incident["id"] == first["id"] and incident["status"] == "open" and incident["resolved_at"] is None
    assert incident["acknowledged_at"] is None and incident["status_page_silent_minutes"] == silent
    assert chatgpt["last_official"] is None or chatgpt["last_official"]["acknowledged_at"] < first["opened_at"]
    assert [i["id"] for i in before_acknowledgement.get("/api/incidents").json()["incidents"]] == [first["id"]]
    page = before_acknowledgement.get("/").text
    assert f"Outage since {first['opened_at'][11:16]}" in page and f"silent for <b>{silent} min</b>" in page
    after = client(demo_run[0], _plus(first["acknowledged_at"], 4)).get(f"/incidents/{first['id']}").text
    assert f"<b>+{int(first['lead_minutes'])} min</b> lead" in after and "Elevated error rates on chatgpt" in after


def test_now_is_the_real_time_while_data_is_recent(demo_run):
    with Store(demo_run[0], readonly=True) as store:
        newest = datetime.fromisoformat(store.newest_count_minute())
        assert board_now(store, real_now=newest + timedelta(minutes=30, seconds=7)) == (newest + timedelta(minutes=30), None)
        assert board_now(store, real_now=newest + timedelta(hours=2))[0] == newest


def test_pages_escape_posts_and_link_only_web_addresses(demo_run, first, tmp_path):
    db = tmp_path / "demo.db"
    shutil.copy(demo_run[0], db)
    with Store(db) as store:  # a post's text and url are whatever its author and source sent
        store.conn.execute("UPDATE posts SET text = text || ' <script>alert(1)</script>', url = CASE WHEN rowid % 2"
                           " THEN 'javascript:alert(2)' ELSE 'https://example.org/' || rowid END")
    page = client(db).get(f"/incidents/{first['id']}").text
    assert "<script>" not in page and "&lt;script&gt;" in page
    hrefs = re.findall(r'<li><a href="([^"]*)"', page)
    assert hrefs and all(h.startswith("https://example.org/") for h in hrefs) and "javascript:" not in page


def test_healthz_and_a_database_gone(demo_run, tmp_path):
    assert client(demo_run[0]).get("/healthz").json() == {"status": "ok", "newest_minute": "2026-09-20T23:59:00+00:00"}
    db = tmp_path / "gone.db"
    shutil.copy(demo_run[0], db)
    app = client(db)
    db.unlink()
    answer = app.get("/healthz")
    assert answer.status_code == 503 and "no such database" in answer.json()["error"]


def test_serve_command_errors_are_one_line(demo_run, tmp_path):
    assert "reverse proxy" in CliRunner().invoke(cli, ["serve", "--help"]).output
    missing = CliRunner().invoke(cli, ["--db", str(tmp_path / "none.db"), "serve"])
    assert missing.exit_code == 1 and missing.output.strip() == f"Error: no such database: {tmp_path / 'none.db'}"
    bad_now = CliRunner().invoke(cli, ["--db", str(demo_run[0]), "serve", "--now", "yesterday"])
    assert bad_now.exit_code == 1 and "--now 'yesterday'" in bad_now.output
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        busy = CliRunner().invoke(cli, ["--db", str(demo_run[0]), "serve", "--port", str(port)])
    assert busy.exit_code == 1 and busy.output.startswith(f"Error: cannot listen on 127.0.0.1:{port}: ")
    assert len(busy.output.splitlines()) == 1
