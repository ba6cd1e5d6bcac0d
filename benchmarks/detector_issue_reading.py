"""The detector on a second, independent reading of issue 15's hidden minute-level scenarios.

The suite (``detector/scenarios.py``, ``detector_suite.py``) is the project's own evaluation, built from
real incident statistics and NAB's real wander. This script is a check of its assumptions: a generator
written from the issue's text alone ("sparse to busy services with a daily and weekly rhythm; outages
from 15 minutes to 3 hours at 3x to 40x the usual rate, some sudden, some ramping; one-minute blips and
hype days that are not outages"), with the choices the text leaves open as options:

* ``--multiple-of mean`` (default): an outage adds ``(multiple - 1)`` times the service's mean rate, so
  at a busy hour of the day a "3x" outage is about twice the rate of that hour; ``local``: times the
  rate of its own minutes, as the suite does;
* ``--ramps``: how long a ramping outage takes to reach its full size, as a share of its duration
  (``full``: all of it; ``slow`` 50-100 %; ``frac`` 25-50 %, the suite's);
* ``--sudden``: the share of outages that reach full size within 1-3 minutes;
* ``--dispersion``: each minute's count is negative binomial with this ``a`` in
  ``variance = mean + a * mean**2`` (no hour-to-hour wander beyond that);
* ``--min-rate``/``--max-rate``: the services' mean complaints a minute (log-uniform);
* ``--gap-scale``: outages come every 0.5-4 days times this.

A quarter of the series have two hype days (the rate 1.5-3x for 6-12 hours), a quarter ten one-minute
blips of 10-30x the rate. Series are 14 days; no outage in the first two.

With the defaults, the code issue 15 was filed against (commit 695a295) gives on 60 series: its generic
``detect_series`` 0.61 recall / 0.07 false alarms per series-week / 19 min, ``ServiceDetector`` 0.75 /
0.30 / 18, the same with ``alarm_memory_weight=0`` 0.91 / 0.94 / 11, and the naive sum 0.85 / 7.5 / 11;
the issue's table has 0.62 / 0.00 / 27, 0.72 / 0.16 / 20, 0.92 / 0.91 / 13 and 0.82 / 11.4 / 9. So this
reading is close to the hidden scenarios on recall and false alarms, and its delays are a few minutes
shorter. ``--multiple-of local`` gives 0.59, 0.71, 0.86 and 0.77 there.

Beside the detectors it prints ``detector_suite.py``'s ceiling, a scan told each minute's true mean
(hype days and blips included): what it misses, no detector catches.

    python benchmarks/detector_issue_reading.py [--series 60] [--first-seed 1000] [--multiple-of mean|local] [--ramps full]
                                                [--sudden 0.3] [--dispersion 0.3] [--gap-scale 0.7]
"""
from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import NamedTuple

import numpy as np
import pandas as pd

from outage_signal.detector import ServiceDetector
from outage_signal.detector.series import detect_series
from outage_signal.evaluation import SeriesScore, score_alarms

from detector_suite import RATE_BANDS, naive_alarms, oracle_alarms

DAYS = 14
RAMP_SHARES = {"frac": (0.25, 0.5), "slow": (0.5, 1.0), "full": (1.0, 1.0)}


class IssueSeries(NamedTuple):
    counts: np.ndarray
    """Complaints each minute."""
    background: np.ndarray
    """The expected complaints each minute without the outages (the rhythm, hype days, blips)."""
    outages: list[tuple[int, int]]
    """Each outage's (start, end) in minutes."""
    rate: float
    """The service's mean complaints a minute."""


def issue_series(seed: int, args: argparse.Namespace) -> IssueSeries:
    """One series of minute complaint counts, with what made it."""
    rng = np.random.default_rng(seed)
    n = DAYS * 1440
    t = np.arange(n)
    rate = float(np.exp(rng.uniform(np.log(args.min_rate), np.log(args.max_rate))))
    amplitude, phase, weekend = rng.uniform(0.3, 0.8), rng.uniform(0, 2 * np.pi), rng.uniform(0.6, 0.9)
    weekday = np.where((t // 1440) % 7 >= 5, weekend, 1.0)
    mean = rate * (1 + amplitude * np.sin(2 * np.pi * t / 1440 + phase)) * weekday
    kind = rng.choice(["plain", "plain", "blips", "hype"])
    if kind == "hype":
        for _ in range(2):
            start = int(rng.integers(2, DAYS)) * 1440 + int(rng.integers(0, 720))
            length = int(rng.integers(360, 720))
            steps = np.arange(length)
            shape = np.minimum(1, np.minimum(steps + 1, length - steps) / 60)[: n - start]
            mean[start:start + length] *= 1 + (rng.uniform(1.5, 3.0) - 1) * shape
    counts = rng.poisson(rng.gamma(1 / args.dispersion, args.dispersion * mean))
    background = mean.copy()
    if kind == "blips":
        for minute in rng.choice(np.arange(1440, n), 10, replace=False):
            blip = max(5, int(rng.uniform(10, 30) * rate))
            counts[minute] += blip
            background[minute] += blip
    outages = []
    start = 2 * 1440
    while True:
        start += int(rng.integers(1, 5) * 1440 * rng.uniform(0.5, 1.0) * args.gap_scale)
        duration = int(np.exp(rng.uniform(np.log(15), np.log(180))))
        if start + duration >= n - 60:
            return IssueSeries(counts, background, outages, rate)
        multiple = float(np.exp(rng.uniform(np.log(3), np.log(40))))
        ramp = int(rng.integers(1, 4)) if rng.uniform() < args.sudden else int(duration * rng.uniform(*RAMP_SHARES[args.ramps]))
        shape = np.minimum(1.0, (np.arange(duration) + 1.0) / max(ramp, 1))
        level = mean[start:start + duration] if args.multiple_of == "local" else rate
        counts[start:start + duration] += rng.poisson((multiple - 1) * level * shape)
        outages.append((start, start + duration))
        start += duration


def minutes_of(alarms: list[pd.Timestamp], stamps: pd.DatetimeIndex) -> list[float]:
    """Alarm timestamps as minutes from the series' start."""
    return [(pd.Timestamp(a) - stamps[0]) / pd.Timedelta(minutes=1) for a in alarms]


def detectors(dispersion: float) -> dict[str, Callable[[IssueSeries, pd.DatetimeIndex], list[float]]]:
    """Each detector by name: the alarms, in minutes from the start, it raises on a series."""
    def service(series: IssueSeries, stamps: pd.DatetimeIndex) -> list[float]:
        counts, utc = series.counts, stamps.tz_localize("UTC")
        events = ServiceDetector("x").update_many(utc, counts, counts, counts)
        return minutes_of([e.at for e in events if e.kind == "opened"], utc)

    return {
        "detect-series": lambda series, stamps: minutes_of(detect_series(series.counts, stamps), stamps),
        "detect-series --online": lambda series, stamps: minutes_of(detect_series(series.counts, stamps, online=True), stamps),
        "ServiceDetector": service,
        "naive 5-min sum": lambda series, stamps: naive_alarms(series.counts),
        # Not a detector: a scan told the true mean (detector_suite.py's ceiling), what no detector beats.
        "oracle (told the mean)": lambda series, stamps: oracle_alarms(series.counts, series.background, dispersion),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--series", type=int, default=60, help="series to generate")
    parser.add_argument("--first-seed", type=int, default=1000,
                        help="the first series' seed (settings were checked on 1000-1059; "
                             "2000-2079 and 3000-3199 were drawn after them)")
    parser.add_argument("--multiple-of", choices=["mean", "local"], default="mean",
                        help="an outage's size as a multiple of the service's mean rate or of its own minutes' rate")
    parser.add_argument("--ramps", choices=sorted(RAMP_SHARES), default="full",
                        help="a ramping outage's ramp: its whole length, 50-100 %% or 25-50 %% of it")
    parser.add_argument("--sudden", type=float, default=0.3, help="share of outages at full size within 1-3 minutes")
    parser.add_argument("--dispersion", type=float, default=0.3, help="negative binomial a of each minute's count")
    parser.add_argument("--min-rate", type=float, default=0.1, help="the quietest service's complaints a minute")
    parser.add_argument("--max-rate", type=float, default=20.0, help="the busiest service's complaints a minute")
    parser.add_argument("--gap-scale", type=float, default=0.7, help="times the 0.5-4 days between outages")
    args = parser.parse_args()
    stamps = pd.date_range("2026-01-05", periods=DAYS * 1440, freq="min")
    scores: dict[tuple[str, str], SeriesScore] = {}
    found = detectors(args.dispersion)
    for seed in range(args.first_seed, args.first_seed + args.series):
        series = issue_series(seed, args)
        band = next(name for name, low, high in RATE_BANDS if low <= series.rate < high)
        for name, detect in found.items():
            score = score_alarms(detect(series, stamps), series.outages, DAYS / 7)
            for key in ((name, "overall"), (name, band)):
                scores[key] = scores.get(key, SeriesScore()) + score
    print(f"issue 15 read from its text: {args.series} series (seeds {args.first_seed} on) x {DAYS} days, multiples of the {args.multiple_of} rate, "
          f"ramps {args.ramps}, {args.sudden:.0%} sudden, dispersion {args.dispersion}")
    print("recall / false alarms per series-week / median minutes to alarm (outages caught of outages)")
    for name in found:
        for band in ("overall", *(band for band, _, _ in RATE_BANDS)):
            s = scores.get((name, band))
            if s is not None:
                label = name if band == "overall" else f"  {band}"
                print(f"{label:24s} {s.recall:.3f} / {s.false_alarms_per_week:5.2f} / {s.median_minutes_to_alarm} ({s.caught}/{s.outages})")


if __name__ == "__main__":
    main()
