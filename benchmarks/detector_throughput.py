"""Throughput of the online detector: 50 services x one year of per-minute Poisson counts.

Each service gets its own ServiceDetector and its year goes through ``update_many`` (the
vectorised path that reproduces ``update`` exactly). Prints points per second; the per-minute
reference ``update`` is timed on one service-day for comparison.

    python benchmarks/detector_throughput.py [--services 50] [--days 365]
"""
from __future__ import annotations

import argparse
import sys
import time

import numpy as np
import pandas as pd

from outage_signal.detector import ServiceDetector


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--services", type=int, default=50)
    parser.add_argument("--days", type=int, default=365)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    minutes = pd.date_range("2025-01-01", periods=args.days * 1440, freq="min", tz="UTC")
    minute_of_day = np.arange(len(minutes)) % 1440
    shape = 1.0 + 0.5 * np.sin(2 * np.pi * minute_of_day / 1440)

    total_points = 0
    elapsed = 0.0
    incidents = 0
    for s in range(args.services):
        level = 10 ** rng.uniform(-2, 1)  # from near-silent services to ~10 complaints a minute
        authors = rng.poisson(level * shape)
        mentions = authors + rng.poisson(3 * level * shape)
        det = ServiceDetector(f"svc{s}")
        start = time.perf_counter()
        events = det.update_many(minutes, authors, authors, mentions)
        elapsed += time.perf_counter() - start
        total_points += len(minutes)
        incidents += sum(e.kind == "opened" for e in events)

    print(f"batch update_many: {args.services} services x {args.days} days = {total_points:,} points "
          f"in {elapsed:.1f} s -> {total_points / elapsed:,.0f} points/s "
          f"({incidents} false alarms, {incidents / (args.services * args.days / 7):.3f} per service-week)")

    # The reference is timed on day 2: day 1 is the warm-up, which skips the CUSUM.
    det = ServiceDetector("reference")
    warmup = rng.poisson(2.0, 1440)
    det.update_many(minutes[:1440], warmup, warmup, warmup + 3)
    day = minutes[1440:2880].to_pydatetime()
    counts = rng.poisson(2.0, 1440).tolist()
    start = time.perf_counter()
    for t, x in zip(day, counts):
        det.update(t, x, x, x + 3)
    print(f"reference update (after warm-up): {1440 / (time.perf_counter() - start):,.0f} points/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
