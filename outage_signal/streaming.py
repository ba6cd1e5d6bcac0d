"""``outage-signal stream``: Bluesky's posts as they are written, stored, counted and detected each minute.

Jetstream batches (see :mod:`outage_signal.collector.jetstream`) are stored with their cursor, one
transaction each. Ten seconds after each minute closes, that minute is classified, counted and
detected (the same :func:`pipeline.analyse` a ``run`` pass ends with), so an incident opens within
about a minute of the evidence. The analysis takes the run lock without waiting: while a ``run``
holds it, that run does the analysis, and the stream only stores.

:func:`follow_reddit` is the same loop for Reddit, which has no stream: it polls the catalog's
subreddits' new posts and comments (combined listings, ``r/a+b+c/new`` and ``/comments``), as often
as Reddit's rate-limit budget allows.
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import praw

from outage_signal import notify, pipeline
from outage_signal.classifier import ComplaintClassifier, ServiceMatcher
from outage_signal.collector.jetstream import CURSOR_KEY, JetstreamCollector, StreamStats, stream_lag
from outage_signal.collector.reddit import (FOLLOW_KEY, RateLimitMeter, RedditCollector, RedditUnavailable,
                                           poll_delay)
from outage_signal.collector.retry import RetryPolicy
from outage_signal.config import Config
from outage_signal.lock import LockHeld, RunLock
from outage_signal.store import Store, iso, minute_of

log = logging.getLogger(__name__)

# A minute is analysed this long after it ends: posts written in its last second are in by then.
SETTLE = timedelta(seconds=10)
# The streams' caches (see Store.limit_memory): a page cache enough for the newest pages they write and
# the hour they recount, full within minutes, after which their memory stays flat (the README's soak).
PAGE_CACHE_MIB = 4
AUTHOR_HASHES = 1000


def settled_minute(now: datetime) -> str:
    """The newest minute that has ended at least ``SETTLE`` ago.

    >>> settled_minute(datetime(2026, 9, 10, 12, 5, 10, tzinfo=timezone.utc)), settled_minute(datetime(2026, 9, 10, 12, 5, 9, tzinfo=timezone.utc))
    ('2026-09-10T12:04:00+00:00', '2026-09-10T12:03:00+00:00')
    """
    return minute_of(now - SETTLE - timedelta(minutes=1))


@dataclass
class StreamSummary:
    stats: StreamStats
    new_posts: int = 0
    analyses: int = 0  # minutes analysed
    opened: int = 0  # incidents opened
    removed: int = 0  # stored posts deleted by their authors before their minute was detected: forgotten
    marked_deleted: int = 0  # stored posts deleted after their minute was detected: kept, marked deleted

    def line(self) -> str:
        s = self.stats
        cursor = iso(datetime.fromtimestamp(s.last_time_us / 1e6, timezone.utc)) if s.last_time_us else "none"
        return (f"stream stopped: {s.events:,} events read, {s.candidates:,} candidates, {self.new_posts:,} new posts "
                f"stored, {self.removed + self.marked_deleted:,} stored posts deleted by their authors, "
                f"{s.malformed:,} malformed, {self.opened} incident(s) opened; cursor at {cursor}")


def stream(store: Store, config: Config, model: ComplaintClassifier, endpoints: Sequence[notify.Endpoint],
           jetstream_endpoints: Sequence[str], *, stop: threading.Event, stall_seconds: float = 30.0,
           batch_seconds: float = 1.0, status_every: float = 60.0, echo: Callable[[str], None] = print,
           now: Callable[[], datetime] = lambda: datetime.now(timezone.utc)) -> StreamSummary:
    """Read Jetstream into ``store`` until ``stop`` is set; the last batch and its cursor are stored first."""
    store.limit_memory(PAGE_CACHE_MIB, AUTHOR_HASHES)
    matcher = ServiceMatcher(**config.matcher_names())
    names = config.names()
    collector = JetstreamCollector(jetstream_endpoints, names, lambda text: bool(matcher.match(text)), stop=stop,
                                   batch_seconds=batch_seconds, stall_seconds=stall_seconds)
    summary = StreamSummary(collector.stats)
    status = StatusLine(collector.stats, config, store)
    analysed = None
    status_due = time.monotonic() + status_every
    for batch in collector.batches(store.cursor(CURSOR_KEY)):
        if batch.deleted:  # before the cursor moves past them (the collector dropped this batch's own)
            removed, marked = store.forget_posts("bluesky", batch.deleted, now(), model.version)
            summary.removed += removed
            summary.marked_deleted += marked
        if batch.cursor is not None:  # None: nothing read yet, nothing to store
            summary.new_posts += store.save_batch(batch.source, batch.cursor, batch.posts,
                                                  malformed=batch.malformed)
        status.new_posts = summary.new_posts
        analysed, done = _analyse_settled(analysed, summary, store, config, model, endpoints, stop, now(), echo)
        if done:
            status.analysed = analysed
        if time.monotonic() >= status_due:
            echo(status.line(now()))
            status_due = time.monotonic() + status_every
    return summary


# After a poll that Reddit kept failing (the retry policy gave up), the next one waits longer each time.
UNAVAILABLE = RetryPolicy(base=30.0, max_wait=600.0)


@dataclass
class FollowSummary:
    polls: int = 0
    failed_polls: int = 0
    new_posts: int = 0
    analyses: int = 0
    opened: int = 0
    last_delay: float = 0.0  # the wait the rate limits chose after the last poll

    def line(self) -> str:
        return (f"reddit follow stopped: {self.polls} poll(s), {self.new_posts:,} new posts stored, "
                f"{self.failed_polls} failed poll(s), {self.opened} incident(s) opened")


def follow_reddit(store: Store, config: Config, model: ComplaintClassifier, endpoints: Sequence[notify.Endpoint],
                  reddit: praw.Reddit, meter: RateLimitMeter, *, stop: threading.Event, min_interval: float = 5.0,
                  status_every: float = 60.0, retry: RetryPolicy = RetryPolicy(), echo: Callable[[str], None] = print,
                  now: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
                  wait: Callable[[float], object] | None = None) -> FollowSummary:
    """Poll the catalog's subreddits into ``store`` until ``stop`` is set, then return.

    Each listing read is one batch, stored with its cursor in one transaction; a stop lets the batch
    being read finish and be stored, and reads no further. Between polls the loop waits what
    :func:`poll_delay` makes of the limits Reddit last sent (``meter`` counts the client's requests),
    through ``wait`` (default: ``stop.wait``, which a signal cuts short). Each settled minute is
    analysed like the Bluesky stream's. A poll Reddit keeps failing is reported and tried again later;
    refused credentials (:class:`RedditError`) end the loop.
    """
    wait = wait or stop.wait
    store.limit_memory(PAGE_CACHE_MIB, AUTHOR_HASHES)
    subreddits = sorted({sub for s in config.services.values() for sub in s.subreddits})
    collector = RedditCollector(reddit, subreddits=subreddits, limit=None, comments=True, combined=True, retry=retry)
    summary, analysed, failures = FollowSummary(), None, 0
    status_due = meter.clock() + status_every
    while not stop.is_set():
        requests, started = meter.requests, now()
        try:
            for batch in collector.batches(store.cursors()):
                summary.new_posts += store.save_batch(batch.source, batch.cursor, batch.posts,
                                                      malformed=batch.malformed)
                if stop.is_set():
                    break
            else:  # every listing read back to its cursor: the database is current as of the poll's start
                store.save_batch(FOLLOW_KEY, iso(started))
        except RedditUnavailable as e:
            summary.failed_polls += 1
            delay = UNAVAILABLE.wait(failures)
            failures += 1
            echo(f"reddit: {e}; polling again in {delay:.0f} s")
        else:
            summary.polls += 1
            failures = 0
            delay = poll_delay(meter.limits, meter.requests - requests, meter.clock(), min_interval)
        summary.last_delay = delay
        analysed, _ = _analyse_settled(analysed, summary, store, config, model, endpoints, stop, now(), echo)
        if meter.clock() >= status_due:
            limits = meter.limits
            budget = f"{limits.remaining:.0f} requests left" if limits else "no rate limits seen yet"
            echo(f"reddit: {summary.polls} polls, {summary.new_posts:,} new posts, {budget}, "
                 f"next poll in {delay:.1f} s")
            status_due = meter.clock() + status_every
        if not stop.is_set():
            wait(delay)
    return summary


def _analyse_settled(tried: str | None, summary: StreamSummary | FollowSummary, store: Store, config: Config,
                     model: ComplaintClassifier, endpoints: Sequence[notify.Endpoint], stop: threading.Event,
                     moment: datetime, echo: Callable[[str], None]) -> tuple[str | None, bool]:
    """Analyse the minute settled at ``moment`` once (not when ``tried`` already, nor once a stop is asked),
    counting it in ``summary``: the minute tried last, and whether this call analysed it."""
    minute = settled_minute(moment)
    if minute == tried or stop.is_set():
        return tried, False
    opened = _analyse(store, config, model, endpoints, minute, echo)
    if opened is not None:
        summary.analyses += 1
        summary.opened += opened
    return minute, opened is not None


def _analyse(store: Store, config: Config, model: ComplaintClassifier, endpoints: Sequence[notify.Endpoint],
             minute: str, echo: Callable[[str], None]) -> int | None:
    """Classify, count, detect through ``minute``, link, notify; the number of incidents opened, or None
    when a ``run`` holds the lock (it analyses instead)."""
    try:
        with RunLock(store.path, "stream"):
            result = pipeline.analyse(store, config, model, endpoints, pipeline.IngestReport(), until=minute,
                                      echo=echo)
    except LockHeld as e:
        log.info("stream: analysis of %s left to the run holding the lock (%s)", minute, e)
        return None
    return sum(e.kind == "opened" for e in result.events)


class StatusLine:
    """The one line printed every minute: events/s and candidates since the last line, complaints in the
    last minute analysed, and how far behind real time the stream is."""

    def __init__(self, stats: StreamStats, config: Config, store: Store):
        self.stats, self.services, self.store = stats, list(config.services), store
        self.new_posts = 0
        self.analysed: str | None = None
        self._events, self._candidates, self._posts = 0, 0, 0
        self._since = time.monotonic()

    def _complaints(self, minute: str) -> int:
        return sum(c for service in self.services for _, c, _, _ in self.store.counts(service, minute, minute))

    def line(self, now: datetime) -> str:
        s = self.stats
        seconds = max(time.monotonic() - self._since, 1e-9)
        rate = (s.events - self._events) / seconds
        candidates, posts = s.candidates - self._candidates, self.new_posts - self._posts
        self._events, self._candidates, self._posts, self._since = s.events, s.candidates, self.new_posts, time.monotonic()
        complaints = "-" if self.analysed is None else f"{self._complaints(self.analysed):,}"
        lag = f"{stream_lag(s.last_time_us, now):.1f} s" if s.last_time_us else "-"
        return (f"stream: {rate:,.0f} events/s, {candidates:,} candidates, {posts:,} new posts, {complaints} complaints "
                f"in {(self.analysed or '-')[11:16] or '-'}, lag {lag}, {s.malformed:,} malformed, "
                f"{s.connects} connection(s) to {s.endpoint or '-'}")

