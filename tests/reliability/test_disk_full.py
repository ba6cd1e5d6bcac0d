"""The disk fills up mid-import: a clear message, nothing half-written, and the next run resumes.

Two ways to fill it: SQLite's own page limit (``PRAGMA max_page_count``, the same SQLITE_FULL error
a full disk gives, on every machine), and a real 1.5 MB tmpfs where the machine allows mounting one.
"""
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from outage_signal.cli import App, cli
from outage_signal.store import Store

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow  # imports a 120,000-line dump into full disks


def import_with_page_limit(db: Path, dump: Path, pages: int | None, monkeypatch):
    """``outage-signal import`` with the database capped at ``pages`` pages (None: no cap)."""
    def capped_store(app: App) -> Store:
        store = Store(app.db_path)
        if pages:
            store.conn.execute(f"PRAGMA max_page_count = {pages}")
        return store
    monkeypatch.setattr(App, "store", capped_store)
    return CliRunner().invoke(cli, ["--db", str(db), "import", str(dump)])


def test_sqlite_full_stops_cleanly_and_the_rerun_completes(dump, imported_dump, tmp_path, monkeypatch,
                                                           assert_same_content):
    db = tmp_path / "full.db"
    failed = import_with_page_limit(db, dump, 4000, monkeypatch)  # about 16 MB: the disk fills mid-file
    assert failed.exit_code == 1
    assert "cannot write (database or disk is full)" in failed.output and "run the same command again" in failed.output
    with Store(db) as store:  # what is there is whole: every stored line is behind the cursor
        [cursor] = [c for key, c in store.cursors().items() if key.startswith("import:")]
        stored = store.conn.execute("SELECT (SELECT COUNT(*) FROM posts) + (SELECT COUNT(*) FROM rejects)").fetchone()[0]
    assert 0 < stored == int(cursor) < 120_000

    assert import_with_page_limit(db, dump, None, monkeypatch).exit_code == 0  # space freed
    assert_same_content(db, imported_dump)


@pytest.fixture
def tiny_disk(tmp_path):
    mount = tmp_path / "tiny"
    mount.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1500k", "tmpfs", mount], capture_output=True).returncode:
        pytest.skip("cannot mount a tmpfs here (needs root): the page-limit test covers the same error")
    yield mount
    subprocess.run(["umount", "-l", mount], check=True)


def test_a_real_full_filesystem(dump, imported_dump, tmp_path, tiny_disk, assert_same_content):
    def run_import(db: Path):
        return subprocess.run([sys.executable, "-m", "outage_signal.cli", "--db", db, "import", dump],
                              capture_output=True, text=True, cwd=REPO)
    db = tiny_disk / "full.db"
    failed = run_import(db)
    assert failed.returncode == 1 and "run the same command again" in failed.stderr, failed.stderr
    assert "Traceback" not in failed.stderr
    # Free space: the database moves to a bigger disk, as a person would, with its WAL.
    moved = tmp_path / "moved.db"
    for suffix in ("", "-wal", "-shm"):
        if Path(f"{db}{suffix}").exists():
            shutil.copy(f"{db}{suffix}", f"{moved}{suffix}")
    assert run_import(moved).returncode == 0
    assert_same_content(moved, imported_dump)
