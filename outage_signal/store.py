"""The SQLite store: one file, WAL mode, an explicit and versioned schema.

Every SQL statement of Outage Signal is here, in a method named for what it does. Every write is
idempotent (unique keys with ``INSERT OR IGNORE`` / upserts), so ingesting the same data twice changes
nothing, and every multi-table change happens in one :meth:`Store.transaction`.
"""
from __future__ import annotations

import hashlib
import itertools
import json
import os
import secrets
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple
from urllib.parse import quote

import orjson
import sqlite_utils

from outage_signal.collector.records import Malformed, OfficialIncident, Post, utc

if TYPE_CHECKING:  # for the annotation only: the store reads an event's fields, it needs no detector
    from outage_signal.detector import IncidentEvent

SCHEMA_VERSION = 3

# One statement per table; ``IF NOT EXISTS`` makes creation safe to repeat.
SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS posts (
    id INTEGER PRIMARY KEY,
    source TEXT NOT NULL,
    source_id TEXT NOT NULL,
    text TEXT NOT NULL,
    author_hash TEXT NOT NULL,
    created_at TEXT NOT NULL,          -- ISO-8601 UTC
    minute TEXT NOT NULL,              -- created_at floored to the minute, the unit of counting
    url TEXT,
    language TEXT,
    raw TEXT,                          -- the source's record as JSON
    UNIQUE (source, source_id)
);
CREATE INDEX IF NOT EXISTS posts_minute ON posts (minute);
CREATE TABLE IF NOT EXISTS labels (
    post_id INTEGER NOT NULL REFERENCES posts(id),
    model_version TEXT NOT NULL,
    probability REAL NOT NULL,
    is_complaint INTEGER NOT NULL,
    services TEXT NOT NULL,            -- JSON list of service keys the post names
    PRIMARY KEY (post_id, model_version)
);
CREATE TABLE IF NOT EXISTS complaints (  -- a complaint label once per service it names, with who and when
    post_id INTEGER NOT NULL REFERENCES posts(id),
    model_version TEXT NOT NULL,
    service TEXT NOT NULL,
    author_hash TEXT NOT NULL,
    minute TEXT NOT NULL,
    PRIMARY KEY (model_version, post_id, service)
);
-- "Did this author already complain about this service in the last hour?" Indexing complaints, not
-- every post, keeps random index writes off the import path (a posts-wide author index halved it).
CREATE INDEX IF NOT EXISTS complaints_author ON complaints (model_version, service, author_hash, minute);
CREATE TABLE IF NOT EXISTS counts (
    service TEXT NOT NULL,
    source TEXT NOT NULL,
    minute TEXT NOT NULL,
    mentions INTEGER NOT NULL,         -- posts naming the service
    complaints INTEGER NOT NULL,       -- of those, classified as outage complaints
    authors INTEGER NOT NULL,          -- complaining authors not already counted in the previous hour
    PRIMARY KEY (service, source, minute)
);
CREATE INDEX IF NOT EXISTS counts_minute ON counts (minute);  -- recounting a span of minutes
CREATE TABLE IF NOT EXISTS official_incidents (
    service TEXT NOT NULL,
    source_id TEXT NOT NULL,
    title TEXT NOT NULL,
    impact TEXT NOT NULL,
    acknowledged_at TEXT NOT NULL,
    resolved_at TEXT,
    url TEXT,
    components TEXT NOT NULL,
    updates TEXT NOT NULL,
    source TEXT NOT NULL DEFAULT 'status_page',  -- status_page | bluesky (an official account's post)
    PRIMARY KEY (service, source_id)
);
CREATE TABLE IF NOT EXISTS incidents (
    id TEXT PRIMARY KEY,               -- the detector's stable incident id
    service TEXT NOT NULL,
    started_at TEXT NOT NULL,          -- estimated change point
    opened_at TEXT NOT NULL,           -- when the alarm was raised
    resolved_at TEXT,
    status TEXT NOT NULL,              -- open | resolved
    complaints INTEGER NOT NULL,
    expected REAL NOT NULL,
    peak_per_minute REAL NOT NULL,
    score REAL NOT NULL,
    official_id TEXT,                  -- official_incidents.source_id once linked
    acknowledged_at TEXT,
    acknowledged_by TEXT,              -- who spoke first: status_page, or bluesky (an official account)
    lead_minutes REAL                  -- acknowledged_at - opened_at, positive when we were first
);
CREATE TABLE IF NOT EXISTS incident_events (
    id TEXT PRIMARY KEY,               -- incident id : kind : minute, stable across re-runs
    incident_id TEXT NOT NULL,
    kind TEXT NOT NULL,                -- opened | escalated | acknowledged | resolved
    at TEXT NOT NULL,
    payload TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS outbox (
    event_id TEXT NOT NULL REFERENCES incident_events(id),
    endpoint TEXT NOT NULL,            -- endpoint name from the config, or "console"
    status TEXT NOT NULL,              -- pending | delivered | dead
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    created_at TEXT NOT NULL,
    delivered_at TEXT,
    last_error TEXT,
    PRIMARY KEY (event_id, endpoint)
);
CREATE TABLE IF NOT EXISTS detector_state (
    service TEXT PRIMARY KEY,
    last_minute TEXT NOT NULL,
    state TEXT NOT NULL,
    stale_from TEXT                    -- counts changed this far behind last_minute: detect again from the start
);
CREATE TABLE IF NOT EXISTS cursors (source TEXT PRIMARY KEY, cursor TEXT, updated_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS rejects (
    source TEXT NOT NULL,
    location TEXT NOT NULL,
    reason TEXT NOT NULL,
    seen_at TEXT NOT NULL,
    PRIMARY KEY (source, location)
);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY,
    command TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    status TEXT NOT NULL,              -- running | ok | failed | interrupted (killed: see start_run)
    summary TEXT
);
"""

# Statements that bring an existing database of the previous version up to each version.
UPGRADES = {
    2: ["DROP INDEX IF EXISTS posts_author",
        "ALTER TABLE detector_state ADD COLUMN stale_from TEXT",
        "INSERT OR IGNORE INTO complaints SELECT l.post_id, l.model_version, s.value, p.author_hash, p.minute"
        " FROM labels l JOIN posts p ON p.id = l.post_id, json_each(l.services) s WHERE l.is_complaint"],
    3: ["ALTER TABLE official_incidents ADD COLUMN source TEXT NOT NULL DEFAULT 'status_page'",
        "ALTER TABLE incidents ADD COLUMN acknowledged_by TEXT"],
}


class StoreError(RuntimeError):
    """The database cannot be used: newer schema, not an Outage Signal database, unreadable."""


def _corrupt(path: Path, detail: str) -> StoreError:
    return StoreError(f"{path}: database is corrupt ({detail}); restore it from a backup, or save what is readable "
                      f"with `sqlite3 {path} .recover | sqlite3 recovered.db`")


def database_error(path: Path, error: BaseException) -> StoreError | None:
    """The one line to show for an SQLite error a person must act on (corrupt file, read-only file, full disk),
    or None for any other error (a bug)."""
    if not isinstance(error, sqlite3.Error):
        return None
    code = (getattr(error, "sqlite_errorcode", None) or 0) & 0xFF  # extended codes too; none from the driver
    if code == sqlite3.SQLITE_CORRUPT:
        return _corrupt(path, str(error))
    if code == sqlite3.SQLITE_NOTADB:
        return StoreError(f"{path}: not an SQLite database ({error}); choose another --db")
    if code == sqlite3.SQLITE_READONLY:
        return StoreError(f"{path}: cannot write: the database or its folder is read-only ({error})")
    if code in (sqlite3.SQLITE_FULL, sqlite3.SQLITE_IOERR):
        return StoreError(f"{path}: cannot write ({error}); nothing of this step was kept. Free disk space (or fix "
                          "the disk) and run the same command again: it resumes.")
    return None


def _check_writable(path: Path) -> None:
    """Say so before opening when the file or its folder cannot be written (SQLite would open it read-only and
    fail at the first write). Root passes these checks and writes, as it may."""
    folder = path.parent
    if path.exists() and not os.access(path, os.W_OK):
        raise StoreError(f"{path}: the database file is read-only; this command writes (read-only commands such "
                         "as status, incidents and report work on it)")
    if folder.is_dir() and not os.access(folder, os.W_OK):
        raise StoreError(f"{path}: its folder {folder} is read-only, and SQLite needs to write its journal beside it")


def _connect(path: Path, readonly: bool) -> sqlite3.Connection:
    """Autocommit mode: transactions are explicit (see ``Store.transaction``), never implicit."""
    if readonly:
        uri = f"file:{quote(str(path.absolute()))}?mode=ro"
        conn = sqlite3.connect(uri, uri=True, isolation_level=None, timeout=30)
        try:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlite3.OperationalError as e:
            # A WAL database in a read-only folder: its -shm file cannot be made. With no -wal file beside
            # it no writer has changes pending, so the file alone is the whole database (read as immutable,
            # SQLite takes no locks: fine for a folder nobody here may write).
            conn.close()
            if e.sqlite_errorcode != sqlite3.SQLITE_READONLY_DIRECTORY or Path(f"{path}-wal").exists():
                raise
            conn = sqlite3.connect(f"{uri}&immutable=1", uri=True, isolation_level=None)
    else:
        conn = sqlite3.connect(path, isolation_level=None, timeout=30)
        conn.execute("PRAGMA synchronous=NORMAL")
        # Bulk loads update the posts indexes: a 64 MB page cache and checkpoints every ~40 MB of WAL
        # (instead of 2 MB and 4 MB) made an import about 20% faster (measured with schema 1's three indexes).
        conn.execute("PRAGMA cache_size=-65536")
        conn.execute("PRAGMA wal_autocheckpoint=10000")
    conn.execute("PRAGMA foreign_keys=ON")
    return conn


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def iso(dt: datetime | None) -> str | None:
    """Store timestamps as ISO-8601 UTC text, which sorts and compares correctly as text."""
    return None if dt is None else utc(dt).isoformat()


# How minutes are written (``minute_of``), for SQLite's strftime to produce comparable text.
_MINUTE_FORMAT = "%Y-%m-%dT%H:%M:00+00:00"


def minute_of(dt: datetime) -> str:
    return utc(dt).replace(second=0, microsecond=0).isoformat()


class DetectorState(NamedTuple):
    """A service's saved detector: the last minute it consumed, its state, and ``stale_from``, the
    earliest minute whose counts changed after the detector had passed it (history was added)."""

    last_minute: str
    state: dict[str, Any]
    stale_from: str | None


# Counts may change behind a detector: posts arrive late (search lag) and history is added (backfill,
# import, reclassify). Within this lag it is the first kind and is left alone; further back the
# service's detection is stale and is run again from its first minute.
LATE_POSTS = timedelta(hours=1)


class PostEncoder:
    """Posts as rows of the ``posts`` table. It needs only the database's salt, so a helper process can
    encode the next batch while the main one writes the last.

    Authors become salted hashes: the database never holds a name, yet one author's posts still match.
    """

    def __init__(self, salt: str):
        self.salt = salt
        self._author_hashes: dict[str, str] = {}
        # Authors repeat in a dump, so their hashes are cached (a hash costs ~1.5 µs, an imported post
        # ~9 µs); each entry is ~200 bytes, so this bounds the cache at ~100 MB.
        self.cache_limit = 500_000

    def limit_cache(self, entries: int) -> None:
        self.cache_limit = entries
        if len(self._author_hashes) > entries:
            self._author_hashes.clear()

    def author_hash(self, author: str) -> str:
        known = self._author_hashes.get(author)
        if known is None:
            if len(self._author_hashes) >= self.cache_limit:
                self._author_hashes.clear()
            known = self._author_hashes[author] = hashlib.sha256(f"{self.salt}:{author}".encode()).hexdigest()[:32]
        return known

    def __call__(self, post: Post) -> tuple:
        created = iso(post.created_at)
        raw = orjson.dumps(post.raw, default=str).decode() if post.raw is not None else None
        # created is "YYYY-MM-DDTHH:MM:SS[.ffffff]+00:00": its minute is the first 16 characters.
        return (post.source, post.source_id, post.text, self.author_hash(post.author), created,
                created[:16] + ":00+00:00", post.url, post.language, raw)


class Store:
    """An Outage Signal database. ``Store(path)`` creates or migrates the schema; ``Store(path, readonly=True)``
    opens an existing one without writing a byte, for the commands that only read (and for read-only files)."""

    def __init__(self, path: str | Path, salt: str | None = None, readonly: bool = False):
        self.path = Path(path)
        if readonly and not self.path.exists():
            raise StoreError(f"no such database: {self.path}")  # rather than an empty one made by a typo
        if not readonly:
            _check_writable(self.path)
        try:
            self.conn = _connect(self.path, readonly)
        except sqlite3.Error as e:
            raise database_error(self.path, e) or StoreError(f"{self.path}: cannot open ({e})") from None
        self.db = sqlite_utils.Database(self.conn)
        try:
            version = self._schema_version()
            if readonly:
                self._check_readable(version)
            else:
                self._check_integrity()
                self._migrate(version, salt)
            self.encoder = PostEncoder(self.meta("author_salt"))
        except BaseException as e:
            self.conn.close()
            if isinstance(e, sqlite3.Error):
                raise database_error(self.path, e) or StoreError(f"{self.path}: cannot open ({e})") from None
            raise

    def _schema_version(self) -> int | None:
        """The database's schema version; None for a database with no tables yet (a new file)."""
        tables = set(self.db.table_names())
        if not tables:
            return None
        if "meta" not in tables:
            raise StoreError(f"{self.path}: not an Outage Signal database (it has other tables); choose another --db")
        version = int(self.meta("schema_version") or 0)
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"{self.path}: schema version {version} was written by a newer Outage Signal "
                f"(this one knows up to {SCHEMA_VERSION}); upgrade outage-signal or use another --db")
        return version

    def _check_readable(self, version: int | None) -> None:
        if version is None:
            raise StoreError(f"{self.path}: the database is empty; run a command that collects first (run, demo, import)")
        if version < SCHEMA_VERSION:
            raise StoreError(f"{self.path}: schema version {version} is older than this Outage Signal's "
                             f"{SCHEMA_VERSION}; run a command that writes (such as `outage-signal run`) once to upgrade it")

    def _check_integrity(self) -> None:
        """Refuse to write into a corrupt file. quick_check reads every page but checks no index against its
        table: 0.66 s for a 736 MB database of 2.1 million posts (warm cache), 3.3 s for integrity_check."""
        problems = [row[0] for row in self.conn.execute("PRAGMA quick_check(3)")]
        if problems != ["ok"]:
            raise _corrupt(self.path, "; ".join(problems)[:200])

    def _migrate(self, version: int | None, salt: str | None) -> None:
        self.conn.execute("PRAGMA journal_mode=WAL")
        with self.transaction():
            for statement in _statements(SCHEMA):
                self.conn.execute(statement)
            first = SCHEMA_VERSION + 1 if version is None else version + 1  # a new database needs no upgrade
            for statement in (s for v in range(first, SCHEMA_VERSION + 1) for s in UPGRADES.get(v, ())):
                self.conn.execute(statement)
            self.conn.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
            # The salt for author hashes is made once per database and never leaves it.
            self.conn.execute("INSERT OR IGNORE INTO meta VALUES ('author_salt', ?)", (salt or secrets.token_hex(16),))

    def limit_memory(self, page_cache_mib: int, author_hashes: int) -> None:
        """Small caches for a process that runs for days and writes a few posts a second (the streams).

        The defaults suit bulk loads: a 64 MiB page cache, which a long-running writer fills as the
        database grows (about 1 MiB a minute at 2,000 events/s) though its work touches only the newest
        pages; and 500,000 cached author hashes, which a stream meeting new authors all day fills over
        days (~100 MB), though it hashes a few authors a second.
        """
        self.conn.execute(f"PRAGMA cache_size=-{int(page_cache_mib) * 1024}")
        self.encoder.limit_cache(author_hashes)

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One atomic change: everything inside commits together or not at all."""
        try:
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self.conn
                self.conn.execute("COMMIT")
            except BaseException:
                if self.conn.in_transaction:  # SQLite may have rolled back already (disk full, I/O error)
                    self.conn.execute("ROLLBACK")
                raise
        except sqlite3.DatabaseError as e:
            raise database_error(self.path, e) or e from None

    def _in_transaction(self) -> sqlite3.Connection:
        """The connection, for a write that must commit with the caller's others (the caller holds a
        ``transaction``): alone it would commit at once and break that atomicity."""
        if not self.conn.in_transaction:
            raise RuntimeError("this write belongs inside the caller's Store.transaction()")
        return self.conn

    def meta(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    # --- collection -------------------------------------------------------------------------------

    def cursor(self, source: str) -> str | None:
        row = self.conn.execute("SELECT cursor FROM cursors WHERE source = ?", (source,)).fetchone()
        return row[0] if row else None

    def cursors(self) -> dict[str, str | None]:
        return dict(self.conn.execute("SELECT source, cursor FROM cursors"))

    def collected_at(self) -> dict[str, str]:
        """When each source last stored a batch: {source: ISO time}, by source."""
        return dict(self.conn.execute("SELECT source, updated_at FROM cursors ORDER BY source"))

    def save_batch(self, source: str, cursor: str | None, posts: Iterable[Post] = (),
                   incidents: Iterable[OfficialIncident] = (), malformed: Iterable[Malformed] = (),
                   encoded_posts: Iterable[tuple] = (), all_open: str | None = None) -> int:
        """Store a page of records and move ``source``'s cursor, atomically. Returns the number of new posts.

        ``encoded_posts`` are posts already turned into rows by this store's ``encoder``, in another
        process (see ``outage_signal.prefetch``). ``all_open`` names a service whose every open official
        incident is in ``incidents`` (see ``Batch.all_open``): its others still open are resolved now.
        """
        incidents = list(incidents)
        with self.transaction() as conn:
            before = conn.total_changes
            conn.executemany(
                # ON CONFLICT, not OR IGNORE: a duplicate is skipped, but a broken row still fails loudly.
                "INSERT INTO posts (source, source_id, text, author_hash, created_at, minute, url,"
                " language, raw) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (source, source_id) DO NOTHING",
                itertools.chain(map(self.encoder, posts), encoded_posts))
            new_posts = conn.total_changes - before
            if all_open:
                conn.execute(
                    "UPDATE official_incidents SET resolved_at = ? WHERE service = ? AND source = 'status_page'"
                    " AND resolved_at IS NULL AND source_id NOT IN (SELECT value FROM json_each(?))",
                    (now_iso(), all_open, json.dumps([i.source_id for i in incidents if i.service == all_open])))
            conn.executemany(
                "INSERT INTO official_incidents (service, source_id, title, impact, acknowledged_at, resolved_at,"
                " url, components, updates, source) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (service, source_id) DO UPDATE SET title = excluded.title, impact = excluded.impact,"
                " acknowledged_at = excluded.acknowledged_at, resolved_at = excluded.resolved_at,"
                " url = excluded.url, components = excluded.components, updates = excluded.updates,"
                " source = excluded.source",
                [(i.service, i.source_id, i.title, i.impact, iso(i.acknowledged_at), iso(i.resolved_at), i.url,
                  json.dumps(list(i.components)), json.dumps(list(i.updates), default=str), i.source)
                 for i in incidents])
            conn.executemany(
                "INSERT INTO rejects VALUES (?, ?, ?, ?) ON CONFLICT (source, location) DO NOTHING",
                [(source, m.location, m.reason, now_iso()) for m in malformed])
            conn.execute(
                "INSERT INTO cursors VALUES (?, ?, ?) ON CONFLICT (source) DO UPDATE"
                " SET cursor = excluded.cursor, updated_at = excluded.updated_at",
                (source, cursor, now_iso()))
        return new_posts

    def forget_posts(self, source: str, source_ids: Iterable[str], deleted_at: datetime,
                     model_version: str) -> tuple[int, int]:
        """Apply deletions by the posts' authors; returns (removed, marked).

        A post whose minute no detector has consumed yet is removed with its labels, and its minutes are
        recounted from ``model_version``'s labels: it never counts as a complaint. A post of a minute
        already detected stays, its deletion recorded as ``deleted_at`` in its ``raw``: its counts were
        the evidence detection saw, and history is not rewritten behind the detector.
        """
        ids = list(dict.fromkeys(source_ids))
        if not ids:
            return 0, 0
        with self.transaction() as conn:
            rows = [row for chunk in (ids[i:i + 500] for i in range(0, len(ids), 500)) for row in conn.execute(
                f"SELECT id, minute FROM posts WHERE source = ? AND source_id IN ({','.join('?' * len(chunk))})",
                [source, *chunk])]
            detected_through = conn.execute("SELECT MAX(last_minute) FROM detector_state").fetchone()[0] or ""
            marked = [post_id for post_id, minute in rows if minute <= detected_through]
            removed = [post_id for post_id, minute in rows if minute > detected_through]
            conn.executemany("UPDATE posts SET raw = json_set(COALESCE(raw, '{}'), '$.deleted_at', ?) WHERE id = ?",
                             [(iso(deleted_at), post_id) for post_id in marked])
            if removed:
                self._touch(conn, removed)
                minutes = self._touched_minutes(conn)
                counted = conn.execute("SELECT 1 FROM touched t JOIN labels l ON l.post_id = t.id"
                                       " AND l.model_version = ? LIMIT 1", (model_version,)).fetchone()
                conn.execute("DELETE FROM complaints WHERE post_id IN (SELECT id FROM touched)")
                conn.execute("DELETE FROM labels WHERE post_id IN (SELECT id FROM touched)")
                conn.execute("DELETE FROM posts WHERE id IN (SELECT id FROM touched)")
                if counted:
                    self._recount(conn, model_version, minutes)
        return len(removed), len(marked)

    # --- classification ---------------------------------------------------------------------------

    def unlabeled_posts(self, model_version: str, limit: int = 5000) -> list[tuple[int, str]]:
        """Up to ``limit`` (post id, text) pairs that have no label from ``model_version`` yet, oldest first.

        Reading starts after the model's watermark (every post up to it is labeled, see ``save_labels``),
        so a run reads only what is new instead of scanning every post it labeled before.
        """
        after_id = int(self.meta(f"labeled_through:{model_version}") or 0)
        return self.conn.execute(
            "SELECT p.id, p.text FROM posts p LEFT JOIN labels l ON l.post_id = p.id AND l.model_version = ?"
            " WHERE p.id > ? AND l.post_id IS NULL ORDER BY p.id LIMIT ?", (model_version, after_id, limit)).fetchall()

    def save_labels(self, model_version: str, labels: Iterable[tuple[int, float, bool, list[str]]],
                    through: int | None = None) -> int:
        """Store labels (post id, probability, is complaint, services) and refresh the counts they touch.

        ``through``: every post up to this id is labeled by ``model_version`` once these are saved (the
        caller labels in id order from the watermark); it becomes the watermark, in the same transaction.
        """
        rows = [(post_id, model_version, float(p), int(bool(c)), json.dumps(sorted(s)))
                for post_id, p, c, s in labels]
        if not rows:
            return 0
        with self.transaction() as conn:
            conn.executemany("INSERT OR REPLACE INTO labels VALUES (?, ?, ?, ?, ?)", rows)
            self._touch(conn, [r[0] for r in rows])
            self._save_complaints(conn, model_version)
            self._recount(conn, model_version, self._touched_minutes(conn))
            if through is not None:
                conn.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (f"labeled_through:{model_version}", str(through)))
        return len(rows)

    @staticmethod
    def _touch(conn: sqlite3.Connection, ids: list[int]) -> None:
        """Put the post ids a change touches in the temp table ``touched``, which the next steps read."""
        conn.execute("CREATE TEMP TABLE IF NOT EXISTS touched (id INTEGER PRIMARY KEY)")
        conn.execute("DELETE FROM touched")
        conn.executemany("INSERT OR IGNORE INTO touched VALUES (?)", [(i,) for i in ids])

    @staticmethod
    def _save_complaints(conn: sqlite3.Connection, model_version: str) -> None:
        """Rewrite the complaints rows of the touched posts from their labels (a label may be replaced)."""
        conn.execute("DELETE FROM complaints WHERE model_version = ? AND post_id IN (SELECT id FROM touched)",
                     (model_version,))
        # CROSS JOIN fixes the loop order (SQLite's rule): the few touched ids drive, not every post.
        conn.execute(
            "INSERT INTO complaints SELECT l.post_id, l.model_version, s.value, p.author_hash, p.minute"
            " FROM touched t CROSS JOIN labels l ON l.post_id = t.id AND l.model_version = ?"
            " CROSS JOIN posts p ON p.id = t.id, json_each(l.services) s WHERE l.is_complaint", (model_version,))

    @staticmethod
    def _touched_minutes(conn: sqlite3.Connection) -> list[str]:
        return [m for (m,) in conn.execute("SELECT DISTINCT p.minute FROM touched t CROSS JOIN posts p ON p.id = t.id")]

    @staticmethod
    def _recount(conn: sqlite3.Connection, model_version: str, minutes: list[str]) -> None:
        """Rebuild the per-service counts of ``minutes`` from the labels of ``model_version``.

        ``authors`` counts a complaining author once an hour per service (one angry account posting
        every minute must not look like a crowd), so a label also changes the hour of counts after it.
        """
        if not minutes:
            return
        # Detectors standing well past the earliest changed minute saw other counts there.
        earliest = min(minutes)
        conn.execute("UPDATE detector_state SET stale_from = MIN(COALESCE(stale_from, ?), ?) WHERE last_minute > ?",
                     (earliest, earliest, iso(datetime.fromisoformat(earliest) + LATE_POSTS)))
        hour_after = {minute_of(datetime.fromisoformat(m) + timedelta(minutes=k)) for m in minutes for k in range(61)}
        conn.execute("CREATE TEMP TABLE IF NOT EXISTS touched_minutes (minute TEXT PRIMARY KEY)")
        conn.execute("DELETE FROM touched_minutes")
        conn.executemany("INSERT INTO touched_minutes VALUES (?)", [(m,) for m in sorted(hour_after)])
        conn.execute("DELETE FROM counts WHERE minute IN (SELECT minute FROM touched_minutes)")
        conn.execute(
            "INSERT INTO counts (service, source, minute, mentions, complaints, authors)"
            " SELECT s.value, p.source, p.minute, COUNT(*), SUM(l.is_complaint),"
            "        COUNT(DISTINCT CASE WHEN l.is_complaint AND NOT EXISTS ("
            "            SELECT 1 FROM complaints c WHERE c.model_version = l.model_version AND c.service = s.value"
            "              AND c.author_hash = p.author_hash"
            "              AND c.minute < p.minute AND c.minute >= strftime(?, p.minute, '-60 minutes'))"
            "        THEN p.author_hash END)"
            # The touched minutes drive the loop (CROSS JOIN), so the cost follows them, not the table sizes.
            " FROM touched_minutes t CROSS JOIN posts p ON p.minute = t.minute"
            " CROSS JOIN labels l ON l.post_id = p.id AND l.model_version = ?, json_each(l.services) s"
            " GROUP BY s.value, p.source, p.minute", (_MINUTE_FORMAT, model_version))

    def recount_all(self, model_version: str) -> None:
        """Rebuild every count from the labels of ``model_version`` (after a model change)."""
        with self.transaction() as conn:
            minutes = [m for (m,) in conn.execute("SELECT DISTINCT minute FROM posts")]
            conn.execute("DELETE FROM counts")
            self._recount(conn, model_version, minutes)

    def counts(self, service: str, since: str | None = None, until: str | None = None,
               source: str | None = None) -> list[tuple[str, int, int, int]]:
        """(minute, complaints, authors, mentions) rows for a service, sources combined unless ``source``."""
        sql = ("SELECT minute, SUM(complaints), SUM(authors), SUM(mentions) FROM counts WHERE service = ?"
               + (" AND minute >= ?" if since else "") + (" AND minute <= ?" if until else "")
               + (" AND source = ?" if source else "") + " GROUP BY minute ORDER BY minute")
        args = [service] + [a for a in (since, until, source) if a]
        return self.conn.execute(sql, args).fetchall()

    def posts(self, service: str | None = None, complaints_only: bool = False, limit: int = 50) -> list[dict[str, Any]]:
        """Stored posts, newest first, with their newest label (if any), shaped like ``classify``'s output:
        ``services`` a list, ``is_complaint`` a bool (both None for a post not yet labeled)."""
        where = ["1"]
        args: list[Any] = []
        if service:
            where.append("EXISTS (SELECT 1 FROM json_each(l.services) s WHERE s.value = ?)")
            args.append(service)
        if complaints_only:
            where.append("l.is_complaint")
        rows = list(self.db.query(
            "SELECT p.source, p.source_id, p.created_at, p.text, p.url, l.probability, l.is_complaint, l.services"
            " FROM posts p LEFT JOIN labels l ON l.post_id = p.id AND l.rowid = (SELECT MAX(rowid) FROM labels"
            f" WHERE post_id = p.id) WHERE {' AND '.join(where)} ORDER BY p.created_at DESC LIMIT ?", [*args, limit]))
        for row in rows:
            if row["services"] is not None:
                row["services"], row["is_complaint"] = json.loads(row["services"]), bool(row["is_complaint"])
        return rows

    def uncertain_posts(self, model_version: str, threshold: float, limit: int, random: int = 0,
                        exclude: Iterable[str] = ()) -> list[dict[str, Any]]:
        """Posts labeled by ``model_version`` for a person to label: the ``limit`` whose probability is
        closest to ``threshold`` (the model is least sure of them), then ``random`` others drawn at random
        (so labeling does not only sharpen the boundary the model already has).

        One post per distinct text (posts repeat each other); ``exclude`` holds ``source:source_id``
        keys of posts already labeled, whose texts are not asked again. Rows: source, source_id, text, language, probability, services
        (a list) and ``picked`` ("uncertain" or "random").
        """
        # Posts of one text (in any case): the one nearest the threshold stands for all (SQLite takes
        # the bare columns from the row that gives MIN).
        candidates = ("SELECT p.id, p.source, p.source_id, p.text, p.language, l.probability, l.services,"
                      " MIN(abs(l.probability - ?)) AS distance"
                      " FROM posts p JOIN labels l ON l.post_id = p.id AND l.model_version = ?"
                      " WHERE lower(p.text) NOT IN (SELECT lower(text) FROM posts"
                      "   WHERE source || ':' || source_id IN (SELECT value FROM json_each(?)))"
                      " GROUP BY lower(p.text)")
        args = [threshold, model_version, json.dumps(sorted(set(exclude)))]
        uncertain = list(self.db.query(f"{candidates} ORDER BY distance, p.id LIMIT ?", [*args, limit]))
        drawn = list(self.db.query(
            f"SELECT * FROM ({candidates}) WHERE id NOT IN (SELECT value FROM json_each(?)) ORDER BY random() LIMIT ?",
            [*args, json.dumps([row["id"] for row in uncertain]), random])) if random else []
        for picked, rows in (("uncertain", uncertain), ("random", drawn)):
            for row in rows:
                del row["id"], row["distance"]
                row["services"], row["picked"] = json.loads(row["services"]), picked
        return uncertain + drawn

    def model_versions(self) -> list[str]:
        """The versions of the models whose labels are stored, most labels first."""
        return [version for (version,) in self.conn.execute(
            "SELECT model_version FROM labels GROUP BY model_version ORDER BY COUNT(*) DESC")]

    def sample_complaints(self, service: str, since: str, until: str, limit: int = 3) -> list[tuple[str, str | None]]:
        """The most confident distinct complaints about ``service`` in a window: (text, url)."""
        return self.conn.execute(
            "SELECT MIN(p.text), MIN(p.url) FROM posts p JOIN labels l ON l.post_id = p.id"
            " WHERE l.is_complaint AND p.minute >= ? AND p.minute <= ?"
            " AND EXISTS (SELECT 1 FROM json_each(l.services) s WHERE s.value = ?)"
            " GROUP BY lower(p.text) ORDER BY MAX(l.probability) DESC, MIN(p.created_at) LIMIT ?",
            (since, until, service, limit)).fetchall()

    def post_count(self) -> int:
        return self.conn.execute("SELECT COUNT(*) FROM posts").fetchone()[0]

    def first_post_minute(self) -> str | None:
        return self.conn.execute("SELECT MIN(minute) FROM posts").fetchone()[0]

    def last_post_minute(self) -> str | None:
        return self.conn.execute("SELECT MAX(minute) FROM posts").fetchone()[0]

    def collection_gaps(self, since: str, until: str, longer_than_minutes: int) -> list[tuple[str, str]]:
        """(last minute before, first minute after) of each stretch longer than ``longer_than_minutes`` in
        which no post of any source was stored, ending after ``since`` and starting before ``until``, oldest
        first (the post before ``since`` counts, so a gap that began before it is found)."""
        return self.conn.execute(
            "SELECT minute, next FROM (SELECT minute, LEAD(minute) OVER (ORDER BY minute) AS next"
            " FROM (SELECT DISTINCT minute FROM posts WHERE minute <= ? AND minute >="
            " COALESCE((SELECT MAX(minute) FROM posts WHERE minute < ?), ?)))"
            " WHERE next IS NOT NULL AND (julianday(next) - julianday(minute)) * 1440 > ?",
            (until, since, since, longer_than_minutes)).fetchall()

    # --- detection --------------------------------------------------------------------------------

    def detector_state(self, service: str) -> DetectorState | None:
        row = self.conn.execute(
            "SELECT last_minute, state, stale_from FROM detector_state WHERE service = ?", (service,)).fetchone()
        return DetectorState(row[0], json.loads(row[1]), row[2]) if row else None

    def official_incidents(self, service: str | None = None) -> list[dict[str, Any]]:
        where, args = (" WHERE service = ?", [service]) if service else ("", [])
        return list(self.db.query(f"SELECT * FROM official_incidents{where} ORDER BY acknowledged_at", args))

    def incidents(self, service: str | None = None) -> list[dict[str, Any]]:
        """Incidents, oldest first; not those superseded when fuller history was detected again."""
        where, args = (" AND service = ?", [service]) if service else ("", [])
        return list(self.db.query(f"SELECT * FROM incidents WHERE status != 'superseded'{where} ORDER BY opened_at", args))

    def incident(self, incident_id: str) -> dict[str, Any] | None:
        """One incident row, whatever its status (None when there is no such incident)."""
        return next(self.db.query("SELECT * FROM incidents WHERE id = ?", [incident_id]), None)

    def official_incident(self, service: str, source_id: str) -> dict[str, Any] | None:
        """The official incident an incident is linked to: its id, title, url, acknowledged_at, impact,
        components (a list) and source."""
        row = next(self.db.query("SELECT source_id AS id, title, url, acknowledged_at, impact, components, source"
                                 " FROM official_incidents WHERE service = ? AND source_id = ?", [service, source_id]),
                   None)
        return {**row, "components": json.loads(row["components"])} if row else None

    def incidents_with_official(self, service: str | None = None) -> list[dict[str, Any]]:
        """:meth:`incidents`, each with the title, impact and components (a list) of the official
        incident it is linked to (None when it is not)."""
        where, args = (" AND i.service = ?", [service]) if service else ("", [])
        rows = self.db.query(
            "SELECT i.*, o.title AS official_title, o.impact AS official_impact, o.components AS official_components,"
            " o.source AS official_source"
            " FROM incidents i LEFT JOIN official_incidents o ON o.service = i.service AND o.source_id = i.official_id"
            f" WHERE i.status != 'superseded'{where} ORDER BY i.opened_at", args)
        return [{**r, "official_components": json.loads(r["official_components"]) if r["official_components"] else None}
                for r in rows]

    def incident_services(self) -> list[str]:
        """The services that have had an incident."""
        return [service for (service,) in self.conn.execute("SELECT DISTINCT service FROM incidents")]

    # The writes of one detection pass over a service: the incident changes, their events, the outbox
    # rows and the detector's new state go in one transaction the caller holds (``pipeline.detect``),
    # so a crash keeps the previous state and a re-run redoes the same work.

    def apply_event(self, event: IncidentEvent) -> None:
        """Bring the incident row up to date with one detector event."""
        conn = self._in_transaction()
        if event.kind == "opened":
            # An incident detected again (see ``pipeline.detect``) starts over from its opening; its link stays.
            conn.execute(
                "INSERT INTO incidents (id, service, started_at, opened_at, status, complaints, expected,"
                " peak_per_minute, score) VALUES (?, ?, ?, ?, 'open', ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE"
                " SET opened_at = excluded.opened_at, status = 'open', resolved_at = NULL,"
                " complaints = excluded.complaints, expected = excluded.expected,"
                " peak_per_minute = excluded.peak_per_minute, score = excluded.score",
                (event.incident_id, event.service, iso(event.started_at), iso(event.at), event.complaints,
                 event.expected, event.peak_per_minute, event.score))
        else:
            conn.execute(
                "UPDATE incidents SET complaints = ?, expected = ?, peak_per_minute = ?, score = ?,"
                " status = CASE WHEN ? = 'resolved' THEN 'resolved' ELSE status END,"
                " resolved_at = CASE WHEN ? = 'resolved' THEN ? ELSE resolved_at END WHERE id = ?",
                (event.complaints, event.expected, event.peak_per_minute, event.score, event.kind, event.kind,
                 iso(event.at), event.incident_id))

    def supersede_incidents(self, service: str, until: datetime, reproduced: set[str]) -> list[str]:
        """Mark ``superseded`` the service's incidents opened up to ``until`` that are not in ``reproduced``.

        Returns the ids of those that were open, now resolved at ``until`` (each needs its ``resolved`` event).
        """
        conn = self._in_transaction()
        superseded = conn.execute(
            "SELECT id, status FROM incidents WHERE service = ? AND status != 'superseded' AND opened_at <= ?"
            " AND id NOT IN (SELECT value FROM json_each(?))",
            (service, iso(until), json.dumps(sorted(reproduced)))).fetchall()
        were_open = [incident_id for incident_id, status in superseded if status == "open"]
        conn.executemany("UPDATE incidents SET resolved_at = ? WHERE id = ?", [(iso(until), i) for i in were_open])
        conn.executemany("UPDATE incidents SET status = 'superseded' WHERE id = ?", [(i,) for i, _ in superseded])
        return were_open

    def link_incident(self, incident_id: str, official_id: str | None, acknowledged_at: str, lead_minutes: float,
                      acknowledged_by: str = "status_page") -> None:
        """Record which official incident ours is, when it was first acknowledged, and by whom."""
        self._in_transaction().execute(
            "UPDATE incidents SET official_id = ?, acknowledged_at = ?, lead_minutes = ?, acknowledged_by = ?"
            " WHERE id = ?", (official_id, acknowledged_at, lead_minutes, acknowledged_by, incident_id))

    def add_event(self, event_id: str, incident_id: str, kind: str, at: datetime, payload: dict[str, Any]) -> bool:
        """Store an incident event; False when it was stored before (a re-run), which then notifies no one."""
        cursor = self._in_transaction().execute("INSERT OR IGNORE INTO incident_events VALUES (?, ?, ?, ?, ?)",
                                                (event_id, incident_id, kind, iso(at), json.dumps(payload)))
        return cursor.rowcount > 0

    def enqueue_deliveries(self, event_id: str, endpoints: Iterable[str], now: str) -> int:
        """One pending outbox row of ``event_id`` per endpoint name. Returns the rows added."""
        conn = self._in_transaction()
        before = conn.total_changes
        conn.executemany("INSERT INTO outbox (event_id, endpoint, status, next_attempt_at, created_at)"
                         " VALUES (?, ?, 'pending', ?, ?) ON CONFLICT (event_id, endpoint) DO NOTHING",
                         [(event_id, endpoint, now, now) for endpoint in endpoints])
        return conn.total_changes - before

    def save_detector_state(self, service: str, last_minute: datetime, state: dict[str, Any]) -> None:
        """The detector as it stands after ``last_minute``; detection is no longer stale."""
        self._in_transaction().execute("INSERT OR REPLACE INTO detector_state VALUES (?, ?, ?, NULL)",
                                       (service, iso(last_minute), json.dumps(state)))

    # --- deliveries -------------------------------------------------------------------------------

    # A row waits while an earlier row (by rowid: the order they were written) of the same incident and
    # endpoint is pending and not due (backing off, or leased by another run): an incident's events
    # reach each endpoint in order, so a retried trigger never lands after its resolve.
    _DUE = ("SELECT o.event_id, o.endpoint, o.attempts, o.created_at, e.payload FROM outbox o"
            " JOIN incident_events e ON e.id = o.event_id"
            " WHERE o.status = 'pending' AND o.next_attempt_at <= :now"
            " AND o.endpoint IN (SELECT value FROM json_each(:endpoints))"
            " AND NOT EXISTS (SELECT 1 FROM outbox b JOIN incident_events be ON be.id = b.event_id"
            "   WHERE b.endpoint = o.endpoint AND be.incident_id = e.incident_id AND b.rowid < o.rowid"
            "   AND b.status = 'pending' AND b.next_attempt_at > :now)"
            " ORDER BY o.created_at, o.rowid")

    def due_deliveries(self, now: datetime, endpoints: Iterable[str]) -> list[tuple[str, str, int, str, str]]:
        """The pending outbox rows of ``endpoints`` due at ``now``, oldest first, each incident's in order:
        (event id, endpoint, attempts, created_at, payload JSON)."""
        return self.conn.execute(self._DUE, {"now": now.isoformat(),
                                             "endpoints": json.dumps(sorted(endpoints))}).fetchall()

    def claim_due_deliveries(self, now: datetime, lease_until: datetime,
                             endpoints: Iterable[str]) -> list[tuple[str, str, int, str, str]]:
        """Take the due rows (as ``due_deliveries``) for this run: until ``lease_until`` no other run sends them."""
        with self.transaction() as conn:
            rows = self.due_deliveries(now, endpoints)
            conn.executemany("UPDATE outbox SET next_attempt_at = ? WHERE event_id = ? AND endpoint = ?",
                             [(lease_until.isoformat(), r[0], r[1]) for r in rows])
        return rows

    def record_delivery(self, event_id: str, endpoint: str, status: str, attempts: int, now: datetime,
                        error: str | None, next_attempt: datetime | None = None) -> None:
        """The outcome of one send: ``status`` pending (retry at ``next_attempt``), delivered or dead."""
        with self.transaction() as conn:
            conn.execute(
                "UPDATE outbox SET status = ?, attempts = ?, last_error = ?, next_attempt_at = ?,"
                " delivered_at = CASE WHEN ? = 'delivered' THEN ? ELSE delivered_at END"
                " WHERE event_id = ? AND endpoint = ?",
                (status, attempts, error, (next_attempt or now).isoformat(), status, now.isoformat(), event_id,
                 endpoint))

    def open_incident_events(self) -> list[dict[str, Any]]:
        """The payload of each open incident's latest event: what its alert says while it lasts."""
        rows = self.conn.execute(
            "SELECT incident_id, payload FROM (SELECT e.incident_id, e.payload, ROW_NUMBER() OVER"
            " (PARTITION BY e.incident_id ORDER BY e.rowid DESC) AS n FROM incident_events e"
            " JOIN incidents i ON i.id = e.incident_id WHERE i.status = 'open') WHERE n = 1 ORDER BY incident_id"
        ).fetchall()
        return [json.loads(payload) for _, payload in rows]

    def pending_delivery_count(self) -> int:
        return self.conn.execute("SELECT COUNT(*) FROM outbox WHERE status = 'pending'").fetchone()[0]

    def deliveries(self, status: str | None = None) -> list[dict[str, Any]]:
        """Outbox rows (all, or of one status), newest first, with their event."""
        where, args = (" WHERE o.status = ?", [status]) if status else ("", [])
        return list(self.db.query(
            "SELECT o.event_id, o.endpoint, o.status, o.attempts, o.next_attempt_at, o.created_at, o.delivered_at,"
            f" o.last_error, e.kind, e.at FROM outbox o JOIN incident_events e ON e.id = o.event_id{where}"
            " ORDER BY o.created_at DESC, e.at DESC", args))

    def delivery_counts(self) -> list[tuple[str, str, int]]:
        """(endpoint, status, rows) of the outbox: what ``serve``'s /metrics reports."""
        return self.conn.execute("SELECT endpoint, status, COUNT(*) FROM outbox GROUP BY endpoint, status"
                                 " ORDER BY endpoint, status").fetchall()

    # --- the board (``serve``): reads only, each bounded by a window or a limit -------------------

    def newest_count_minute(self) -> str | None:
        return self.conn.execute("SELECT MAX(minute) FROM counts").fetchone()[0]

    def counts_by_service(self, since: str, until: str,
                          service: str | None = None) -> dict[str, list[tuple[str, int, int, int]]]:
        """{service: [(minute, complaints, authors, mentions)]} of a window, sources combined.

        The minute index drives (INDEXED BY): a window is a few hours of every service, while the primary
        key, starting with the service, would make SQLite read all of a service's history to find them."""
        rows = self.conn.execute(
            "SELECT service, minute, SUM(complaints), SUM(authors), SUM(mentions) FROM counts INDEXED BY counts_minute"
            " WHERE minute >= ? AND minute <= ?" + (" AND service = ?" if service else "")
            + " GROUP BY service, minute ORDER BY service, minute", [since, until, *([service] if service else [])])
        by_service: dict[str, list[tuple[str, int, int, int]]] = {}
        for key, *row in rows:
            by_service.setdefault(key, []).append(tuple(row))  # type: ignore[arg-type]
        return by_service

    def detector_minutes(self) -> dict[str, str]:
        """{service: the last minute its saved detector consumed}: whether a cached detector is current."""
        return dict(self.conn.execute("SELECT service, last_minute FROM detector_state"))

    def latest_incidents(self, service: str | None = None, until: str | None = None, status: str | None = None,
                         limit: int = 100) -> list[dict[str, Any]]:
        """Incidents opened up to ``until`` (not superseded ones), newest first, at most ``limit``; ``status``:
        only those open, or only those resolved, at ``until`` (a resolution later than it has not happened yet)."""
        where, args = ["status != 'superseded'"], []
        moment = until or "9999"  # after every stored time
        for condition, value in (("service = ?", service), ("opened_at <= ?", until),
                                 ("(resolved_at IS NULL OR resolved_at > ?)", status == "open" and moment),
                                 ("resolved_at <= ?", status == "resolved" and moment)):
            if value:
                where.append(condition)
                args.append(value)
        return list(self.db.query(f"SELECT * FROM incidents WHERE {' AND '.join(where)}"
                                  " ORDER BY opened_at DESC, id LIMIT ?", [*args, limit]))

    def incidents_overlapping(self, service: str, since: str, until: str) -> list[dict[str, Any]]:
        """A service's incidents (not superseded ones) open at some time from ``since`` to ``until``."""
        return list(self.db.query(
            "SELECT * FROM incidents WHERE service = ? AND status != 'superseded' AND opened_at <= ?"
            " AND (resolved_at IS NULL OR resolved_at >= ?) ORDER BY opened_at", [service, until, since]))

    def latest_official_incidents(self, until: str) -> dict[str, dict[str, Any]]:
        """{service: its official incident acknowledged last up to ``until``}, ``components`` and ``updates``
        as lists."""
        # SQLite takes the bare columns from the row that gives MAX.
        rows = self.db.query("SELECT *, MAX(acknowledged_at) AS latest FROM official_incidents"
                             " WHERE acknowledged_at <= ? GROUP BY service", [until])
        return {row["service"]: _official(row) for row in rows}

    def official_incident_row(self, service: str, source_id: str) -> dict[str, Any] | None:
        """One official incident, whole, ``components`` and ``updates`` as lists."""
        row = next(self.db.query("SELECT * FROM official_incidents WHERE service = ? AND source_id = ?",
                                 [service, source_id]), None)
        return _official(row) if row else None

    def incident_events(self, incident_id: str) -> list[dict[str, Any]]:
        """An incident's events (opened, escalated, acknowledged, resolved), oldest first, without payloads."""
        return list(self.db.query("SELECT id, kind, at FROM incident_events WHERE incident_id = ? ORDER BY at, id",
                                  [incident_id]))

    def last_run(self) -> dict[str, Any] | None:
        """The newest run that finished: command, started_at, finished_at, status."""
        return next(self.db.query("SELECT command, started_at, finished_at, status FROM runs"
                                  " WHERE finished_at IS NOT NULL ORDER BY id DESC LIMIT 1"), None)

    # --- runs -------------------------------------------------------------------------------------

    def start_run(self, command: str) -> int:
        """Record a run starting. Call it holding the run lock: no other run is alive then, so a row
        still ``running`` is of a run that was killed, and is marked ``interrupted``."""
        with self.transaction() as conn:
            conn.execute("UPDATE runs SET status = 'interrupted' WHERE status = 'running'")
            cur = conn.execute("INSERT INTO runs (command, started_at, status) VALUES (?, ?, 'running')",
                               (command, now_iso()))
        return int(cur.lastrowid)

    def finish_run(self, run_id: int, status: str, summary: dict[str, Any]) -> None:
        with self.transaction() as conn:
            conn.execute("UPDATE runs SET finished_at = ?, status = ?, summary = ? WHERE id = ?",
                         (now_iso(), status, json.dumps(summary, default=str), run_id))

    def last_run_summary(self) -> dict[str, Any] | None:
        """The summary of the last run that finished (ok or failed), or None before any."""
        row = self.conn.execute("SELECT summary FROM runs WHERE status IN ('ok', 'failed') AND summary IS NOT NULL"
                                " ORDER BY id DESC LIMIT 1").fetchone()
        return json.loads(row[0]) if row else None


def _official(row: dict[str, Any]) -> dict[str, Any]:
    row.pop("latest", None)
    return {**row, "components": json.loads(row["components"]), "updates": json.loads(row["updates"])}


def _statements(script: str) -> list[str]:
    # No statement or comment in SCHEMA contains a semicolon, so splitting on it is exact.
    return [s.strip() for s in script.split(";") if s.strip()]
