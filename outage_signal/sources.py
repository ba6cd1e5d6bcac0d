"""Which collectors a config turns on, with which credentials and cursors: the sources a pass reads.

A source is a name and a function that yields its batches when called; ``pipeline`` runs them.
"""
from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path

from atproto import Client

from outage_signal.collector.bluesky import (PUBLIC_APPVIEW, BlueskyCollector, bluesky_from_env,
                                             official_acknowledgements)
from outage_signal.collector.records import Batch
from outage_signal.collector.reddit import RedditCollector, reddit_from_env
from outage_signal.collector.replay import read_replay, read_status_dir
from outage_signal.collector.status_pages import detect_platform, fetch_status
from outage_signal.config import DEFAULT_REPLAY, Config, StatusPage
from outage_signal.store import Store

log = logging.getLogger(__name__)

Source = tuple[str, Callable[[], Iterable[Batch]]]  # (name, a function that yields its batches)


class CollectorSetupError(RuntimeError):
    """A source was asked for but cannot be used as configured."""


def run_sources(store: Store, config: Config, replay_dir: Path | None = None, status_pages: bool = True,
                env: dict[str, str] | None = None) -> list[Source]:
    """What the scheduled job reads: the status pages (unless turned off), Reddit and Bluesky when their
    credentials are in the environment, and a replay folder when given."""
    official = status_sources(config, store) + official_account_sources(config) if status_pages else []
    return official + reddit_sources(store, config, env) + \
        bluesky_sources(store, config, env) + (replay_sources(store, replay_dir) if replay_dir else [])


def backfill_sources(store: Store, config: Config, source: str, since: datetime, until: datetime) -> list[Source]:
    """One source (reddit, bluesky or status) over a past window, with cursors of the window's own."""
    if source == "reddit":
        sources = reddit_sources(store, config, window=(since.timestamp(), until.timestamp()))
    elif source == "bluesky":
        sources = bluesky_sources(store, config, window=(since.isoformat(), until.isoformat()))
    else:
        sources = status_sources(config, store) + official_account_sources(config)
    if not sources:
        raise CollectorSetupError(f"no {source} credentials in the environment: see `outage-signal run --help`")
    return sources


def status_sources(config: Config, store: Store | None = None) -> list[Source]:
    """Every configured status page, read live (public, no credentials) by its platform's reader."""
    return [(f"status:{key}", lambda key=key, page=s.status_page: [read_status_page(key, page, store)])
            for key, s in config.services.items() if s.status_page]


AUTO_CURSOR = "auto:"  # a status source's cursor "auto:<kind> <url>": the platform `auto` found, kept


def read_status_page(key: str, page: StatusPage, store: Store | None = None) -> Batch:
    """One batch of the page's official incidents. A ``kind = "auto"`` page's platform is found from its
    answers once, then kept as the source's cursor (shown by ``status``) and read directly."""
    if page.kind != "auto":
        return fetch_status(page.kind, page.url, key)
    found = store.cursor(f"status:{key}") if store else None
    if found and found.startswith(AUTO_CURSOR):
        kind, url = found.removeprefix(AUTO_CURSOR).split(" ", 1)
    else:
        kind, url = detect_platform(page.url)
        log.info("%s: status page %s found to be on %s", key, page.url, kind)
    batch = fetch_status(kind, url, key)
    batch.cursor = f"{AUTO_CURSOR}{kind} {url}"
    return batch


def official_account_sources(config: Config) -> list[Source]:
    """The catalog's official Bluesky accounts, read from Bluesky's public AppView (no credentials)."""
    accounts = {key: s.official_bluesky for key, s in config.services.items() if s.official_bluesky}
    if not accounts:
        return []
    return [("bluesky-official", lambda: official_acknowledgements(Client(base_url=PUBLIC_APPVIEW), accounts))]


def reddit_sources(store: Store, config: Config, env: dict[str, str] | None = None,
                   window: tuple[float, float] | None = None) -> list[Source]:
    """New posts of the catalog's subreddits and a Reddit search per service, when Reddit credentials are
    in the environment; else none."""
    env = dict(os.environ) if env is None else env
    if not (env.get("OUTAGE_SIGNAL_REDDIT_CLIENT_ID") or env.get("OUTAGE_SIGNAL_REDDIT_SITE")):
        return []
    subreddits = sorted({sub for s in config.services.values() for sub in s.subreddits})
    queries = [f'"{s.name}" (down OR outage OR "not working")' for s in config.services.values()]
    return [("reddit", lambda: RedditCollector(reddit_from_env(env), subreddits=subreddits, queries=queries,
                                               window=window, comments=config.reddit_comments)
             .batches(store.cursors()))]


def bluesky_sources(store: Store, config: Config, env: dict[str, str] | None = None,
                    window: tuple[str, str] | None = None) -> list[Source]:
    """The catalog's Bluesky searches, when a handle and app password are in the environment; else none."""
    env = dict(os.environ) if env is None else env
    if not env.get("OUTAGE_SIGNAL_BLUESKY_HANDLE"):
        return []
    queries = sorted({q for s in config.services.values() for q in s.bluesky})
    return [("bluesky", lambda: BlueskyCollector(bluesky_from_env(env), queries, window=window)
             .batches(store.cursors()))]


def replay_sources(store: Store, replay_dir: Path = DEFAULT_REPLAY) -> list[Source]:
    """The bundled replay as sources: its posts (resuming from the stored cursor) and its status pages."""
    posts = replay_dir / "posts.jsonl.zst"
    return [("replay", lambda: read_replay(posts, store.cursor(f"replay:{posts.name}"))),
            ("replay-status", lambda: read_status_dir(replay_dir / "status"))]
