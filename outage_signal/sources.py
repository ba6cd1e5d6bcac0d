"""Which collectors a config turns on, with which credentials and cursors: the sources a pass reads.

A source is a name and a function that yields its batches when called; ``pipeline`` runs them.
"""
from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path

from outage_signal.collector.bluesky import BlueskyCollector, bluesky_from_env
from outage_signal.collector.feeds import fetch_feed
from outage_signal.collector.records import Batch
from outage_signal.collector.reddit import RedditCollector, reddit_from_env
from outage_signal.collector.replay import read_replay, read_status_dir
from outage_signal.collector.statuspage import fetch_incidents
from outage_signal.config import DEFAULT_REPLAY, Config
from outage_signal.store import Store

Source = tuple[str, Callable[[], Iterable[Batch]]]  # (name, a function that yields its batches)

log = logging.getLogger(__name__)


class CollectorSetupError(RuntimeError):
    """A source was asked for but cannot be used as configured."""


def run_sources(store: Store, config: Config, replay_dir: Path | None = None, status_pages: bool = True,
                env: dict[str, str] | None = None) -> list[Source]:
    """What the scheduled job reads: the status pages (unless turned off), Reddit and Bluesky when their
    credentials are in the environment, and a replay folder when given."""
    return (status_sources(config) if status_pages else []) + reddit_sources(store, config, env) + \
        bluesky_sources(store, config, env) + (replay_sources(store, replay_dir) if replay_dir else [])


def backfill_sources(store: Store, config: Config, source: str, since: datetime, until: datetime) -> list[Source]:
    """One source (reddit, bluesky or status) over a past window, with cursors of the window's own."""
    if source == "reddit":
        sources = reddit_sources(store, config, window=(since.timestamp(), until.timestamp()))
    elif source == "bluesky":
        sources = bluesky_sources(store, config, window=(since.isoformat(), until.isoformat()))
    else:
        sources = status_sources(config)
    if not sources:
        raise CollectorSetupError(f"no {source} credentials in the environment: see `outage-signal run --help`")
    return sources


def status_sources(config: Config) -> list[Source]:
    """Every configured status page, read live (public, no credentials): Statuspage API or RSS/Atom feed."""
    fetch = {"statuspage": fetch_incidents, "feed": fetch_feed}
    pages = {key: s.status_page for key, s in config.services.items() if s.status_page}
    unread = sorted(key for key, page in pages.items() if page.kind not in fetch)
    if unread:  # a kind of config.STATUS_PAGE_KINDS this build has no reader for yet
        log.warning("status pages not read (no reader for their kind): %s", ", ".join(unread))
    return [(f"status:{key}", lambda url=page.url, key=key, kind=page.kind: [fetch[kind](url, key)])
            for key, page in pages.items() if page.kind in fetch]


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
