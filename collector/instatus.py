"""Official acknowledgements from Instatus pages (``/api/v2/summary.json``), as Perplexity's answers.

The summary lists the open incidents only, each with its start, status and impact: no updates and no
components. The batch is ``all_open``, so an incident that leaves the list is stored as resolved then.
"""
from __future__ import annotations

from typing import Any

import requests

from outage_signal.collector.records import Batch, Malformed, OfficialIncident, parse_each
from outage_signal.collector.retry import RetryPolicy
from outage_signal.collector.statuspage import SUMMARY_PATH, get_json, parse_time

# Instatus impacts on Statuspage's scale; maintenance is announced, not acknowledged, so it is skipped.
IMPACTS = {"DEGRADEDPERFORMANCE": "minor", "PARTIALOUTAGE": "minor", "MINOROUTAGE": "minor", "MAJOROUTAGE": "major"}
MAINTENANCE = "UNDERMAINTENANCE"


def parse_summary(payload: Any, service: str, location: str = "summary.json") -> Batch:
    """A ``{"page": ..., "activeIncidents": [...]}`` body as one batch of open incidents."""
    batch = Batch(source=f"status:{service}", cursor=None, all_open=service)
    items = payload.get("activeIncidents", []) if isinstance(payload, dict) else None
    if not isinstance(payload, dict) or not isinstance(payload.get("page"), dict) or not isinstance(items, list):
        batch.malformed.append(Malformed(location, 'expected an Instatus summary: {"page": ..., "activeIncidents": [...]}'))
        return batch
    batch.incidents, batch.malformed = parse_each(items, location, lambda item: _incident(item, service))
    return batch


def _incident(item: dict[str, Any], service: str) -> OfficialIncident | None:
    if item.get("impact") == MAINTENANCE:
        return None
    started = parse_time(item["started"])
    updated = item.get("updatedAt")
    return OfficialIncident(
        service=service, source_id=str(item["id"]), title=str(item["name"]),
        impact=IMPACTS.get(str(item.get("impact")), "unknown"), acknowledged_at=started,
        resolved_at=parse_time(updated or item["started"]) if item.get("status") == "RESOLVED" else None,
        url=item.get("url"),
        updates=({"at": updated or item["started"], "status": str(item.get("status", "")).lower(), "body": ""},))


def fetch_summary(base_url: str, service: str, session: requests.Session | None = None, timeout: float = 15.0,
                  retry: RetryPolicy = RetryPolicy()) -> Batch:
    """GET ``<base_url>/api/v2/summary.json`` and parse it."""
    url = base_url.rstrip("/") + SUMMARY_PATH
    return parse_summary(get_json(url, session, timeout, retry), service, location=url)
