"""Official acknowledgements from Instatus pages (``/api/v2/summary.json``), as Perplexity's answers.

The summary lists the open incidents only, each with its start, status and impact: no updates and no
components. The batch is ``all_open``, so an incident that leaves the list is stored as resolved then.
"""
from __future__ import annotations

from typing import Any

import requests

from outage_signal.collector.records import Batch, Malformed, OfficialIncident
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
    for index, item in enumerate(items):
        try:
            if item.get("impact") == MAINTENANCE:
                continue
            started = parse_time(item["started"])
            updated = item.get("updatedAt")
            batch.incidents.append(OfficialIncident(
                service=service, source_id=str(item["id"]), title=str(item["name"]),
                impact=IMPACTS.get(str(item.get("impact")), "unknown"), acknowledged_at=started,
                resolved_at=parse_time(updated or item["started"]) if item.get("status") == "RESOLVED" else None,
                url=item.get("url"),
                updates=({"at": updated or item["started"], "status": str(item.get("status", "")).lower(),
                          "body": ""},)))
        except (KeyError, TypeError, ValueError, AttributeError) as e:
            batch.malformed.append(Malformed(f"{location}[{index}]", f"{type(e).__name__}: {e}"))
    return batch


def fetch_summary(base_url: str, service: str, session: requests.Session | None = None, timeout: float = 15.0,
                  retry: RetryPolicy = RetryPolicy()) -> Batch:
    """GET ``<base_url>/api/v2/summary.json`` and parse it."""
    url = base_url.rstrip("/") + SUMMARY_PATH
    return parse_summary(get_json(url, session, timeout, retry), service, location=url)
