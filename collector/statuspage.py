"""Official acknowledgements from Atlassian Statuspage v2 (``/api/v2/incidents.json``), and from
incident.io pages, which answer Statuspage's ``/api/v2/summary.json`` (as OpenAI's does).

The first update of an incident is the moment the company owned up: it becomes
:attr:`OfficialIncident.acknowledged_at`, the time the detector's lead is measured against.
"""
from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import requests

from outage_signal.collector.records import Batch, Malformed, OfficialIncident, parse_each, utc
from outage_signal.collector.retry import GaveUp, Retryable, RetryPolicy, retried_status


def parse_time(value: str) -> datetime:
    """Parse an ISO-8601 timestamp as the Statuspage API writes it (``2026-08-20T14:43:01.531Z``)."""
    return utc(datetime.fromisoformat(value.replace("Z", "+00:00")))


def parse_incident(item: dict[str, Any], service: str) -> OfficialIncident:
    """Turn one Statuspage incident object into an :class:`OfficialIncident` (KeyError/ValueError if malformed)."""
    updates = sorted(item.get("incident_updates") or [], key=lambda u: u["created_at"])
    first = parse_time(updates[0]["created_at"]) if updates else parse_time(item["created_at"])
    resolved = item.get("resolved_at")
    return OfficialIncident(
        service=service,
        source_id=str(item["id"]),
        title=str(item["name"]),
        impact=str(item.get("impact") or "none"),
        acknowledged_at=first,
        resolved_at=parse_time(resolved) if resolved else None,
        url=item.get("shortlink"),
        components=tuple(str(c["name"]) for c in item.get("components") or []),
        updates=tuple({"at": u["created_at"], "status": u["status"], "body": u.get("body", "")} for u in updates),
    )


def parse_incidents(payload: dict[str, Any] | list[Any], service: str,
                    location: str = "incidents.json") -> tuple[list[OfficialIncident], list[Malformed]]:
    """Parse an ``incidents.json`` body (``{"page": ..., "incidents": [...]}``) or a bare list of incidents.

    Scheduled maintenances are skipped: they are announced, not acknowledged outages.
    """
    items = payload.get("incidents") if isinstance(payload, dict) else payload
    if not isinstance(items, list):
        return [], [Malformed(location, "expected an 'incidents' list")]
    return parse_each(items, location, lambda item: None if item.get("impact") == "maintenance"
                      or item.get("scheduled_for") else parse_incident(item, service))


INCIDENTS_PATH = "/api/v2/incidents.json"
SUMMARY_PATH = "/api/v2/summary.json"


def fetch_incidents(base_url: str, service: str, session: requests.Session | None = None, timeout: float = 15.0,
                    retry: RetryPolicy = RetryPolicy()) -> Batch:
    """GET ``<base_url>/api/v2/incidents.json`` (the last 50 incidents) as one batch."""
    url = base_url.rstrip("/") + INCIDENTS_PATH
    incidents, malformed = parse_incidents(get_json(url, session, timeout, retry), service, location=url)
    return Batch(source=f"status:{service}", cursor=None, incidents=incidents, malformed=malformed)


def fetch_incidentio(base_url: str, service: str, session: requests.Session | None = None, timeout: float = 15.0,
                     retry: RetryPolicy = RetryPolicy()) -> Batch:
    """GET an incident.io page's Statuspage-compatible ``<base_url>/api/v2/summary.json``.

    The summary lists the open incidents only (without shortlinks or components), so the batch is
    ``all_open``: an incident stored open that is no longer listed has been resolved since.
    """
    url = base_url.rstrip("/") + SUMMARY_PATH
    incidents, malformed = parse_incidents(get_json(url, session, timeout, retry), service, location=url)
    return Batch(source=f"status:{service}", cursor=None, incidents=incidents, malformed=malformed, all_open=service)


def get_json(url: str, session: requests.Session | None = None, timeout: float = 15.0,
             retry: RetryPolicy = RetryPolicy()) -> Any:
    """GET ``url`` as :func:`get_with_retries` does and decode its JSON (UTF-8, or UTF-16 with a byte-order
    mark as AWS serves it); :class:`StatusPageError` when it is not JSON."""
    return decode_json(get_with_retries(url, session, timeout, retry).content, url)


def decode_json(body: bytes, location: str) -> Any:
    """A JSON answer's value; a UTF-16 body is known by its byte-order mark."""
    text_encoding = "utf-16" if body[:2] in (b"\xfe\xff", b"\xff\xfe") else "utf-8-sig"
    try:
        return json.loads(body.decode(text_encoding))
    except (ValueError, UnicodeDecodeError):
        raise StatusPageError(f"{location}: answer is not JSON") from None


# Worth another try: the connection failed, timed out, or broke off mid-answer.
NETWORK_ERRORS = (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError)


def get_with_retries(url: str, session: requests.Session | None = None, timeout: float = 15.0,
                     retry: RetryPolicy = RetryPolicy()) -> requests.Response:
    """GET ``url`` under ``retry`` (429, 5xx and network errors are retried); other failures raise
    :class:`StatusPageError` with a one-line reason."""
    session = session or requests.Session()

    def attempt() -> requests.Response:
        try:
            response = session.get(url, timeout=timeout, headers={"user-agent": "outage-signal (status collector)"})
        except NETWORK_ERRORS as e:
            raise Retryable(type(e).__name__) from None
        except requests.RequestException as e:
            raise StatusPageError(f"{url}: {type(e).__name__}: {e}"[:300]) from None
        if response.status_code == 200:
            return response
        if retried_status(response.status_code):
            raise Retryable(f"HTTP {response.status_code}", response.headers.get("retry-after"))
        raise StatusPageError(f"{url}: HTTP {response.status_code}; check status_page.url in the config")

    try:
        return retry.call(attempt)
    except GaveUp as e:
        raise StatusPageError(f"{url}: {e}") from None


class StatusPageError(RuntimeError):
    """A status page could not be read."""
