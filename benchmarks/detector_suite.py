"""The detector on its own evaluation suite (``detector/scenarios.py``): minute complaint counts with known outages.

Runs, on every scenario of one part (``report`` by default; ``tune`` is the part to choose settings on):

* ``detect-series``: ``outage-signal detect-series`` on a ``timestamp,value`` CSV of the scenario's
  per-minute complaint counts, through the CLI itself (click's runner, in process), exactly as a user
  or the hidden minute-level evaluation runs it;
* ``detect-series --online``: the same as the live detector runs it, each alarm from the minutes before
  it alone (by default ``detect-series`` first learns the file's normal from all of it);
* ``detect-series, mentions column``: the same with each minute's mentions (complaints included) as a
  third column, the hype channel a user with mention counts can give it;
* ``ServiceDetector``: the service detector with its defaults, online from a cold start, fed the
  scenario's complaints, distinct authors and mentions;
* ``naive 5-min sum``: an alarm when the last five minutes' complaints exceed five times the mean
  five-minute count of the series so far (at most one alarm per 30 minutes);
* ``oracle``: not a detector but a ceiling: a scan that is *told* each minute's true background mean
  (rhythm, hourly wander, hype, growth: what a detector has to learn) and alarms when some window of
  3-180 minutes holds more complaints than that mean allows. What it misses no detector can catch at
  its false-alarm rate; the distance to it is what learning the background costs.

Prints recall, false alarms per series-week and the median minutes from outage start to alarm, per
family and overall (scored by :func:`outage_signal.evaluation.score_alarms`: caught by an alarm in
[start, end]; an alarm more than 30 min from every outage is false).

    python benchmarks/detector_suite.py [--part tune|report] [--per-family 16] [--days 14] [--wander-scale 1]
                                        [--wander-shape hourly|continuous] [--start-hour HOUR|drawn] [--skip-hours 36] [--ramp-scale 2]
                                        [--cli-arg=--sensitivity --cli-arg=1.5] [--only detect-series] [--json]
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
from outage_signal.detector.scenarios import FAMILIES, OUTAGE_FAMILIES, WANDER_SHAPES, Scenario, suite
from outage_signal.evaluation import SeriesScore, score_alarms

Detector = Callable[[Scenario, Path], list[float]]  # alarm times, minutes from the scenario's start


def _minutes_since_start(times: Sequence[pd.Timestamp], s: Scenario) -> list[float]:
    start = s.start.tz_localize(None)
    return [(pd.Timestamp(t).tz_localize(None) - start) / pd.Timedelta(minutes=1) for t in times]


def via_cli(extra_args: Sequence[str] = (), mentions: bool = False) -> Detector:
    """``detect-series`` on the scenario's ``timestamp,value`` CSV (with its ``mentions`` column if asked)."""
    runner = CliRunner()

    def run(s: Scenario, workdir: Path) -> list[float]:
        path = s.write_csv(workdir / f"{s.name}.csv", mentions=mentions)
        result = runner.invoke(cli, ["detect-series", str(path), *extra_args], catch_exceptions=False)
        if result.exit_code != 0:
            raise RuntimeError(f"detect-series {path}: exit {result.exit_code}: {result.output}")
        header, *alarms = result.output.splitlines()
        return _minutes_since_start([pd.Timestamp(line) for line in alarms], s)
    return run


def service_detector(params: DetectorParams = DetectorParams()) -> Detector:
    def run(s: Scenario, workdir: Path) -> list[float]:
        det = ServiceDetector("scenario", params=params)
        events = det.update_many(s.minutes, s.complaints, s.authors, s.mentions)
        return _minutes_since_start([e.at for e in events if e.kind == "opened"], s)
    return run


def naive_five_minute_sum(s: Scenario, workdir: Path) -> list[float]:
    """:func:`naive_alarms` on a scenario's complaints."""
    return naive_alarms(s.complaints)


def naive_alarms(complaints: np.ndarray) -> list[float]:
    """An alarm when the last 5 minutes' sum exceeds 5x the running mean 5-minute sum; then 30 min hold."""
    counts = complaints.astype(float)
    window = np.convolve(counts, np.ones(5))[: len(counts)]
    running_mean = np.cumsum(counts) / np.arange(1, len(counts) + 1)
    above = np.flatnonzero((window > 5 * 5 * running_mean) & (np.arange(len(counts)) >= 60))
    alarms: list[float] = []
    for minute in above.tolist():
        if not alarms or minute - alarms[-1] >= 30:
            alarms.append(float(minute))
    return alarms


ORACLE_WINDOWS = (3, 5, 10, 15, 30, 60, 120, 180)  # minutes
ORACLE_LEVEL = 12.0  # evidence to open; on the tune part the highest recall under 0.5 false alarms per series-week


def oracle_scan(s: Scenario, workdir: Path) -> list[float]:
    """:func:`oracle_alarms` on a scenario's complaints and true background mean."""
    return oracle_alarms(s.complaints, s.background)


def oracle_alarms(complaints: np.ndarray, mean: np.ndarray, dispersion: float = 0.2) -> list[float]:
    """Alarms of a scan told the true background mean: for each window, the excess's evidence is the
    smaller of its Gaussian z**2 / 2 (negative binomial variance at ``dispersion``, by default the
    suite's largest) and its Poisson log-likelihood ratio. An incident opens above ``ORACLE_LEVEL`` and
    closes once the last 15 minutes have held no excess (evidence under 1) for 30 minutes; windows
    reaching back into a closed incident do not count, so an outage's own complaints never open a
    second one."""
    counts = complaints.astype(float)

    def windows(values: np.ndarray, length: int) -> np.ndarray:
        total = np.concatenate((np.zeros(length), np.cumsum(values)))
        return total[length:] - total[:-length]  # the sums of the windows ending at each minute
    evidence = []
    for length in ORACLE_WINDOWS:
        x, expected, variance = (windows(v, length) for v in (counts, mean, mean + dispersion * mean ** 2))
        excess = x - expected
        poisson = np.where(excess > 0, x * np.log(np.maximum(x, 1e-9) / np.maximum(expected, 1e-9)) - excess, 0.0)
        score = np.where(excess >= 3, np.minimum(excess ** 2 / (2 * np.maximum(variance, 1e-9)), poisson), 0.0)
        evidence.append(score.tolist())
    alarms: list[float] = []
    is_open, quiet, closed_at = False, 0, -1
    short = [k for k, length in enumerate(ORACLE_WINDOWS) if length <= 15]
    for minute in range(len(counts)):
        if is_open:
            quiet = quiet + 1 if max(evidence[k][minute] for k in short) < 1.0 else 0
            if quiet >= 30:
                is_open, closed_at = False, minute
        elif max((evidence[k][minute] for k, length in enumerate(ORACLE_WINDOWS)
                  if minute - length >= closed_at), default=0.0) > ORACLE_LEVEL:
            alarms.append(float(minute))
            is_open, quiet = True, 0
    return alarms


def detectors(cli_args: Sequence[str] = ()) -> dict[str, Detector]:
    found = {"detect-series" + (" " + " ".join(cli_args) if cli_args else ""): via_cli(cli_args),
             "detect-series --online": via_cli([*cli_args, "--online"]),
             "detect-series, mentions column": via_cli(cli_args, mentions=True),
             "ServiceDetector": service_detector()}
    found["naive 5-min sum > 5x mean"] = naive_five_minute_sum
    found["oracle (told the true mean)"] = oracle_scan
    return found


RATE_BANDS = (("sparse < 0.5/min", 0.0, 0.5), ("0.5-5/min", 0.5, 5.0), ("busy >= 5/min", 5.0, float("inf")))


@dataclasses.dataclass
class SeriesResult:
    family: str
    name: str
    usual_rate: float
    scores: dict[str, SeriesScore]  # detector -> score


def run_suite(part: str, per_family: int, days: int, runners: dict[str, Detector],
              families: Sequence[str] = FAMILIES, wander_scale: float = 1.0,
              wander_shape: str = "hourly", start_hour: int | None = 0, skip_hours: int = 0,
              ramp_scale: float = 1.0) -> list[SeriesResult]:
    """Every detector's score on every scenario of one part (each with its first ``skip_hours`` cut off)."""
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for s in suite(part, per_family, days, tuple(families), wander_scale, wander_shape, start_hour, ramp_scale):
            s = s.from_hour(skip_hours)
            windows = [(o.start, o.end) for o in s.outages]
            results.append(SeriesResult(s.family, s.name, s.usual_rate,
                                        {name: score_alarms(run(s, Path(tmp)), windows, s.weeks)
                                         for name, run in runners.items()}))
    return results


def summed(results: Sequence[SeriesResult], detector: str, keep: Callable[[SeriesResult], bool]) -> SeriesScore:
    return sum((r.scores[detector] for r in results if keep(r)), SeriesScore())


def groups(families: Sequence[str]) -> list[tuple[str, Callable[[SeriesResult], bool]]]:
    """The table's rows: each family, overall, then the outage families by the service's usual rate."""
    rows: list[tuple[str, Callable[[SeriesResult], bool]]] = [
        (family + ("*" if family in OUTAGE_FAMILIES else ""), lambda r, f=family: r.family == f) for family in families]
    rows.append(("overall", lambda r: True))
    rows += [(f"* {band}", lambda r, lo=lo, hi=hi: r.family in OUTAGE_FAMILIES and lo <= r.usual_rate < hi)
             for band, lo, hi in RATE_BANDS]
    return rows


def _fmt(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def figures(score: SeriesScore) -> dict[str, float | int | None]:
    return {"outages": score.outages, "caught": score.caught, "false_alarms": score.false_alarms,
            "recall": score.recall, "false_alarms_per_series_week": score.false_alarms_per_week,
            "median_minutes_to_alarm": score.median_minutes_to_alarm}


def _start_hour(text: str) -> int | None:
    if text == "drawn":
        return None
    if not text.isdigit() or int(text) >= 168:
        raise argparse.ArgumentTypeError(f"an hour of the week (0-167) or 'drawn', not {text!r}")
    return int(text)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=("tune", "report"), default="report")
    parser.add_argument("--per-family", type=int, default=16, help="scenarios per family (default 16)")
    parser.add_argument("--days", type=int, default=14, help="days per scenario (default 14)")
    parser.add_argument("--wander-scale", type=float, default=1.0,
                        help="multiply the wander's sigma, of either shape (0: a smooth weekly rhythm; default 1: NAB's)")
    parser.add_argument("--wander-shape", choices=WANDER_SHAPES, default="hourly",
                        help="the wander as a level per hour (default) or drifting minute by minute, with the "
                             "same hourly statistics")
    parser.add_argument("--start-hour", type=_start_hour, default=0, metavar="HOUR|drawn",
                        help="the hour of the week each series begins at (default 0: Monday 00:00 UTC), or "
                             "'drawn': each its own, drawn from its seed")
    parser.add_argument("--skip-hours", type=int, default=0, metavar="HOURS",
                        help="cut each series' first hours off (default 0): no outage falls in a scenario's first "
                             "two days, so with 36 the first ones fall from hour 12 on, in the warm-up and first day")
    parser.add_argument("--ramp-scale", type=float, default=1.0,
                        help="multiply every ramping outage's ramp, at most to the whole outage (default 1: 25-50 %% "
                             "of it in the ramping family; 2: 50-100 %%): how fast complaints ramp up is an assumption")
    parser.add_argument("--cli-arg", action="append", default=[], help="extra argument for detect-series")
    parser.add_argument("--only", help="run only the detector of this name, or those whose name contains it (e.g. mentions)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    began = time.perf_counter()
    found = detectors(args.cli_arg)
    # A detector's whole name picks it alone ("detect-series" is also part of the mentions variant's name).
    runners = ({args.only: found[args.only]} if args.only in found else
               {name: run for name, run in found.items() if not args.only or args.only in name})
    if not runners:
        parser.error(f"no detector's name contains {args.only!r}")
    results = run_suite(args.part, args.per_family, args.days, runners, wander_scale=args.wander_scale,
                        wander_shape=args.wander_shape, start_hour=args.start_hour, skip_hours=args.skip_hours,
                        ramp_scale=args.ramp_scale)
    elapsed = time.perf_counter() - began
    rows = groups(FAMILIES)
    if args.json:
        print(json.dumps({name: {label: figures(summed(results, name, keep)) for label, keep in rows}
                          for name in runners}, indent=1))
        return 0
    print(f"scenario suite, part {args.part}: {args.per_family} series x {args.days} days per family, "
          f"wander x {args.wander_scale:g} ({args.wander_shape}), "
          f"beginning at hour {'drawn' if args.start_hour is None else args.start_hour} of the week"
          f"{f', first {args.skip_hours} hours cut off' if args.skip_hours else ''}"
          f"{f', ramps x {args.ramp_scale:g}' if args.ramp_scale != 1 else ''}, "
          f"{len(results)} series, {elapsed:.0f} s")
    print("recall / false alarms per series-week / median minutes to alarm (outages caught of outages)")
    print(f"{'':22} " + " ".join(f"{n[:31]:>31}" for n in runners))
    for label, keep in rows:
        cells = []
        for name in runners:
            s = summed(results, name, keep)
            cell = (f"{_fmt(s.recall, '.2f')} / {s.false_alarms_per_week:5.2f} / "
                    f"{_fmt(s.median_minutes_to_alarm, '4.0f')}" + (f" ({s.caught}/{s.outages})" if s.outages else ""))
            cells.append(f"{cell:>31}")
        print(f"{label:22} " + " ".join(cells))
    print("* outage families (the others hold decoys or nothing: only their false alarms count); the last rows "
          "split the outage families by the service's usual complaint rate")
    return 0


if __name__ == "__main__":
    sys.exit(main())
