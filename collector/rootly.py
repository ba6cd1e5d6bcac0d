"""Official acknowledgements from Rootly status pages: the Status Page Public API on the page's own domain
(``/api/v1/incidents.json``, no key; https://docs.rootly.com/configuration/status-page-public-api).

``incidents.json`` lists the page's active incidents, newest first, a page at a time (``page``,
``per_page``; the answer's ``pagination`` gives ``next_page``). Each incident has its start, its impact
(already on Statuspage's scale: Rootly maps severity Critical to critical, High to major, Medium and Low
to minor), its resolution time and its updates; the first update is the acknowledgement. The published
shape names no affected components, so Rootly incidents have none.

Every page is read, in order, before anything is returned: a page that cannot be read fails the whole
read (nothing is stored, so no page is skipped), and a ``next_page`` that is not the page after is
recorded as malformed and ends the read there. The batch is ``all_open`` only when the pages read are
the whole list: every page gave the same ``total_count``, that many items were read, none was malformed.
"""
from __future__ import annotations

import logging
from typing import Any

import requests

from outage_signal.collector.records import Batch, Malformed, OfficialIncident, parse_each
from outage_signal.collector.retry import RetryPolicy
from outage_signal.collector.statuspage import get_json, parse_time

INCIDENTS_PATH = "/api/v1/incidents.json"
STATUS_PATH = "/api/v1/status.json"  # the overall status and active incidents: what ``auto`` recognises
PER_PAGE = 100  # the most the API gives in one page
MAX_PAGES = 20  # 2,000 active incidents; past that the list is read no further and is not ``all_open``
IMPACTS = ("none", "minor", "major", "critical")
# Statuses of scheduled maintenance (Rootly's write API: investigating, identified, monitoring and resolved
# describe an unplanned incident; scheduled, in_progress and completed a maintenance): announced, not
# acknowledged, so skipped.
MAINTENANCE_STATUSES = ("scheduled", "in_progress", "completed")
log = logging.getLogger(__name__)


def parse_incident(item: dict[str, Any], service: str) -> OfficialIncident | None:
    """One incident of ``incidents.json`` (KeyError/ValueError/TypeError when it is not of the published shape).

    The guide's example incident has no ``id`` and calls its link ``url``: the link then names it.

    >>> incident = parse_incident({"name": "API Degradation", "status": "started", "impact": "minor",
    ...     "started_at": "2026-03-19T10:30:00Z", "resolved_at": None, "url": "https://status.example.com/incidents/abc123",
    ...     "incident_updates": [{"body": "We are investigating.", "status": "investigating",
    ...                           "created_at": "2026-03-19T10:35:00Z"}]}, "acme")
    >>> incident.source_id, incident.impact, incident.acknowledged_at.isoformat(), incident.resolved_at
    ('https://status.example.com/incidents/abc123', 'minor', '2026-03-19T10:35:00+00:00', None)
    """
    if item.get("status") in MAINTENANCE_STATUSES:
        return None
    updates = sorted(item.get("incident_updates") or [], key=lambda u: parse_time(u["created_at"]))
    first = updates[0]["created_at"] if updates else item.get("created_at") or item["started_at"]
    resolved = item.get("resolved_at")
    link = item.get("shortlink") or item.get("url")  # the API reference says shortlink, the guide's example url
    source_id, impact = item.get("id") or link, item.get("impact")
    if not source_id:
        raise KeyError("id")
    return OfficialIncident(
        service=service, source_id=str(source_id), title=str(item["name"]),
        impact=impact if impact in IMPACTS else "unknown", acknowledged_at=parse_time(first),
        resolved_at=parse_time(resolved) if resolved else None, url=link,
        updates=tuple({"at": u["created_at"], "status": str(u.get("status") or ""), "body": u.get("body") or ""}
                      for u in updates))


def parse_page(payload: Any, service: str, location: str = "incidents.json") -> tuple[Batch, dict[str, Any] | None]:
    """One page of ``incidents.json`` as a batch, and its ``pagination`` (``{}`` when it gives none; None when
    the answer is not a page of incidents, which is then the batch's one malformed record)."""
    batch = Batch(source=f"status:{service}", cursor=None)
    items = payload.get("incidents") if isinstance(payload, dict) else None
    pagination = payload.get("pagination") if isinstance(payload, dict) else None
    if not isinstance(items, list) or not isinstance(payload.get("page"), dict) \
            or not isinstance(pagination or {}, dict):
        batch.malformed.append(Malformed(location, 'expected a Rootly incidents list: {"page": ..., "incidents": '
                                                   '[...], "pagination": {...}}'))
        return batch, None
    batch.incidents, batch.malformed = parse_each(items, location, lambda item: parse_incident(item, service))
    return batch, pagination or {}


def fetch_incidents(base_url: str, service: str, session: requests.Session | None = None, timeout: float = 15.0,
                    retry: RetryPolicy = RetryPolicy()) -> Batch:
    """GET every page of ``<base_url>/api/v1/incidents.json``, each under ``retry``, as one batch."""
    endpoint = base_url.rstrip("/") + INCIDENTS_PATH
    batch = Batch(source=f"status:{service}", cursor=None)
    by_id: dict[str, OfficialIncident] = {}  # a list that moved between two reads repeats an incident
    totals, read, whole, page = [], 0, True, 1
    while True:
        url = f"{endpoint}?page={page}&per_page={PER_PAGE}"
        payload = get_json(url, session, timeout, retry)  # StatusPageError: the read fails, nothing is returned
        one, pagination = parse_page(payload, service, location=url)
        by_id.update((i.source_id, i) for i in one.incidents)
        batch.malformed += one.malformed
        if pagination is None:  # recorded as malformed: the list is not known whole
            break
        read += len(payload["incidents"])
        totals.append(pagination.get("total_count"))
        next_page = pagination.get("next_page")
        if next_page is None:
            break
        if next_page != page + 1:
            batch.malformed.append(Malformed(url, f"next_page {next_page!r} is not page {page + 1}: read no further"))
            break
        if page == MAX_PAGES:
            log.warning("%s: more than %d pages of active incidents; read no further", endpoint, MAX_PAGES)
            whole = False
            break
        page = next_page
    batch.incidents = list(by_id.values())
    if whole and not batch.malformed and all(t == totals[0] for t in totals) and totals[0] in (None, read):
        batch.all_open = service
    return batch
