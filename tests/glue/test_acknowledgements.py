"""Who acknowledged an outage, and which official incident a detected one is: the replay's linking
target, official accounts speaking first, and pages that list open incidents only."""
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import vcr
from atproto import Client

from outage_signal import notify, pipeline, report
from outage_signal.collector.bluesky import PUBLIC_APPVIEW, official_acknowledgements
from outage_signal.collector.records import OfficialIncident
from outage_signal.config import DEFAULT_REPLAY, StatusPage
from outage_signal.detector import IncidentEvent
from outage_signal.sources import read_status_page
from outage_signal.store import Store

CASSETTES = Path(__file__).resolve().parents[1] / "cassettes"
T0 = datetime(2026, 9, 10, 16, 0, tzinfo=timezone.utc)


def test_replay_every_official_incident_links_to_its_outage_never_across_services(demo_run):
    """The target on the replay: each official incident (``replayNN``, the acknowledgement of the truth's
    outage NN) is linked to the detected incident of that outage; component-only ones are reported so."""
    path, _, _, _ = demo_run
    truth = json.loads((DEFAULT_REPLAY / "truth.json").read_text())["outages"]
    with Store(path) as store:
        official = store.official_incidents()
        rows = report.incidents(store)
    linked = {r["official_id"]: r for r in rows if r["official_id"]}
    assert set(linked) == {o["source_id"] for o in official}  # every official incident, each once
    for official_id, row in linked.items():
        outage = truth[int(official_id.removeprefix("replay"))]
        assert row["service"] == outage["service"]  # the right service
        assert row["started_at"] <= outage["end"] and outage["start"] <= (row["resolved_at"] or row["opened_at"])
        partial = outage["shape"] != "sharp"  # a slow or regional outage is acknowledged on one component
        assert row["official_scope"].startswith("component-only: " if partial else "service-wide"), row
        assert row["acknowledged_by"] == "status_page"
    scopes = sorted(r["official_scope"] for r in linked.values() if r["official_scope"].startswith("component"))
    assert scopes == ["component-only: Codespaces", "component-only: Conversations", "component-only: Huddles"]


def open_incident(store: Store, service: str = "github", started: datetime = T0) -> str:
    event = IncidentEvent("opened", service, f"{service}:x", started + timedelta(minutes=3), started, 40, 9.0, 2.0, 12.0)
    with store.transaction():
        store.apply_event(event)
    return event.incident_id


def status_incident(at: datetime, **kw) -> OfficialIncident:
    return OfficialIncident(**{"service": "github", "source_id": "gh-1", "title": "Incident with Git operations",
                               "impact": "major", "acknowledged_at": at, **kw})


def official_posts() -> list:
    with vcr.use_cassette(str(CASSETTES / "bluesky_author_feed.yaml"), record_mode="none"):
        return list(official_acknowledgements(Client(base_url=PUBLIC_APPVIEW), {"github": ["githubstatus.com"]}))


def test_an_official_post_before_the_status_page_acknowledges_first_and_the_report_says_so(tmp_path):
    [batch] = official_posts()  # one post about degraded Git operations (16:12), one about dark mode
    [post] = batch.incidents
    assert post.title.startswith("We're investigating reports of degraded") and post.source == "bluesky"
    with Store(tmp_path / "a.db") as store:
        incident_id = open_incident(store)
        store.save_batch(batch.source, batch.cursor, incidents=batch.incidents)
        store.save_batch("status:github", None, incidents=[status_incident(T0 + timedelta(minutes=20))])
        assert pipeline.link(store, []) == 1
        [row] = report.incidents(store)
        assert row["acknowledged_by"] == "bluesky" and row["acknowledged_at"] == "2026-09-10T16:12:00+00:00"
        assert row["lead_minutes"] == 9.0  # the post at 16:12, our alarm at 16:03
        assert row["official_id"] == "gh-1" and row["official_scope"] == "service-wide"  # still the page's incident
        [event] = store.db.query("SELECT kind, payload FROM incident_events WHERE incident_id = ?", [incident_id])
        assert event["kind"] == "acknowledged"
        assert notify.describe(json.loads(event["payload"])).startswith(
            "[acknowledged] github: its official Bluesky account spoke at 2026-09-10 16:12 UTC")
        assert pipeline.link(store, []) == 0  # linking again changes nothing


def test_the_status_page_first_wins_over_a_later_post(tmp_path):
    [batch] = official_posts()
    with Store(tmp_path / "a.db") as store:
        open_incident(store)
        store.save_batch(batch.source, batch.cursor, incidents=batch.incidents)
        store.save_batch("status:github", None, incidents=[status_incident(T0 + timedelta(minutes=5))])
        pipeline.link(store, [])
        [row] = report.incidents(store)
        assert (row["acknowledged_by"], row["acknowledged_at"][11:16]) == ("status_page", "16:05")


def test_a_post_alone_acknowledges_an_incident_no_status_page_reported(tmp_path):
    [batch] = official_posts()
    with Store(tmp_path / "a.db") as store:
        open_incident(store)
        store.save_batch(batch.source, batch.cursor, incidents=batch.incidents)
        pipeline.link(store, [])
        [row] = report.incidents(store)
        assert row["acknowledged_by"] == "bluesky" and row["official_scope"] is None
        assert report.official_summary(row) == "bluesky post"


def test_a_page_listing_open_incidents_only_resolves_the_ones_it_stops_listing(tmp_path):
    with Store(tmp_path / "a.db") as store:
        store.save_batch("status:github", None, incidents=[status_incident(T0), status_incident(T0, source_id="gh-2")],
                         all_open="github")
        store.save_batch("status:github", None, incidents=[status_incident(T0, source_id="gh-2")], all_open="github")
        resolved = {o["source_id"]: o["resolved_at"] for o in store.official_incidents("github")}
        assert resolved["gh-1"] is not None and resolved["gh-2"] is None


def test_auto_keeps_the_platform_it_found_and_reads_it_directly_next_time(tmp_path, caplog):
    page = StatusPage(kind="auto", url="https://status.openai.com")
    with Store(tmp_path / "a.db") as store:
        with vcr.use_cassette(str(CASSETTES / "auto_probe_incidentio.yaml"), record_mode="none",
                              allow_playback_repeats=True), caplog.at_level("INFO"):
            batch = read_status_page("chatgpt", page, store)
        assert batch.cursor == "auto:incidentio https://status.openai.com" and batch.incidents
        assert "found to be on incidentio" in caplog.text
        assert report.status_platform(store, "chatgpt", page) == "auto (not read yet)"
        store.save_batch(batch.source, batch.cursor, incidents=batch.incidents)
        assert report.status_platform(store, "chatgpt", page) == "incidentio (auto)"  # what `status` shows
        with vcr.use_cassette(str(CASSETTES / "platform_incidentio.yaml"), record_mode="none"):
            assert read_status_page("chatgpt", page, store).incidents  # no probing: the summary only
