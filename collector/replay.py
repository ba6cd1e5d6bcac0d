"""Replay a recorded stream: posts from a zstandard NDJSON file and official incidents from Statuspage JSON.

This is the source of the demo: the bundled two-week stream in ``datasets/replay/`` needs no credentials
and no network. The cursor is the number of lines already stored, so an interrupted replay resumes
where it stopped and a finished one yields nothing new.
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from outage_signal.collector.dumps import read_lines
from outage_signal.collector.records import Batch, Post, utc
from outage_signal.collector.statuspage import parse_incidents

SOURCE = "replay"


def read_replay(posts_path: str | Path, cursor: str | None = None, batch_size: int = 5000) -> Iterator[Batch]:
    """Yield batches of posts from ``posts_path`` after line ``cursor`` (a line count)."""
    posts_path = Path(posts_path)
    return read_lines(posts_path, f"replay:{posts_path.name}", cursor, _post, batch_size)


def _post(row: dict) -> Post:
    return Post(source=SOURCE, source_id=str(row["id"]), text=str(row["text"]), author=str(row["author"]),
                created_at=utc(datetime.fromisoformat(row["created_at"])), language=row.get("lang"),
                raw={"style": row.get("style")})


def read_status_dir(status_dir: str | Path) -> Iterator[Batch]:
    """Yield one batch of official incidents per ``<service>.json`` Statuspage body in ``status_dir``."""
    for path in sorted(Path(status_dir).glob("*.json")):
        incidents, malformed = parse_incidents(json.loads(path.read_text()), service=path.stem, location=path.name)
        yield Batch(source=f"replay-status:{path.stem}", cursor=None, incidents=incidents, malformed=malformed)
