import importlib
import re
import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from outage_signal.collector.records import Malformed, OfficialIncident, Post
from outage_signal.store import SCHEMA_VERSION, Store, StoreError

T0 = datetime(2026, 9, 7, 12, 0, tzinfo=timezone.utc)


def posts(n: int) -> list[Post]:
    return [Post("reddit", f"t3_{i}", f"github down {i}", f"user{i % 3}", T0 + timedelta(seconds=20 * i),
                 url=f"https://www.reddit.com/{i}", raw={"i": i}) for i in range(n)]


def dump(path) -> list:
    """Every row of every table except run bookkeeping: what 'the same database' means."""
    conn = sqlite3.connect(path)
    tables = [t for (t,) in conn.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")]
    rows = [(t, sorted(map(repr, conn.execute(f"SELECT * FROM {t}")))) for t in tables if t not in ("cursors", "rejects")]
    rows += [("cursors", sorted(conn.execute("SELECT source, cursor FROM cursors")))]
    conn.close()
    return rows


def ingest_all(store: Store) -> None:
    incident = OfficialIncident("github", "abc", "Degraded", "minor", T0, T0 + timedelta(hours=1))
    store.save_batch("reddit:new:r/github", "t3_9", posts(10), [incident], [Malformed("page 1", "no id")])
    store.save_labels("m1", [(i, 0.9, i % 2 == 0, ["github"]) for i in range(1, 11)])


def test_same_input_twice_gives_the_same_database(tmp_path):
    once, twice = tmp_path / "once.db", tmp_path / "twice.db"
    with Store(once, salt="s") as store:
        ingest_all(store)
    with Store(twice, salt="s") as store:
        ingest_all(store)
        ingest_all(store)
    with Store(twice) as store:  # and reopened
        ingest_all(store)
    assert dump(once) == dump(twice)


def test_wal_mode_and_schema_version(tmp_path):
    with Store(tmp_path / "a.db") as store:
        assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert store.meta("schema_version") == str(SCHEMA_VERSION)


def test_newer_schema_is_refused(tmp_path):
    path = tmp_path / "a.db"
    with Store(path) as store:
        store.conn.execute("UPDATE meta SET value = '999' WHERE key = 'schema_version'")
    with pytest.raises(StoreError, match="schema version 999 was written by a newer Outage Signal"):
        Store(path)


def test_foreign_database_is_refused(tmp_path):
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE customers (id)")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match="not an Outage Signal database"):
        Store(path)


def test_authors_are_salted_hashes(tmp_path):
    with Store(tmp_path / "a.db", salt="pepper") as store:
        store.save_batch("x", "1", posts(3))
        hashes = [h for (h,) in store.conn.execute("SELECT author_hash FROM posts")]
    assert all("user" not in h for h in hashes)
    with Store(tmp_path / "b.db", salt="other") as other:
        assert other.encoder.author_hash("user0") != hashes[0]


def test_counts_follow_labels(tmp_path):
    with Store(tmp_path / "a.db") as store:
        store.save_batch("reddit", "c", posts(6))  # 6 posts over 2 minutes, authors user0..user2
        store.save_labels("m1", [(i, 0.9, True, ["github"]) for i in range(1, 7)])
        # The same three authors complain in both minutes: counted as authors in the first only.
        assert store.counts("github") == [(T0.isoformat(), 3, 3, 3), ((T0 + timedelta(minutes=1)).isoformat(), 3, 0, 3)]
        # Relabeling a post as not a complaint lowers complaints, not mentions, and its author
        # (user0) now first complains in the second minute.
        store.save_labels("m1", [(1, 0.1, False, ["github"])])
        assert store.counts("github") == [(T0.isoformat(), 2, 2, 3), ((T0 + timedelta(minutes=1)).isoformat(), 3, 1, 3)]


def test_batch_and_cursor_commit_together(tmp_path):
    with Store(tmp_path / "a.db") as store:
        broken = posts(2) + [Post("reddit", "t3_x", None, "u", T0)]  # text NULL violates the schema
        with pytest.raises(sqlite3.IntegrityError):
            store.save_batch("reddit:new:r/github", "t3_x", broken)
        assert store.cursor("reddit:new:r/github") is None
        assert store.conn.execute("SELECT COUNT(*) FROM posts").fetchone()[0] == 0


def test_an_author_counts_once_an_hour(tmp_path):
    spam = [Post("bluesky", f"s{i}", "discord down", "angry", T0 + timedelta(minutes=i)) for i in range(90)]
    with Store(tmp_path / "a.db") as store:
        store.save_batch("bluesky", "c", spam)
        # Labeled in two chunks, the second first: the hour after a label is recounted too.
        store.save_labels("m1", [(i, 0.9, True, ["discord"]) for i in range(31, 91)])
        store.save_labels("m1", [(i, 0.9, True, ["discord"]) for i in range(1, 31)])
        rows = store.counts("discord")
    assert [r[1] for r in rows] == [1] * 90  # complaints: every post
    assert [r[2] for r in rows] == [1] + [0] * 89  # authors: never again while the account keeps posting


def test_an_author_counts_again_after_an_hour_of_silence(tmp_path):
    posts_ = [Post("bluesky", f"s{i}", "discord down", "angry", T0 + timedelta(minutes=m)) for i, m in enumerate((0, 59, 121))]
    with Store(tmp_path / "a.db") as store:
        store.save_batch("bluesky", "c", posts_)
        store.save_labels("m1", [(i, 0.9, True, ["discord"]) for i in (1, 2, 3)])
        assert [r[2] for r in store.counts("discord")] == [1, 0, 1]


def test_a_version_1_database_is_upgraded_in_place(tmp_path):
    """Version 1 kept an index of every post's author (version 2 indexes complaints only) and did not
    mark a detector stale."""
    upgraded, fresh = tmp_path / "v1.db", tmp_path / "fresh.db"
    for path in (upgraded, fresh):
        with Store(path, salt="s") as store:
            ingest_all(store)
    conn = sqlite3.connect(upgraded)  # turn it back into what version 1 wrote
    conn.executescript("DROP TABLE complaints; CREATE INDEX posts_author ON posts (author_hash, minute);"
                       " ALTER TABLE detector_state DROP COLUMN stale_from;"
                       " ALTER TABLE official_incidents DROP COLUMN source;"  # and none of version 3's columns
                       " ALTER TABLE incidents DROP COLUMN acknowledged_by;"
                       " UPDATE meta SET value = '1' WHERE key = 'schema_version';")
    conn.close()
    with Store(upgraded) as store:
        assert store.meta("schema_version") == str(SCHEMA_VERSION)
        assert store.conn.execute("SELECT COUNT(*) FROM complaints").fetchone()[0] == 5
        indexes = {name for (name,) in store.conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
        assert "posts_author" not in indexes and "complaints_author" in indexes
        assert "stale_from" in {c[1] for c in store.conn.execute("PRAGMA table_info(detector_state)")}
        assert "source" in {c[1] for c in store.conn.execute("PRAGMA table_info(official_incidents)")}
        assert "acknowledged_by" in {c[1] for c in store.conn.execute("PRAGMA table_info(incidents)")}
        store.save_labels("m1", [(2, 0.9, True, ["github"])])  # labeling goes on as before
    assert dump(upgraded) == dump(fresh)


# What executing SQL looks like: a call on a connection or sqlite-utils database, the drivers, a statement.
SQL = re.compile(r"\.(execute|executemany|executescript|query)\(|\bconn\.|\.conn\b|\.db\.\w+\(|\bsqlite3\b"
                 r"|\bsqlite_utils\b|\b(SELECT|INSERT|UPDATE|DELETE)\b[^\n]*\b(FROM|INTO|SET)\b")


def sql_outside_the_store() -> list[str]:
    """``file:line: text`` of each line of the package that looks like SQL, except in the store."""
    store = Path(importlib.import_module("outage_signal.store").__file__)
    # collector/, classifier/ and detector/ are installed as outage_signal.* from folders of their own.
    folders = {Path(importlib.import_module(f"outage_signal{sub}").__file__).parent
               for sub in ("", ".collector", ".classifier", ".detector")}
    files = sorted({f for folder in folders for f in folder.rglob("*.py")} - {store})
    assert len(files) > 15, files
    return [f"{f.name}:{n}: {line.strip()}" for f in files for n, line in enumerate(f.read_text().splitlines(), 1)
            if SQL.search(line)]


def test_only_the_store_executes_sql():
    assert sql_outside_the_store() == []
