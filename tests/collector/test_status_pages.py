"""Every status platform's reader on a real published answer (see tests/cassettes/make_platform_cassettes.py),
and ``kind = "auto"`` recognising each of them."""
import json
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
    "rootly": ("platform_rootly", "https://status.example.com", "/api/v1/incidents.json"),
    "statusio": ("platform_statusio", "https://api.status.io/1.0/status/51f6f2088643809b7200000d", ""),
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


def test_rootly_reads_active_incidents_with_their_updates_impact_and_resolution():
    batch = read("rootly", "acme")
    by_title = {i.title: i for i in batch.incidents}
    api = by_title["API Degradation"]  # the guide's published incident
    assert (api.impact, api.url, api.resolved_at) == ("minor", "https://status.example.com/incidents/abc123", None)
    assert api.acknowledged_at == utc(2026, 3, 19, 10, 35)  # its first update, not its start (10:30)
    dashboard = by_title["Dashboard unavailable"]
    assert dashboard.impact == "critical" and dashboard.components == ()  # the published shape names none
    assert [u["status"] for u in dashboard.updates] == ["investigating", "identified", "monitoring"]  # time order
    assert dashboard.acknowledged_at == utc(2026, 3, 19, 8, 12)
    assert batch.all_open == "acme" and not batch.malformed  # one page, total_count 2: the whole active list


def rootly_two_pages(monkeypatch):
    from outage_signal.collector import rootly
    monkeypatch.setattr(rootly, "PER_PAGE", 2)  # the cassette's pages hold 2 incidents
    return replay("rootly_two_pages")


def test_rootly_reads_every_page_in_order(monkeypatch):
    with rootly_two_pages(monkeypatch) as cassette:
        batch = fetch_status("rootly", "https://status.example.com", "acme", retry=NO_WAIT)
        assert [r.uri.rsplit("?", 1)[1] for r in cassette.requests] == ["page=1&per_page=2", "page=2&per_page=2"]
    assert [i.title for i in batch.incidents] == [
        "API Degradation", "Dashboard unavailable", "Delayed email notifications"]
    email = batch.incidents[2]  # from page 2: resolved, with its resolution time
    assert (email.impact, email.resolved_at) == ("major", utc(2026, 3, 18, 23, 30))
    assert batch.all_open == "acme"


def rootly_answers():
    import yaml
    cassette = yaml.safe_load((CASSETTES / "rootly_two_pages.yaml").read_text())
    return [json.loads(i["response"]["body"]["string"]) for i in cassette["interactions"]]


class Answers:
    """A session answering each URL with the next of ``bodies`` (JSON), recording what was asked."""

    def __init__(self, *bodies):
        self.bodies, self.asked = list(bodies), []

    def get(self, url, **kwargs):
        self.asked.append(url)
        body = json.dumps(self.bodies.pop(0)).encode()
        return type("Response", (), {"status_code": 200, "headers": {}, "content": body})()


def test_rootly_never_skips_a_page_a_next_page_would_jump_over(monkeypatch):
    from outage_signal.collector import rootly
    monkeypatch.setattr(rootly, "PER_PAGE", 2)
    first, second = rootly_answers()
    first["pagination"]["next_page"] = 3
    session = Answers(first, second)
    batch = rootly.fetch_incidents("https://status.example.com", "acme", session=session, retry=NO_WAIT)
    assert len(session.asked) == 1 and len(batch.incidents) == 2  # page 3 is not read past page 2
    assert "next_page 3 is not page 2" in batch.malformed[0].reason and batch.all_open is None


def test_rootly_list_that_changed_between_pages_is_not_taken_as_whole(monkeypatch):
    """An incident resolved between two reads moves the list up: one incident of page 2 slips onto page 1,
    unread. The page totals disagree, so incidents missing from the batch are not resolved for it."""
    from outage_signal.collector import rootly
    monkeypatch.setattr(rootly, "PER_PAGE", 2)
    first, second = rootly_answers()
    second["pagination"]["total_count"] = 2
    batch = rootly.fetch_incidents("https://status.example.com", "acme", session=Answers(first, second), retry=NO_WAIT)
    assert len(batch.incidents) == 3 and not batch.malformed and batch.all_open is None


def test_rootly_stops_at_max_pages_and_then_does_not_take_the_list_as_whole(monkeypatch):
    from outage_signal.collector import rootly
    monkeypatch.setattr(rootly, "MAX_PAGES", 2)
    first, second = rootly_answers()
    second["pagination"]["next_page"] = 3  # a third page, past the limit
    session = Answers(first, second)
    batch = rootly.fetch_incidents("https://status.example.com", "acme", session=session, retry=NO_WAIT)
    assert len(session.asked) == 2 and len(batch.incidents) == 3 and batch.all_open is None


def test_rootly_answer_that_is_not_a_list_of_incidents_is_one_malformed_record():
    from outage_signal.collector import rootly
    batch = rootly.fetch_incidents("https://status.example.com", "acme", session=Answers({"message": "Forbidden"}),
                                   retry=NO_WAIT)
    assert not batch.incidents and batch.all_open is None
    assert [m.location for m in batch.malformed] == [
        "https://status.example.com/api/v1/incidents.json?page=1&per_page=100"]


def test_rootly_one_broken_incident_is_counted_the_others_kept():
    from outage_signal.collector import rootly
    page = rootly_answers()[0]
    page["incidents"][0]["incident_updates"][0]["created_at"] = "yesterday"
    batch, _ = rootly.parse_page(page, "acme", location="incidents.json?page=1")
    assert [i.title for i in batch.incidents] == ["Dashboard unavailable"]
    assert batch.malformed[0].location == "incidents.json?page=1[0]" and "ValueError" in batch.malformed[0].reason


def test_rootly_maintenance_is_skipped_and_an_unknown_impact_is_unknown():
    from outage_signal.collector import rootly
    page = rootly_answers()[0]
    page["incidents"][0]["status"] = "in_progress"
    page["incidents"][1]["impact"] = "maintenance"
    batch, _ = rootly.parse_page(page, "acme")
    assert [(i.title, i.impact) for i in batch.incidents] == [("Dashboard unavailable", "unknown")]


@pytest.mark.parametrize("payload", [{"incidents": []}, {"page": {}, "incidents": 5}, {"page": {}},
                                     {"page": {}, "incidents": [], "pagination": [1]}, "x"])
def test_rootly_answer_not_of_its_shape_is_one_malformed_record(payload):
    from outage_signal.collector import rootly
    batch, pagination = rootly.parse_page(payload, "svc", location="https://status.example.com/x")
    assert pagination is None and not batch.incidents
    assert [m.location for m in batch.malformed] == ["https://status.example.com/x"]


def test_statusio_reads_active_incidents_with_updates_impact_and_components():
    batch = read("statusio", "acme")
    slow, down = batch.incidents
    assert (slow.title, slow.impact, slow.components) == ("Slow page loads in US-West", "minor", ("Website", "US-West"))
    assert slow.acknowledged_at == utc(2016, 1, 29, 22, 45) and slow.resolved_at is None
    # B's messages come newest first: the first acknowledgement is the earliest; the incident's code rules
    assert down.impact == "critical" and down.acknowledged_at == utc(2016, 1, 29, 23, 2)
    assert [u["status"] for u in down.updates] == ["Service Disruption", "Partial Service Disruption"]
    assert down.updates[0]["body"] == "The website does not load in US-East."
    assert batch.all_open == "acme" and not batch.malformed  # active incidents only: leaving the list resolves


def statusio_answer():
    import yaml
    cassette = yaml.safe_load((CASSETTES / "platform_statusio.yaml").read_text())
    return json.loads(cassette["interactions"][0]["response"]["body"]["string"])


def test_statusio_impact_maps_each_status_code_and_falls_back_to_the_latest_message():
    from outage_signal.collector import statusio
    [slow, _] = statusio_answer()["result"]["incidents"]
    impacts = [statusio.parse_incident({**slow, "status_code": code}, "acme").impact
               for code in (100, 200, 300, 400, 500, 600, 999)]
    assert impacts == ["none", "none", "minor", "major", "critical", "major", "unknown"]
    no_code = {k: v for k, v in slow.items() if k != "status_code"}
    assert statusio.parse_incident(no_code, "acme").impact == "minor"  # its one message says 300


def test_statusio_one_broken_incident_is_counted_the_others_kept():
    from outage_signal.collector import statusio
    answer = statusio_answer()
    answer["result"]["incidents"][0]["messages"][0]["datetime"] = "yesterday"
    batch = statusio.parse_status(answer, "acme", location="status")
    assert [i.title for i in batch.incidents] == ["Website unavailable in US-East"]
    assert [m.location for m in batch.malformed] == ["status[0]"]
    assert batch.all_open is None  # the broken one may be stored open: the list is not known whole


@pytest.mark.parametrize("payload", [{"message": "Forbidden"}, {"result": {"status": []}}, [],
                                     {"result": {"status_overall": {}, "status": [], "incidents": 5}}])
def test_statusio_answer_not_of_its_shape_is_one_malformed_record(payload):
    from outage_signal.collector import statusio
    batch = statusio.parse_status(payload, "acme", location="https://api.status.io/1.0/status/x")
    assert not batch.incidents and [m.location for m in batch.malformed] == ["https://api.status.io/1.0/status/x"]


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
    with replay("auto_probe_rootly"):  # the address and summary.json answer 404; its status.json is Rootly's
        assert detect_platform("https://status.example.com", retry=NO_WAIT) == ("rootly", "https://status.example.com")
        # and from the status.json a user may paste: the address, not the status.json, is what the reader reads
        assert detect_platform("https://status.example.com/api/v1/status.json", retry=NO_WAIT) == (
            "rootly", "https://status.example.com")


def cassette_bodies():
    """(cassette, body) of every status platform cassette's 200 answer."""
    import yaml
    for path in sorted(CASSETTES.glob("*.yaml")):
        if path.name.startswith(("platform_", "auto_probe_", "rootly_", "status_ok")):
            for interaction in yaml.safe_load(path.read_text())["interactions"]:
                if interaction["response"]["status"]["code"] == 200:
                    body = interaction["response"]["body"]["string"]
                    yield path.stem, body if isinstance(body, bytes) else body.encode()


CASSETTE_KINDS = {**{cassette: kind for kind, (cassette, _, _) in PAGES.items()},
                  "auto_probe_incidentio": "incidentio", "auto_probe_rootly": "rootly", "rootly_two_pages": "rootly"}


@pytest.mark.parametrize("cassette, body", list(cassette_bodies()))
def test_every_platform_answer_is_recognised_as_its_own_platform_and_no_other(cassette, body):
    assert platform_of(body) == CASSETTE_KINDS[cassette]


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
                               ("/api/v2/summary.json", "/api/v1/status.json", "/index.json", "/incidents.json",
                                "/api/v2.0.0/history", "/public/currentevents"))]


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
    good = json.loads((Path(__file__).resolve().parents[1] / "data" / "gcp" / "incidents.json").read_text())[0]
    batch = cloud.parse_gcp([{**good, "external_desc": None, "created": "yesterday"}, good], "gcp")
    assert len(batch.incidents) == 1 and batch.malformed[0].location == "incidents.json[0]"
