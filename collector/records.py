"""The records that flow out of every collector.

A collector yields :class:`Batch` objects; the pipeline stores a batch's records and advances the
source's cursor to ``batch.cursor`` in one transaction, so a cursor never passes data that was not
stored.
"""
from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any


@dataclass(frozen=True)
class Post:
    """One social post, normalised across sources.

    ``author`` is the source's raw author name; the store keeps only a salted hash of it.
    ``created_at`` is timezone-aware UTC.
    """

    source: str
    source_id: str
    text: str
    author: str
    created_at: datetime
    url: str | None = None
    language: str | None = None
    raw: dict[str, Any] | None = None


@dataclass(frozen=True)
class OfficialIncident:
    """One incident as a service's official status page reports it.

    ``acknowledged_at`` is the time of the first official update: the moment the company owned up.
    ``impact`` is on Statuspage's scale (none, minor, major, critical; "unknown" when the platform does not
    say), whatever the platform; ``source`` is where it was said: "status_page", or "bluesky" for a post
    of the company's official account.
    """

    service: str
    source_id: str
    title: str
    impact: str
    acknowledged_at: datetime
    resolved_at: datetime | None = None
    url: str | None = None
    components: tuple[str, ...] = ()
    updates: tuple[dict[str, Any], ...] = ()
    source: str = "status_page"


@dataclass(frozen=True)
class Malformed:
    """A record a collector could not turn into a Post or OfficialIncident."""

    location: str  # e.g. "dump.ndjson:1234" or "reddit r/github page 3"
    reason: str


@dataclass
class Batch:
    """A page of records, and the cursor to store with it once they are committed."""

    source: str  # the cursor's key, e.g. "reddit:r/github" or "replay:posts.jsonl.zst"
    cursor: str | None
    posts: list[Post] = field(default_factory=list)
    incidents: list[OfficialIncident] = field(default_factory=list)
    malformed: list[Malformed] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)  # source_ids of posts their authors deleted (Jetstream)
    # A service key when ``incidents`` is every incident still open on that service's page, which lists
    # only open ones (AWS, Azure, Instatus, incident.io's summary): a stored open incident of the service
    # missing from it has been resolved since.
    all_open: str | None = None


# What reading one item of a status API's answer can raise when the item is not of the documented shape.
ITEM_ERRORS = (KeyError, TypeError, ValueError, AttributeError, IndexError)


def parse_each(items: Iterable[Any], location: str,
               parse: Callable[[Any], OfficialIncident | None]) -> tuple[list[OfficialIncident], list[Malformed]]:
    """Each item through ``parse`` (``None``: skipped, e.g. maintenance). An item that does not parse is one
    :class:`Malformed` record named ``location[index]``, and the items after it are still read.

    >>> incidents, malformed = parse_each([{}], "incidents.json", lambda item: item["id"])
    >>> incidents, malformed[0].location, malformed[0].reason
    ([], 'incidents.json[0]', "KeyError: 'id'")
    """
    incidents, malformed = [], []
    for index, item in enumerate(items):
        try:
            incident = parse(item)
        except ITEM_ERRORS as e:
            malformed.append(Malformed(f"{location}[{index}]", f"{type(e).__name__}: {e}"))
            continue
        if incident is not None:
            incidents.append(incident)
    return incidents, malformed


def parse_list(payload: Any, service: str, location: str, what: str,
               parse: Callable[[Any], OfficialIncident | None], all_open: bool = False) -> Batch:
    """A status API's answer that is a JSON list of incidents, as one batch: each item through
    :func:`parse_each`; an answer that is not a list is its one malformed record ("expected a list of
    ``what``"). ``all_open``: the list holds every open incident of the service, and only those.

    >>> parse_list({"error": "busy"}, "acme", "history", "Slack issues", lambda item: None).malformed[0].reason
    'expected a list of Slack issues'
    """
    batch = Batch(source=f"status:{service}", cursor=None, all_open=service if all_open else None)
    if not isinstance(payload, list):
        batch.malformed.append(Malformed(location, f"expected a list of {what}"))
        return batch
    batch.incidents, batch.malformed = parse_each(payload, location, parse)
    return batch


def utc(dt: datetime) -> datetime:
    """Return ``dt`` as timezone-aware UTC (naive datetimes are taken to be UTC already)."""
    if dt.tzinfo is timezone.utc:
        return dt
    if dt.tzinfo is None:
        return dt.replace(tzinfo=timezone.utc)
    return dt.astimezone(timezone.utc)


MAX_TEXT = 100_000  # characters; Reddit's longest post is 40,300, Bluesky's 300 graphemes


def checked_text(text: Any) -> str:
    """A post's text, or ``ValueError`` when it is not text, is empty, or is longer than any real post."""
    if not isinstance(text, str):
        raise TypeError(f"text {text!r:.40}: expected a string")
    if not text or text.isspace():
        raise ValueError("empty text")
    if len(text) > MAX_TEXT:
        raise ValueError(f"text of {len(text):,} characters is longer than any post ({MAX_TEXT:,})")
    return text


EARLIEST_SECONDS = datetime(2005, 6, 1, tzinfo=timezone.utc).timestamp()  # Reddit's launch


def checked_time(value: Any) -> datetime:
    """A record's creation time (Unix seconds, or ISO-8601 text) as UTC.

    Raises ``KeyError`` when it is missing and ``ValueError`` when it cannot be read, is before 2005
    or is more than a day in the future: a post cannot have been written then.
    """
    if value is None:
        raise KeyError("created time")
    if isinstance(value, bool):
        raise ValueError(f"timestamp {value!r} is not a time")
    if isinstance(value, (int, float)) or (isinstance(value, str) and value.replace(".", "", 1).isdigit()):
        seconds = float(value)
    elif isinstance(value, str):
        seconds = utc(datetime.fromisoformat(value.replace("Z", "+00:00"))).timestamp()
    else:
        raise ValueError(f"timestamp {value!r} is not a time")
    # Checked as a number, before a datetime is built: dumps have millions of rows.
    if not EARLIEST_SECONDS <= seconds <= time.time() + 86400:
        raise ValueError(f"timestamp {value!r} is out of range")
    return datetime.fromtimestamp(seconds, tz=timezone.utc)
