"""Bluesky through atproto: ``app.bsky.feed.searchPosts`` per catalog query, newest first; and the
posts of companies' official accounts (``app.bsky.feed.getAuthorFeed``) as acknowledgements.

Login is a handle and an app password from the environment (``OUTAGE_SIGNAL_BLUESKY_HANDLE``,
``OUTAGE_SIGNAL_BLUESKY_APP_PASSWORD``). Each query has its own cursor: the newest ``indexedAt``
stored from it. A run asks for posts ``since`` that time, follows the API's pagination cursor to
the end, and yields everything as one batch, so the cursor moves only with the posts it covers.

An account's own feed is public: it is read from Bluesky's public AppView without credentials.
"""
from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from atproto import Client
from atproto_client.exceptions import (AtProtocolError, BadRequestError, ModelError, NetworkError,
                                       RequestException, UnauthorizedError)

from outage_signal.collector.records import Batch, Malformed, OfficialIncident, Post, checked_text, checked_time
from outage_signal.collector.retry import GaveUp, Retryable, RetryPolicy, retried_status


class BlueskyError(RuntimeError):
    """Bluesky cannot be read: missing or refused credentials, or it kept failing after retries."""


class MalformedPage(BlueskyError):
    """A searchPosts page that does not follow the lexicon: that query's run is skipped, counted."""


def bluesky_from_env(env: Mapping[str, str] = os.environ) -> Client:
    """A logged-in atproto client; :class:`BlueskyError` names what is missing or refused."""
    missing = [v for v in ("OUTAGE_SIGNAL_BLUESKY_HANDLE", "OUTAGE_SIGNAL_BLUESKY_APP_PASSWORD") if not env.get(v)]
    if missing:
        raise BlueskyError(f"Bluesky credentials missing: set {' and '.join(missing)} (an app password from "
                           "Settings > Privacy and security > App passwords)")
    client = Client()
    try:
        client.login(env["OUTAGE_SIGNAL_BLUESKY_HANDLE"], env["OUTAGE_SIGNAL_BLUESKY_APP_PASSWORD"],
                     fetch_bsky_profile=False)  # the session is all a search needs
    except AtProtocolError as e:
        raise BlueskyError(f"Bluesky refused the login ({type(e).__name__}); check OUTAGE_SIGNAL_BLUESKY_HANDLE "
                           "and OUTAGE_SIGNAL_BLUESKY_APP_PASSWORD") from None
    return client


def post_view_to_post(view: Any) -> Post:
    """An ``app.bsky.feed.defs#postView`` (atproto model) as a Post with its bsky.app URL."""
    record = view.record
    handle = view.author.handle
    rkey = view.uri.rsplit("/", 1)[-1]
    langs = getattr(record, "langs", None) or []
    return Post(source="bluesky", source_id=view.uri, text=checked_text(record.text), author=view.author.did,
                created_at=checked_time(record.created_at),
                url=f"https://bsky.app/profile/{handle}/post/{rkey}", language=langs[0] if langs else None,
                raw={"cid": view.cid, "indexed_at": view.indexed_at})  # no handle: authors are stored hashed


class BlueskyCollector:
    """Yield one :class:`Batch` per search query.

    Parameters
    ----------
    client:
        An atproto ``Client`` (see :func:`bluesky_from_env`).
    queries:
        ``searchPosts`` queries, e.g. ``"github down"``.
    page_size, max_pages:
        Posts per request (the API allows up to 100), and pages read on a query's first run, which
        starts from the newest posts (history is the backfill's job). Later runs read every page back
        to their cursor, so the cursor never passes posts that were not read.
    window:
        ``(since, until)`` ISO times to backfill a window instead of following the newest posts; the
        window gets cursors of its own, so an interrupted backfill resumes.
    retry:
        How each page request is retried on 429, 5xx and network errors.
    """

    def __init__(self, client: Client, queries: Iterable[str], page_size: int = 100, max_pages: int = 10,
                 window: tuple[str, str] | None = None, retry: RetryPolicy = RetryPolicy()):
        self.client = client
        self.queries = list(queries)
        self.page_size = page_size
        self.max_pages = max_pages
        self.window = window
        self.retry = retry

    def batches(self, cursors: Mapping[str, str | None]) -> Iterator[Batch]:
        for query in self.queries:
            if self.window:
                key = f"bluesky:q:{query}:{self.window[0]}..{self.window[1]}"
                since, until = cursors.get(key) or self.window[0], self.window[1]
            else:
                key, until = f"bluesky:q:{query}", None
                since = cursors.get(key)
            try:
                yield self._read(key, query, since, until)
            except MalformedPage as e:  # this query is retried next run; the other queries go on
                yield Batch(source=key, cursor=since, malformed=[Malformed(key, str(e))])

    def _read(self, key: str, query: str, since: str | None, until: str | None = None) -> Batch:
        batch = Batch(source=key, cursor=since)
        page_cursor = None
        pages = 0
        while since is not None or pages < self.max_pages:
            pages += 1
            params = {"q": query, "sort": "latest", "limit": self.page_size, "cursor": page_cursor,
                      "since": since, "until": until}
            response = self._search({k: v for k, v in params.items() if v is not None}, key)
            for view in response.posts:
                try:
                    batch.posts.append(post_view_to_post(view))
                except (AttributeError, TypeError, KeyError, ValueError) as e:
                    batch.malformed.append(Malformed(f"{key} {getattr(view, 'uri', '?')}", f"{type(e).__name__}: {e}"))
                batch.cursor = max(filter(None, (batch.cursor, getattr(view, "indexed_at", None))), default=None)
            if response.cursor and response.cursor == page_cursor:
                raise BlueskyError(f"{key}: Bluesky returned the same page cursor twice; nothing was stored")
            page_cursor = response.cursor
            if not page_cursor or not response.posts:
                break
        return batch

    def _search(self, params: dict[str, Any], key: str) -> Any:
        return call_xrpc(self.client.app.bsky.feed.search_posts, params, key, self.retry)


PUBLIC_APPVIEW = "https://public.api.bsky.app/xrpc"
# What an official post about an outage says; a post without any of these (a launch, a tip) is not one.
OUTAGE_WORDS = re.compile(r"\b(outage|down|degraded|degradation|disruption|disrupted|investigating|incident|"
                          r"errors?|issues?|unavailable|interruption|restored|mitigated|resolved)\b", re.IGNORECASE)


def official_acknowledgements(client: Client, accounts: Mapping[str, Iterable[str]], limit: int = 30,
                              retry: RetryPolicy = RetryPolicy()) -> Iterator[Batch]:
    """One batch per official account (``accounts``: service key -> handles): its latest own posts that
    speak of an outage, each an :class:`OfficialIncident` with ``source = "bluesky"``.

    ``client`` needs no login: ``Client(base_url=PUBLIC_APPVIEW)``. Reposts and replies are not the
    account speaking for itself, so they are left out.
    """
    for service, handles in accounts.items():
        for handle in handles:
            key = f"bluesky:official:{handle}"
            response = call_xrpc(client.app.bsky.feed.get_author_feed,
                                 {"actor": handle, "limit": limit, "filter": "posts_no_replies"}, key, retry,
                                 "app.bsky.feed.getAuthorFeed")
            batch = Batch(source=key, cursor=None)
            for item in response.feed:
                if item.reason is not None:  # a repost
                    continue
                try:
                    post = post_view_to_post(item.post)
                except (AttributeError, TypeError, KeyError, ValueError) as e:
                    batch.malformed.append(Malformed(f"{key} {getattr(item.post, 'uri', '?')}", f"{type(e).__name__}: {e}"))
                    continue
                if OUTAGE_WORDS.search(post.text):
                    batch.incidents.append(OfficialIncident(
                        service=service, source_id=post.source_id, title=" ".join(post.text.split())[:200],
                        impact="unknown", acknowledged_at=post.created_at, url=post.url, source="bluesky",
                        updates=({"at": post.created_at.isoformat(), "status": "posted", "body": post.text},)))
                batch.cursor = max(filter(None, (batch.cursor, item.post.indexed_at)), default=None)
            yield batch


def call_xrpc(method: Any, params: dict[str, Any], key: str, retry: RetryPolicy,
              lexicon: str = "app.bsky.feed.searchPosts") -> Any:
    """``method(params=params)`` under ``retry``; failures as :class:`BlueskyError` naming ``key``."""
    try:
        return retry.call(lambda: _call_once(method, params, key, lexicon))
    except GaveUp as e:
        raise BlueskyError(f"{key}: {e}") from None


def _call_once(method: Any, params: dict[str, Any], key: str, lexicon: str) -> Any:
    try:
        return method(params=params)
    except UnauthorizedError:
        raise BlueskyError(f"{key}: Bluesky refused the session; check OUTAGE_SIGNAL_BLUESKY_HANDLE and "
                           "OUTAGE_SIGNAL_BLUESKY_APP_PASSWORD") from None
    except (NetworkError, RequestException) as e:
        response = e.response
        if isinstance(e, NetworkError) or response is None:
            raise Retryable(type(e).__name__) from None
        if not retried_status(response.status_code):
            raise BlueskyError(f"{key}: Bluesky answered {e}") from None
        headers = {k.lower(): v for k, v in (response.headers or {}).items()}
        raise Retryable(f"{type(e).__name__}: HTTP {response.status_code}", headers.get("retry-after")) from None
    except BadRequestError as e:
        raise BlueskyError(f"{key}: Bluesky rejected the query: {e}") from None
    except (ModelError, ValueError) as e:  # not the lexicon's shape, or not JSON at all
        raise MalformedPage(f"{key}: a page that does not follow {lexicon} "
                            f"({str(e).splitlines()[0]}: {' '.join(str(e).splitlines()[1:3])})"[:300]) from None
