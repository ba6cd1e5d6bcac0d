"""Official acknowledgements from Slack's own status API (``https://slack-status.com/api/v2.0.0/history``).

Each issue has the time incident response began (``date_created``: the acknowledgement), its notes
(the updates), the Slack services it affects (the components) and a type: an "outage" is a major
impact, an "incident" a minor one, a "notice" none. Planned maintenance (scheduled, completed,
cancelled) is skipped.
"""
from __future__ import annotations

from typing import Any

import requests

from outage_signal.collector.records import Batch, OfficialIncident, parse_list
from outage_signal.collector.retry import RetryPolicy
from outage_signal.collector.statuspage import get_json, parse_time

HISTORY_PATH = "/api/v2.0.0/history"
TYPE_IMPACTS = {"outage": "major", "incident": "minor", "notice": "none"}
MAINTENANCE_STATUSES = ("scheduled", "completed", "cancelled")


def parse_history(payload: Any, service: str, location: str = "history") -> Batch:
    return parse_list(payload, service, location, "Slack issues", lambda item: _incident(item, service))


def _incident(item: dict[str, Any], service: str) -> OfficialIncident | None:
    if item.get("status") in MAINTENANCE_STATUSES:
        return None
    notes = sorted(item.get("notes") or [], key=lambda n: parse_time(n["date_created"]))
    return OfficialIncident(
        service=service, source_id=str(item["id"]), title=str(item["title"]),
        impact=TYPE_IMPACTS.get(str(item.get("type")), "unknown"),
        acknowledged_at=parse_time(item["date_created"]),
        resolved_at=parse_time(item["date_updated"]) if item.get("status") == "resolved" else None,
        url=item.get("url"), components=tuple(item.get("services") or ()),
        updates=tuple({"at": n["date_created"], "status": "note", "body": n.get("body", "")} for n in notes))


def fetch_history(base_url: str, service: str, session: requests.Session | None = None, timeout: float = 15.0,
                  retry: RetryPolicy = RetryPolicy()) -> Batch:
    """GET ``<base_url>/api/v2.0.0/history`` (``https://slack-status.com``) and parse it."""
    url = base_url.rstrip("/") + HISTORY_PATH
    return parse_history(get_json(url, session, timeout, retry), service, location=url)
