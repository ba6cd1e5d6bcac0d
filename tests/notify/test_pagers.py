"""Alerts where on-call teams get paged: Alertmanager, PagerDuty and Apprise URLs, each posted to a real
HTTP server on loopback that checks the request against the receiver's published format."""
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urlsplit

import jsonschema
import pytest
import yaml
from click.testing import CliRunner

from outage_signal import notify, pipeline
from outage_signal.cli import cli
from outage_signal.config import ConfigError, load_config
from outage_signal.detector import IncidentEvent
from outage_signal.store import Store

T0 = datetime(2026, 9, 10, 16, 8, tzinfo=timezone.utc)  # when the incident opened
ROUTING_KEY = "R0UT1NGKEY0123456789abcdefABCDEF"  # 32 characters, as PagerDuty's integration keys


def later(**delta) -> datetime:
    """When the job delivers: the outbox runs on wall time, so just after now (plus ``delta``)."""
    return datetime.now(timezone.utc) + timedelta(seconds=5) + timedelta(**delta)


def incident_event(kind: str, minutes: int, incident: str = "github:0") -> IncidentEvent:
    return IncidentEvent(kind, "github", incident, T0 + timedelta(minutes=minutes), T0 - timedelta(minutes=4),
                         complaints=40 + minutes, peak_per_minute=9, expected=1.5, score=30)


def happen(store: Store, endpoints, *events: IncidentEvent) -> None:
    with store.transaction():
        for event in events:
            pipeline._apply(store, event, endpoints)


# --- the published formats -------------------------------------------------------------------------------

ALERTMANAGER_API = yaml.safe_load((Path(__file__).parents[1] / "data" / "alertmanager"
                                   / "openapi-postable-alerts.yaml").read_text())


def check_postable_alerts(body: list) -> None:
    """Alertmanager's definitions/postableAlerts (its openapi.yaml, tests/data/alertmanager), plus what the
    schema states only as formats or Alertmanager checks on receipt: RFC 3339 times, startsAt before
    endsAt, a URI generatorURL, label names of the Prometheus data model, and no key the schema lacks."""
    schema = {"$ref": "#/definitions/postableAlerts", "definitions": ALERTMANAGER_API["definitions"]}
    jsonschema.Draft4Validator(schema).validate(body)
    assert ALERTMANAGER_API["paths"]["/alerts"]["post"]["parameters"][0]["schema"] == {
        "$ref": "#/definitions/postableAlerts"}
    for alert in body:
        assert set(alert) <= {"labels", "annotations", "startsAt", "endsAt", "generatorURL"}
        starts, ends = datetime.fromisoformat(alert["startsAt"]), datetime.fromisoformat(alert["endsAt"])
        assert starts.tzinfo and ends.tzinfo and starts < ends
        assert all(name.isidentifier() for name in [*alert["labels"], *alert.get("annotations", {})])
        if "generatorURL" in alert:
            assert urlsplit(alert["generatorURL"]).scheme in ("http", "https")


# PagerDuty Events API v2, POST /v2/enqueue: the fields of its published reference (PagerDuty/api-schema,
# reference/events-v2/openapiv3.json, commit 91a06fb3c64b0ab2b2bd6c485d12b327dfb55c18, "createV2Event"),
# written out here: that repository carries no license, so the file itself is not copied.
PAGERDUTY_EVENT = {
    "type": "object", "required": ["routing_key", "event_action"], "additionalProperties": False,
    "properties": {
        "routing_key": {"type": "string"}, "event_action": {"enum": ["trigger", "acknowledge", "resolve"]},
        "dedup_key": {"type": "string", "maxLength": 255}, "client": {"type": "string"},
        "client_url": {"type": "string"},
        "links": {"type": "array", "items": {"type": "object", "required": ["href"], "additionalProperties": False,
                                             "properties": {"href": {"type": "string"}, "text": {"type": "string"}}}},
        "images": {"type": "array"},
        "payload": {
            "type": "object", "required": ["summary", "severity", "source"], "additionalProperties": False,
            "properties": {"summary": {"type": "string", "maxLength": 1024}, "timestamp": {"type": "string"},
                           "severity": {"enum": ["critical", "warning", "error", "info"]},
                           "source": {"type": "string"}, "component": {"type": "string"}, "group": {"type": "string"},
                           "class": {"type": "string"}, "custom_details": {"type": "object"}}},
    },
    # "dedup_key: Required unless the event_type is trigger"; a trigger needs a payload.
    "if": {"properties": {"event_action": {"const": "trigger"}}},
    "then": {"required": ["payload"]}, "else": {"required": ["dedup_key"]},
}


def check_pagerduty_event(body: dict) -> None:
    jsonschema.Draft7Validator(PAGERDUTY_EVENT).validate(body)
    if "payload" in body:
        assert datetime.fromisoformat(body["payload"]["timestamp"]).tzinfo


# --- Prometheus Alertmanager -------------------------------------------------------------------------------

def alertmanager(receiver, **kw) -> notify.Endpoint:
    return notify.Endpoint(name="am", url=receiver.base_url, format="alertmanager", **kw)


def alerts_of(receiver) -> list[dict]:
    return [alert for _, body in receiver.requests for alert in json.loads(body)]


def test_alertmanager_trigger_then_resolve_pairs_up(tmp_path, receiver):
    hook = alertmanager(receiver, labels={"team": "sre"},
                        incident_url="https://board.example/incidents/{incident_id}")
    with Store(tmp_path / "a.db") as store:
        happen(store, [hook], incident_event("opened", 0))
        assert notify.deliver(store, [hook], now=later()).delivered == 1
        happen(store, [hook], incident_event("escalated", 5), incident_event("resolved", 30))
        resolving = notify.deliver(store, [hook], now=later(minutes=1))
    assert (resolving.delivered, resolving.refreshed) == (2, 0)  # resolved: nothing left to re-send
    assert set(receiver.paths) == {"/api/v2/alerts"}
    for _, body in receiver.requests:
        check_postable_alerts(json.loads(body))
    alerts = alerts_of(receiver)
    # opened, its re-send in the same pass, escalated, resolved: one alert, one label set
    assert [a["annotations"]["event"] for a in alerts] == ["opened", "opened", "escalated", "resolved"]
    assert all(a["labels"] == {"alertname": "ServiceOutage", "service": "github", "incident_id": "github:0",
                               "team": "sre"} for a in alerts)
    assert alerts[-1]["endsAt"] == (T0 + timedelta(minutes=30)).isoformat()  # the resolution time
    assert alerts[0]["startsAt"] == (T0 - timedelta(minutes=4)).isoformat()  # when the surge began
    assert alerts[0]["generatorURL"] == "https://board.example/incidents/github%3A0"
    assert "40 complaints" in alerts[0]["annotations"]["summary"]


def test_open_alerts_are_sent_again_every_pass_and_stop_once_resolved(tmp_path, receiver):
    hook = alertmanager(receiver)
    with Store(tmp_path / "a.db") as store:
        happen(store, [hook], incident_event("opened", 0))
        for minutes in (0, 10, 20):  # three passes while the incident is open
            assert notify.deliver(store, [hook], now=later(minutes=minutes)).refreshed == 1
        happen(store, [hook], incident_event("resolved", 30))
        assert notify.deliver(store, [hook], now=later(minutes=30)).refreshed == 0
    alerts = alerts_of(receiver)
    check_postable_alerts(alerts)
    resent = [datetime.fromisoformat(a["endsAt"]) for a in alerts[1:4]]
    # each re-send ends FIRING_FOR after its pass: well after resolve_timeout's 5 minutes, moving on each pass
    assert all(ends - later(minutes=m) > timedelta(minutes=55) for ends, m in zip(resent, (0, 10, 20)))
    assert resent == sorted(resent) and len(set(resent)) == 3
    assert alerts[-1]["annotations"]["event"] == "resolved" and len(alerts) == 5


def test_a_firing_event_delivered_late_ends_soon_after_it_happened(tmp_path, receiver):
    hook = alertmanager(receiver)
    with Store(tmp_path / "a.db") as store:
        happen(store, [hook], incident_event("opened", 0), incident_event("resolved", 30))
        notify.deliver(store, [hook], now=later())
    first = alerts_of(receiver)[0]
    assert first["endsAt"] == (T0 + notify.FIRING_FOR).isoformat()  # not now + 1 h: it cannot re-fire for long


def test_alertmanager_refusal_is_dead_with_its_message(tmp_path, receiver):
    hook = alertmanager(receiver)
    receiver.statuses = [(400, b'"start time must be before end time"')]
    with Store(tmp_path / "a.db") as store:
        happen(store, [hook], incident_event("opened", 0))
        report = notify.deliver(store, [hook], now=later())
        [row] = store.deliveries()
    assert report.dead == 1
    assert row["last_error"] == "HTTP 400 from am: start time must be before end time"


# --- PagerDuty Events API v2 ------------------------------------------------------------------------------

def pagerduty(receiver, **kw) -> notify.Endpoint:
    return notify.Endpoint(name="pd", url=receiver.base_url + "/v2/enqueue", format="pagerduty",
                           routing_key=ROUTING_KEY, **kw)


ACCEPTED = (202, b'{"status":"success","message":"Event processed","dedup_key":"k"}')


def events_of(receiver) -> list[dict]:
    return [json.loads(body) for _, body in receiver.requests]


def test_pagerduty_trigger_then_resolve_share_a_dedup_key(tmp_path, receiver):
    hook = pagerduty(receiver)
    receiver.statuses = [ACCEPTED] * 4
    with Store(tmp_path / "a.db") as store:
        happen(store, [hook], incident_event("opened", 0), incident_event("escalated", 5))
        happen(store, [hook], incident_event("resolved", 30))
        assert notify.deliver(store, [hook], now=later()).delivered == 3
    events = events_of(receiver)
    for event in events:
        check_pagerduty_event(event)
    assert set(receiver.paths) == {"/v2/enqueue"}
    assert [e["event_action"] for e in events] == ["trigger", "trigger", "resolve"]
    assert {e["dedup_key"] for e in events} == {"outage-signal:github:0"}
    assert {e["routing_key"] for e in events} == {ROUTING_KEY}
    opened = events[0]["payload"]
    assert (opened["source"], opened["component"], opened["severity"]) == ("github", "github", "error")
    assert events[1]["payload"]["severity"] == "critical"
    assert opened["timestamp"] == T0.isoformat() and opened["custom_details"]["complaints"] == 40


def test_pagerduty_500_then_202_is_retried_and_delivered_once(tmp_path, receiver):
    hook = pagerduty(receiver)
    receiver.statuses = [500, ACCEPTED]
    with Store(tmp_path / "a.db") as store:
        happen(store, [hook], incident_event("opened", 0))
        first = notify.deliver(store, [hook], now=later())
        second = notify.deliver(store, [hook], now=later(minutes=5))
        third = notify.deliver(store, [hook], now=later(hours=2))
        [row] = store.deliveries()
    assert (first.failed, second.delivered, third.delivered) == (1, 1, 0)
    assert (row["status"], row["attempts"]) == ("delivered", 2)
    assert [e["dedup_key"] for e in events_of(receiver)] == ["outage-signal:github:0"] * 2


def test_pagerduty_400_is_dead_with_its_message(tmp_path, receiver):
    hook = pagerduty(receiver)
    receiver.statuses = [(400, b'{"status":"invalid event","message":"Event object is invalid","errors":'
                               b'["Length of \'routing_key\' is incorrect (should be 32 characters)"]}')]
    with Store(tmp_path / "a.db") as store:
        happen(store, [hook], incident_event("opened", 0))
        report = notify.deliver(store, [hook], now=later())
        assert notify.deliver(store, [hook], now=later(hours=1)).delivered == 0  # dead: never sent again
        [row] = store.deliveries()
    assert report.dead == 1 and row["status"] == "dead" and len(receiver.requests) == 1
    assert row["last_error"] == ("HTTP 400 from pd: Event object is invalid "
                                 "(Length of 'routing_key' is incorrect (should be 32 characters))")


def test_a_routing_key_echoed_in_an_error_is_masked(tmp_path, receiver):
    hook = pagerduty(receiver)
    receiver.statuses = [(400, b'{"message":"unknown routing key ' + ROUTING_KEY.encode() + b'"}')]
    with Store(tmp_path / "a.db") as store:
        happen(store, [hook], incident_event("opened", 0))
        notify.deliver(store, [hook], now=later())
        [row] = store.deliveries()
    assert row["last_error"] == "HTTP 400 from pd: unknown routing key ***"


def test_pagerduty_crash_between_send_and_record_resends_the_same_dedup_key(tmp_path, receiver):
    hook = pagerduty(receiver)

    def crash(event_id):
        raise SystemExit("killed after sending")

    with Store(tmp_path / "a.db") as store:
        happen(store, [hook], incident_event("opened", 0))
        with pytest.raises(SystemExit):
            notify.deliver(store, [hook], now=later(), on_sent=crash)
        assert notify.deliver(store, [hook], now=later(seconds=30)).delivered == 0  # leased
        assert notify.deliver(store, [hook], now=later(minutes=3)).delivered == 1
    first, again = events_of(receiver)
    assert first == again and first["dedup_key"] == "outage-signal:github:0"  # PagerDuty folds them into one


def test_a_retried_trigger_never_lands_after_its_resolve(tmp_path, receiver):
    """A trigger that failed waits to be retried; its resolve, written after it, waits for it rather than
    overtaking it (which would leave a page open after the outage ended)."""
    hook = pagerduty(receiver)
    receiver.statuses = [503, 503]
    with Store(tmp_path / "a.db") as store:
        happen(store, [hook], incident_event("opened", 0))
        assert notify.deliver(store, [hook], now=later()).failed == 1  # retried 1 min later
        assert notify.deliver(store, [hook], now=later(minutes=1)).failed == 1  # then 2 min later
        happen(store, [hook], incident_event("resolved", 30))
        assert notify.deliver(store, [hook], now=later(minutes=2)).delivered == 0  # the resolve waits its turn
        assert notify.deliver(store, [hook], now=later(minutes=4)).delivered == 2
    assert [e["event_action"] for e in events_of(receiver)] == ["trigger", "trigger", "trigger", "resolve"]


def test_a_resolve_written_in_the_same_pass_waits_for_its_failed_trigger(tmp_path, receiver):
    hook = pagerduty(receiver)
    receiver.statuses = [503]
    with Store(tmp_path / "a.db") as store:
        happen(store, [hook], incident_event("opened", 0), incident_event("resolved", 30))
        first = notify.deliver(store, [hook], now=later())
        assert (first.delivered, first.failed, first.pending) == (0, 1, 2)
        assert notify.deliver(store, [hook], now=later(minutes=3)).delivered == 2
    assert [e["event_action"] for e in events_of(receiver)] == ["trigger", "trigger", "resolve"]


def test_other_incidents_do_not_wait_for_a_failing_one(tmp_path, receiver):
    hook = pagerduty(receiver)
    receiver.statuses = [503]
    with Store(tmp_path / "a.db") as store:
        happen(store, [hook], incident_event("opened", 0), incident_event("opened", 1, incident="github:1"))
        assert notify.deliver(store, [hook], now=later()).delivered == 1


def test_an_acknowledgement_after_the_end_resolves_rather_than_pages(tmp_path, receiver):
    hook = pagerduty(receiver)
    with Store(tmp_path / "a.db") as store:
        happen(store, [hook], incident_event("opened", 0), incident_event("resolved", 30))
        with store.transaction():  # the status page admits the outage after we saw it end
            store.link_incident("github:0", "inc-1", (T0 + timedelta(minutes=40)).isoformat(), -40.0)
            pipeline.record_event(store, "github:0", "acknowledged", T0 + timedelta(minutes=40), [hook])
        assert notify.deliver(store, [hook], now=later()).delivered == 3
    assert [e["event_action"] for e in events_of(receiver)] == ["trigger", "resolve", "resolve"]


# --- Apprise URLs ------------------------------------------------------------------------------------------

def apprise(url: str) -> notify.Endpoint:
    return notify.Endpoint(name="chat", url=url, format="apprise")


def test_apprise_json_target_gets_apprise_json_message(tmp_path, receiver):
    hook = apprise(f"json://{receiver.base_url.removeprefix('http://')}/notify")
    with Store(tmp_path / "a.db") as store:
        happen(store, [hook], incident_event("opened", 0), incident_event("resolved", 30))
        assert notify.deliver(store, [hook], now=later()).delivered == 2
    assert receiver.paths == ["/notify", "/notify"]
    opened, resolved = events_of(receiver)
    # Apprise's json:// body: version, title, message, attachments, type (info, success, warning, failure)
    assert set(opened) == {"version", "title", "message", "attachments", "type"}
    assert (opened["title"], opened["type"], resolved["type"]) == ("github: incident opened", "failure", "success")
    assert opened["message"].startswith("[opened] github outage at 2026-09-10 16:08 UTC: 40 complaints")


def test_apprise_ntfy_target_gets_an_ntfy_json_publish(tmp_path, receiver):
    hook = apprise(f"ntfy://{receiver.base_url.removeprefix('http://')}/outages")
    with Store(tmp_path / "a.db") as store:
        happen(store, [hook], incident_event("opened", 0))
        assert notify.deliver(store, [hook], now=later()).delivered == 1
    # ntfy's "publish as JSON": POST to the server's root, the topic in the body
    headers, _ = receiver.requests[0]
    [published] = events_of(receiver)
    assert receiver.paths == ["/"] and headers["Content-Type"] == "application/json"
    assert published["topic"] == "outages" and published["title"] == "github: incident opened"
    assert "40 complaints" in published["message"]


def test_apprise_failure_is_retried_by_the_outbox(tmp_path, receiver):
    hook = apprise(f"json://{receiver.base_url.removeprefix('http://')}/notify")
    receiver.statuses = [500]
    with Store(tmp_path / "a.db") as store:
        happen(store, [hook], incident_event("opened", 0))
        first = notify.deliver(store, [hook], now=later())
        [failed] = store.deliveries()
        second = notify.deliver(store, [hook], now=later(minutes=5))
        [row] = store.deliveries(status="delivered")
    assert (first.failed, second.delivered, row["attempts"]) == (1, 1, 2)
    assert failed["last_error"].startswith("Apprise could not notify chat: ") and "500" in failed["last_error"]
    assert len(receiver.requests) == 2  # Apprise sends no id: a receiver sees the same message twice


# --- config and test-webhook -------------------------------------------------------------------------------

def write(tmp_path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text('[services.github]\naliases = ["github"]\n' + text)
    return path


def endpoints_of(tmp_path, text: str) -> list[notify.Endpoint]:
    return notify.load_endpoints(load_config(write(tmp_path, text)))


def test_pager_formats_load_with_their_keys(tmp_path, monkeypatch):
    monkeypatch.setenv("PD_KEY", ROUTING_KEY)
    monkeypatch.setenv("NTFY_TOKEN", "tk_secret0123")
    am, pd, ntfy = endpoints_of(tmp_path, """
[[webhooks]]
name = "am"
format = "alertmanager"
url = "http://alertmanager:9093"
labels = { team = "sre", severity = "page" }
incident_url = "https://board.example/incidents/{incident_id}"
[[webhooks]]
name = "pd"
format = "pagerduty"
routing_key_env = "PD_KEY"
[[webhooks]]
name = "ntfy"
format = "apprise"
url = "ntfys://ntfy.example/outages?token=${NTFY_TOKEN}"
""")
    assert am.labels == {"team": "sre", "severity": "page"} and am.incident_url.endswith("{incident_id}")
    assert (pd.url, pd.routing_key) == ("https://events.pagerduty.com/v2/enqueue", ROUTING_KEY)
    assert ntfy.url == "ntfys://ntfy.example/outages?token=tk_secret0123"
    assert "tk_secret0123" not in repr(ntfy) and ROUTING_KEY not in repr(pd)


@pytest.mark.parametrize("text, error", [
    ('format = "alertmanager"\n', "key 'webhooks[0].url': required"),
    ('format = "alertmanager"\nurl = "alertmanager:9093"\n',
     "key 'webhooks[0].url': expected an http:// or https:// URL, got 'alertmanager:9093'"),
    ('format = "pagerduty"\n', "key 'webhooks[0].routing_key_env': required: name the environment variable "
                               "holding the routing key of the PagerDuty service's Events API v2 integration"),
    ('format = "slack"\nurl = "https://a.example"\nrouting_key_env = "K"\n',
     "key 'webhooks[0].routing_key_env': only pagerduty webhooks take a routing key"),
    ('format = "pagerduty"\nrouting_key_env = "K"\nsecret_env = "S"\n',
     "key 'webhooks[0].secret_env': pagerduty webhooks are not signed; remove secret_env"),
    ('format = "alertmanager"\nurl = "http://am"\nincident_url = "https://b.example/{id}"\n',
     "key 'webhooks[0].incident_url': unknown placeholder 'id'; the URL may use {service} and {incident_id}"),
    ('format = "slack"\nurl = "https://a.example"\nincident_url = "https://b.example/"\n',
     "key 'webhooks[0].incident_url': only alertmanager and pagerduty webhooks take an incident_url"),
    ('format = "alertmanager"\nurl = "http://am"\nlabels = { "team-name" = "sre" }\n',
     "key 'webhooks[0].labels.team-name': 'team-name' is not a label name (letters, digits and _, not starting "
     "with a digit)"),
    ('format = "alertmanager"\nurl = "http://am"\nlabels = { service = "x" }\n',
     "key 'webhooks[0].labels.service': service is set by Outage Signal; alertname, service, incident_id "
     "identify the alert"),
    ('format = "pagerduty"\nrouting_key_env = "K"\nlabels = { team = "sre" }\n',
     "key 'webhooks[0].labels': only alertmanager webhooks take labels"),
    ('format = "pager"\nurl = "http://am"\n',
     "key 'webhooks[0].format': expected 'generic', 'slack', 'discord', 'alertmanager', 'pagerduty' or "
     "'apprise', got 'pager'"),
])
def test_pager_config_errors_name_the_key(tmp_path, text, error):
    path = write(tmp_path, "[[webhooks]]\n" + text)
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    assert str(raised.value) == f"{path}: {error}"


@pytest.mark.parametrize("url, error", [
    ("tgram://${BOT_TOKEN}/12345", "environment variable BOT_TOKEN is not set"),
    ("nosuch://tk_secret0123@example", "not a URL Apprise supports (scheme 'nosuch'; "
                                       "see https://github.com/caronc/apprise/wiki)"),
    ("json://a.example/x json://b.example/y", "one Apprise URL per webhook (a retry then re-sends only to the "
                                              "target that failed); add a [[webhooks]] table per target"),
])
def test_apprise_url_errors_are_one_line_without_the_url(tmp_path, monkeypatch, capsys, url, error):
    monkeypatch.delenv("BOT_TOKEN", raising=False)
    path = write(tmp_path, f'[[webhooks]]\nformat = "apprise"\nurl = "{url}"\n')
    with pytest.raises(ConfigError) as raised:
        notify.load_endpoints(load_config(path))
    assert str(raised.value) == f"{path}: key 'webhooks[0].url': {error}"
    assert "tk_secret0123" not in capsys.readouterr().err


def test_a_pagerduty_routing_key_must_be_set(tmp_path, monkeypatch):
    monkeypatch.delenv("PD_KEY", raising=False)
    path = write(tmp_path, '[[webhooks]]\nformat = "pagerduty"\nrouting_key_env = "PD_KEY"\n')
    with pytest.raises(ConfigError, match=r"key 'webhooks\[0\].routing_key_env': environment variable PD_KEY "
                                          r"is not set$"):
        notify.load_endpoints(load_config(path))


def test_test_webhook_alertmanager_fires_then_resolves_the_sample(receiver):
    result = CliRunner().invoke(cli, ["test-webhook", "--format", "alertmanager", receiver.base_url])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == f"delivered a sample incident (opened, resolved) to {receiver.base_url}"
    alerts = alerts_of(receiver)
    check_postable_alerts(alerts)
    firing, resolved = alerts
    assert firing["labels"] == resolved["labels"] and resolved["endsAt"] < firing["endsAt"]
    assert datetime.fromisoformat(firing["endsAt"]) > datetime.now(timezone.utc)  # firing now, not in 2026-01


def test_test_webhook_pagerduty(receiver):
    receiver.statuses = [ACCEPTED, ACCEPTED]
    result = CliRunner().invoke(cli, ["test-webhook", "--format", "pagerduty", receiver.base_url + "/v2/enqueue"],
                                env={"PAGERDUTY_ROUTING_KEY": ROUTING_KEY})
    assert result.exit_code == 0, result.output
    events = events_of(receiver)
    for event in events:
        check_pagerduty_event(event)
    assert [e["event_action"] for e in events] == ["trigger", "resolve"]
    assert events[0]["dedup_key"] == events[1]["dedup_key"] and events[0]["routing_key"] == ROUTING_KEY


def test_test_webhook_pagerduty_without_a_routing_key_is_one_line(receiver):
    result = CliRunner().invoke(cli, ["test-webhook", "--format", "pagerduty", receiver.base_url],
                                env={"PAGERDUTY_ROUTING_KEY": None})
    assert result.exit_code == 1 and receiver.requests == []
    assert result.output.strip() == "Error: --routing-key-env: environment variable PAGERDUTY_ROUTING_KEY is not set"


def test_test_webhook_apprise(receiver):
    url = f"json://{receiver.base_url.removeprefix('http://')}/${{HOOK_PATH}}"
    result = CliRunner().invoke(cli, ["test-webhook", "--format", "apprise", url], env={"HOOK_PATH": "notify"})
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "delivered a sample event to the Apprise URL"
    assert receiver.paths == ["/notify"] and events_of(receiver)[0]["title"] == "GitHub: incident opened"


def test_test_webhook_refused_says_why(receiver):
    receiver.statuses = [(400, b'{"status":"invalid event","message":"Event object is invalid"}')]
    result = CliRunner().invoke(cli, ["test-webhook", "--format", "pagerduty", receiver.base_url],
                                env={"PAGERDUTY_ROUTING_KEY": ROUTING_KEY})
    assert result.exit_code == 1
    assert result.output.strip() == "Error: not delivered: HTTP 400 from test: Event object is invalid"
