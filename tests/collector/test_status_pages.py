"""Every status platform's reader on a real published answer (see tests/cassettes/make_platform_cassettes.py),
and ``kind = "auto"`` recognising each of them."""
from datetime import datetime, timezone
from pathlib import Path

import pytest
import vcr

from outage_signal.collector.retry import RetryPolicy
from outage_signal.collector.status_pages import READERS, detect_platform, fetch_status, platform_of
from outage_signal.collector.statuspage import StatusPageError
from outage_signal.config import STATUS_PAGE_KINDS

CASSETTES = Path(__file__).resolve().parents[1] / "cassettes"
NO_WAIT = RetryPolicy(sleep=lambda seconds: None)
# kind: (cassette, the page's URL as a catalog gives it, the endpoint the reader reads)
PAGES = {
    "statuspage": ("status_ok", "https://www.githubstatus.com", "/api/v2/incidents.json"),
    "incidentio": ("platform_incidentio", "https://status.openai.com", "/api/v2/summary.json"),
    "instatus": ("platform_instatus", "https://status.perplexity.com", "/api/v2/summary.json"),
    "betterstack": ("platform_betterstack", "https://status.huggingface.co", "/index.json"),
    "gcp": ("platform_gcp", "https://status.cloud.google.com", "/incidents.json"),
    "aws": ("platform_aws", "https://health.aws.amazon.com", "/public/currentevents"),
    "azure": ("platform_azure", "https://rssfeed.azure.status.microsoft/en-us/status/feed/", ""),
    "slack": ("platform_slack", "https://slack-status.com", "/api/v2.0.0/history"),
}


def replay(name: str):
    return vcr.use_cassette(str(CASSETTES / f"{name}.yaml"), record_mode="none", allow_playback_repeats=True,
                            match_on=["method", "scheme", "host", "path", "query"])


def read(kind: str, service: str = "svc"):
    cassette, url, _ = PAGES[kind]
    with replay(cassette):
        return fetch_status(kind, url, service, retry=NO_WAIT)


def utc(*parts):
    return datetime(*parts, tzinfo=timezone.utc)


def test_every_kind_but_auto_has_a_reader_and_a_real_answer_to_read():
    assert set(READERS) == set(STATUS_PAGE_KINDS) - {"auto"}
    assert set(PAGES) == set(READERS) - {"feed"}  # feed: tests/collector/test_feeds.py


def test_incidentio_reads_the_statuspage_compatible_summary_of_openai():
    batch = read("incidentio", "chatgpt")
    [incident] = batch.incidents
    assert (incident.source_id, incident.title, incident.impact) == (
        "01KY54SWGRK806N6TJ495MYPDD", "Elevated errors for Workspace Agent", "minor")
    assert incident.acknowledged_at == utc(2026, 7, 22, 14, 48, 46) and incident.resolved_at is None
    assert [u["status"] for u in incident.updates] == ["investigating"]
    assert batch.all_open == "chatgpt" and not batch.malformed  # the summary lists open incidents only


def test_instatus_reads_perplexitys_open_incident():
    batch = read("instatus", "perplexity")
    [incident] = batch.incidents
    assert (incident.title, incident.impact, incident.url) == (
        "Computer sandbox issues", "major", "https://status.perplexity.com/cmrxt1rlu000f0zlcv4dzmdlr")
    assert incident.acknowledged_at == utc(2026, 7, 23, 17, 48, 28, 28000)
    assert incident.updates[0]["status"] == "monitoring" and batch.all_open == "perplexity"


def test_betterstack_reads_reports_with_their_updates_components_impact_and_resolution():
    batch = read("betterstack", "huggingface")
    by_title = {i.title: i for i in batch.incidents}
    assert "Scheduled maintenance: Jobs" not in by_title  # maintenance is announced, not acknowledged
    hub = by_title["Hub unavailable"]
    assert hub.impact == "major"  # an update put resources in "downtime"
    assert hub.components == ("Huggingface Hub", "Git Hosting and Serving", "Inference Endpoints UI")
    assert hub.acknowledged_at == utc(2026, 7, 16, 8, 30) and hub.resolved_at == utc(2026, 7, 16, 10, 7)
    assert [u["at"][11:16] for u in hub.updates] == ["08:30", "08:43", "10:07"]  # in time order
    assert by_title["Data serving slowness in Asia region"].impact == "minor"  # "degraded" only


def test_gcp_acknowledgement_is_publication_not_the_backdated_start():
    [incident] = read("gcp", "gcp").incidents
    assert incident.acknowledged_at == utc(2022, 7, 20, 13, 39, 1)  # begin was 2022-07-19 14:17
    assert incident.components == ("Secret Manager",) and incident.impact == "minor"
    assert incident.url == "https://status.cloud.google.com/incidents/mLBHeCxhRia17anXCSX1"


def test_aws_reads_the_utf16_current_events_with_their_logs():
    batch = read("aws", "aws")
    first = batch.incidents[0]
    assert first.title == "Increased Error Rates" and first.impact == "critical"
    assert first.components == ("Multiple services (UAE)",)
    assert first.acknowledged_at == datetime.fromtimestamp(1772369485, tz=timezone.utc)
    assert len(first.updates) == 23 and batch.all_open == "aws"


def test_azure_reads_affected_services_from_the_items_categories():
    [incident] = read("azure", "azure").incidents
    assert incident.title == "Issues connecting to resources in West US"
    assert "App Service" in incident.components and "West US" in incident.components
    assert incident.acknowledged_at.tzinfo is not None


def test_slack_reads_the_documented_issue():
    [incident] = read("slack", "slack").incidents
    assert incident.components == ("Apps/Integrations/APIs",) and incident.impact == "minor"  # an "incident"
    assert incident.acknowledged_at == utc(2018, 9, 7, 21, 35) and incident.updates[0]["body"].startswith("Technical")


@pytest.mark.parametrize("kind", sorted(PAGES))
def test_auto_recognises_each_platform_from_its_answer(kind):
    cassette, url, endpoint = PAGES[kind]
    given = url + endpoint  # the endpoint's own URL, as a user may paste it
    with replay(cassette):
        found, address = detect_platform(given, retry=NO_WAIT)
        assert found == kind
        assert fetch_status(found, address, "svc", retry=NO_WAIT).incidents  # and its reader reads from there


def test_auto_tries_the_platforms_endpoints_under_a_page_address():
    with replay("auto_probe_incidentio"):  # the address answers 404; its summary.json is incident.io's
        assert detect_platform("https://status.openai.com", retry=NO_WAIT) == ("incidentio", "https://status.openai.com")


class NotFound:
    """A session every URL of which answers 404, recording what was asked."""

    def __init__(self):
        self.asked = []

    def get(self, url, **kwargs):
        self.asked.append(url)
        return type("Response", (), {"status_code": 404, "headers": {}})()


def test_auto_says_what_to_set_when_nothing_answers_like_a_platform():
    session = NotFound()
    with pytest.raises(StatusPageError, match="no known status platform answered .* set status_page.kind to one of"):
        detect_platform("https://status.example.com/api/v2/incidents.json", session=session, retry=NO_WAIT)
    assert session.asked == ["https://status.example.com/api/v2/incidents.json", "https://status.example.com",
                             *(f"https://status.example.com{p}" for p in
                               ("/api/v2/summary.json", "/index.json", "/incidents.json", "/api/v2.0.0/history",
                                "/public/currentevents"))]


@pytest.mark.parametrize("body", [b"<html>maintenance</html>", b'{"message": "Forbidden"}', b"[]", b"[1, 2]", b""])
def test_an_answer_of_no_platform_is_not_recognised(body):
    assert platform_of(body) is None


@pytest.mark.parametrize("parse, payload", [
    ("instatus", {"page": {}, "activeIncidents": 5}), ("instatus", {"page": {}, "activeIncidents": "abc"}),
    ("instatus", {"activeIncidents": []}), ("betterstack", {"data": {"type": "status_page"}, "included": 5}),
    ("betterstack", {"data": {"type": "status_page_section"}}), ("gcp", {"incidents": []}), ("aws", "x"),
    ("slack", {"status": "ok"}),
])
def test_an_answer_not_of_the_platforms_shape_is_one_malformed_record(parse, payload):
    from outage_signal.collector import betterstack, cloud, instatus, slackstatus
    parser = {"instatus": instatus.parse_summary, "betterstack": betterstack.parse_index, "gcp": cloud.parse_gcp,
              "aws": cloud.parse_aws, "slack": slackstatus.parse_history}[parse]
    batch = parser(payload, "svc", location="https://status.example.com/x")
    assert not batch.incidents and [m.location for m in batch.malformed] == ["https://status.example.com/x"]


def test_one_broken_item_is_counted_the_others_kept():
    from outage_signal.collector import cloud
    import json
    good = json.loads((Path(__file__).resolve().parents[1] / "data" / "gcp" / "incidents.json").read_text())[0]
    batch = cloud.parse_gcp([{**good, "external_desc": None, "created": "yesterday"}, good], "gcp")
    assert len(batch.incidents) == 1 and batch.malformed[0].location == "incidents.json[0]"
