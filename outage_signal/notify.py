"""Webhook notifications through an outbox: never lost, never doubled.

Every incident event becomes one outbox row per endpoint, written in the same transaction as the
incident change (:func:`enqueue`). :func:`deliver` sends due rows: it first *claims* them (a lease
in the database, so two concurrent runs never send the same row), then sends, then records the outcome.
A crash between sending and recording re-sends the row later with the same ``webhook-id``, which
receivers use to deduplicate: delivery is at least once, and exactly once for a deduplicating receiver.

Generic deliveries are signed per the Standard Webhooks specification (``webhook-id``,
``webhook-timestamp``, ``webhook-signature``: HMAC-SHA256 over ``id.timestamp.body``).

Pager formats go through the same outbox: Prometheus Alertmanager (``POST <url>/api/v2/alerts``; one alert
per incident, identified by its labels), PagerDuty Events API v2 (trigger and resolve under one
``dedup_key`` per incident), and Apprise URLs for the long tail (Teams, ntfy, Telegram, email, Opsgenie...).
The events of one incident reach an endpoint in order: a row waits while an earlier row of its incident
is waiting to be retried, so a late ``trigger`` never re-opens a page after its ``resolve``.
"""
from __future__ import annotations

import base64
import json
import logging
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import quote, urlsplit

import requests
from standardwebhooks import Webhook
from standardwebhooks.webhooks import EmptyWebhookSecretError

from outage_signal.config import PAGERDUTY_EVENTS_URL, Config, ConfigError
from outage_signal.config import Webhook as WebhookEntry  # a [[webhooks]] table, not the signer
from outage_signal.store import Store

LEASE = timedelta(minutes=2)  # a claimed row is retried by others only after this
FIRST_RETRY = timedelta(minutes=1)  # then doubling, up to MAX_RETRY
MAX_RETRY = timedelta(hours=1)
MAX_AGE = timedelta(hours=24)  # an event still undelivered after this is marked dead
RETRIED_4XX = (408, 429)
# An open incident's Alertmanager alert ends this long after each send, and every delivery pass sends the open
# ones again (as Prometheus re-sends firing alerts), so an alert outlives Outage Signal by at most this long.
FIRING_FOR = timedelta(hours=1)
ALERTNAME = "ServiceOutage"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Endpoint:
    name: str
    url: str = field(repr=False)  # Slack, Discord and Apprise URLs hold tokens
    format: str = "generic"
    secret: str | None = field(default=None, repr=False)  # from the environment; never logged or stored
    services: frozenset[str] | None = None  # None: every service
    events: frozenset[str] | None = None  # None: every event kind
    routing_key: str | None = field(default=None, repr=False)  # pagerduty, from the environment
    incident_url: str | None = None  # alertmanager, pagerduty: a link template, {service} and {incident_id}
    labels: dict[str, str] = field(default_factory=dict, hash=False)  # alertmanager: added to each alert's labels

    def wants(self, service: str, kind: str) -> bool:
        return (self.services is None or service in self.services) and (self.events is None or kind in self.events)


# Used when no webhook is configured: notifications are printed on the terminal.
CONSOLE = Endpoint(name="console", url="", format="console")


def load_endpoints(config: Config) -> list[Endpoint]:
    """The config's validated ``[[webhooks]]`` as endpoints, with their secrets; ``[CONSOLE]`` when there are none."""
    return [_endpoint(config, n, hook) for n, hook in enumerate(config.webhooks)] or [CONSOLE]


def _endpoint(config: Config, n: int, hook: WebhookEntry) -> Endpoint:
    where = f"{config.path}: key 'webhooks[{n}]"
    secret = read_secret(hook.secret_env, f"{where}.secret_env'") if hook.secret_env is not None else None
    routing_key = None
    if hook.routing_key_env is not None:
        routing_key = read_environment(hook.routing_key_env, f"{where}.routing_key_env'")
    url = hook.url or PAGERDUTY_EVENTS_URL  # the config schema requires a url of every other format
    if hook.format == "apprise":
        url = apprise_url(url, f"{where}.url'")
    return Endpoint(name=hook.name, url=url, format=hook.format, secret=secret,
                    services=frozenset(hook.services) if hook.services else None,
                    events=frozenset(hook.events) if hook.events else None,
                    routing_key=routing_key, incident_url=hook.incident_url, labels=dict(hook.labels))


def read_environment(variable: str, where: str) -> str:
    """The value of environment variable ``variable``; a one-line error naming ``where`` when it is unset."""
    value = os.environ.get(variable)
    if not value:
        raise ConfigError(f"{where}: environment variable {variable} is not set")
    return value


def apprise_url(template: str, where: str) -> str:
    """An Apprise URL with each ``${VARIABLE}`` read from the environment, checked by Apprise itself.

    Apprise URLs carry their tokens (``tgram://TOKEN/CHAT``), so the config names variables instead of
    holding them; errors never show the URL. One target per webhook, so a retry re-sends to it alone.
    """
    import apprise  # only configs with apprise webhooks pay for loading its plugins

    url = re.sub(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}", lambda m: read_environment(m[1], where), template)
    targets = apprise.Apprise()
    with apprise.LogCapture(level=logging.CRITICAL + 1):  # Apprise logs a refused URL whole, tokens and all
        added = targets.add(url)
    if not added:
        raise ConfigError(f"{where}: not a URL Apprise supports (scheme {urlsplit(url).scheme or 'missing'!r}; "
                          "see https://github.com/caronc/apprise/wiki)")
    if len(targets) != 1:
        raise ConfigError(f"{where}: one Apprise URL per webhook (a retry then re-sends only to the target "
                          "that failed); add a [[webhooks]] table per target")
    return url


def read_secret(variable: str, where: str) -> str:
    """The Standard Webhooks secret (``whsec_`` + base64) held by environment variable ``variable``.

    Checked here, when the config is loaded, so a bad secret is one line naming the variable and not a
    traceback at the first delivery. The value itself never appears in an error.
    """
    secret = read_environment(variable, where)
    body = secret.removeprefix("whsec_")
    try:
        Webhook(secret)  # the library's own parsing, as signing will do it, which skips what is not base64:
        key = base64.b64decode(body + "=" * (-len(body) % 4), validate=True)  # so a mistyped secret is refused
    except (ValueError, EmptyWebhookSecretError):  # binascii.Error is a ValueError
        key = b""
    if not secret.startswith("whsec_") or not key:
        raise ConfigError(f"{where}: environment variable {variable} does not hold a Standard Webhooks secret "
                          "(whsec_ followed by base64; see the README, Webhooks)")
    return secret


def enqueue(store: Store, event_id: str, service: str, kind: str, endpoints: Sequence[Endpoint], now: str) -> int:
    """Add one pending outbox row per interested endpoint, inside the caller's transaction."""
    return store.enqueue_deliveries(event_id, [e.name for e in endpoints if e.wants(service, kind)], now)


@dataclass
class DeliveryReport:
    delivered: int = 0
    failed: int = 0  # kept for a later run
    dead: int = 0
    pending: int = 0  # still pending after this pass (not due yet, failed, or waiting behind a failed row)
    refreshed: int = 0  # open incidents' Alertmanager alerts sent again


def deliver(store: Store, endpoints: Sequence[Endpoint], *, dry_run: bool = False, now: datetime | None = None,
            echo: Callable[[str], None] = print, timeout: float = 10.0,
            on_sent: Callable[[str], None] | None = None) -> DeliveryReport:
    """Send every due pending outbox row of ``endpoints``; record each outcome; then send the open
    incidents' Alertmanager alerts again (see :data:`FIRING_FOR`).

    ``on_sent`` is called between a successful send and its record (tests use it to crash there).
    """
    now = now or datetime.now(timezone.utc)
    by_name = {e.name: e for e in endpoints}
    report = DeliveryReport()
    rows = store.due_deliveries(now, by_name) if dry_run else store.claim_due_deliveries(now, now + LEASE, by_name)
    held: set[tuple[str, str]] = set()  # (endpoint, incident) whose earlier row failed in this pass
    for event_id, endpoint_name, attempts, created_at, payload in rows:
        endpoint, event = by_name[endpoint_name], json.loads(payload)
        if dry_run:
            echo(f"would send to {endpoint.name}: {describe(event)}")
            continue
        if (endpoint.name, event["incident_id"]) in held:
            continue  # still leased: tried again after the earlier row, in order
        if now - datetime.fromisoformat(created_at) > MAX_AGE:
            _record(store, event_id, endpoint.name, "dead", attempts, now, f"older than {MAX_AGE}")
            report.dead += 1
            continue
        error, retry = send(endpoint, event, timeout, echo)
        if error is None and on_sent:
            on_sent(event_id)
        if error is None:
            _record(store, event_id, endpoint.name, "delivered", attempts + 1, now, None)
            report.delivered += 1
        elif retry:
            _record(store, event_id, endpoint.name, "pending", attempts + 1, now, error,
                    next_attempt=now + min(FIRST_RETRY * 2 ** attempts, MAX_RETRY))
            held.add((endpoint.name, event["incident_id"]))
            report.failed += 1
        else:
            _record(store, event_id, endpoint.name, "dead", attempts + 1, now, error)
            report.dead += 1
    if not dry_run:
        report.refreshed = refresh_alerts(store, endpoints, now, timeout)
    report.pending = store.pending_delivery_count()
    return report


def refresh_alerts(store: Store, endpoints: Sequence[Endpoint], now: datetime, timeout: float = 10.0) -> int:
    """Send every open incident's alert again to each Alertmanager endpoint, ending :data:`FIRING_FOR` from now.

    Alertmanager resolves an alert by itself once its ``endsAt`` passes, so an outage longer than that
    must be re-sent while it lasts. These sends are not outbox rows: they restate the current state, so one
    that fails is simply made good by the next pass. Returns the alerts accepted.
    """
    alertmanagers = [e for e in endpoints if e.format == "alertmanager"]
    open_events = store.open_incident_events() if alertmanagers else []
    accepted = 0
    for endpoint in alertmanagers:
        alerts = [alertmanager_alert(event, endpoint, ends_at=now + FIRING_FOR) for event in open_events
                  if endpoint.wants(event["service"], "opened")]
        if not alerts:
            continue
        error, _ = _post(endpoint, alertmanager_alerts_url(endpoint.url), alerts, timeout)
        if error:
            log.warning("re-sending %d open alert(s) to %s failed (the next pass tries again): %s",
                        len(alerts), endpoint.name, error)
        else:
            accepted += len(alerts)
    return accepted


def _record(store: Store, event_id: str, endpoint: str, status: str, attempts: int, now: datetime,
            error: str | None, next_attempt: datetime | None = None) -> None:
    log.info("%s to %s: %s after %d attempt(s)%s", event_id, endpoint, status, attempts, f" ({error})" if error else "")
    store.record_delivery(event_id, endpoint, status, attempts, now, error, next_attempt)


def send(endpoint: Endpoint, payload: dict[str, Any], timeout: float = 10.0,
         echo: Callable[[str], None] = print) -> tuple[str | None, bool]:
    """Deliver one event to one endpoint in its format. Returns (error or None, whether to retry later)."""
    if endpoint.format == "console":
        echo(describe(payload))
        return None, False
    if endpoint.format == "apprise":
        return notify_apprise(endpoint, payload)  # with Apprise's own timeouts (cto=, rto= on the URL)
    if endpoint.format == "alertmanager":
        return _post(endpoint, alertmanager_alerts_url(endpoint.url), [alertmanager_alert(payload, endpoint)], timeout)
    if endpoint.format == "pagerduty":
        return _post(endpoint, endpoint.url, pagerduty_event(payload, endpoint), timeout)
    return _post(endpoint, endpoint.url, render(endpoint.format, payload), timeout,
                 message_id=f"{payload['event_id']}@{endpoint.name}")


def _post(endpoint: Endpoint, url: str, document: Any, timeout: float,
          message_id: str | None = None) -> tuple[str | None, bool]:
    """POST ``document`` as JSON (signed when the endpoint has a secret). Returns (error or None, retry)."""
    body = json.dumps(document, separators=(",", ":"))
    headers = {"content-type": "application/json", "user-agent": "outage-signal"}
    if endpoint.secret and message_id:
        headers.update(sign(endpoint.secret, message_id, body))
    try:
        response = requests.post(url, data=body.encode(), headers=headers, timeout=timeout, allow_redirects=False)
    except requests.RequestException as e:
        return f"{type(e).__name__}: could not reach {endpoint.name}", True
    if 200 <= response.status_code < 300:
        return None, False
    retry = response.status_code >= 500 or response.status_code in RETRIED_4XX
    reason = _reason(response, endpoint)
    return f"HTTP {response.status_code} from {endpoint.name}" + (f": {reason}" if reason else ""), retry


def _reason(response: requests.Response, endpoint: Endpoint, limit: int = 300) -> str:
    """Why the receiver refused, in one short line: PagerDuty answers {message, errors}, Alertmanager a
    JSON string, others text. The routing key is masked should a receiver echo it."""
    try:
        said = response.json()
    except ValueError:
        said = response.text
    if isinstance(said, dict) and "message" in said:
        errors = said.get("errors") or []
        said = str(said["message"]) + (f" ({'; '.join(map(str, errors))})" if errors else "")
    elif not isinstance(said, str):
        said = json.dumps(said)
    said = " ".join(said.split())
    if endpoint.routing_key:
        said = said.replace(endpoint.routing_key, "***")
    return said if len(said) <= limit else said[:limit - 3] + "..."


def sign(secret: str, message_id: str, body: str, at: datetime | None = None) -> dict[str, str]:
    """The three Standard Webhooks headers for ``body``."""
    at = at or datetime.now(timezone.utc)
    return {"webhook-id": message_id, "webhook-timestamp": str(int(at.timestamp())),
            "webhook-signature": Webhook(secret).sign(message_id, at, body)}


def describe(payload: dict[str, Any]) -> str:
    """One line a person reads: what happened to which service, and how early we were."""
    service, kind = payload.get("service_name") or payload["service"], payload["kind"]
    at = payload["at"][:16].replace("T", " ")
    size = f"{payload['complaints']} complaints (expected {payload['expected']:.1f}), peak {payload['peak_per_minute']:.0f}/min"
    if kind == "acknowledged":
        lead = payload.get("lead_minutes")
        official = (payload.get("official") or {}).get("title", "status page")
        who = "its official Bluesky account spoke" if payload.get("acknowledged_by") == "bluesky" else "status page caught up"
        return (f"[acknowledged] {service}: {who} at {at} UTC ({official!r}); "
                f"we were {lead:+.0f} min ahead" if lead is not None else f"[acknowledged] {service} at {at} UTC")
    return f"[{kind}] {service} outage at {at} UTC: {size}"


def render(fmt: str, payload: dict[str, Any]) -> dict[str, Any]:
    """The request body for an endpoint format: the event itself, or a Slack or Discord message."""
    if fmt == "generic":
        return {"type": f"incident.{payload['kind']}", "timestamp": payload["at"], "data": payload}
    line = describe(payload)
    samples = _samples(payload)
    if fmt == "slack":
        blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": f"*{line}*"}}]
        if samples:
            blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": samples}})
        return {"text": line, "blocks": blocks}
    colour = {"opened": 0xE74C3C, "escalated": 0xE67E22, "acknowledged": 0x3498DB, "resolved": 0x2ECC71}
    return {"content": line[:2000],
            "embeds": [{"title": f"{payload['service']}: incident {payload['kind']}", "description": samples[:4000],
                        "color": colour.get(payload["kind"], 0x95A5A6), "timestamp": payload["at"]}]}


def _samples(payload: dict[str, Any]) -> str:
    return "\n".join(f"> {p['text'][:200]}" for p in payload.get("sample_posts", []))


def incident_link(endpoint: Endpoint, payload: dict[str, Any]) -> str | None:
    """Where a person reads more: the endpoint's ``incident_url``, else the status page's incident, if linked."""
    if endpoint.incident_url:
        return endpoint.incident_url.format(service=quote(payload["service"], safe=""),
                                            incident_id=quote(payload["incident_id"], safe=""))
    return (payload.get("official") or {}).get("url")


def alertmanager_alerts_url(url: str) -> str:
    """Alertmanager's alerts endpoint under its base URL (which may carry a --web.route-prefix)."""
    return url.rstrip("/") + "/api/v2/alerts"


def alertmanager_alert(payload: dict[str, Any], endpoint: Endpoint, ends_at: datetime | None = None) -> dict[str, Any]:
    """One postableAlert of Alertmanager's API v2 for an incident event.

    The labels (alertname, service, incident_id and the endpoint's own) are the alert's identity, the same
    for every event of the incident, so a resolve ends the alert its trigger started. An incident over by
    the time of the event (a ``resolved`` event, or the status page acknowledging a finished incident)
    ends at its resolution; an open one ends ``ends_at`` (a re-send), else :data:`FIRING_FOR` after the
    event, so a firing event delivered late cannot keep an alert up for long.
    """
    resolved_at = payload["resolved_at"] or (payload["at"] if payload["kind"] == "resolved" else None)
    ends = resolved_at or _utc_text(ends_at or datetime.fromisoformat(payload["at"]) + FIRING_FOR)
    official = payload.get("official") or {}
    annotations = {
        "summary": describe(payload), "description": _samples(payload),
        "service_name": payload.get("service_name") or payload["service"], "event": payload["kind"],
        "complaints": str(payload["complaints"]), "expected": f"{payload['expected']:g}",
        "peak_per_minute": f"{payload['peak_per_minute']:g}",
        "lead_minutes": "" if payload["lead_minutes"] is None else f"{payload['lead_minutes']:g}",
        "status_page_title": official.get("title") or "", "status_page_url": official.get("url") or "",
    }
    alert = {"labels": {**endpoint.labels, "alertname": ALERTNAME, "service": payload["service"],
                        "incident_id": payload["incident_id"]},
             "annotations": {k: v for k, v in annotations.items() if v},
             "startsAt": payload["started_at"], "endsAt": ends}
    link = incident_link(endpoint, payload)
    if link:
        alert["generatorURL"] = link
    return alert


def pagerduty_dedup_key(payload: dict[str, Any]) -> str:
    """One PagerDuty alert per incident: its trigger, updates and resolve share this key."""
    return f"outage-signal:{payload['incident_id']}"


def pagerduty_event(payload: dict[str, Any], endpoint: Endpoint) -> dict[str, Any]:
    """An Events API v2 event: ``trigger`` while the incident is open (opened, escalated, acknowledged by the
    status page: PagerDuty folds them into one alert by ``dedup_key``), ``resolve`` once it is over.

    Our "acknowledged" is the status page admitting the outage, not a person taking the page, so it is
    not PagerDuty's ``acknowledge``; severity rises from error to critical once escalated or admitted.
    """
    over = payload["kind"] == "resolved" or payload["resolved_at"] is not None
    event: dict[str, Any] = {"routing_key": endpoint.routing_key, "dedup_key": pagerduty_dedup_key(payload),
                             "event_action": "resolve" if over else "trigger"}
    if over:
        return event
    official = payload.get("official") or {}
    details = {key: payload[key] for key in ("service", "incident_id", "kind", "started_at", "opened_at",
                                             "complaints", "expected", "peak_per_minute", "lead_minutes")}
    details["status_page"] = official.get("title")
    details["sample_posts"] = [p["text"][:200] for p in payload.get("sample_posts", [])[:5]]
    links = [{"href": incident_link(endpoint, payload), "text": "Incident"}] if endpoint.incident_url else []
    if official.get("url"):
        links.append({"href": official["url"], "text": f"Status page: {official.get('title') or 'incident'}"})
    links += [{"href": p["url"], "text": f"Complaint: {p['text'][:60]}"}
              for p in payload.get("sample_posts", [])[:3] if p.get("url")]
    event.update(payload={"summary": describe(payload)[:1024],
                          "source": payload.get("service_name") or payload["service"],
                          "severity": "error" if payload["kind"] == "opened" else "critical",
                          "timestamp": payload["at"], "component": payload["service"], "group": "outage-signal",
                          "class": "outage", "custom_details": details},
                 client="Outage Signal", links=links)
    return event


APPRISE_TYPES = {"opened": "failure", "escalated": "failure", "acknowledged": "warning", "resolved": "success"}


def notify_apprise(endpoint: Endpoint, payload: dict[str, Any]) -> tuple[str | None, bool]:
    """Send the event's message to the endpoint's Apprise URL. Apprise says only whether it worked, so
    every failure is retried (until :data:`MAX_AGE`); its last warning is kept as the reason."""
    import apprise

    targets = apprise.Apprise()
    targets.add(endpoint.url)
    service = payload.get("service_name") or payload["service"]
    body = "\n\n".join(part for part in (describe(payload), _samples(payload)) if part)
    with apprise.LogCapture(level=logging.WARNING) as said:
        ok = targets.notify(title=f"{service}: incident {payload['kind']}", body=body,
                            notify_type=APPRISE_TYPES.get(payload["kind"], "info"))
        lines = [line.split(" - ", 2)[-1] for line in said.getvalue().splitlines() if line.strip()]
    if ok:
        return None, False
    return f"Apprise could not notify {endpoint.name}" + (f": {lines[-1][:300]}" if lines else ""), True


def _utc_text(at: datetime) -> str:
    return at.astimezone(timezone.utc).isoformat()


SAMPLE_EVENT = {"event_id": "sample:opened:2026-01-01T00:00:00+00:00", "kind": "opened", "service": "github",
                "service_name": "GitHub", "incident_id": "sample", "at": "2026-01-01T00:00:00+00:00",
                "started_at": "2026-01-01T00:00:00+00:00", "opened_at": "2026-01-01T00:00:00+00:00",
                "resolved_at": None, "complaints": 42, "expected": 1.5, "peak_per_minute": 12.0,
                "lead_minutes": None, "official": None,
                "sample_posts": [{"text": "is github down? pushes failing with 500", "url": None}]}


def sample_events(fmt: str, now: datetime | None = None) -> list[dict[str, Any]]:
    """What ``test-webhook`` sends: the sample event, happening now; for pagers then its resolution."""
    now = (now or datetime.now(timezone.utc)).replace(microsecond=0)
    opened = {**SAMPLE_EVENT, "event_id": f"sample:opened:{_utc_text(now)}", "at": _utc_text(now),
              "started_at": _utc_text(now - timedelta(minutes=5)), "opened_at": _utc_text(now)}
    if fmt not in ("alertmanager", "pagerduty"):
        return [opened]
    return [opened, {**opened, "event_id": f"sample:resolved:{_utc_text(now)}", "kind": "resolved",
                     "resolved_at": _utc_text(now)}]


def test_webhook(url: str, secret: str | None = None, fmt: str = "generic", timeout: float = 10.0,
                 routing_key: str | None = None) -> str | None:
    """Send a sample event to ``url`` in format ``fmt``. Returns the error, or None when it was accepted.

    Pagers (alertmanager, pagerduty) get the sample incident opened, then resolved, so nobody stays paged.
    """
    if fmt == "apprise":
        url = apprise_url(url, "URL")
    elif not url.startswith(("http://", "https://")):
        raise ConfigError(f"{url}: only http:// and https:// webhook URLs are accepted")
    endpoint = Endpoint(name="test", url=url, format=fmt, secret=secret, routing_key=routing_key)
    for event in sample_events(fmt):
        error, _ = send(endpoint, event, timeout)
        if error:
            return error
    return None
