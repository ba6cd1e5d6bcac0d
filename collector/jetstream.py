"""Bluesky in real time: every public post from Jetstream, filtered to the catalog's services.

Jetstream (https://github.com/bluesky-social/jetstream) serves the network's firehose as JSON over a
WebSocket. ``/subscribe?wantedCollections=app.bsky.feed.post`` asks it for post records only (it still
sends every ``identity`` and ``account`` event); ``cursor=T`` replays from the event whose ``time_us``
(microseconds since the epoch) is T. An event looks like::

    {"did": "did:plc:...", "time_us": 1779719009157119, "kind": "commit",
     "commit": {"rev": "...", "operation": "create", "collection": "app.bsky.feed.post",
                "rkey": "3mmoojp4cd223", "record": {"text": "...", "createdAt": "...", "langs": ["en"]},
                "cid": "bafy..."}}

Almost no post names a service, so each frame goes through a keyword prefilter (one compiled regex
over the catalog's names, on the frame's raw lower-cased text) before it is decoded; a frame that
passes is decoded and its text checked with the classifier's own :class:`ServiceMatcher`. A post is
stored as the search collector stores it (source ``bluesky``, its ``at://`` URI), so a post both see
is stored once. A post delete (no text, so never a candidate) is decoded too and handed on in the
batch's ``deleted``, for the store to forget the post if it holds it (see ``Store.forget_posts``); a
post read in the same batch as its delete is dropped from the batch here.

:meth:`JetstreamCollector.batches` yields a :class:`Batch` every ``batch_seconds`` (also when nothing
arrives, so the cursor and the caller's clock move), carrying the ``time_us`` of the last frame read as
its cursor. A dropped, refused or stalled connection is retried with the project's retry policy's
backoff and jitter, on the next endpoint of the list, from a few seconds before the last event read:
Jetstream delivers at least once and instances stamp time a little differently, and the store's unique
post key makes the overlap harmless.
"""
from __future__ import annotations

import hashlib
import logging
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit

import orjson
from websockets.exceptions import InvalidHandshake, WebSocketException
from websockets.sync.client import connect

from outage_signal.collector.records import Batch, Malformed, Post, checked_text, checked_time
from outage_signal.collector.retry import RetryPolicy

log = logging.getLogger(__name__)

POST_COLLECTION = "app.bsky.feed.post"
CURSOR_KEY = "bluesky:jetstream"  # the cursors row: the time_us of the last event stored, as text
REWIND_US = 5_000_000  # resume this far before the last event read: instances stamp time_us differently
# The stream never gives up: the policy's backoff and jitter space the attempts, without an attempt count.
RECONNECT = RetryPolicy(base=1.0, max_wait=60.0)


def subscribe_url(endpoint: str, cursor_us: int | None) -> str:
    """The endpoint's subscription URL for posts, from ``cursor_us`` (live when None).

    >>> subscribe_url("wss://jetstream1.us-east.bsky.network/subscribe", 1779719009157119)
    'wss://jetstream1.us-east.bsky.network/subscribe?wantedCollections=app.bsky.feed.post&cursor=1779719009157119'
    """
    query = {"wantedCollections": POST_COLLECTION}
    if cursor_us is not None:
        query["cursor"] = str(cursor_us)
    return f"{endpoint}{'&' if '?' in endpoint else '?'}{urlencode(query)}"


class Prefilter:
    """Whether a raw frame may name a service: any catalog name as a substring of a ``"text"`` value of
    the frame (lower-cased), found without decoding it.

    Cheap and loose on purpose (it runs on every event of the network): a name inside a longer word
    passes, and the decoded text is then checked word by word. Only texts are searched, because every
    frame holds ``app.bsky.feed.post`` and random CIDs, which would pass names such as "bsky" or "aws".
    The spaces of a multi-word name match any run of spaces, dashes, underscores or JSON-escaped
    newlines and tabs.

    >>> is_candidate = Prefilter(["GitHub", "gh actions", "bsky"])
    >>> is_candidate('{"record":{"$type":"app.bsky.feed.post","text":"#GitHub down?"}}')
    True
    >>> is_candidate('{"record":{"text":"GH-Actions\\nqueue \\"stuck\\""}}'), is_candidate('{"record":{"text":"hi","$type":"app.bsky.feed.post"}}')
    (True, False)
    """

    _TEXT = re.compile(r'"text":\s*"((?:[^"\\]|\\.)*)"')  # a JSON string value, escapes and all

    def __init__(self, names: Iterable[str]):
        words = sorted({n.strip().lower() for n in names if n.strip()}, key=len, reverse=True)
        body = "|".join(r"(?:[\s_-]|\\[nrt])+".join(re.escape(part) for part in w.split()) for w in words)
        # Lower-casing the text once and matching case-sensitively is ten times faster than re.IGNORECASE.
        self._search = re.compile(body or "(?!)").search

    def __call__(self, frame: str) -> bool:
        search = self._search
        return any(search(text.group(1).lower()) for text in self._TEXT.finditer(frame))


_TIME_US = re.compile(r'"time_us":\s*([0-9]{1,19})')


def frame_time_us(frame: str) -> int | None:
    """The ``time_us`` of a raw event frame, read without decoding it (None when it has none).

    >>> frame_time_us('{"did":"did:plc:x","time_us":1779719009157119,"kind":"identity"}'), frame_time_us('oops')
    (1779719009157119, None)
    """
    # Jetstream writes time_us second, after the did: the match ends within the frame's first ~80 characters.
    found = _TIME_US.search(frame, 0, 200) or _TIME_US.search(frame)
    return int(found.group(1)) if found else None


def event_to_post(event: Any) -> Post | None:
    """A post created (or updated) in a Jetstream event, or None for any other event (a delete, a like,
    an identity or account event). A post event that does not follow the lexicon raises
    ``KeyError``, ``TypeError`` or ``ValueError``."""
    if not isinstance(event, dict):
        raise TypeError(f"event {event!r:.40}: expected a JSON object")
    if event.get("kind") != "commit":
        return None
    commit = event["commit"]
    if commit.get("collection") != POST_COLLECTION or commit.get("operation") not in ("create", "update"):
        return None
    did, rkey, record = event["did"], commit["rkey"], commit["record"]
    if not (isinstance(did, str) and did.startswith("did:") and isinstance(rkey, str) and rkey):
        raise ValueError(f"did {did!r:.60} / rkey {rkey!r:.20}: not a post's identity")
    langs = record.get("langs") or []
    return Post(source="bluesky", source_id=f"at://{did}/{POST_COLLECTION}/{rkey}",
                text=checked_text(record.get("text")), author=did,
                created_at=checked_time(record.get("createdAt")),
                url=f"https://bsky.app/profile/{did}/post/{rkey}",
                language=langs[0] if isinstance(langs, list) and langs and isinstance(langs[0], str) else None,
                raw={"cid": commit.get("cid"), "time_us": event.get("time_us")})


def event_deleted_post(event: Any) -> str | None:
    """The ``at://`` URI of the post a Jetstream event deletes, or None when it deletes no post (any other
    event). A post delete that does not follow the lexicon raises ``KeyError``, ``TypeError`` or
    ``ValueError``."""
    if not isinstance(event, dict):
        raise TypeError(f"event {event!r:.40}: expected a JSON object")
    commit = event.get("commit")
    if (event.get("kind") != "commit" or commit.get("collection") != POST_COLLECTION
            or commit.get("operation") != "delete"):
        return None
    did, rkey = event["did"], commit["rkey"]
    if not (isinstance(did, str) and did.startswith("did:") and isinstance(rkey, str) and rkey):
        raise ValueError(f"did {did!r:.60} / rkey {rkey!r:.20}: not a post's identity")
    return f"at://{did}/{POST_COLLECTION}/{rkey}"


@dataclass
class StreamStats:
    """What the stream has done since it started; the status line reads it."""

    events: int = 0  # frames read
    candidates: int = 0  # frames through the prefilter
    posts: int = 0  # posts naming a service, handed on to be stored
    malformed: int = 0  # frames that are not Jetstream events, or post events off the lexicon
    backdated: int = 0  # posts created long before they arrived (imported archives): not live evidence
    deletes: int = 0  # post deletes read (of any post: most were never stored)
    connects: int = 0  # connections opened
    stalls: int = 0  # connections dropped for saying nothing for stall_seconds
    last_time_us: int | None = None  # of the last frame read
    endpoint: str | None = None  # the one connected now, or last
    failures: list[str] = field(default_factory=list)  # the last few connection failures, newest last


class JetstreamCollector:
    """Read Jetstream and yield :class:`Batch` es of the posts that name a catalog service.

    Parameters
    ----------
    endpoints:
        ``wss://host/subscribe`` URLs, tried in turn: on a failure the next one is used.
    names:
        Every name of every service (the prefilter's words).
    names_a_service:
        Whether a decoded post's text names a service (``bool(ServiceMatcher(...).match(text))``).
    stop:
        Set it (from a signal handler, say) to end :meth:`batches` after a last batch.
    batch_seconds:
        How often a batch is yielded, posts or not.
    stall_seconds:
        A connection silent this long is dropped and opened again (Jetstream's own traffic never pauses
        that long: the network writes every second).
    max_age:
        A post whose ``createdAt`` is this far before its arrival is counted, not kept: it is an
        imported archive, not someone posting now (and would rewrite counts detection has passed).
    """

    def __init__(self, endpoints: Sequence[str], names: Iterable[str], names_a_service: Callable[[str], bool],
                 stop: threading.Event | None = None, batch_seconds: float = 1.0, stall_seconds: float = 30.0,
                 max_age: timedelta = timedelta(hours=1), retry: RetryPolicy = RECONNECT,
                 open_timeout: float = 10.0):
        if not endpoints:
            raise ValueError("no Jetstream endpoint to read")
        self.endpoints = list(endpoints)
        self.is_candidate = Prefilter(names)
        self.names_a_service = names_a_service
        self.stop = stop or threading.Event()
        self.batch_seconds = batch_seconds
        self.stall_seconds = stall_seconds
        self.max_age_us = int(max_age.total_seconds() * 1_000_000)
        self.retry = retry
        self.open_timeout = open_timeout
        self.stats = StreamStats()

    def batches(self, cursor: str | None) -> Iterator[Batch]:
        """Batches from ``cursor`` (a stored ``time_us``, or None for the live tip) until ``stop`` is set.

        Each batch's cursor is the ``time_us`` of the last frame read before it was yielded: every frame
        up to it has been handled (its post is in this batch or an earlier one, or it had none).
        """
        last = int(cursor) if cursor else None
        self.stats.last_time_us = last
        failures = 0
        endpoint_index = 0
        while not self.stop.is_set():
            endpoint = self.endpoints[endpoint_index % len(self.endpoints)]
            resume = None if last is None else max(0, last - REWIND_US)
            received_any = False
            reason = ""
            try:
                with connect(subscribe_url(endpoint, resume), open_timeout=self.open_timeout,
                             compression=None,  # posts-only JSON is small; deflate would cost CPU on every frame
                             max_size=2 ** 21, ping_interval=None) as ws:
                    self.stats.connects += 1
                    self.stats.endpoint = _host(endpoint)
                    log.info("jetstream: reading %s from %s", _host(endpoint), resume or "the live tip")
                    events_before = self.stats.events
                    for batch in self._read(ws, endpoint):
                        received_any = received_any or self.stats.events > events_before
                        yield batch
                    if self.stop.is_set():
                        return
                    reason = f"{_host(endpoint)}: stalled, no message for {self.stall_seconds:g} s"
            except (OSError, TimeoutError, WebSocketException) as e:
                reason = f"{_host(endpoint)}: {_describe(e)}"
            last = self.stats.last_time_us
            failures = 0 if received_any else failures + 1
            endpoint_index += 1  # fail over: the next instance may be up when this one is not
            self.stats.failures = [*self.stats.failures[-4:], reason]
            wait = self.retry.wait(min(failures, 10))
            log.warning("jetstream: %s; reconnecting to %s in %.1f s", reason,
                        _host(self.endpoints[endpoint_index % len(self.endpoints)]), wait)
            self.stop.wait(wait)

    def _read(self, ws: Any, endpoint: str) -> Iterator[Batch]:
        """Batches from one connection; returns when it stalls or ``stop`` is set, raises when it drops.

        A drop mid-batch first yields what was read: nothing read is lost.
        """
        stats, is_candidate = self.stats, self.is_candidate
        batch = self._next_batch()
        due = time.monotonic() + self.batch_seconds
        heard = time.monotonic()
        host = _host(endpoint)
        try:
            while not self.stop.is_set():
                now = time.monotonic()
                if now >= due:
                    yield batch
                    batch = self._next_batch()
                    due = now + self.batch_seconds
                if now - heard >= self.stall_seconds:
                    stats.stalls += 1
                    break
                try:
                    frame = ws.recv(timeout=min(due - now, self.stall_seconds - (now - heard), 0.5))
                except TimeoutError:
                    continue
                heard = time.monotonic()
                stats.events += 1
                if isinstance(frame, bytes):  # Jetstream sends text frames; a binary one is read as UTF-8
                    frame = frame.decode("utf-8", "replace")
                time_us = frame_time_us(frame)
                if time_us is None or not (frame.endswith("}") or frame.rstrip().endswith("}")):
                    # Checked on every frame, cheaply: most are never decoded, but a cut one is still counted.
                    stats.malformed += 1
                    problem = "no time_us" if time_us is None else "cut short"
                    batch.malformed.append(Malformed(_location(frame, time_us or stats.last_time_us),
                                                     f"not a Jetstream event, {problem} ({host}): {frame[:80]!r}"))
                    continue
                if is_candidate(frame):
                    stats.candidates += 1
                    self._decode(frame, time_us, batch, host)
                elif '"delete"' in frame:  # a delete's operation (quotes in a text are escaped: \"delete\")
                    self._decode_delete(frame, time_us, batch, host)
                stats.last_time_us = time_us
                batch.cursor = str(time_us)
        except (OSError, WebSocketException):
            yield batch  # what was read before the drop is stored before the drop is handled
            raise
        yield batch

    def _next_batch(self) -> Batch:
        """An empty batch: its cursor stays the last event's until a frame moves it (a quiet second must
        not store a cursor of None, which would restart from the live tip)."""
        last = self.stats.last_time_us
        return Batch(source=CURSOR_KEY, cursor=None if last is None else str(last))

    def _decode(self, frame: str, time_us: int, batch: Batch, host: str) -> None:
        stats = self.stats
        try:
            post = event_to_post(orjson.loads(frame))
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError) as e:
            self._malformed(frame, time_us, batch, host, e)
            return
        if post is None or not self.names_a_service(post.text):
            return
        if post.created_at.timestamp() * 1_000_000 < time_us - self.max_age_us:
            stats.backdated += 1
            return
        stats.posts += 1
        batch.posts.append(post)

    def _decode_delete(self, frame: str, time_us: int, batch: Batch, host: str) -> None:
        try:
            uri = event_deleted_post(orjson.loads(frame))
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError) as e:
            self._malformed(frame, time_us, batch, host, e)
            return
        if uri is None:
            return
        self.stats.deletes += 1
        batch.deleted.append(uri)  # the store may hold it from an earlier batch (or an earlier read of it)
        # The store applies a batch's deletes before it inserts its posts: one read in this batch goes now.
        kept = [post for post in batch.posts if post.source_id != uri]
        self.stats.posts -= len(batch.posts) - len(kept)
        batch.posts = kept

    def _malformed(self, frame: str, time_us: int, batch: Batch, host: str, error: Exception) -> None:
        self.stats.malformed += 1
        batch.malformed.append(Malformed(_location(frame, time_us), f"{type(error).__name__} ({host}): {error}"[:200]))


def _location(frame: str, time_us: int | None) -> str:
    """Where a malformed frame was: its time and a digest of it, the same when a replay reads it again
    (so it is one rejects row), different for two frames of one time."""
    return f"time_us {time_us} frame {hashlib.blake2b(frame.encode(), digest_size=6).hexdigest()}"


def _host(endpoint: str) -> str:
    return urlsplit(endpoint).netloc or endpoint


def _describe(error: BaseException) -> str:
    if isinstance(error, InvalidHandshake):
        return f"refused the connection ({error})"
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__


def stream_lag(time_us: int, now: datetime) -> float:
    """Seconds from the event at ``time_us`` (a Jetstream cursor) to ``now``: how far behind real time."""
    return max(0.0, now.timestamp() - time_us / 1_000_000)
