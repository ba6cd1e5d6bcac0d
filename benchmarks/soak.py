"""Soak: a month of minute-by-minute posts for 50 services through import → classify → detect.

    python benchmarks/soak.py [--days 30] [--services 50] [--rate 1.2]

Two runs over the same posts: the reference imports the whole month as one dump and detects once;
the scheduled run imports it a day at a time, classifying and detecting after each day, as cron
would. It prints each run's throughput and the process's peak memory, and checks that both runs
end with the same posts, counts and incidents. It also scores the incidents against the outages
it planted (the services and their texts are synthetic; the timing is what is being soaked).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import resource
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import zstandard

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from outage_signal.classifier import DEFAULT_MODEL, ComplaintClassifier, ServiceMatcher  # noqa: E402
from outage_signal import pipeline  # noqa: E402
from outage_signal.config import load_config  # noqa: E402
from outage_signal.store import Store  # noqa: E402

START = datetime(2026, 6, 1, tzinfo=timezone.utc)
CHATTER = ["just shipped a feature with {s}, love it", "anyone tried the new {s} update?", "{s} pricing went up again",
           "switched our team to {s} last week", "{s} docs are actually good", "hot take: {s} is overrated"]
COMPLAINTS = ["is {s} down? nothing loads", "{s} down again, 502 everywhere", "{s} not working for anyone else?",
              "can't log in to {s}, error 500", "{s} outage?? everything is timing out"]


def write_month(folder: Path, days: int, services: list[str], rate: float, seed: int = 11) -> tuple[list[Path], list]:
    """One zst dump per day; returns the day files and the planted outages (service, start, minutes)."""
    rng = np.random.default_rng(seed)
    minutes = days * 1440
    hour = (np.arange(minutes) // 60) % 24
    outages = []
    for s in services:
        for start in rng.choice(np.arange(1440 * 2, minutes - 240), size=3, replace=False):
            outages.append((s, int(start), int(rng.integers(20, 120))))
    level = {s: rate * (0.6 + 0.8 * np.sin(np.pi * ((hour + k) % 24) / 24) ** 2) for k, s in enumerate(services)}
    burst = {s: np.zeros(minutes) for s in services}
    for s, start, length in outages:
        burst[s][start:start + length] += 6.0
    files, n = [], 0
    for day in range(days):
        path = folder / f"day{day:02d}.ndjson.zst"
        span = slice(day * 1440, (day + 1) * 1440)
        chatter = {s: rng.poisson(level[s][span]) for s in services}
        bursts = {s: rng.poisson(burst[s][span]) for s in services}
        with open(path, "wb") as raw, zstandard.ZstdCompressor(level=1).stream_writer(raw) as out:
            for offset in range(1440):
                created = int((START + timedelta(minutes=day * 1440 + offset)).timestamp())
                for s in services:
                    for _ in range(chatter[s][offset]):
                        n += 1
                        text = CHATTER[n % 6] if rng.random() > 0.03 else COMPLAINTS[n % 5]
                        out.write(line(n, text.format(s=s), rng, created))
                    for _ in range(bursts[s][offset]):
                        n += 1
                        out.write(line(n, COMPLAINTS[n % 5].format(s=s), rng, created))
        files.append(path)
    return files, outages


def line(n: int, text: str, rng, created: int) -> bytes:
    return (json.dumps({"id": f"s{n:08x}", "title": text, "selftext": "", "author": f"u{rng.integers(200_000)}",
                        "created_utc": created + int(rng.integers(60)), "subreddit": "soak"}) + "\n").encode()


def run(db: Path, days: list[list[Path]], config, model) -> dict[str, float]:
    """Import each group of files, then classify and detect up to its last minute."""
    timings = {"import": 0.0, "classify": 0.0, "detect": 0.0}
    matcher = ServiceMatcher(**config.matcher_names())
    with Store(db, salt="soak") as store:
        for group in days:
            t = time.perf_counter()
            report = pipeline.import_files(store, group)
            assert not report.failures, report.failures
            timings["import"] += time.perf_counter() - t
            t = time.perf_counter()
            pipeline.classify(store, model, matcher)
            timings["classify"] += time.perf_counter() - t
            t = time.perf_counter()
            last_day = int(group[-1].name[3:5])
            pipeline.detect(store, list(config.services), [], config.sensitivity,
                            until=(START + timedelta(days=last_day + 1, minutes=-1)).isoformat())
            timings["detect"] += time.perf_counter() - t
    return timings


def snapshot(db: Path) -> dict[str, tuple[int, str]]:
    """Each compared table's row count and a digest of its rows in a fixed order (streamed)."""
    queries = {"posts": "SELECT source_id, minute FROM posts ORDER BY source_id",
               "counts": "SELECT * FROM counts ORDER BY service, source, minute",
               "incidents": "SELECT * FROM incidents ORDER BY id"}
    result = {}
    with Store(db) as store:
        for table, sql in queries.items():
            digest, rows = hashlib.sha256(), 0
            for row in store.conn.execute(sql):
                digest.update(repr(row).encode())
                rows += 1
            result[table] = (rows, digest.hexdigest())
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--services", type=int, default=50)
    parser.add_argument("--rate", type=float, default=1.2, help="mean posts per minute per service")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        names = [f"Nimbus{k:02d}" for k in range(args.services)]
        config_path = folder / "services.toml"
        config_path.write_text('catalog = "none"\n' + "".join(f'[services.{n.lower()}]\nname = "{n}"\naliases = ["{n.lower()}"]\n\n' for n in names))
        config, model = load_config(config_path), ComplaintClassifier.load(DEFAULT_MODEL)
        t = time.perf_counter()
        files, outages = write_month(folder, args.days, names, args.rate)
        print(f"wrote {args.days} day files in {time.perf_counter() - t:.0f} s")

        reference = run(folder / "reference.db", [files], config, model)
        scheduled = run(folder / "scheduled.db", [[f] for f in files], config, model)
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # both runs, before comparing
        facts = snapshot(folder / "reference.db")
        same = facts == snapshot(folder / "scheduled.db")
        with Store(folder / "reference.db") as store:
            incidents = store.conn.execute("SELECT service, opened_at FROM incidents").fetchall()
        posts = facts["posts"][0]
        print(f"posts: {posts:,}; count rows: {facts['counts'][0]:,}; incidents: {len(incidents)}")
        for name, timings in (("one month in one go", reference), ("a day at a time", scheduled)):
            total = sum(timings.values())
            print(f"{name}: " + ", ".join(f"{k} {posts / v:,.0f} posts/s" for k, v in timings.items())
                  + f"; end to end {posts / total:,.0f} posts/s ({total:.0f} s)")
        print(f"peak memory (max RSS, the generator's outage table included): {peak_mb:.0f} MB")
        print(f"both runs end with identical posts, counts and incidents: {same}")
        caught = sum(any(service == s.lower() and START + timedelta(minutes=start) <= datetime.fromisoformat(opened)
                         <= START + timedelta(minutes=start + length + 30) for service, opened in incidents)
                     for s, start, length in outages)
        print(f"planted outages caught: {caught} of {len(outages)} (synthetic texts: a check that detection "
              "still works at this volume, not a quality figure)")
        if not same:
            sys.exit(1)


if __name__ == "__main__":
    main()
