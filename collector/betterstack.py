"""Official acknowledgements from Better Stack status pages (``/index.json``), as Hugging Face's answers.

The answer is JSON:API: the status page, with ``included`` resources (the components), status reports
(the incidents) and their status updates. A report's first update is its acknowledgement; the update
that leaves every affected resource "resolved" is its resolution; the worst state its updates gave a
resource is its impact. Maintenance reports are skipped: they are announced, not acknowledged.
"""
from __future__ import annotations

from typing import Any

import requests

from outage_signal.collector.records import Batch, Malformed, OfficialIncident, parse_each
from outage_signal.collector.retry import RetryPolicy
from outage_signal.collector.statuspage import get_json, parse_time

INDEX_PATH = "/index.json"
# A resource's state in an update, on Statuspage's impact scale.
STATE_IMPACT = {"downtime": "major", "degraded": "minor"}


def parse_index(payload: Any, service: str, location: str = "index.json") -> Batch:
    batch = Batch(source=f"status:{service}", cursor=None)
    data = payload.get("data") if isinstance(payload, dict) else None
    included = payload.get("included", []) if isinstance(payload, dict) else None
    if not isinstance(data, dict) or data.get("type") != "status_page" or not isinstance(included, list):
        batch.malformed.append(Malformed(location, 'expected a Better Stack status page: {"data": {"type": '
                                                   '"status_page"}, "included": [...]}'))
        return batch
    attributes = {(i.get("type"), str(i.get("id"))): i["attributes"]
                  for i in included if isinstance(i, dict) and isinstance(i.get("attributes"), dict)}
    reports = [i for i in included if isinstance(i, dict) and i.get("type") == "status_report"]
    batch.incidents, batch.malformed = parse_each(
        reports, f"{location} status_report", lambda report: None
        if report["attributes"].get("report_type") == "maintenance" else _incident(report, attributes, service))
    return batch


def _incident(report: dict[str, Any], attributes: dict[tuple, dict[str, Any]], service: str) -> OfficialIncident:
    """One status report, its updates looked up among the included ones."""
    updates = sorted((attributes[("status_update", str(ref["id"]))]
                      for ref in report["relationships"]["status_updates"]["data"]), key=lambda u: u["published_at"])
    states = [state for update in updates for state in update.get("affected_resources") or []]
    impacts = {STATE_IMPACT.get(state.get("status"), "none") for state in states}
    last = updates[-1] if updates else {}
    resolved = bool(last) and all(s.get("status") == "resolved" for s in last.get("affected_resources") or [{}])
    ends_at = report["attributes"].get("ends_at")
    resources = [str(state.get("status_page_resource_id")) for state in states]
    return OfficialIncident(
        service=service, source_id=str(report["id"]), title=str(report["attributes"]["title"]),
        impact="major" if "major" in impacts else "minor" if "minor" in impacts else "unknown",
        acknowledged_at=parse_time(updates[0]["published_at"] if updates else report["attributes"]["starts_at"]),
        resolved_at=parse_time(ends_at) if ends_at else parse_time(last["published_at"]) if resolved else None,
        components=tuple(dict.fromkeys(attributes.get(("status_page_resource", r), {}).get("public_name") or r
                                       for r in resources)),
        updates=tuple({"at": u["published_at"], "body": u.get("message", ""),
                       "status": ",".join(sorted({s.get("status", "") for s in u.get("affected_resources") or []}))}
                      for u in updates))


def fetch_index(base_url: str, service: str, session: requests.Session | None = None, timeout: float = 15.0,
                retry: RetryPolicy = RetryPolicy()) -> Batch:
    """GET ``<base_url>/index.json`` and parse it."""
    url = base_url.rstrip("/") + INDEX_PATH
    return parse_index(get_json(url, session, timeout, retry), service, location=url)
