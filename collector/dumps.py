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
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, TextIO

import orjson
import zstandard

from outage_signal.collector.records import Batch, Malformed, Post, checked_text, checked_time

# Reddit dumps are compressed with a long window; the decoder must be allowed to use it.
MAX_WINDOW = 2**31


def source_key(path: Path) -> str:
    """The file's cursor key: its absolute path and size, so a different file never reuses a cursor."""
    return f"import:{path.resolve()}:{path.stat().st_size}"


def read_dump(path: str | Path, cursor: str | None = None, batch_size: int = 20000,
              source: str = "reddit") -> Iterator[Batch]:
    """Yield batches of posts from a ``.jsonl``/``.ndjson``(``.zst``) or ``.csv`` file after line ``cursor``."""
    chunks, parse = dump_reader(path, cursor, batch_size, source)
    return map(parse, chunks)


def dump_reader(path: str | Path, cursor: str | None = None, batch_size: int = 20000,
                source: str = "reddit") -> tuple[Iterator[Chunk], ChunkParser]:
    """``read_dump`` in its two stages: the file's unparsed chunks, and the parser that makes each a
    batch. Chunks are cheap to read in order; parsing is the costly half, which may run elsewhere
    (see ``outage_signal.prefetch``)."""
    path = Path(path)
    return read_chunks(path, cursor, batch_size), ChunkParser(path.name, source_key(path), partial(to_post, source=source))


def read_lines(path: Path, key: str, cursor: str | None, to_record: Callable[[Any], Post],
               batch_size: int = 5000) -> Iterator[Batch]:
    """Batches of ``to_record(row)`` for the rows of a JSON-lines or CSV file after line ``cursor``."""
    return map(ChunkParser(path.name, key, to_record), read_chunks(path, cursor, batch_size))


@dataclass
class Chunk:
    """Consecutive records of a file, not parsed yet: (line number, the line's text or its CSV row)."""

    records: list[tuple[int, str | dict[str, str]]]
    cursor: str  # the last line it covers


def read_chunks(path: Path, cursor: str | None, size: int) -> Iterator[Chunk]:
    """The records of a JSON-lines or CSV file after line ``cursor``, ``size`` at a time, unparsed."""
    skip = int(cursor or 0)
    with _open_text(path) as text:
        records = _csv_rows(text) if ".csv" in path.suffixes else _lines(text)
        chunk: list[tuple[int, str | dict[str, str]]] = []
        for number, record in records:
            if number <= skip:
                continue
            chunk.append((number, record))
            if len(chunk) >= size:
                yield Chunk(chunk, str(number))
                chunk = []
        if chunk:
            yield Chunk(chunk, str(chunk[-1][0]))


@dataclass(frozen=True)
class ChunkParser:
    """Makes a chunk a batch: each record through ``to_record``. A record that is not JSON or that
    ``to_record`` rejects (KeyError, TypeError, ValueError, OverflowError) becomes a Malformed record
    named by its line number; the rest still load."""

    file_name: str
    key: str  # the batch's cursor key
    to_record: Callable[[Any], Post]

    def __call__(self, chunk: Chunk) -> Batch:
        batch = Batch(source=self.key, cursor=chunk.cursor)
        for number, record in chunk.records:
            try:
                batch.posts.append(self.to_record(_parsed(record)))
            except (KeyError, TypeError, ValueError, OverflowError) as e:
                batch.malformed.append(Malformed(f"{self.file_name}:{number}", f"{type(e).__name__}: {e}"[:300]))
        return batch


def _parsed(record: str | dict[str, str]) -> Any:
    if not isinstance(record, str):
        return record  # a CSV row
    try:
        return orjson.loads(record)
    except ValueError as e:  # orjson.JSONDecodeError is a ValueError
        raise ValueError(f"not JSON: {e}") from None


def _open_text(path: Path) -> TextIO:
    raw = open(path, "rb")
    if path.suffix == ".zst":
        stream = zstandard.ZstdDecompressor(max_window_size=MAX_WINDOW).stream_reader(raw, closefd=True)
        return io.TextIOWrapper(stream, encoding="utf-8", errors="replace", newline="")
    return io.TextIOWrapper(raw, encoding="utf-8", errors="replace", newline="")


def _lines(text: TextIO) -> Iterator[tuple[int, str]]:
    for number, line in enumerate(text, start=1):
        if line.strip():
            yield number, line


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
