"""A real stream with no known outage, through ``import`` and ``run``: how many incidents open.

Issue 15 measured such a stream: 15,096 real tweets to one company's support account over two months,
imported as CSV, then ``run``; a detector should open at most one incident in its two months, although
the account's volume grows from a trickle to hundreds a day. That stream is one of the sources the team
keeps for independent evaluation (``datasets/real/reserved-sources.txt``), so it is not bundled: pass
its file (any file ``outage-signal import`` reads, CSV or JSON lines, optionally zstandard-compressed).

This benchmark runs the commands a user runs (``import``, then ``run --no-status-pages``) on a fresh
database with the shipped model and the bundled catalog, and prints what the model calls complaints,
which services they name, and every incident opened. Support tweets often name the service only
through the support handle, so it also runs a service detector on *every* complaint as if all were one
service's (authors unknown, so each complaint counts as an author): the densest complaint series the
stream can give.

    python benchmarks/detector_real_stream.py STREAM_FILE

Days without any post (a stream's stray old tweets) are gaps in collection, which the detectors skip
(``pipeline.COLLECTION_GAP_MINUTES``).
"""
from __future__ import annotations

import argparse
import collections
import tempfile
import time
from pathlib import Path

import pandas as pd

from outage_signal.cli import cli
from outage_signal.detector import ServiceDetector
from outage_signal.store import Store

def command(*args: str) -> None:
    """Run one ``outage-signal`` command in this process; its exit status must be 0 (``run`` always exits)."""
    try:
        cli.main(["--quiet", *args], standalone_mode=False)
    except SystemExit as exit:
        if exit.code:
            raise


def every_complaint_as_one_service(complaint_minutes: list[str]) -> list[str]:
    """Incidents opened by one service detector fed every complaint (authors taken as complaints)."""
    minutes = pd.DatetimeIndex(pd.to_datetime(complaint_minutes, utc=True)).floor("min")
    per_minute = pd.Series(1, index=minutes).groupby(level=0).sum()
    steps = pd.date_range(per_minute.index.min(), per_minute.index.max(), freq="min")
    counts = per_minute.reindex(steps, fill_value=0).to_numpy()
    events = ServiceDetector("all").update_many(steps, counts, counts, counts)
    return [f"{e.at:%Y-%m-%d %H:%M} started {e.started_at:%Y-%m-%d %H:%M}, {e.complaints} complaints"
            for e in events if e.kind == "opened"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("stream", type=Path, help="the stream's posts, in a format `outage-signal import` reads")
    stream = parser.parse_args().stream
    with tempfile.TemporaryDirectory() as tmp:
        db = str(Path(tmp) / "stream.db")
        command("--db", db, "import", str(stream))
        start = time.perf_counter()
        command("--db", db, "run", "--no-status-pages")
        seconds = time.perf_counter() - start
        with Store(db, readonly=True) as store:
            posts = store.posts(limit=1_000_000)
            incidents = store.incidents()
            span = f"from {store.first_post_minute()} to {store.last_post_minute()}"
        complaints = [post for post in posts if post["is_complaint"]]
        named = collections.Counter(service for post in complaints for service in post["services"])
        print(f"posts: {len(posts):,} {span}; run took {seconds:.0f} s")
        print(f"complaints (shipped model): {len(complaints)} ({len(complaints) / len(posts):.1%}); the services they name: "
              f"{', '.join(f'{s} {n}' for s, n in named.most_common(6))}")
        print(f"incidents opened by `run`: {len(incidents)} (target: at most 1)")
        for incident in incidents:
            print(f"  {incident['service']} opened {incident['opened_at']} started {incident['started_at']}, "
                  f"{incident['complaints']} complaints")
        opened = every_complaint_as_one_service([post["created_at"] for post in complaints])
        print(f"incidents with every complaint counted as one service's: {len(opened)}")
        for line in opened:
            print(f"  {line}")


if __name__ == "__main__":
    main()
