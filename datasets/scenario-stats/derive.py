"""Derive the scenario generator's real statistics from the shared data (run by hand, output committed).

    python datasets/scenario-stats/derive.py --data ../shared/data

Writes, next to this script:

* ``github-incidents.json``: GitHub's status-page incidents (mrshu/github-statuses): incidents per
  week by impact, the quantiles of outage durations (minutes, from the first acknowledgement to
  resolution) and of the gaps between consecutive outage starts (hours), for the outage impacts
  (minor, major, critical; ``none`` and ``maintenance`` are not outages).
* ``nab-rhythm.json``: the weekly rhythm of NAB's ten realTweets series (5-minute mention volumes of
  ten companies, Feb-Apr 2015): per file, the median shape of its 168 hours of the week (mean 1),
  and how far single hours stray from that shape (robust sigma and lag-1 autocorrelation of the
  log ratio), so generated backgrounds breathe like real chatter instead of following a sine; and the
  continuous form of that wander (``minute_log_sigma``, ``minute_tau``: a log-level that drifts minute by
  minute, an Ornstein-Uhlenbeck process) whose hourly counts, drawn at the file's own volume, show the
  file's hourly sigma and lag-1 (fitted on a grid by simulation, so the counting noise of a quiet file's
  hours is not taken for wander).

The package never reads ``../shared``; it reads these two files.
"""
from __future__ import annotations

import argparse
import json
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from outage_signal.detector.scenarios import continuous_wander

OUTAGE_IMPACTS = ("minor", "major", "critical")
SIGMA_GRID = np.arange(0.025, 0.8, 0.025)
TAU_GRID = (10, 15, 20, 30, 40, 50, 60, 80, 100, 130, 170, 220, 300)  # minutes
LEVELS = [round(q, 2) for q in np.linspace(0.0, 1.0, 21)]  # every 5 %


def _quantiles(values: list[float]) -> list[float]:
    return [round(float(v), 2) for v in np.quantile(values, LEVELS)]


def github_stats(path: Path) -> dict:
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    started = [datetime.fromisoformat(r["started_at"].replace("Z", "+00:00")) for r in rows]
    weeks = (max(started) - min(started)).total_seconds() / (7 * 86400)
    by_impact: dict[str, int] = {}
    for r in rows:
        by_impact[r["impact"]] = by_impact.get(r["impact"], 0) + 1
    outages = sorted(((s, r) for s, r in zip(started, rows) if r["impact"] in OUTAGE_IMPACTS), key=lambda sr: sr[0])
    durations = [r["duration_minutes"] for _, r in outages]
    gaps = [(b - a).total_seconds() / 3600 for (a, _), (b, _) in zip(outages, outages[1:])]
    return {
        "source": "mrshu/github-statuses parsed/incidents.jsonl (MIT), githubstatus.com incidents",
        "first_start": min(started).isoformat(), "last_start": max(started).isoformat(),
        "weeks": round(weeks, 2),
        "incidents_by_impact": by_impact,
        "incidents_per_week_by_impact": {k: round(v / weeks, 3) for k, v in sorted(by_impact.items())},
        "outage_impacts": list(OUTAGE_IMPACTS),
        "outages_per_week": round(len(outages) / weeks, 3),
        "quantile_levels": LEVELS,
        "duration_minutes_quantiles": _quantiles(durations),
        "gap_hours_quantiles": _quantiles(gaps),
        "share_of_gaps_12_to_36_hours": round(sum(12 <= g <= 36 for g in gaps) / len(gaps), 3),
    }


def hourly_statistics(hourly: np.ndarray, expected: np.ndarray) -> tuple[float, float]:
    """Robust sigma and lag-1 autocorrelation of each hour's log ratio of its count to its expectation."""
    log_ratio = np.log((hourly + 1) / (expected + 1))
    centred = log_ratio - np.median(log_ratio)
    sigma = 1.4826 * float(np.median(np.abs(centred)))  # robust: NAB's news spikes are the anomalies
    return sigma, float(np.corrcoef(centred[:-1], centred[1:])[0, 1])


def fit_continuous_wander(expected: np.ndarray, sigma: float, lag1: float, reps: int = 3) -> tuple[float, int]:
    """The continuous wander (minute log-sigma, correlation time in minutes) whose Poisson counts at the
    ``expected`` hourly volumes give hourly statistics nearest ``sigma`` and ``lag1`` (a grid, by simulation)."""
    per_minute = np.repeat(expected / 60.0, 60)
    best: tuple[float, float, int] | None = None
    for minute_tau in TAU_GRID:
        for minute_sigma in SIGMA_GRID:
            rng = np.random.default_rng(0)  # the same draws for every candidate: a smooth loss
            simulated = []
            for _ in range(reps):
                wander = continuous_wander(rng, len(per_minute), minute_sigma, minute_tau)
                counts = rng.poisson(per_minute * wander).reshape(-1, 60).sum(axis=1)
                simulated.append(hourly_statistics(counts, expected))
            got_sigma, got_lag1 = np.mean(simulated, axis=0)
            loss = ((got_sigma - sigma) / 0.02) ** 2 + ((got_lag1 - lag1) / 0.05) ** 2
            if best is None or loss < best[0]:
                best = (loss, round(float(minute_sigma), 3), minute_tau)
    assert best is not None
    return best[1], best[2]


def nab_rhythm(folder: Path) -> dict:
    files = {}
    for path in sorted((folder / "realTweets").glob("*.csv")):
        frame = pd.read_csv(path, parse_dates=["timestamp"]).set_index("timestamp")
        hourly = frame["value"].resample("1h").sum(min_count=12).dropna()  # whole hours only
        hour_of_week = hourly.index.day_of_week * 24 + hourly.index.hour
        week_level = hourly.groupby(hourly.index.to_period("W")).transform("median")
        relative = (hourly / week_level).groupby(hour_of_week).median()
        shape = relative.reindex(range(168)).interpolate().bfill().ffill()
        shape = shape / shape.mean()
        expected = (week_level * shape.to_numpy()[hour_of_week]).to_numpy()
        sigma, lag1 = hourly_statistics(hourly.to_numpy(), expected)
        minute_sigma, minute_tau = fit_continuous_wander(expected, sigma, lag1)
        files[path.name] = {"weekly_shape": [round(float(v), 3) for v in shape],
                            "hourly_log_sigma": round(sigma, 3), "hourly_lag1": round(lag1, 3),
                            "minute_log_sigma": round(minute_sigma, 3), "minute_tau": minute_tau}
    return {"source": "numenta/NAB data/realTweets (MIT), 5-minute Twitter mention volumes, Feb-Apr 2015",
            "hour_of_week": "0 = Monday 00:00 UTC", "files": files}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="the shared data folder (../shared/data)")
    args = parser.parse_args()
    here = Path(__file__).resolve().parent
    github = github_stats(args.data / "status" / "github-statuses" / "incidents.jsonl")
    (here / "github-incidents.json").write_text(json.dumps(github, indent=1) + "\n")
    rhythm = nab_rhythm(args.data / "nab")
    (here / "nab-rhythm.json").write_text(json.dumps(rhythm, indent=1) + "\n")


if __name__ == "__main__":
    main()
