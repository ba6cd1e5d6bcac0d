"""Official acknowledgements from the three big clouds' own status sources.

- Google Cloud: ``https://status.cloud.google.com/incidents.json``, every incident with its updates
  and affected products (schema: ``/incidents.schema.json``).
- AWS: the Health Dashboard's ``https://health.aws.amazon.com/public/currentevents``, served as UTF-16:
  the events still open, each with its event log.
- Azure: the status RSS feed (``https://rssfeed.azure.status.microsoft/en-us/status/feed/``), one item
  per open incident, its categories naming the affected services and regions.

AWS and Azure list open incidents only: their batches are ``all_open``, so an incident that leaves the
list is stored as resolved then.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import feedparser
import requests

from outage_signal.collector.feeds import dated_entries
from outage_signal.collector.records import Batch, Malformed, OfficialIncident, parse_list
from outage_signal.collector.retry import RetryPolicy
from outage_signal.collector.statuspage import get_json, get_with_retries, parse_time

GCP_PATH = "/incidents.json"
AWS_PATH = "/public/currentevents"
# Google's severity, and AWS's event status (1 informational, 2 degraded, 3 disrupted), on Statuspage's scale.
GCP_IMPACTS = {"low": "minor", "medium": "minor", "high": "major"}
AWS_IMPACTS = {"1": "minor", "2": "major", "3": "critical"}


def parse_gcp(payload: Any, service: str, location: str = "incidents.json") -> Batch:
    """``incidents.json``: a list of incidents. The acknowledgement is ``created`` (when the incident was
    published; ``begin`` is when Google says it started, often filled in afterwards)."""
    return parse_list(payload, service, location, "Google Cloud incidents", lambda item: _gcp_incident(item, service))


def _gcp_incident(item: dict[str, Any], service: str) -> OfficialIncident:
    updates = sorted(item.get("updates") or [item["most_recent_update"]], key=lambda u: u["created"])
    created = item.get("created") or updates[0]["created"]
    return OfficialIncident(
        service=service, source_id=str(item["id"]), title=str(item["external_desc"]).strip(),
        impact=GCP_IMPACTS.get(str(item.get("severity")), "unknown"), acknowledged_at=parse_time(created),
        resolved_at=parse_time(item["end"]) if item.get("end") else None,
        url=f"https://status.cloud.google.com/{item['uri']}" if item.get("uri") else None,
        components=tuple(p["title"] for p in item.get("affected_products") or []),
        updates=tuple({"at": u["created"], "status": u.get("status", ""), "body": u.get("text", "")}
                      for u in updates))


def parse_aws(payload: Any, service: str, location: str = "currentevents") -> Batch:
    """``currentevents``: the open events. The acknowledgement is the event's first log entry."""
    return parse_list(payload, service, location, "AWS Health events", lambda item: _aws_incident(item, service),
                      all_open=True)


def _aws_incident(item: dict[str, Any], service: str) -> OfficialIncident:
    log = sorted(item.get("event_log") or [], key=lambda e: int(e["timestamp"]))
    first = int(log[0]["timestamp"]) if log else int(item["date"])
    return OfficialIncident(
        service=service, source_id=str(item["arn"]), title=str(item["summary"]),
        impact=AWS_IMPACTS.get(str(item.get("status")), "unknown"),
        acknowledged_at=datetime.fromtimestamp(first, tz=timezone.utc),
        url="https://health.aws.amazon.com/health/status",
        components=(f"{item['service_name']} ({item['region_name']})",),
        updates=tuple({"at": datetime.fromtimestamp(int(e["timestamp"]), tz=timezone.utc).isoformat(),
                       "status": str(e.get("status", "")), "body": e.get("message", "")} for e in log))


def parse_azure(content: bytes | str, service: str, location: str = "feed") -> Batch:
    """Azure's RSS feed: each item an open incident; its categories are the affected services and regions."""
    feed = feedparser.parse(content)
    batch = Batch(source=f"status:{service}", cursor=None, all_open=service)
    if not feed.get("version") or not feed.feed.get("title"):  # an error page is not an empty, all-clear feed
        batch.malformed.append(Malformed(location, "not Azure's status feed (no RSS channel with a title)"))
        return batch
    for entry, at in dated_entries(feed, location, batch.malformed, "item"):
        batch.incidents.append(OfficialIncident(
            service=service, source_id=str(entry.get("id") or entry["title"]), title=entry["title"].strip(),
            impact="unknown", acknowledged_at=at, url=entry.get("link"),
            components=tuple(t["term"] for t in entry.get("tags") or [] if t.get("term")),
            updates=({"at": at.isoformat(), "status": "published", "body": entry.get("summary", "")[:2000]},)))
    return batch


def fetch_gcp(base_url: str, service: str, session: requests.Session | None = None, timeout: float = 15.0,
              retry: RetryPolicy = RetryPolicy()) -> Batch:
    url = base_url.rstrip("/") + GCP_PATH
    return parse_gcp(get_json(url, session, timeout, retry), service, location=url)


def fetch_aws(base_url: str, service: str, session: requests.Session | None = None, timeout: float = 15.0,
              retry: RetryPolicy = RetryPolicy()) -> Batch:
    url = base_url.rstrip("/") + AWS_PATH
    return parse_aws(get_json(url, session, timeout, retry), service, location=url)


def fetch_azure(feed_url: str, service: str, session: requests.Session | None = None, timeout: float = 15.0,
                retry: RetryPolicy = RetryPolicy()) -> Batch:
    return parse_azure(get_with_retries(feed_url, session, timeout, retry).content, service, location=feed_url)
