"""The real stream with no known outage: tweets to one company's support account, through ``import`` and ``run``.

``datasets/real-stream/spotifycares-2017.csv.zst`` holds 15,096 real tweets to Spotify's support account
(late September to early December 2017, after a trickle of older ones since 2013; see its DATASHEET.md).
Issue 15 measured such a stream: imported as CSV, then ``run``; a detector should open at most one
incident in its two months, although the account's volume grows from a trickle to hundreds a day.

This benchmark runs the commands a user runs (``import``, then ``run --no-status-pages``) on a fresh
database with the shipped model and the bundled catalog, and prints what the model calls complaints,
which services they name, every incident opened, and the model's precision and recall on the stream
estimated from a hand-labeled sample of it (``labeled-sample.tsv``, see the datasheet). Most tweets name
the service only through the support handle, so it also runs a service detector on *every* complaint as
if all were Spotify's (authors unknown, so each complaint counts as an author): the densest complaint
series this stream can give.

    python benchmarks/detector_real_stream.py

The oldest tweets are a trickle from 2013 on: the days without any post between them are gaps in
collection, which the detectors skip (``pipeline.COLLECTION_GAP_MINUTES``).
"""
from __future__ import annotations

import collections
import tempfile
import time
from pathlib import Path

import pandas as pd

from outage_signal.cli import cli
from outage_signal.detector import ServiceDetector
from outage_signal.store import Store

STREAM = Path(__file__).resolve().parent.parent / "datasets" / "real-stream" / "spotifycares-2017.csv.zst"
SAMPLE = STREAM.with_name("labeled-sample.tsv")
# How many tweets of the stream each stratum of the labeled sample was drawn from (see DATASHEET.md).
STRATUM_SIZES = {"flagged": 306, "other": 14_790}


def command(*args: str) -> None:
    """Run one ``outage-signal`` command in this process; its exit status must be 0 (``run`` always exits)."""
    try:
        cli.main(["--quiet", *args], standalone_mode=False)
    except SystemExit as exit:
        if exit.code:
            raise


def classifier_on_the_stream(posts: list[dict], sample: pd.DataFrame) -> str:
    """The model's precision and recall on the whole stream, estimated from the hand-labeled sample.

    The sample is stratified by what model 66a0afd1f3ca said: every tweet it called a complaint, and 300
    of the others at random; each sampled tweet stands for ``stratum size / sampled`` tweets of the stream.
    """
    said = {post["source_id"]: bool(post["is_complaint"]) for post in posts}
    rows = sample[sample.label != "x"].assign(said=lambda rows: rows.id.astype(str).map(said))
    sampled = sample.groupby("stratum").size()  # the x rows stand for their stratum too, as unknowns
    weight = rows.stratum.map(lambda stratum: STRATUM_SIZES[stratum] / sampled[stratum])
    complaint = rows.label == "1"
    true_positives = float((weight * (rows.said & complaint)).sum())
    false_positives = float((weight * (rows.said & ~complaint)).sum())
    missed = float((weight * (~rows.said & complaint)).sum())
    sampled_misses = int((~rows.said & complaint).sum())
    return (f"the model on the stream, estimated from {len(sample)} hand-labeled tweets ({int(complaint.sum())} complaints, "
            f"{int((sample.label == 'x').sum())} undecidable): precision {true_positives / (true_positives + false_positives):.2f}, "
            f"recall {true_positives / (true_positives + missed):.2f} (about {true_positives + missed:.0f} outage complaints "
            f"in the stream, {true_positives:.0f} caught, {false_positives:.0f} false; the recall rests on {sampled_misses} "
            f"sampled complaint(s) the model missed, each standing for {STRATUM_SIZES['other'] / sampled['other']:.0f} tweets)")


def every_complaint_as_one_service(complaint_minutes: list[str]) -> list[str]:
    """Incidents opened by one service detector fed every complaint (authors taken as complaints)."""
    minutes = pd.DatetimeIndex(pd.to_datetime(complaint_minutes, utc=True)).floor("min")
    per_minute = pd.Series(1, index=minutes).groupby(level=0).sum()
    steps = pd.date_range(per_minute.index.min(), per_minute.index.max(), freq="min")
    counts = per_minute.reindex(steps, fill_value=0).to_numpy()
    events = ServiceDetector("spotify").update_many(steps, counts, counts, counts)
    return [f"{e.at:%Y-%m-%d %H:%M} started {e.started_at:%Y-%m-%d %H:%M}, {e.complaints} complaints"
            for e in events if e.kind == "opened"]


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = str(Path(tmp) / "stream.db")
        command("--db", db, "import", str(STREAM))
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
        print(classifier_on_the_stream(posts, pd.read_csv(SAMPLE, sep="\t", dtype=str, keep_default_na=False)))
        print(f"incidents opened by `run`: {len(incidents)} (target: at most 1)")
        for incident in incidents:
            print(f"  {incident['service']} opened {incident['opened_at']} started {incident['started_at']}, "
                  f"{incident['complaints']} complaints")
        opened = every_complaint_as_one_service([post["created_at"] for post in complaints])
        print(f"incidents with every complaint counted as Spotify's: {len(opened)}")
        for line in opened:
            print(f"  {line}")


if __name__ == "__main__":
    main()
