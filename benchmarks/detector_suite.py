"""The detector on its own evaluation suite (``detector/scenarios.py``): minute complaint counts with known outages.

Runs, on every scenario of one part (``report`` by default; ``tune`` is the part to choose settings on):

* ``detect-series``: ``outage-signal detect-series`` on a ``timestamp,value`` CSV of the scenario's
  per-minute complaint counts, through the CLI itself (click's runner, in process), exactly as a user
  or the hidden minute-level evaluation runs it;
* ``ServiceDetector``: the service detector with its defaults, online from a cold start, fed the
  scenario's complaints, distinct authors and mentions;
* ``... memory 0``: the same with ``alarm_memory_weight=0`` (when the detector has that parameter);
* ``naive 5-min sum``: an alarm when the last five minutes' complaints exceed five times the mean
  five-minute count of the series so far (at most one alarm per 30 minutes).

Prints recall, false alarms per series-week and the median minutes from outage start to alarm, per
family and overall (scored by :func:`outage_signal.evaluation.score_alarms`: caught by an alarm in
[start, end]; an alarm more than 30 min from every outage is false).

    python benchmarks/detector_suite.py [--part tune|report] [--per-family 16] [--days 14]
                                        [--cli-arg=--sensitivity --cli-arg=1.5] [--json]
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from click.testing import CliRunner

from outage_signal.cli import cli
from outage_signal.detector import DetectorParams, ServiceDetector
from outage_signal.detector.scenarios import FAMILIES, OUTAGE_FAMILIES, START, Scenario, suite
from outage_signal.evaluation import SeriesScore, score_alarms

Detector = Callable[[Scenario, Path], list[float]]  # alarm times, minutes from the scenario's start


def _minutes_since_start(times: Sequence[pd.Timestamp]) -> list[float]:
    start = START.tz_localize(None)
    return [(pd.Timestamp(t).tz_localize(None) - start) / pd.Timedelta(minutes=1) for t in times]


def via_cli(extra_args: Sequence[str] = ()) -> Detector:
    runner = CliRunner()

    def run(s: Scenario, workdir: Path) -> list[float]:
        path = s.write_csv(workdir / f"{s.name}.csv")
        result = runner.invoke(cli, ["detect-series", str(path), *extra_args], catch_exceptions=False)
        if result.exit_code != 0:
            raise RuntimeError(f"detect-series {path}: exit {result.exit_code}: {result.output}")
        lines = result.output.split()
        return _minutes_since_start([pd.Timestamp(f"{d} {t}") for d, t in zip(lines[1::2], lines[2::2])])
    return run


def service_detector(params: DetectorParams = DetectorParams()) -> Detector:
    def run(s: Scenario, workdir: Path) -> list[float]:
        det = ServiceDetector("scenario", params=params)
        events = det.update_many(s.minutes, s.complaints, s.authors, s.mentions)
        return _minutes_since_start([e.at for e in events if e.kind == "opened"])
    return run


def naive_five_minute_sum(s: Scenario, workdir: Path) -> list[float]:
    """An alarm when the last 5 minutes' sum exceeds 5x the running mean 5-minute sum; then 30 min hold."""
    counts = s.complaints.astype(float)
    window = np.convolve(counts, np.ones(5))[: len(counts)]
    running_mean = np.cumsum(counts) / np.arange(1, len(counts) + 1)
    above = np.flatnonzero((window > 5 * 5 * running_mean) & (np.arange(len(counts)) >= 60))
    alarms: list[float] = []
    for minute in above.tolist():
        if not alarms or minute - alarms[-1] >= 30:
            alarms.append(float(minute))
    return alarms


def detectors(cli_args: Sequence[str] = ()) -> dict[str, Detector]:
    found = {"detect-series" + (" " + " ".join(cli_args) if cli_args else ""): via_cli(cli_args),
             "ServiceDetector": service_detector()}
    if "alarm_memory_weight" in {f.name for f in dataclasses.fields(DetectorParams)}:
        found["ServiceDetector, memory 0"] = service_detector(DetectorParams(alarm_memory_weight=0.0))
    found["naive 5-min sum > 5x mean"] = naive_five_minute_sum
    return found


def run_suite(part: str, per_family: int, days: int, runners: dict[str, Detector],
              families: Sequence[str] = FAMILIES) -> dict[str, dict[str, SeriesScore]]:
    """detector -> family -> summed score over the family's scenarios of one part."""
    scores = {name: {family: SeriesScore() for family in families} for name in runners}
    with tempfile.TemporaryDirectory() as tmp:
        for s in suite(part, per_family, days, tuple(families)):
            windows = [(o.start, o.end) for o in s.outages]
            for name, run in runners.items():
                scores[name][s.family] += score_alarms(run(s, Path(tmp)), windows, s.weeks)
    return scores


def _fmt(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def figures(score: SeriesScore) -> dict[str, float | int | None]:
    return {"outages": score.outages, "caught": score.caught, "false_alarms": score.false_alarms,
            "recall": score.recall, "false_alarms_per_series_week": score.false_alarms_per_week,
            "median_minutes_to_alarm": score.median_minutes_to_alarm}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=("tune", "report"), default="report")
    parser.add_argument("--per-family", type=int, default=16, help="scenarios per family (default 16)")
    parser.add_argument("--days", type=int, default=14, help="days per scenario (default 14)")
    parser.add_argument("--cli-arg", action="append", default=[], help="extra argument for detect-series")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    began = time.perf_counter()
    scores = run_suite(args.part, args.per_family, args.days, detectors(args.cli_arg))
    elapsed = time.perf_counter() - began
    overall = {name: sum(by_family.values(), SeriesScore()) for name, by_family in scores.items()}
    if args.json:
        print(json.dumps({name: {**{f: figures(s) for f, s in by_family.items()}, "overall": figures(overall[name])}
                          for name, by_family in scores.items()}, indent=1))
        return 0
    print(f"scenario suite, part {args.part}: {args.per_family} series x {args.days} days per family, "
          f"{len(FAMILIES) * args.per_family} series, {elapsed:.0f} s")
    print("recall / false alarms per series-week / median minutes to alarm (outages caught of outages)")
    names = list(scores)
    print(f"{'family':12} " + " ".join(f"{n[:30]:>31}" for n in names))
    for family in [*FAMILIES, "overall"]:
        cells = []
        for name in names:
            s = overall[name] if family == "overall" else scores[name][family]
            cell = (f"{_fmt(s.recall, '.2f')} / {s.false_alarms_per_week:5.2f} / "
                    f"{_fmt(s.median_minutes_to_alarm, '4.0f')}" + (f" ({s.caught}/{s.outages})" if s.outages else ""))
            cells.append(f"{cell:>31}")
        marker = "*" if family in OUTAGE_FAMILIES else " "
        print(f"{family + marker:12} " + " ".join(cells))
    print("* outage families; the others hold decoys or nothing, so only their false alarms count")
    return 0


if __name__ == "__main__":
    sys.exit(main())
