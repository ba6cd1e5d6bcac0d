"""The detector suite's outages on REAL background: NAB realTweets' own volumes instead of generated ones.

The suite (``detector_suite.py``) generates each series' background from the weekly shape and hourly
wander of one of NAB's ten realTweets files. Here every scenario of the outage families and ``quiet``
keeps its outages but takes, as background, that file's real 5-minute Twitter volumes over 14 days from
a Monday (a window chosen by the scenario's seed), thinned (each post kept with one chance, so the
bursts keep their shape) to five times the scenario's complaint rate, spread over their 5 minutes at
random, and split at random into complaints and chatter, 1 to 4: the chatter is the non-complaint
mentions the service detector weighs hype with. (Where a file's volume is smaller than that, all of it
is used, and the outages shrink with the rate: they stay the same multiples of the usual rate.) The
real volumes carry what a generated background lacks: news bursts, one-off spikes, days unlike the week
before. They are mention volumes of ten companies, not complaint counts, so they are burstier than
complaints should be; that is the point of the check.

Prints, for ``detect-series`` (through the CLI, as the suite runs it; without and with the
``mentions`` column) and ``ServiceDetector`` (its defaults, fed the chatter too): recall / false
alarms per series-week / median minutes to alarm, the false alarms inside NAB's labeled anomaly
windows, and the false alarms per file. Then how often a
10-minute window holds 3 times the rate of the hour before it (at least 8 more posts), on the real
background and on the suite's own generated one at the same rates: how much sharper real chatter is.

    python benchmarks/detector_real_background.py [--data ../shared/data/nab] [--part tune|report] [--per-family 16]
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from detector_suite import Detector, service_detector, via_cli
from outage_signal.detector.scenarios import FAMILIES, OUTAGE_FAMILIES, Scenario, scenario
from outage_signal.evaluation import SeriesScore, score_alarms

FAMILIES_RUN = (*OUTAGE_FAMILIES, "quiet")  # the suite's decoys are generated; the real background has its own
DAYS = 14
CHATTER_PER_COMPLAINT = 4.0


def real_volumes(data: Path, file: str) -> pd.Series:
    """A realTweets file's 5-minute volumes on a regular grid (NaN where a step is missing)."""
    frame = pd.read_csv(data / "realTweets" / file, parse_dates=["timestamp"])
    volumes = pd.Series(frame["value"].to_numpy(), index=frame["timestamp"].dt.floor("5min")).groupby(level=0).sum()
    return volumes.reindex(pd.date_range(volumes.index[0], volumes.index[-1], freq="5min"))


def on_real_background(s: Scenario, volumes: pd.Series) -> tuple[Scenario, pd.Timestamp, float]:
    """The scenario with its background replaced by 14 real days, the real time its first minute is,
    and the share of its complaint rate the file's volume could give (1: all of it)."""
    span = pd.Timedelta(days=DAYS) - pd.Timedelta(minutes=5)
    mondays = [d for d in pd.date_range(volumes.index[0].normalize(), volumes.index[-1], freq="D")
               if d.day_of_week == 0 and d >= volumes.index[0] and not volumes[d:d + span].isna().any()
               and d + span <= volumes.index[-1]]
    rng = np.random.default_rng([s.index, FAMILIES.index(s.family), len(s.part)])
    first = mondays[int(rng.integers(len(mondays)))]
    window = volumes[first:first + span].to_numpy().astype(np.int64)

    def spread(counts: np.ndarray) -> np.ndarray:  # each 5-minute count over its minutes, at random
        minutes = np.zeros(5 * len(counts), dtype=np.int64)
        np.add.at(minutes, 5 * np.repeat(np.arange(len(counts)), counts) + rng.integers(0, 5, int(counts.sum())), 1)
        return minutes
    # Each post is kept with one chance, then a complaint or chatter at 1 : CHATTER_PER_COMPLAINT. Where
    # the file's volume is too small for the scenario's rate, the whole volume is used and the
    # outages are scaled with the rate, so they stay the same multiples of the usual rate.
    wanted = 5 * (1 + CHATTER_PER_COMPLAINT) * s.usual_rate
    used = rng.binomial(window, min(1.0, wanted / window.mean()))
    kept = rng.binomial(used, 1 / (1 + CHATTER_PER_COMPLAINT))
    scale = min(1.0, window.mean() / wanted)
    complaints = spread(kept) + rng.poisson(scale * s.surge)
    return dataclasses.replace(s, complaints=complaints, authors=complaints.copy(),
                               mentions=complaints + spread(used - kept)), first, scale


def sharp_rise_share(counts: np.ndarray) -> float:
    """Share of minutes whose last 10 minutes hold 3x the rate of the hour before them, 8 or more above it."""
    total = np.concatenate(([0], np.cumsum(counts)))
    window = total[70:] - total[60:-10]
    before = (total[60:-10] - total[:-70]) / 6.0
    return float(np.mean((window >= 3 * before) & (window >= before + 8)))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data" / "nab",
                        help="NAB's data folder (realTweets/ and labels/combined_windows.json)")
    parser.add_argument("--part", choices=("tune", "report"), default="report")
    parser.add_argument("--per-family", type=int, default=16)
    args = parser.parse_args()
    if not (args.data / "realTweets").is_dir():
        parser.error(f"no realTweets folder in {args.data}; pass --data")
    labels = json.loads((args.data / "labels" / "combined_windows.json").read_text())
    runners: dict[str, Detector] = {"detect-series": via_cli(), "detect-series, mentions": via_cli(mentions=True),
                                    "ServiceDetector": service_detector()}
    scores = {name: SeriesScore() for name in runners}
    by_family = {name: {f: SeriesScore() for f in FAMILIES_RUN} for name in runners}
    in_windows = {name: 0 for name in runners}
    per_file: dict[str, dict[str, list[float]]] = {name: {} for name in runners}
    rises = {"real": [], "generated": []}
    volumes: dict[str, pd.Series] = {}
    scaled = 0
    with tempfile.TemporaryDirectory() as tmp:
        for family in FAMILIES_RUN:
            for index in range(args.per_family):
                generated = scenario(family, args.part, index, DAYS)
                file = generated.rhythm_file
                volumes.setdefault(file, real_volumes(args.data, file))
                s, first, scale = on_real_background(generated, volumes[file])
                scaled += scale < 1.0
                if family == "quiet" and scale == 1.0:
                    rises["real"].append(sharp_rise_share(s.complaints))
                    rises["generated"].append(sharp_rise_share(generated.complaints))
                anomalies = [((pd.Timestamp(a) - first) / pd.Timedelta(minutes=1), (pd.Timestamp(b) - first) / pd.Timedelta(minutes=1))
                             for a, b in labels[f"realTweets/{file}"]]
                windows = [(o.start, o.end) for o in s.outages]
                for name, run in runners.items():
                    alarms = run(s, Path(tmp))
                    score = score_alarms(alarms, windows, s.weeks)
                    scores[name] += score
                    by_family[name][family] += score
                    false = [a for a in alarms if not any(start <= a <= end + 30 for start, end in windows)]
                    in_windows[name] += sum(any(lo <= a <= hi for lo, hi in anomalies) for a in false)
                    count, weeks = per_file[name].get(file, [0, 0.0])
                    per_file[name][file] = [count + len(false), weeks + s.weeks]
    print(f"suite outages on NAB's real volumes, part {args.part}: {args.per_family} series x {DAYS} days per family, "
          f"{len(FAMILIES_RUN) * args.per_family} series ({scaled} at a lower rate than the scenario's: the file's volume is smaller)")
    for name, score in scores.items():
        families = " ".join(f"{f} {by_family[name][f].recall:.2f}" for f in OUTAGE_FAMILIES)
        print(f"{name:24s} recall {score.recall:.2f} ({score.caught} of {score.outages}; {families}), "
              f"{score.false_alarms_per_week:.2f} false alarms per series-week ({in_windows[name]} of {score.false_alarms} "
              f"in NAB's labeled anomaly windows), median {score.median_minutes_to_alarm:g} min to alarm")
        print(" " * 25 + "false alarms per series-week by file: " + ", ".join(
            f"{file.removeprefix('Twitter_volume_').removesuffix('.csv')} {count / weeks:.1f}"
            for file, (count, weeks) in sorted(per_file[name].items())))
    print("minutes whose last 10 minutes hold 3x the hour before (quiet family, series at the scenario's rate): "
          f"real {100 * np.mean(rises['real']):.2f} %, generated {100 * np.mean(rises['generated']):.2f} %")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
