"""Official acknowledgements from Better Stack status pages (``/index.json``), as Hugging Face's answers.

The answer is JSON:API: the status page, with ``included`` resources (the components), status reports
(the incidents) and their status updates. A report's first update is its acknowledgement; the update
that leaves every affected resource "resolved" is its resolution; the worst state its updates gave a
resource is its impact. Maintenance reports are skipped: they are announced, not acknowledged.
"""
from __future__ import annotations

from typing import Any

import requests

from outage_signal.collector.records import Batch, Malformed, OfficialIncident
from outage_signal.collector.retry import RetryPolicy
from outage_signal.collector.statuspage import get_json, parse_time

INDEX_PATH = "/index.json"
# A resource's state in an update, on Statuspage's impact scale.
STATE_IMPACT = {"downtime": "major", "degraded": "minor"}


def parse_index(payload: Any, service: str, location: str = "index.json") -> Batch:
    batch = Batch(source=f"status:{service}", cursor=None)
    data = payload.get("data") if isinstance(payload, dict) else None
    if not isinstance(data, dict) or data.get("type") != "status_page" or not isinstance(payload.get("included", []), list):
        batch.malformed.append(Malformed(location, "expected a Better Stack status page: {\"data\": {\"type\": \"status_page\"}}"))
        return batch
    included = [i for i in payload.get("included", []) if isinstance(i, dict)]
    by_id = {(i.get("type"), str(i.get("id"))): i["attributes"] for i in included if isinstance(i.get("attributes"), dict)}
    names = {key[1]: a.get("public_name") for key, a in by_id.items() if key[0] == "status_page_resource"}
    for index, report in enumerate(i for i in included if i.get("type") == "status_report"):
        try:
            attributes = report["attributes"]
            if attributes.get("report_type") == "maintenance":
                continue
            updates = sorted((by_id[("status_update", str(ref["id"]))]
                              for ref in report["relationships"]["status_updates"]["data"]),
                             key=lambda u: u["published_at"])
            states = [r for u in updates for r in u.get("affected_resources") or []]
            impacts = {STATE_IMPACT.get(r.get("status"), "none") for r in states}
            closing = updates[-1] if updates and all(r.get("status") == "resolved"
                                                     for r in updates[-1].get("affected_resources") or [{}]) else None
            ends_at = attributes.get("ends_at")
            batch.incidents.append(OfficialIncident(
                service=service, source_id=str(report["id"]), title=str(attributes["title"]),
                impact="major" if "major" in impacts else "minor" if "minor" in impacts else "unknown",
                acknowledged_at=parse_time(updates[0]["published_at"] if updates else attributes["starts_at"]),
                resolved_at=parse_time(ends_at) if ends_at else parse_time(closing["published_at"]) if closing else None,
                components=tuple(dict.fromkeys(names.get(str(r.get("status_page_resource_id"))) or
                                               str(r.get("status_page_resource_id")) for r in states)),
                updates=tuple({"at": u["published_at"], "status": ",".join(sorted({r.get("status", "") for r in
                                                                                  u.get("affected_resources") or []})),
                               "body": u.get("message", "")} for u in updates)))
        except (KeyError, TypeError, ValueError, AttributeError) as e:
            batch.malformed.append(Malformed(f"{location} status_report[{index}]", f"{type(e).__name__}: {e}"))
    return batch


def fetch_index(base_url: str, service: str, session: requests.Session | None = None, timeout: float = 15.0,
                retry: RetryPolicy = RetryPolicy()) -> Batch:
    """GET ``<base_url>/index.json`` and parse it."""
    url = base_url.rstrip("/") + INDEX_PATH
    return parse_index(get_json(url, session, timeout, retry), service, location=url)
