"""Reddit through praw: new submissions of the catalog's subreddits, and search for its keywords.

Credentials are a read-only script app's, from the environment (``OUTAGE_SIGNAL_REDDIT_CLIENT_ID``,
``OUTAGE_SIGNAL_REDDIT_CLIENT_SECRET``, optional ``OUTAGE_SIGNAL_REDDIT_USER_AGENT``) or a ``praw.ini``
site named by ``OUTAGE_SIGNAL_REDDIT_SITE``. Each listing has its own cursor: the newest
``created_utc`` stored from it. A run reads the listing newest first and stops at the cursor, then
yields everything it read as one batch, so the cursor moves only with the posts it covers.

Reddit answers every OAuth request with its rate-limit budget (``x-ratelimit-remaining``, ``-used``,
``-reset``: seconds until the window resets, as prawcore's ``RateLimiter`` reads them); a client made
with a :class:`RateLimitMeter` keeps the newest of them, which ``outage-signal stream --source reddit``
paces itself by (:func:`poll_delay`).
"""
from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import praw
import prawcore

from outage_signal.collector.records import Batch, Malformed, Post, checked_text, checked_time
from outage_signal.collector.retry import GaveUp, Retryable, RetryPolicy

USER_AGENT = "outage-signal/0.1 (outage detection from public posts; read-only)"
RETRIED = (prawcore.exceptions.TooManyRequests, prawcore.exceptions.ServerError,
           prawcore.exceptions.RequestException)


# A combined listing (r/a+b+c/new) names at most this many subreddits, which keeps its URL short.
COMBINED_SUBREDDITS = 50
# The cursors row of `stream --source reddit`: when its last complete poll began (ISO time); every listing
# it polls was read back to its cursor after that moment, so `status` reads its lag from it.
FOLLOW_KEY = "reddit:follow"


class RedditError(RuntimeError):
    """Reddit cannot be read: bad credentials, or it kept failing after retries."""


class RedditUnavailable(RedditError):
    """Reddit kept failing in a way worth retrying (429, 5xx, network) until the retry policy gave up."""


@dataclass(frozen=True)
class RateLimits:
    """Reddit's budget as its last answer gave it: requests left, used, and when the window resets
    (on the meter's clock)."""

    remaining: float
    used: int
    reset_at: float


class RateLimitMeter:
    """Counts the requests a praw client makes and keeps the newest rate-limit headers Reddit sent.

    ``clock`` is injectable (tests); the stream compares ``limits.reset_at`` with the same clock.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic):
        self.clock = clock
        self.requests = 0
        self.limits: RateLimits | None = None

    def record(self, headers: Mapping[str, str]) -> None:
        self.requests += 1
        try:
            self.limits = RateLimits(float(headers["x-ratelimit-remaining"]), int(float(headers["x-ratelimit-used"])),
                                     self.clock() + float(headers["x-ratelimit-reset"]))
        except (KeyError, ValueError):  # the token endpoint and error pages send none: keep the last known
            pass


class MeteredRequestor(prawcore.Requestor):
    """prawcore's requestor, telling a :class:`RateLimitMeter` about every response (praw's documented
    ``requestor_class`` hook)."""

    def __init__(self, *args: Any, meter: RateLimitMeter, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.meter = meter

    def request(self, *args: Any, **kwargs: Any) -> Any:
        response = super().request(*args, **kwargs)
        self.meter.record(response.headers)
        return response


def metered(meter: RateLimitMeter | None) -> dict[str, Any]:
    """praw.Reddit keyword arguments that route its requests through ``meter`` (none without one)."""
    return {"requestor_class": MeteredRequestor, "requestor_kwargs": {"meter": meter}} if meter else {}


def poll_delay(limits: RateLimits | None, cost: int, now: float, min_interval: float) -> float:
    """Seconds to wait before the next poll, which costs about ``cost`` requests (what the last one did).

    The polls the remaining budget pays for are spread evenly over the time left until the window
    resets; with budget for none, the wait runs until the reset. Never less than ``min_interval``,
    which is also the wait before Reddit has sent its limits, or once a known window has reset.

    >>> limits = RateLimits(remaining=100.0, used=500, reset_at=1300.0)
    >>> poll_delay(limits, 2, now=1000.0, min_interval=1.0)  # 50 polls in 300 s
    6.0
    >>> poll_delay(limits, 1, now=1000.0, min_interval=5.0), poll_delay(RateLimits(1.0, 599, 1300.0), 2, 1000.0, 5.0)
    (5.0, 301.0)
    >>> poll_delay(None, 2, 1000.0, 5.0), poll_delay(RateLimits(0.0, 600, 900.0), 2, 1000.0, 5.0)
    (5.0, 5.0)
    """
    if limits is None:
        return min_interval
    to_reset = max(0.0, limits.reset_at - now)
    if to_reset == 0.0:
        return min_interval
    polls = int(limits.remaining // max(cost, 1))
    if polls == 0:
        return max(min_interval, to_reset + 1.0)  # a second past the reset: clocks differ a little
    return max(min_interval, to_reset / polls)


def reddit_from_env(env: Mapping[str, str] = os.environ, meter: RateLimitMeter | None = None) -> praw.Reddit:
    """A read-only praw client from the environment, its requests counted by ``meter`` when given;
    :class:`RedditError` says what is missing."""
    agent = env.get("OUTAGE_SIGNAL_REDDIT_USER_AGENT", USER_AGENT)
    if env.get("OUTAGE_SIGNAL_REDDIT_SITE"):
        return praw.Reddit(env["OUTAGE_SIGNAL_REDDIT_SITE"], user_agent=agent, check_for_async=False,
                           check_for_updates=False, **metered(meter))
    missing = [v for v in ("OUTAGE_SIGNAL_REDDIT_CLIENT_ID", "OUTAGE_SIGNAL_REDDIT_CLIENT_SECRET") if not env.get(v)]
    if missing:
        raise RedditError(f"Reddit credentials missing: set {' and '.join(missing)} (a script app's id and secret, "
                          "https://www.reddit.com/prefs/apps) or OUTAGE_SIGNAL_REDDIT_SITE naming a praw.ini site")
    return praw.Reddit(client_id=env["OUTAGE_SIGNAL_REDDIT_CLIENT_ID"],
                       client_secret=env["OUTAGE_SIGNAL_REDDIT_CLIENT_SECRET"], user_agent=agent,
                       check_for_async=False, check_for_updates=False,  # praw would ask PyPI on every run
                       **metered(meter))


def submission_post(submission: Any) -> Post:
    """A praw Submission as a Post: title and body, a hashed author later, the permalink.

    Read from the submission's own data, as the listing delivered it: a missing field must not make
    praw fetch the submission again. Raises TypeError, KeyError or ValueError for a submission that
    lacks what a post needs.
    """
    data = vars(submission)
    title, body = data.get("title"), data.get("selftext") or ""
    if not isinstance(title, str) or not isinstance(body, str) or not title.strip():
        raise TypeError(f"title {title!r:.40} / selftext {body!r:.40}: expected text")
    author, permalink = data.get("author"), data.get("permalink")
    return Post(
        source="reddit", source_id=f"t3_{data['id']}",
        text=checked_text(f"{title}\n\n{body}".strip()),
        author=str(author) if author else "[deleted]",
        created_at=checked_time(data.get("created_utc")),
        url=f"https://www.reddit.com{permalink}" if isinstance(permalink, str) else None,
        raw={"subreddit": str(data.get("subreddit")), "score": data.get("score"),
             "num_comments": data.get("num_comments")},
    )


def comment_post(comment: Any) -> Post:
    """A praw Comment as a Post, read from its own data like :func:`submission_post`."""
    data = vars(comment)
    body, link_id = data.get("body"), data.get("link_id") or ""
    if body in ("[deleted]", "[removed]"):
        raise ValueError(f"body {body}: no text")
    body = checked_text(body)
    permalink = data.get("permalink") or f"/comments/{link_id.removeprefix('t3_')}/_/{data['id']}/"
    author = data.get("author")
    return Post(source="reddit", source_id=f"t1_{data['id']}", text=body.strip(),
                author=str(author) if author else "[deleted]", created_at=checked_time(data.get("created_utc")),
                url=f"https://www.reddit.com{permalink}",
                raw={"subreddit": str(data.get("subreddit")), "link_id": link_id, "score": data.get("score")})


class RedditCollector:
    """Yield one :class:`Batch` per listing: ``r/<sub>/new`` for each subreddit, and a search per query.

    Parameters
    ----------
    reddit:
        A praw client (see :func:`reddit_from_env`).
    subreddits, queries:
        What to read. Queries search all of Reddit, newest first, within ``time_filter``.
    comments:
        Also read each subreddit's newest comments (``r/<sub>/comments``), where the replies in busy
        "is it down?" threads show up; a listing with a cursor of its own, like the others.
    limit:
        Most submissions per listing and run (Reddit serves at most 1,000).
    window:
        ``(since, until)`` as Unix times to backfill: listings get cursors of their own, and only posts
        inside the window are kept (Reddit lists at most the newest 1,000 of a listing; older history
        comes from dumps, see ``outage-signal import``).
    combined:
        Read the subreddits together, ``r/a+b+c/new`` (and ``/comments``), one request per listing
        page for up to :data:`COMBINED_SUBREDDITS` of them, with a cursor of its own: what the
        follow mode polls.
    retry:
        How a listing read is retried on 429, 5xx and network errors (after prawcore's own retries).
    """

    def __init__(self, reddit: praw.Reddit, subreddits: Iterable[str] = (), queries: Iterable[str] = (),
                 limit: int | None = 1000, time_filter: str = "day", window: tuple[float, float] | None = None,
                 comments: bool = False, combined: bool = False, retry: RetryPolicy = RetryPolicy()):
        self.reddit = reddit
        self.subreddits = list(subreddits)
        self.queries = list(queries)
        self.limit = limit
        self.time_filter = time_filter
        self.window = window
        self.comments = comments
        self.combined = combined
        self.retry = retry

    def listings(self) -> list[tuple[str, Callable[[], Iterable[Any]]]]:
        subs = self.subreddits
        if self.combined:
            subs = ["+".join(subs[i:i + COMBINED_SUBREDDITS]) for i in range(0, len(subs), COMBINED_SUBREDDITS)]
        new = [(f"reddit:new:r/{sub}", lambda sub=sub: self.reddit.subreddit(sub).new(limit=self.limit))
               for sub in subs]
        search = [(f"reddit:search:{q}", lambda q=q: self.reddit.subreddit("all").search(
            q, sort="new", time_filter=self.time_filter, limit=self.limit)) for q in self.queries]
        comments = [(f"reddit:comments:r/{sub}", lambda sub=sub: self.reddit.subreddit(sub).comments(limit=self.limit))
                    for sub in subs] if self.comments else []
        return new + comments + search

    def batches(self, cursors: Mapping[str, str | None]) -> Iterator[Batch]:
        for key, listing in self.listings():
            if self.window:
                key = f"{key}:{self.window[0]:.0f}..{self.window[1]:.0f}"
                yield self._read(key, listing, float(cursors.get(key) or self.window[0]))
            else:
                yield self._read(key, listing, float(cursors.get(key) or 0))

    def _read(self, key: str, listing: Callable[[], Iterable[Any]], since: float) -> Batch:
        """The listing back to ``since`` as one batch; a retried attempt reads it again from the top."""
        try:
            return self.retry.call(lambda: self._read_once(key, listing, since))
        except GaveUp as e:
            raise RedditUnavailable(f"{key}: {e}") from None

    def _read_once(self, key: str, listing: Callable[[], Iterable[Any]], since: float) -> Batch:
        batch = Batch(source=key, cursor=None)
        try:
            for n, item in enumerate(listing()):
                try:
                    post = (comment_post if isinstance(item, praw.models.Comment) else submission_post)(item)
                except (AttributeError, TypeError, KeyError, ValueError) as e:
                    batch.malformed.append(Malformed(f"{key} item {n + 1} ({vars(item).get('id', '?')})",
                                                     f"{type(e).__name__}: {e}"[:300]))
                    continue
                created = post.created_at.timestamp()
                if created < since:
                    break  # newest first: everything after this is already stored
                if not self.window or created <= self.window[1]:
                    batch.posts.append(post)
        except RETRIED as e:
            headers = getattr(getattr(e, "response", None), "headers", None) or {}
            raise Retryable(f"{type(e).__name__}: {e}", headers.get("retry-after")) from None
        except (LookupError, TypeError, ValueError, AttributeError) as e:  # praw could not read the listing
            raise RedditError(f"{key}: Reddit sent a body that is not a listing ({type(e).__name__}: {e})"[:300]) from None
        except prawcore.exceptions.PrawcoreException as e:
            status = getattr(getattr(e, "response", None), "status_code", None)
            if isinstance(e, prawcore.exceptions.OAuthException) or status in (401, 403):
                raise RedditError(f"{key}: Reddit refused the credentials ({e}); check "
                                  "OUTAGE_SIGNAL_REDDIT_CLIENT_ID and OUTAGE_SIGNAL_REDDIT_CLIENT_SECRET") from None
            raise RedditError(f"{key}: {type(e).__name__}: {e}") from None
        newest = max((p.created_at.timestamp() for p in batch.posts), default=since)
        batch.cursor = repr(newest) if newest else None
        return batch
