"""Shared by the reliability tests: bulk dumps in the Arctic Shift submissions layout."""
import io
import json
import random
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import zstandard


def write_dump(path: Path, lines: int, broken_every: int = 500) -> Path:
    """A zstandard NDJSON dump of ``lines`` submissions; one line in ``broken_every`` is cut short."""
    rng = random.Random(3)
    text = io.StringIO()
    for n in range(lines):
        if n % broken_every == 7:
            text.write('{"id": "broken", "title": \n')
            continue
        text.write(json.dumps({"id": f"x{n:06d}", "title": f"is github down again {rng.random():.6f}",
                               "selftext": "", "author": f"user{rng.randrange(5000)}", "subreddit": "github",
                               "created_utc": 1788000000 + n * 3, "permalink": f"/r/github/comments/x{n:06d}/"}) + "\n")
    path.write_bytes(zstandard.ZstdCompressor().compress(text.getvalue().encode()))
    return path


@pytest.fixture(scope="session")
def dump(tmp_path_factory) -> Path:
    """120,000 lines, 240 of them broken."""
    return write_dump(tmp_path_factory.mktemp("dump") / "RS_2026-09.zst", 120_000)


@pytest.fixture(scope="session")
def imported_dump(dump, tmp_path_factory) -> Path:
    """A database into which ``dump`` was imported without interruption: the reference."""
    db = tmp_path_factory.mktemp("reference") / "reference.db"
    subprocess.run([sys.executable, "-m", "outage_signal.cli", "--db", db, "import", dump], check=True,
                   capture_output=True, cwd=Path(__file__).resolve().parents[2])
    return db


# Columns that hold wall-clock times or attempt counts of bookkeeping, not results.
BOOKKEEPING = {"cursors": {"updated_at"}, "rejects": {"seen_at"},
               "outbox": {"created_at", "next_attempt_at", "delivered_at", "attempts", "last_error"}}


def content(db: Path) -> dict[str, list]:
    """Every table's rows, less bookkeeping; author hashes are salted per database, so they are left out."""
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    tables = [t for (t,) in conn.execute("SELECT name FROM sqlite_master WHERE type='table'") if t != "runs"]
    result = {}
    for table in tables:
        columns = [c[1] for c in conn.execute(f"PRAGMA table_info({table})")
                   if c[1] not in BOOKKEEPING.get(table, set()) and c[1] != "author_hash"]
        result[table] = sorted(conn.execute(f"SELECT {', '.join(columns)} FROM {table}").fetchall(), key=repr)
    result["meta"] = [r for r in result["meta"] if r[0] != "author_salt"]  # random per database
    conn.close()
    return result


def _assert_same(crashed: Path, reference: Path) -> None:
    expected, got = content(reference), content(crashed)
    for table, rows in expected.items():
        assert got[table] == rows, table


@pytest.fixture
def assert_same_content():
    """``assert_same_content(db, reference)``: every table equal, bookkeeping and salted hashes aside."""
    return _assert_same
