"""Official acknowledgements from status pages that only publish an RSS or Atom feed.

Each feed entry is an incident; its publication time is the official acknowledgement. Entries whose
title or summary says it is over ("resolved", "completed") carry that time as the resolution.
"""
from __future__ import annotations

import calendar
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

import feedparser
import requests

from outage_signal.collector.records import Batch, Malformed, OfficialIncident
from outage_signal.collector.retry import RetryPolicy
from outage_signal.collector.statuspage import get_with_retries

RESOLVED_WORDS = ("resolved", "completed", "[resolved]")


def fetch_feed(url: str, service: str, session: requests.Session | None = None, timeout: float = 15.0,
               retry: RetryPolicy = RetryPolicy()) -> Batch:
    """GET a status feed (as :func:`~outage_signal.collector.statuspage.get_with_retries` does) and parse it."""
    return parse_feed(get_with_retries(url, session, timeout, retry).content, service, location=url)


def dated_entries(feed: feedparser.FeedParserDict, location: str, malformed: list[Malformed],
                  noun: str = "entry") -> Iterator[tuple[Any, datetime]]:
    """Each entry of a parsed feed with its publication time (UTC); an entry without a title or a date is
    one :class:`Malformed` record in ``malformed``, named ``location[index]``."""
    for index, entry in enumerate(feed.entries):
        stamp = entry.get("published_parsed") or entry.get("updated_parsed")
        if not stamp or not entry.get("title"):
            malformed.append(Malformed(f"{location}[{index}]", f"{noun} without a title or a date"))
            continue
        yield entry, datetime.fromtimestamp(calendar.timegm(stamp), tz=timezone.utc)


def parse_feed(content: bytes | str, service: str, location: str = "feed") -> Batch:
    """Parse an RSS/Atom document into one batch of official incidents (malformed entries counted)."""
    feed = feedparser.parse(content)
    batch = Batch(source=f"status:{service}", cursor=None)
    if feed.bozo and not feed.entries:
        batch.malformed.append(Malformed(location, f"not a feed: {feed.get('bozo_exception')}"))
        return batch
    for entry, at in dated_entries(feed, location, batch.malformed):
        text = f"{entry.get('title', '')} {entry.get('summary', '')}".lower()
        updated = entry.get("updated_parsed")
        resolved = (datetime.fromtimestamp(calendar.timegm(updated), tz=timezone.utc)
                    if updated and any(w in text for w in RESOLVED_WORDS) else None)
        batch.incidents.append(OfficialIncident(
            service=service, source_id=str(entry.get("id") or entry.get("link") or entry["title"]),
            title=entry["title"], impact="unknown", acknowledged_at=at, resolved_at=resolved,
            url=entry.get("link"), updates=({"at": at.isoformat(), "status": "published",
                                              "body": entry.get("summary", "")[:2000]},)))
    return batch
