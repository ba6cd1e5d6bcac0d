"""Opening the database: read-only commands never write or create it; a read-only or corrupt file is one line."""
import os
import random
import shutil
import sqlite3
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from outage_signal.cli import cli
from outage_signal.store import SCHEMA_VERSION, Store, StoreError

READ_ONLY_COMMANDS = [["status"], ["incidents"], ["posts"], ["deliveries"], ["report", "--out", "{tmp}/report"],
                      ["plot", "github", "--out", "{tmp}/github.png"]]


def invoke(db: Path, *args: str):
    return CliRunner().invoke(cli, ["--db", str(db), *args])


def assert_one_line_error(result, text: str) -> None:
    assert result.exit_code == 1, result.output
    assert result.output.count("\n") == 1 and "Traceback" not in result.output, result.output
    assert text in result.output, result.output


@pytest.fixture
def demo_db(demo_run, tmp_path) -> Path:
    """A copy of the demo's database (8,000 pages of posts, labels, counts and incidents)."""
    db = tmp_path / "demo.db"
    shutil.copy(demo_run[0], db)
    return db


def file_state(path: Path) -> tuple:
    return path.read_bytes(), path.stat().st_mtime_ns


@pytest.mark.parametrize("command", READ_ONLY_COMMANDS, ids=lambda c: c[0])
def test_read_only_commands_leave_the_database_untouched(demo_db, tmp_path, command):
    before = file_state(demo_db)
    result = invoke(demo_db, *(arg.format(tmp=tmp_path) for arg in command))
    assert result.exit_code == 0, result.output
    assert file_state(demo_db) == before


def test_read_only_store_cannot_write_even_as_root(demo_db):
    # mode=ro is SQLite's own refusal, so this holds where chmod does not (tests running as root).
    with Store(demo_db, readonly=True) as store:
        assert len(store.incidents()) > 0
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            store.conn.execute("INSERT INTO meta VALUES ('x', 'y')")


@pytest.mark.parametrize("command", READ_ONLY_COMMANDS, ids=lambda c: c[0])
def test_read_only_command_on_a_missing_database_creates_nothing(tmp_path, command):
    typo = tmp_path / "typo.db"
    result = invoke(typo, *(arg.format(tmp=tmp_path) for arg in command))
    assert_one_line_error(result, f"no such database: {typo}")
    assert list(tmp_path.iterdir()) == []


def test_read_only_command_on_an_older_schema_says_to_upgrade_first(tmp_path):
    db = tmp_path / "old.db"
    Store(db).close()
    conn = sqlite3.connect(db)
    conn.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    conn.execute("ALTER TABLE detector_state DROP COLUMN stale_from")  # what version 2 added
    conn.execute("ALTER TABLE official_incidents DROP COLUMN source")  # and what version 3 added
    conn.execute("ALTER TABLE incidents DROP COLUMN acknowledged_by")
    conn.commit()
    conn.close()
    assert_one_line_error(invoke(db, "incidents"), f"schema version 1 is older than this Outage Signal's {SCHEMA_VERSION}")
    with Store(db) as store:  # a command that writes upgrades it
        assert store.meta("schema_version") == str(SCHEMA_VERSION)
    assert invoke(db, "incidents").exit_code == 0


# --- a read-only file or folder, for real: as a user that chmod stops ---------------------------------------

def as_unprivileged_user() -> list[str]:
    """The prefix that runs a command as a user without write access to what root made read-only."""
    if os.geteuid() != 0:
        return []
    if shutil.which("setpriv") is None:
        pytest.skip("running as root, and no setpriv to run as another user")
    prefix = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
    # A checkout or venv under a private folder (mktemp -d makes it 0700) is out of that user's reach.
    if subprocess.run([*prefix, sys.executable, "-c", "import outage_signal.cli"], capture_output=True).returncode:
        pytest.skip("running as root, and the unprivileged user cannot read this checkout or its venv")
    return prefix


def run_cli(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "MPLCONFIGDIR": tempfile.gettempdir(), "HOME": tempfile.gettempdir()}
    return subprocess.run([*as_unprivileged_user(), sys.executable, "-m", "outage_signal.cli", *args],
                          capture_output=True, text=True, env=env)


@pytest.fixture
def read_only_copies(demo_run):
    """The demo database as a read-only file in a writable folder, and as a read-only file in a read-only folder."""
    top = Path(tempfile.mkdtemp())  # not under pytest's root-only tmp folder, so another user can reach it
    try:
        top.chmod(0o755)
        (top / "rw").mkdir(mode=0o777)
        (top / "ro").mkdir()
        for folder in ("rw", "ro"):
            shutil.copy(demo_run[0], top / folder / "demo.db")
            (top / folder / "demo.db").chmod(0o444)
        (top / "ro").chmod(0o555)
        (top / "rw").chmod(0o777)
        yield top / "rw" / "demo.db", top / "ro" / "demo.db"
    finally:
        (top / "ro").chmod(0o755)
        shutil.rmtree(top)


@pytest.mark.slow
def test_read_only_database_file_and_folder(read_only_copies):
    for db, command in zip(read_only_copies, ("incidents", "status")):
        before = file_state(db)
        result = run_cli("--db", str(db), command)
        assert result.returncode == 0 and "Traceback" not in result.stderr, (db, command, result.stderr)
        written = run_cli("--db", str(db), "run", "--no-status-pages")
        assert written.returncode == 1 and written.stderr.count("\n") == 1 and "read-only" in written.stderr, \
            (db, written.stdout, written.stderr)
        assert file_state(db) == before
    assert os.listdir(read_only_copies[1].parent) == ["demo.db"]


def test_read_only_file_refuses_a_write_command_in_one_line(demo_db):
    demo_db.chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
    if os.access(demo_db, os.W_OK):
        pytest.skip("this user writes read-only files (root): see test_read_only_database_file_and_folder")
    assert_one_line_error(invoke(demo_db, "reclassify"), "read-only")


# --- corruption ----------------------------------------------------------------------------------------------

def corrupt(db: Path, page: int) -> str:
    """Random bytes over one page of a real database; returns what that page held."""
    conn = sqlite3.connect(db)
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    (held,) = conn.execute("SELECT name FROM dbstat WHERE pageno = ?", (page,)).fetchone()
    conn.close()
    with db.open("r+b") as f:
        f.seek((page - 1) * page_size)
        f.write(random.Random(page).randbytes(page_size))
    return held


@pytest.mark.parametrize("page", [3, 4001])
def test_a_corrupt_page_stops_every_write_in_one_line(demo_db, page):
    corrupt(demo_db, page)
    with pytest.raises(StoreError, match="database is corrupt"):
        Store(demo_db)
    assert_one_line_error(invoke(demo_db, "run", "--no-status-pages"), "database is corrupt")


def test_a_corrupt_page_met_while_reading_is_one_line(demo_db):
    assert corrupt(demo_db, 4001) == "posts"
    assert invoke(demo_db, "incidents").exit_code == 0  # what does not touch the page still reads
    assert_one_line_error(invoke(demo_db, "posts", "--limit", "1000000"), "database is corrupt")
