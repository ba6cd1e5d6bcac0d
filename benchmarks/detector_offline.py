"""Offline detection of a backfilled period: replaying the online detector, or PELT segmentation?

Issue 5 asks for whichever is more accurate. Both see a whole period at once, on two data sets:
NAB realTweets (scored as NAB scores, standard profile) and the replay's per-service complaint
counts (oracle labels, scored like benchmarks/detector_replay.py).

* replay: :func:`detector.detect_offline`, the online detector primed on the period (outage
  hours excluded) and replayed over it. Default settings, nothing tuned here.
* PELT (Killick, Fearnhead & Eckley 2012, "Optimal detection of changepoints with a linear
  computational cost", JASA 107), from ruptures, with the Gaussian (l2) cost on the counts made
  Gaussian and seasonless: Anscombe's ``2 sqrt(x + 3/8)`` (variance about 1 for Poisson counts),
  minus each hour of day's median over the period, over a robust noise scale. Penalty
  ``beta * log(n)``. An alarm at each change point into a segment whose mean is ``delta`` noise
  units above both the period's median and the segment before. Change points are searched on an
  hour grid for NAB (windows there are about a day and a half wide) and a 5-minute grid for the
  replay (outages there last tens of minutes). beta and delta come from a grid on NAB: the best is
  reported (tuned on its own test data, so flattering to PELT) with its leave-one-file-out score,
  and that setting runs on the replay (the replay's PELT run takes about four minutes).

    pip install -e '.[bench]' && python benchmarks/detector_offline.py [--data ../shared/data/nab]
"""
from __future__ import annotations

import argparse
import itertools
import math
import sys
from collections import defaultdict
from dataclasses import replace
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd
import ruptures

sys.path.insert(0, str(Path(__file__).resolve().parent))

from outage_signal.detector import DetectorParams, detect_offline, read_series_csv  # noqa: E402
from outage_signal.detector.nab import load_windows, score_file  # noqa: E402
from outage_signal.detector.series import SERIES_PARAMS  # noqa: E402
from detector_nab import Scores, best_total, leave_one_file_out, total  # noqa: E402
from detector_replay import labelled_counts, load_generator, score_incidents  # noqa: E402

BETAS = (5.0, 10.0, 20.0, 40.0, 80.0)
DELTAS = (1.0, 2.0, 3.0, 4.0)

# An offline detector: (timestamps, counts) -> alarm positions.
OfflineDetector = Callable[[pd.DatetimeIndex, np.ndarray], list[int]]


def pelt_alarms(index: pd.DatetimeIndex, counts: np.ndarray, jump: int, beta: float, delta: float) -> list[int]:
    """Positions where PELT opens a segment well above the normal level (see the module docstring)."""
    stabilised = 2.0 * np.sqrt(counts + 0.375)
    seasonal = pd.Series(stabilised).groupby(index.hour.to_numpy()).transform("median").to_numpy()
    residual = stabilised - seasonal
    # Noise scale from successive differences (robust to the level shifts being looked for).
    noise = np.median(np.abs(np.diff(residual))) / (0.6745 * math.sqrt(2.0))
    if noise == 0.0:  # mostly-zero series: fall back on the plain deviation
        noise = float(residual.std()) or 1.0
    residual = residual / noise
    # Candidate change points every ``jump`` steps: ruptures' PELT is pure Python, and slow on every step.
    breaks = ruptures.Pelt(model="l2", min_size=jump, jump=jump).fit(residual).predict(
        pen=beta * math.log(len(residual)))
    level = float(np.median(residual))
    alarms, previous = [], 0
    for start, end in zip([0] + breaks[:-1], breaks):
        mean = residual[start:end].mean()
        if start > 0 and mean - level > delta and mean - residual[previous:start].mean() > delta:
            alarms.append(start)
        previous = start
    return alarms


def replay_alarms(index: pd.DatetimeIndex, counts: np.ndarray, params: DetectorParams = DetectorParams()) -> list[int]:
    frame = pd.DataFrame({"complaints": counts, "authors": counts, "mentions": counts}, index=index)
    events = detect_offline(frame, "series", params=params)
    return [int(index.get_loc(pd.Timestamp(e.at))) for e in events if e.kind == "opened"]


def nab_scores(series: dict, detector: OfflineDetector) -> Scores:
    """Each file's standard-profile score (in detector_nab's layout: file -> profile -> score)."""
    scores: Scores = {}
    for name, (rows, index, counts, windows) in series.items():
        alarms = [rows[i] for i in detector(index, counts)]
        scores[name] = {"standard": score_file(rows, alarms, windows, "standard")}
    return scores


def replay_figures(counts: dict[str, pd.DataFrame], truth: list[dict], days: int,
                   detector: OfflineDetector) -> dict[str, float]:
    incidents: dict[str, list[dict]] = defaultdict(list)
    for service, table in counts.items():
        for position in detector(table.index, table["authors"].to_numpy()):
            opened = table.index[position].to_pydatetime()
            incidents[service].append({"id": f"{service}:{position}", "opened": opened, "resolved": None})
    return score_incidents(incidents, truth, weeks=len(counts) * days / 7)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    default_data = Path(__file__).resolve().parents[2] / "shared" / "data" / "nab"
    parser.add_argument("--data", type=Path, default=default_data)
    parser.add_argument("--days", type=int, default=14)
    args = parser.parse_args()

    series = {}
    for path in sorted((args.data / "realTweets").glob("*.csv")):
        stamps, values, _ = read_series_csv(path)
        index = pd.DatetimeIndex(stamps).floor("5min").tz_localize("UTC")
        rows = [t.strftime("%Y-%m-%d %H:%M:%S") for t in stamps]
        windows = load_windows(args.data / "labels" / "combined_windows.json", f"realTweets/{path.name}")
        series[path.name] = (rows, index, np.rint(np.maximum(values, 0)).astype(np.int64), windows)
    counts, truth = labelled_counts(load_generator(Path(__file__).resolve().parents[1]), 7, args.days, None)

    def describe(figures: dict[str, float]) -> str:
        return (f"recall {figures['recall']:.3f}, {figures['false_alarms_per_service_week']:.2f} false alarms "
                f"per service-week, median {figures['median_minutes_to_alarm']:.1f} min to alarm")

    print("replay of the online detector (detect_offline, default settings)")
    replay_nab = nab_scores(series, lambda i, c: replay_alarms(i, c, replace(SERIES_PARAMS, step_minutes=5)))
    names = list(series)
    print(f"  NAB realTweets standard: {total(replay_nab, names, 'standard'):.1f}")
    print(f"  replay data: {describe(replay_figures(counts, truth, args.days, replay_alarms))}")

    print(f"PELT (ruptures {ruptures.__version__}), grid beta x delta")
    grid = {}
    for beta, delta in itertools.product(BETAS, DELTAS):
        grid[beta, delta] = nab_scores(series, lambda i, c: pelt_alarms(i, c, 12, beta, delta))
        print(f"  beta {beta:4.0f} delta {delta:3.1f}: NAB {total(grid[beta, delta], names, 'standard'):5.1f}",
              flush=True)
    best = best_total(grid, names, "standard")
    print(f"  NAB realTweets standard: best of grid {total(grid[best], names, 'standard'):.1f} (beta {best[0]:.0f}, "
          f"delta {best[1]:.1f}); leave-one-file-out {leave_one_file_out(grid, 'standard', best_total):.1f}")
    on_replay = replay_figures(counts, truth, args.days, lambda i, c: pelt_alarms(i, c, 5, *best))
    print(f"  replay data at that setting: {describe(on_replay)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
