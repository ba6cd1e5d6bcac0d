"""Webhook notifications through an outbox: never lost, never doubled.

Every incident event becomes one outbox row per endpoint, written in the same transaction as the
incident change (:func:`enqueue`). :func:`deliver` sends due rows: it first *claims* them (a lease
in the database, so two concurrent runs never send the same row), then sends, then records the outcome.
A crash between sending and recording re-sends the row later with the same ``webhook-id``, which
receivers use to deduplicate: delivery is at least once, and exactly once for a deduplicating receiver.

Generic deliveries are signed per the Standard Webhooks specification (``webhook-id``,
``webhook-timestamp``, ``webhook-signature``: HMAC-SHA256 over ``id.timestamp.body``).
"""
from __future__ import annotations

import base64
import json
import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

import requests
from standardwebhooks import Webhook
from standardwebhooks.webhooks import EmptyWebhookSecretError

from outage_signal.config import Config, ConfigError
from outage_signal.config import Webhook as WebhookEntry  # a [[webhooks]] table, not the signer
from outage_signal.store import Store

LEASE = timedelta(minutes=2)  # a claimed row is retried by others only after this
FIRST_RETRY = timedelta(minutes=1)  # then doubling, up to MAX_RETRY
MAX_RETRY = timedelta(hours=1)
MAX_AGE = timedelta(hours=24)  # an event still undelivered after this is marked dead
RETRIED_4XX = (408, 429)
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Endpoint:
    name: str
    url: str
    format: str = "generic"
    secret: str | None = field(default=None, repr=False)  # from the environment; never logged or stored
    services: frozenset[str] | None = None  # None: every service
    events: frozenset[str] | None = None  # None: every event kind

    def wants(self, service: str, kind: str) -> bool:
        return (self.services is None or service in self.services) and (self.events is None or kind in self.events)


# Used when no webhook is configured: notifications are printed on the terminal.
CONSOLE = Endpoint(name="console", url="", format="console")


def load_endpoints(config: Config) -> list[Endpoint]:
    """The config's validated ``[[webhooks]]`` as endpoints, with their secrets; ``[CONSOLE]`` when there are none."""
    return [_endpoint(config, n, hook) for n, hook in enumerate(config.webhooks)] or [CONSOLE]


def _endpoint(config: Config, n: int, hook: WebhookEntry) -> Endpoint:
    secret = None
    if hook.secret_env is not None:
        secret = read_secret(hook.secret_env, f"{config.path}: key 'webhooks[{n}].secret_env'")
    return Endpoint(name=hook.name, url=hook.url, format=hook.format, secret=secret,
                    services=frozenset(hook.services) if hook.services else None,
                    events=frozenset(hook.events) if hook.events else None)


def read_secret(variable: str, where: str) -> str:
    """The Standard Webhooks secret (``whsec_`` + base64) held by environment variable ``variable``.

    Checked here, when the config is loaded, so a bad secret is one line naming the variable and not a
    traceback at the first delivery. The value itself never appears in an error.
    """
    secret = os.environ.get(variable)
    if not secret:
        raise ConfigError(f"{where}: environment variable {variable} is not set")
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
    pending: int = 0  # still pending after this pass (not due yet, or failed)


def deliver(store: Store, endpoints: Sequence[Endpoint], *, dry_run: bool = False, now: datetime | None = None,
            echo: Callable[[str], None] = print, timeout: float = 10.0,
            on_sent: Callable[[str], None] | None = None) -> DeliveryReport:
    """Send every due pending outbox row of ``endpoints``; record each outcome.

    ``on_sent`` is called between a successful send and its record (tests use it to crash there).
    """
    now = now or datetime.now(timezone.utc)
    by_name = {e.name: e for e in endpoints}
    report = DeliveryReport()
    rows = store.due_deliveries(now, by_name) if dry_run else store.claim_due_deliveries(now, now + LEASE, by_name)
    for event_id, endpoint_name, attempts, created_at, payload in rows:
        endpoint = by_name[endpoint_name]
        if dry_run:
            echo(f"would send to {endpoint.name}: {describe(json.loads(payload))}")
            continue
        if now - datetime.fromisoformat(created_at) > MAX_AGE:
            _record(store, event_id, endpoint.name, "dead", attempts, now, f"older than {MAX_AGE}")
            report.dead += 1
            continue
        error, retry = send(endpoint, json.loads(payload), timeout, echo)
        if error is None and on_sent:
            on_sent(event_id)
        if error is None:
            _record(store, event_id, endpoint.name, "delivered", attempts + 1, now, None)
            report.delivered += 1
        elif retry:
            _record(store, event_id, endpoint.name, "pending", attempts + 1, now, error,
                    next_attempt=now + min(FIRST_RETRY * 2 ** attempts, MAX_RETRY))
            report.failed += 1
        else:
            _record(store, event_id, endpoint.name, "dead", attempts + 1, now, error)
            report.dead += 1
    report.pending = store.pending_delivery_count()
    return report


def _record(store: Store, event_id: str, endpoint: str, status: str, attempts: int, now: datetime,
            error: str | None, next_attempt: datetime | None = None) -> None:
    log.info("%s to %s: %s after %d attempt(s)%s", event_id, endpoint, status, attempts, f" ({error})" if error else "")
    store.record_delivery(event_id, endpoint, status, attempts, now, error, next_attempt)


def send(endpoint: Endpoint, payload: dict[str, Any], timeout: float = 10.0,
         echo: Callable[[str], None] = print) -> tuple[str | None, bool]:
    """Deliver one payload. Returns (error or None, whether to retry later)."""
    if endpoint.format == "console":
        echo(describe(payload))
        return None, False
    body = json.dumps(render(endpoint.format, payload), separators=(",", ":"))
    headers = {"content-type": "application/json", "user-agent": "outage-signal"}
    if endpoint.secret:
        headers.update(sign(endpoint.secret, f"{payload['event_id']}@{endpoint.name}", body))
    try:
        response = requests.post(endpoint.url, data=body.encode(), headers=headers, timeout=timeout,
                                 allow_redirects=False)
    except requests.RequestException as e:
        return f"{type(e).__name__}: could not reach {endpoint.name}", True
    if 200 <= response.status_code < 300:
        return None, False
    retry = response.status_code >= 500 or response.status_code in RETRIED_4XX
    return f"HTTP {response.status_code} from {endpoint.name}", retry


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
        return (f"[acknowledged] {service}: status page caught up at {at} UTC ({official!r}); "
                f"we were {lead:+.0f} min ahead" if lead is not None else f"[acknowledged] {service} at {at} UTC")
    return f"[{kind}] {service} outage at {at} UTC: {size}"


def render(fmt: str, payload: dict[str, Any]) -> dict[str, Any]:
    """The request body for an endpoint format: the event itself, or a Slack or Discord message."""
    if fmt == "generic":
        return {"type": f"incident.{payload['kind']}", "timestamp": payload["at"], "data": payload}
    line = describe(payload)
    samples = "\n".join(f"> {p['text'][:200]}" for p in payload.get("sample_posts", []))
    if fmt == "slack":
        blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": f"*{line}*"}}]
        if samples:
            blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": samples}})
        return {"text": line, "blocks": blocks}
    colour = {"opened": 0xE74C3C, "escalated": 0xE67E22, "acknowledged": 0x3498DB, "resolved": 0x2ECC71}
    return {"content": line[:2000],
            "embeds": [{"title": f"{payload['service']}: incident {payload['kind']}", "description": samples[:4000],
                        "color": colour.get(payload["kind"], 0x95A5A6), "timestamp": payload["at"]}]}


SAMPLE_EVENT = {"event_id": "sample:opened:2026-01-01T00:00:00+00:00", "kind": "opened", "service": "github",
                "service_name": "GitHub", "incident_id": "sample", "at": "2026-01-01T00:00:00+00:00",
                "started_at": "2026-01-01T00:00:00+00:00", "opened_at": "2026-01-01T00:00:00+00:00",
                "resolved_at": None, "complaints": 42, "expected": 1.5, "peak_per_minute": 12.0,
                "lead_minutes": None, "official": None,
                "sample_posts": [{"text": "is github down? pushes failing with 500", "url": None}]}


def test_webhook(url: str, secret: str | None = None, fmt: str = "generic", timeout: float = 10.0) -> str | None:
    """Send a signed sample event to ``url``. Returns the error, or None when it was accepted."""
    if not url.startswith(("http://", "https://")):
        raise ConfigError(f"{url}: only http:// and https:// webhook URLs are accepted")
    error, _ = send(Endpoint(name="test", url=url, format=fmt, secret=secret), SAMPLE_EVENT, timeout)
    return error
