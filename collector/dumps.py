"""Bulk files for backfill: JSON lines, CSV, and zstandard NDJSON Reddit dumps.

Reddit archives (Pushshift, Arctic Shift) circulate as ``.zst`` files of one JSON object a line:
submissions have ``id``, ``title``, ``selftext``, ``author``, ``created_utc``, ``permalink``,
``subreddit``; comments have ``id``, ``body``, ``link_id``, ``author``, ``created_utc``. Files are
streamed line by line (constant memory); the cursor is the number of lines already stored, so an
interrupted import resumes, and a line that cannot be read becomes a :class:`Malformed` record with
its line number while the rest still loads. What concerns the whole file (binary data, a CSV header
without the needed columns, a zstandard stream cut short) is one :class:`UnreadableDump` instead.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, BinaryIO, TextIO

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
    """The records of a JSON-lines or CSV file after line ``cursor``, ``size`` at a time, unparsed.

    Raises :class:`UnreadableDump` for a file that is binary, a CSV without the columns a post needs,
    or a zstandard stream that is cut or corrupt; in the last case only after yielding every whole
    line before the damage, so what can be loaded is.
    """
    skip = int(cursor or 0)
    with _open_text(path) as text:
        records = _csv_rows(text) if ".csv" in path.suffixes else _lines(text)
        chunk: list[tuple[int, str | dict[str, str]]] = []
        number = 0
        try:
            for number, record in records:
                if number <= skip:
                    continue
                chunk.append((number, record))
                if len(chunk) >= size:
                    yield Chunk(chunk, str(number))
                    chunk = []
        except DamagedStream as e:
            if chunk:
                yield Chunk(chunk, str(chunk[-1][0]))
            raise UnreadableDump(f"{e} after line {number}; the lines before it are loaded") from None
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


class UnreadableDump(ValueError):
    """A file that cannot be imported as a whole (binary, a CSV header without the needed columns, a
    cut or corrupt zstandard stream): one line for the file, not one per line."""


class DamagedStream(UnreadableDump):
    """The zstandard stream stops inside a frame, or its data is corrupt (read_chunks adds the line)."""


# A post needs an id, a text and a time; each may come under any of the names to_post reads.
CSV_COLUMNS = {"id": ("id",), "text": ("text", "title", "body"), "created_at": ("created_at", "created_utc")}
CSV_HEADER = "id,text,author,created_at"
SNIFF_BYTES = 8192


def _open_text(path: Path) -> TextIO:
    """The file as text (a UTF-8 BOM dropped, undecodable bytes replaced); zstandard decompressed."""
    raw = open(path, "rb")
    stream = io.BufferedReader(_ZstdReader(raw), 1 << 20) if path.suffix == ".zst" else raw
    try:
        head = stream.peek(SNIFF_BYTES)[:SNIFF_BYTES]
        if not head:
            raise UnreadableDump("empty file: nothing to import")
        if _looks_binary(head):
            raise UnreadableDump("binary data, not UTF-8 text: expected JSON lines or CSV")
    except BaseException:
        stream.close()
        raise
    return io.TextIOWrapper(stream, encoding="utf-8-sig", errors="replace", newline="")


def _looks_binary(head: bytes) -> bool:
    """Whether the first line holds a NUL byte, or a tenth of it is not text (as ``grep`` and ``file``
    judge): a line or two of bad bytes later in a file are counted lines, not a binary file."""
    line = head.lstrip(b"\r\n").split(b"\n", 1)[0]
    if b"\0" in line:
        return True
    text = line.decode("utf-8", errors="replace")
    not_text = sum(c == "\ufffd" or (c < " " and c not in "\t\r\f") for c in text)
    return not_text * 10 > len(text)


class _ZstdReader(io.RawIOBase):
    """The decompressed bytes of a zstandard file, frame after frame. Unlike zstandard's own
    stream_reader, says when the file ends inside a frame (a cut download) instead of just stopping."""

    def __init__(self, compressed: BinaryIO):
        self._compressed = compressed
        self._decompressor = zstandard.ZstdDecompressor(max_window_size=MAX_WINDOW)
        self._frame = self._decompressor.decompressobj()
        self._in_frame = False
        self._pending = memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._pending:
            if self._frame.eof:  # the next frame, if any, starts in what the last one left over
                left, self._frame = self._frame.unused_data, self._decompressor.decompressobj()
            else:
                left = b""
            data = left or self._compressed.read(1 << 17)
            if not data:
                if self._in_frame:
                    raise DamagedStream("truncated: the zstandard stream ends inside a frame")
                return 0
            try:
                self._pending = memoryview(self._frame.decompress(data))
            except zstandard.ZstdError as e:
                raise DamagedStream(f"corrupt zstandard data ({e})") from None
            self._in_frame = not self._frame.eof
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size

    def close(self) -> None:
        self._compressed.close()
        super().close()


def _lines(text: TextIO) -> Iterator[tuple[int, str]]:
    for number, line in enumerate(text, start=1):
        if line.strip():
            yield number, line


def _csv_rows(text: TextIO) -> Iterator[tuple[int, Any]]:
    reader = csv.DictReader(text)
    header = reader.fieldnames or []
    missing = [need for need, names in CSV_COLUMNS.items() if not set(names) & set(header)]
    if missing:
        raise UnreadableDump(f"the CSV header {','.join(header)!r} lacks {', '.join(missing)}; expected "
                             f"{CSV_HEADER!r} (Reddit dump fields title or body, and created_utc, also do)")
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
