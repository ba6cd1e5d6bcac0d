"""Official acknowledgements from Status.io pages (GitLab, Docker Hub, Roblox): the Public Status API,
``GET https://api.status.io/1.0/status/<page id>``, no key (https://kb.status.io/developers/public-status-api).

The catalog's ``url`` is that API URL; the page id is not on the page's address (Status.io pages run on the
company's own domain), so ``auto`` recognises a Status.io answer only when given the API URL.

The answer's ``result.incidents`` lists the page's active incidents. Each names its affected components
(``components_affected``) and containers, Status.io's locations (``containers_affected``): both are kept,
components first. Every message is an update; the first message is the acknowledgement (the incident's
``datetime_open`` when it has none). The list holds open incidents only, so the batch is ``all_open``: an
incident that leaves it is stored as resolved then (the answer gives no resolution time); not when an
incident could not be read.

Impact comes from Status.io's status codes (https://kb.status.io/developers/status-codes/): the incident's
``status_code``, else its latest message's ``status``. 100 Operational and 200 Planned Maintenance are
``none``; 300 Degraded Performance ``minor``; 400 Partial Service Disruption ``major``; 500 Service
Disruption ``critical``; 600 Security Event ``major`` (serious, but it says nothing of availability);
any other code ``unknown``. Scheduled maintenance (``result.maintenance``) is announced, not
acknowledged, and is not read.
"""
from __future__ import annotations

from typing import Any

import requests

from outage_signal.collector.records import Batch, Malformed, OfficialIncident, parse_each
from outage_signal.collector.retry import RetryPolicy
from outage_signal.collector.statuspage import get_json, parse_time

API_PREFIX = "https://api.status.io/1.0/status/"
STATUS_NAMES = {100: "Operational", 200: "Planned Maintenance", 300: "Degraded Performance",
                400: "Partial Service Disruption", 500: "Service Disruption", 600: "Security Event"}
IMPACTS = {100: "none", 200: "none", 300: "minor", 400: "major", 500: "critical", 600: "major"}


def is_status_answer(payload: Any) -> bool:
    """Whether ``payload`` is of the Public Status API's shape: ``{"result": {"status_overall": {...},
    "status": [...], ...}}`` (what ``auto`` recognises)."""
    result = payload.get("result") if isinstance(payload, dict) else None
    return isinstance(result, dict) and isinstance(result.get("status_overall"), dict) \
        and isinstance(result.get("status"), list)


def parse_incident(item: dict[str, Any], service: str) -> OfficialIncident:
    """One active incident of the answer (KeyError/ValueError/TypeError when it is not of the published shape).

    >>> incident = parse_incident({"_id": "61ae4", "name": "Slow pages", "datetime_open": "2021-12-06T16:40:00Z",
    ...     "status_code": 300, "messages": [{"details": "Looking.", "datetime": "2021-12-06T16:45:00Z",
    ...     "state": 100, "status": 300}], "components_affected": [{"_id": "c", "name": "Website"}],
    ...     "containers_affected": [{"_id": "v", "name": "Virginia"}]}, "acme")
    >>> incident.impact, incident.components, incident.acknowledged_at.isoformat()
    ('minor', ('Website', 'Virginia'), '2021-12-06T16:45:00+00:00')
    """
    messages = sorted(item.get("messages") or [], key=lambda m: parse_time(m["datetime"]))
    first = messages[0]["datetime"] if messages else item["datetime_open"]
    code = item.get("status_code", messages[-1]["status"] if messages else None)
    affected = [*(item.get("components_affected") or []), *(item.get("containers_affected") or [])]
    return OfficialIncident(
        service=service, source_id=str(item["_id"]), title=str(item["name"]),
        impact=IMPACTS.get(code, "unknown"), acknowledged_at=parse_time(first),
        components=tuple(dict.fromkeys(str(a["name"]) for a in affected)),
        updates=tuple({"at": m["datetime"], "status": STATUS_NAMES.get(m.get("status"), str(m.get("status") or "")),
                       "body": m.get("details") or ""} for m in messages))


def parse_status(payload: Any, service: str, location: str = "status") -> Batch:
    """The answer's active incidents as one batch; an answer not of the published shape is its one malformed
    record."""
    batch = Batch(source=f"status:{service}", cursor=None)
    if not is_status_answer(payload) or not isinstance(payload["result"].get("incidents", []), list):
        batch.malformed.append(Malformed(location, 'expected a Status.io status: {"result": {"status_overall": '
                                                   '{...}, "status": [...], "incidents": [...]}}'))
        return batch
    batch.incidents, batch.malformed = parse_each(payload["result"].get("incidents", []), location,
                                                  lambda item: parse_incident(item, service))
    if not batch.malformed:  # an unreadable incident may be one stored open: the list is not known whole
        batch.all_open = service
    return batch


def fetch_status(url: str, service: str, session: requests.Session | None = None, timeout: float = 15.0,
                 retry: RetryPolicy = RetryPolicy()) -> Batch:
    """GET the Public Status API at ``url`` (``https://api.status.io/1.0/status/<page id>``) under ``retry``."""
    return parse_status(get_json(url, session, timeout, retry), service, location=url)
