"""Throughput of the online detector: 50 services x one year of per-minute Poisson counts.

Each service gets its own ServiceDetector and its year goes through ``update_many`` (the
vectorised path that reproduces ``update`` exactly). Prints points per second by the wall clock and
per CPU second of this process (``time.process_time``: the figure to quote on a shared machine); the
per-minute reference ``update`` is timed on one service-day for comparison, and the whole
``outage-signal detect-series`` command (start-up, reading the CSV, detecting) on one service-year.

``--profile`` chooses the settings: ``service`` (the service detector's defaults) or a
:data:`detector.series.PROFILES` name such as ``minute-counts`` (what ``detect-series`` runs on a
per-minute count series). Every profile gets the same counts, complaints with other chatter in the
mentions (``detect-series`` feeds its one count as all three, so its mean is constant within an hour:
``--bare`` measures that case, which is cheaper).

    python benchmarks/detector_throughput.py [--services 50] [--days 365]
                                             [--profile service|minute-counts|mention-volume] [--bare]
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from outage_signal.detector import DetectorParams, ServiceDetector
from outage_signal.detector.series import PROFILES


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", type=int, default=50)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--profile", choices=("service", *PROFILES), default="service")
    parser.add_argument("--bare", action="store_true", help="mentions = complaints, as detect-series feeds them")
    args = parser.parse_args()
    params = DetectorParams() if args.profile == "service" else PROFILES[args.profile]
    bare_series = args.bare
    rng = np.random.default_rng(0)
    minutes = pd.date_range("2025-01-01", periods=args.days * 1440, freq="min", tz="UTC")
    minute_of_day = np.arange(len(minutes)) % 1440
    shape = 1.0 + 0.5 * np.sin(2 * np.pi * minute_of_day / 1440)

    total_points = 0
    wall = cpu = 0.0
    incidents = 0
    for s in range(args.services):
        level = 10 ** rng.uniform(-2, 1)  # from near-silent services to ~10 complaints a minute
        authors = rng.poisson(level * shape)
        mentions = authors if bare_series else authors + rng.poisson(3 * level * shape)
        det = ServiceDetector(f"svc{s}", params=params)
        wall_start, cpu_start = time.perf_counter(), time.process_time()
        events = det.update_many(minutes, authors, authors, mentions)
        wall += time.perf_counter() - wall_start
        cpu += time.process_time() - cpu_start
        total_points += len(minutes)
        incidents += sum(e.kind == "opened" for e in events)

    label = args.profile + (" (bare counts)" if bare_series else "")
    print(f"batch update_many, profile {label}: {args.services} services x {args.days} days = "
          f"{total_points:,} points in {wall:.1f} s ({cpu:.1f} CPU s) -> {total_points / wall:,.0f} points/s, "
          f"{total_points / cpu:,.0f} per CPU second "
          f"({incidents} false alarms, {incidents / (args.services * args.days / 7):.3f} per service-week)")

    # The reference is timed on day 2: day 1 is the warm-up, which skips the CUSUM.
    det = ServiceDetector("reference", params=params)
    warmup = rng.poisson(2.0, 1440)
    det.update_many(minutes[:1440], warmup, warmup, warmup if bare_series else warmup + 3)
    day = minutes[1440:2880].to_pydatetime()
    counts = rng.poisson(2.0, 1440).tolist()
    wall_start, cpu_start = time.perf_counter(), time.process_time()
    for t, x in zip(day, counts):
        det.update(t, x, x, x if bare_series else x + 3)
    print(f"reference update (after warm-up): {1440 / (time.perf_counter() - wall_start):,.0f} points/s, "
          f"{1440 / (time.process_time() - cpu_start):,.0f} per CPU second")

    # What a person waits for: the command on a timestamp,value CSV of a year of minutes (bare counts).
    with tempfile.TemporaryDirectory() as tmp:
        csv_path = Path(tmp) / "year.csv"
        frame = pd.DataFrame({"timestamp": minutes.strftime("%Y-%m-%d %H:%M:%S"), "value": rng.poisson(2.0, len(minutes))})
        frame.to_csv(csv_path, index=False)
        wall_start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "outage_signal.cli", "detect-series", str(csv_path)], check=True,
                       stdout=subprocess.DEVNULL)
        took = time.perf_counter() - wall_start
    print(f"outage-signal detect-series on a CSV of {len(minutes):,} minutes: {took:.2f} s with start-up "
          f"-> {len(minutes) / took:,.0f} points/s end to end")
    return 0


if __name__ == "__main__":
    sys.exit(main())
