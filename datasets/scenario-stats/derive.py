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
  log ratio), so generated backgrounds breathe like real chatter instead of following a sine.

The package never reads ``../shared``; it reads these two files.
"""
from __future__ import annotations

import argparse
import json
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

OUTAGE_IMPACTS = ("minor", "major", "critical")
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
        expected = week_level * shape.to_numpy()[hour_of_week]
        log_ratio = np.log((hourly + 1) / (expected + 1))
        centred = log_ratio - log_ratio.median()
        sigma = 1.4826 * float(np.median(np.abs(centred)))  # robust: NAB's news spikes are the anomalies
        lag1 = float(np.corrcoef(centred[:-1], centred[1:])[0, 1])
        files[path.name] = {"weekly_shape": [round(float(v), 3) for v in shape],
                            "hourly_log_sigma": round(sigma, 3), "hourly_lag1": round(lag1, 3)}
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
