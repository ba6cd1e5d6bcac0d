"""`serve` keeps answering while `run` writes to the same database (WAL: readers never wait for the writer)."""
import json
import shutil
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import zstandard

from outage_signal.store import Store

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def replay(tmp_path_factory):
    """The first 6,000 posts of a day of the replay's generator: `run` writes them over a few seconds, in two
    batches of posts, then their labels, counts, detection and notifications, each its own transaction."""
    out = tmp_path_factory.mktemp("replay1")
    subprocess.run([sys.executable, REPO / "datasets" / "replay" / "generate.py", "--days", "1", "--out", out],
                   check=True, capture_output=True)
    posts = out / "posts.jsonl.zst"
    with zstandard.open(posts, "rb") as stream:  # a streamed frame: its size is not in its header
        lines = stream.read().splitlines(keepends=True)
    posts.write_bytes(zstandard.compress(b"".join(lines[:6000])))
    return out


def get(url: str) -> tuple[int, dict, float]:
    started = time.monotonic()
    with urllib.request.urlopen(url, timeout=10) as answer:
        return answer.status, json.loads(answer.read()), time.monotonic() - started


def test_serve_answers_while_run_writes(replay, tmp_path, start_serve):
    db = tmp_path / "live.db"
    Store(db).close()  # an empty database, as `serve` may first meet it
    served = start_serve(db)
    run = subprocess.Popen([sys.executable, "-m", "outage_signal.cli", "--db", str(db), "-q", "run", "--replay",
                            str(replay), "--no-status-pages"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True, cwd=REPO)
    answers_during_run, newest_seen, slowest = 0, set(), 0.0
    while run.poll() is None:
        for path in ("/api/services", "/api/incidents", "/healthz", "/"):
            if path == "/":
                with urllib.request.urlopen(served.url + path, timeout=10) as page:
                    assert page.status == 200 and b"Outage Signal" in page.read()
                continue
            status, body, seconds = get(served.url + path)
            assert status == 200, body
            slowest = max(slowest, seconds)
            if path == "/healthz":
                newest_seen.add(body["newest_minute"])
        answers_during_run += 1 if run.poll() is None else 0
        try:  # a round of requests every quarter second leaves the two of them room to run
            run.wait(timeout=0.25)
        except subprocess.TimeoutExpired:
            pass
    assert run.returncode == 0, run.stderr.read()
    # It answered all along (every answer above was a 200), and shows what `run` wrote: the counts are
    # written last, so the run may end between two rounds before a round saw them; one more round then.
    assert answers_during_run >= 5, answers_during_run
    assert slowest < 5, slowest
    newest_seen.add(get(served.url + "/healthz")[1]["newest_minute"])
    assert newest_seen - {None}, newest_seen
    with Store(db, readonly=True) as store:
        stored = [i["id"] for i in reversed(store.incidents())]
    assert stored and [i["id"] for i in get(served.url + "/api/incidents")[1]["incidents"]] == stored
    assert "Traceback" not in served.stop()


def test_serve_answers_beside_an_open_write_transaction(demo_run, tmp_path, start_serve):
    """The moment a writer holds the database: serve answers at once with what was committed, then the new data."""
    db = tmp_path / "demo.db"
    shutil.copy(demo_run[0], db)
    served = start_serve(db)
    assert get(served.url + "/api/incidents?status=open")[1]["incidents"] == []
    writer = sqlite3.connect(db, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # the write lock, as `run` holds it while it stores a batch
    writer.execute("UPDATE incidents SET status = 'open', resolved_at = NULL WHERE id = 'slack:20260920T1437Z'")
    status, body, seconds = get(served.url + "/api/incidents?status=open")
    assert status == 200 and body["incidents"] == [] and seconds < 5
    assert get(served.url + "/healthz")[0] == 200
    writer.execute("COMMIT")
    writer.close()
    assert [i["id"] for i in get(served.url + "/api/incidents?status=open")[1]["incidents"]] == ["slack:20260920T1437Z"]
