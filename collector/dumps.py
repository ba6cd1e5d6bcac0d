"""Bulk files for backfill: JSON lines, CSV, and zstandard NDJSON Reddit dumps.

Reddit archives (Pushshift, Arctic Shift) circulate as ``.zst`` files of one JSON object a line:
submissions have ``id``, ``title``, ``selftext``, ``author``, ``created_utc``, ``permalink``,
``subreddit``; comments have ``id``, ``body``, ``link_id``, ``author``, ``created_utc``. Files are
streamed line by line (constant memory); the cursor is the number of lines already stored, so an
interrupted import resumes, and a line that cannot be read becomes a :class:`Malformed` record with
its line number while the rest still loads.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TextIO

import orjson
import zstandard

from collector.records import Batch, Malformed, Post, checked_text, checked_time

# Reddit dumps are compressed with a long window; the decoder must be allowed to use it.
MAX_WINDOW = 2**31


def source_key(path: Path) -> str:
    """The file's cursor key: its absolute path and size, so a different file never reuses a cursor."""
    return f"import:{path.resolve()}:{path.stat().st_size}"


def read_dump(path: str | Path, cursor: str | None = None, batch_size: int = 20000,
              source: str = "reddit") -> Iterator[Batch]:
    """Yield batches of posts from a ``.jsonl``/``.ndjson``(``.zst``) or ``.csv`` file after line ``cursor``."""
    path = Path(path)
    return read_lines(path, source_key(path), cursor, lambda row: to_post(row, source), batch_size)


def read_lines(path: Path, key: str, cursor: str | None, to_record: Callable[[Any], Post],
               batch_size: int = 5000) -> Iterator[Batch]:
    """Batches of ``to_record(row)`` for the rows of a JSON-lines or CSV file after line ``cursor``.

    A row ``to_record`` rejects (KeyError, TypeError, ValueError, OverflowError) becomes a Malformed
    record with its line number; each batch's cursor is the last line it covers.
    """
    skip = int(cursor or 0)
    with _open_text(path) as text:
        rows = _csv_rows(text) if ".csv" in path.suffixes else _json_rows(text)
        batch = Batch(source=key, cursor=str(skip))
        for number, row in rows:
            if number <= skip:
                continue
            try:
                if isinstance(row, Exception):  # the line could not be parsed at all
                    raise row
                batch.posts.append(to_record(row))
            except (KeyError, TypeError, ValueError, OverflowError) as e:
                batch.malformed.append(Malformed(f"{path.name}:{number}", f"{type(e).__name__}: {e}"[:300]))
            batch.cursor = str(number)
            if len(batch.posts) + len(batch.malformed) >= batch_size:
                yield batch
                batch = Batch(source=key, cursor=str(number))
        if batch.posts or batch.malformed:
            yield batch


def _open_text(path: Path) -> TextIO:
    raw = open(path, "rb")
    if path.suffix == ".zst":
        stream = zstandard.ZstdDecompressor(max_window_size=MAX_WINDOW).stream_reader(raw, closefd=True)
        return io.TextIOWrapper(stream, encoding="utf-8", errors="replace", newline="")
    return io.TextIOWrapper(raw, encoding="utf-8", errors="replace", newline="")


def _json_rows(text: TextIO) -> Iterator[tuple[int, Any]]:
    for number, line in enumerate(text, start=1):
        if not line.strip():
            continue
        try:
            yield number, orjson.loads(line)
        except ValueError as e:  # orjson.JSONDecodeError is a ValueError
            yield number, ValueError(f"not JSON: {e}")


def _csv_rows(text: TextIO) -> Iterator[tuple[int, Any]]:
    reader = csv.DictReader(text)
    for row in reader:
        yield reader.line_num, row


RAW_FIELDS = ("subreddit", "link_id", "score", "num_comments")  # kept in the post's raw record


def to_post(row: Any, source: str = "reddit") -> Post:
    """One dump record (Pushshift/Arctic Shift submission or comment, or a generic row) as a Post."""
    if not isinstance(row, dict):
        raise TypeError(f"expected an object, got {type(row).__name__}")
    if "title" in row:
        text = f"{row['title']}\n\n{row.get('selftext') or ''}".strip()
    else:
        text = row.get("body") if row.get("body") is not None else row["text"]
    text = checked_text(text)
    created = checked_time(row.get("created_utc", row.get("created_at")))
    post_id = str(row["id"])
    if not post_id.strip():
        raise ValueError("empty id")
    name = row.get("name") or (f"t3_{post_id}" if "title" in row else f"t1_{post_id}" if "body" in row else post_id)
    permalink = row.get("permalink")
    return Post(source=source, source_id=str(name), text=text, author=str(row.get("author") or "[unknown]"),
                created_at=created, url=f"https://www.reddit.com{permalink}" if permalink else row.get("url"),
                language=row.get("lang") or row.get("language"),
                raw={k: row[k] for k in RAW_FIELDS if k in row})
