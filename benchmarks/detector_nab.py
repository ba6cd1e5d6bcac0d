"""Score the detector's generic series mode on NAB realTweets exactly as NAB scores it.

The detector runs online (``detect_series(..., online=True)``, ``detect-series --online``): NAB's
rules forbid looking ahead, so it does not learn the file's normal before detecting, as
``detect-series`` does by default on a file of history.

Prints per-file and overall normalised scores for the three NAB profiles at the default
sensitivity (no tuning), then the score with the sensitivity tuned on all ten files (NAB's own
practice: it optimises each detector's threshold over the corpus) and, honestly, the
leave-one-file-out score: for each file the sensitivity is tuned on the other nine. Last, the
nested leave-one-file-out score of tuning the mention-volume profile's burst memory too: for each
file, the best of a grid of (burst_memory_weight, burst_memory_hours, sensitivity) on the other
nine, scored on it (the grid includes weight 0, the detector without memory).

Every choice of a setting, on all ten files or on nine, takes the setting whose score is best on
average over its sensitivity and the neighbouring ones in ``SENSITIVITIES`` (a plateau, not a peak):
the threshold that does best on nine files sits on a knife edge, and the tenth file falls off it.

With ``--lofo``, only the honest figure over every tuned parameter: for each file, the setting of
``LOFO_GRID`` x ``SENSITIVITIES`` chosen on the other nine files is scored on it. The grid covers
every parameter of ``SERIES_PARAMS`` (the mention-volume profile) that was chosen on these files:
shift, quiet period, rate floor, the burst memory's weight and half-life, whether the level
correction, the wander, the surge floor and the per-step cap are on as in the service detector or
off, and the threshold through the sensitivity, which divides it. The others keep their defaults,
which were not tuned on NAB; the evidence window is the detector's three hours, as issue 15 asks
(an incident's evidence comes from the last few hours at most). Each list includes the shipped
value. About ten minutes on two cores.

    python benchmarks/detector_nab.py [--data ../shared/data/nab] [--no-grid] [--lofo] [--workers N]
"""
from __future__ import annotations

import argparse
import itertools
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import fields, replace
from pathlib import Path
from typing import Callable, Hashable, Sequence

from outage_signal.detector import DetectorParams, detect_series, read_series_csv
from outage_signal.detector.nab import PROFILES, FileScore, load_windows, normalised, score_file
from outage_signal.detector.series import SERIES_PARAMS

SENSITIVITIES = [0.35, 0.5, 0.7, 1.0, 1.4, 2.0]
MEMORY_GRID = [(0.0, 336.0)] + [(w, h) for w in (0.5, 1.0, 2.0) for h in (168.0, 336.0, 672.0)]
# Every DetectorParams field tuned on NAB, with the values tried (the shipped value is added); a
# field the detector does not have (any more) is left out, and said so.
LOFO_GRID: dict[str, tuple[float, ...]] = {
    "shift": (3.0, 5.0, 8.0, 12.0),
    "quiet_minutes": (60, 240),
    "rate_floor": (0.0, 1.0),
    "burst_memory_weight": (0.0, 1.0),
    "burst_memory_hours": (168.0, 336.0, 672.0),
}
# The pieces the service detector has and mention-volume leaves off (chosen on NAB too): tried as one
# switch, off (shipped) or as in the service detector. (The minute-counts profile's sharp-rise test and
# hour-of-day smoothing are not in the grid: off, the mention-volume profile is the same as before them.)
MINUTE_COUNT_PIECES = ("level_hours", "wander_z", "min_surge_per_hour", "alarm_steps")


Scores = dict[str, dict[str, FileScore]]  # file -> profile -> score


def score_setting(series: dict[str, tuple], labels: Path, sensitivity: float,
                  params: DetectorParams = SERIES_PARAMS) -> Scores:
    """Every file's scores under every profile, for one detector setting."""
    scores: Scores = {}
    for name, (rows, values, stamps) in series.items():
        found = detect_series(values, stamps, sensitivity, params=params, online=True)  # NAB's rules: online
        alarms = [t.strftime("%Y-%m-%d %H:%M:%S") for t in found]
        windows = load_windows(labels, f"realTweets/{name}")
        scores[name] = {p: score_file(rows, alarms, windows, p) for p in PROFILES}
    return scores


def total(scores: Scores, names: list[str], profile: str) -> float:
    return normalised(scores[n][profile] for n in names)


Grid = dict[tuple[Hashable, float], Scores]  # (setting, sensitivity) -> scores


def plateau_total(grid: Grid, key: tuple[Hashable, float], names: list[str], profile: str) -> float:
    """A setting's score on ``names``, averaged over its sensitivity and the neighbouring ones."""
    setting, sensitivity = key
    i = SENSITIVITIES.index(sensitivity)
    near = SENSITIVITIES[max(0, i - 1):i + 2]
    return sum(total(grid[setting, s], names, profile) for s in near) / len(near)


def choose(grid: Grid, names: list[str], profile: str) -> tuple[Hashable, float]:
    """The setting and sensitivity with the best plateau score on ``names``."""
    return max(grid, key=lambda key: plateau_total(grid, key, names, profile))


def best_total(grid: dict[Hashable, Scores], names: list[str], profile: str) -> Hashable:
    """The setting with the best score on ``names`` (for grids without a sensitivity axis)."""
    return max(grid, key=lambda key: total(grid[key], names, profile))


def leave_one_file_out(grid: dict, profile: str, chooser: Callable = choose) -> float:
    """Score each file at the setting ``chooser`` picks on the other files."""
    names = list(next(iter(grid.values())))
    held_out = [grid[chooser(grid, [n for n in names if n != name], profile)][name][profile] for name in names]
    return normalised(held_out)


def score_grid(series: dict[str, tuple], labels: Path, settings: Sequence[tuple[Hashable, DetectorParams]],
               workers: int) -> Grid:
    """Every (setting, sensitivity)'s scores, the settings spread over ``workers`` processes."""
    jobs = [(key, params, s) for key, params in settings for s in SENSITIVITIES]
    with ProcessPoolExecutor(workers) as pool:
        results = pool.map(score_setting, itertools.repeat(series), itertools.repeat(labels),
                           [s for _, _, s in jobs], [params for _, params, _ in jobs], chunksize=4)
        return {(key, s): scores for (key, _, s), scores in zip(jobs, results)}


def lofo_settings() -> list[DetectorParams]:
    """Every combination of LOFO_GRID's values (the shipped values included) as detector parameters."""
    known = {f.name for f in fields(DetectorParams)}
    missing = sorted(set(LOFO_GRID) - known)
    if missing:
        print(f"(not in DetectorParams, left out of the grid: {', '.join(missing)})")
    axes = {name: sorted(set(values) | {getattr(SERIES_PARAMS, name)}) for name, values in LOFO_GRID.items()
            if name in known}
    minute_counts = {name: getattr(DetectorParams(), name) for name in MINUTE_COUNT_PIECES}
    settings = [replace(SERIES_PARAMS, **dict(zip(axes, combo)), **pieces)
                for combo in itertools.product(*axes.values()) for pieces in ({}, minute_counts)]
    # Without memory its half-life does nothing: one such setting, not one per half-life.
    return [p for p in settings if p.burst_memory_weight > 0 or p.burst_memory_hours == SERIES_PARAMS.burst_memory_hours]


def report_lofo(series: dict[str, tuple], labels: Path, workers: int) -> None:
    """Leave-one-file-out over every tuned parameter: per file the setting chosen on the other nine."""
    began = time.perf_counter()
    grid = score_grid(series, labels, [(params, params) for params in lofo_settings()], workers)
    names = list(series)
    tuned = [name for name in LOFO_GRID if name in {f.name for f in fields(DetectorParams)}] + ["level_hours"]
    print(f"leave-one-file-out over {', '.join(tuned)} and the threshold (sensitivity "
          f"{'/'.join(map(str, SENSITIVITIES))}): {len(grid)} settings, {time.perf_counter() - began:.0f} s")
    print(f"{'held-out file':32} {'standard':>8}  setting chosen on the other nine (standard profile)")
    for name in names:
        params, s = choose(grid, [n for n in names if n != name], "standard")
        chosen = ", ".join(f"{k}={getattr(params, k):g}" for k in tuned)
        print(f"{name:32} {normalised([grid[params, s][name]['standard']]):8.1f}  {chosen}, sensitivity={s:g}")
    for p in PROFILES:
        key = choose(grid, names, p)
        print(f"{p:20} leave-one-file-out: {leave_one_file_out(grid, p):.1f}   "
              f"(chosen on all ten files: {total(grid[key], names, p):.1f})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    default_data = Path(__file__).resolve().parents[2] / "shared" / "data" / "nab"
    parser.add_argument("--data", type=Path, default=default_data)
    parser.add_argument("--no-grid", action="store_true", help="skip the burst-memory grid (about a minute)")
    parser.add_argument("--lofo", action="store_true",
                        help="only the leave-one-file-out score over every tuned parameter (about ten minutes on two cores)")
    parser.add_argument("--workers", type=int, default=2, help="processes scoring the grids' settings")
    args = parser.parse_args()
    files = sorted((args.data / "realTweets").glob("*.csv"))
    labels = args.data / "labels" / "combined_windows.json"
    series = {}
    for path in files:
        stamps, values, _ = read_series_csv(path)
        series[path.name] = ([t.strftime("%Y-%m-%d %H:%M:%S") for t in stamps], values, stamps)
    names = list(series)
    if args.lofo:
        report_lofo(series, labels, args.workers)
        return 0
    scores = score_grid(series, labels, [("shipped", SERIES_PARAMS)], args.workers)

    default = 1.0
    untuned = scores["shipped", default]
    print(f"NAB realTweets, default sensitivity {default} (untuned)")
    print(f"{'file':32} {'TP':>3} {'FP':>3} {'FN':>3} " + " ".join(f"{p:>18}" for p in PROFILES))
    for name in names:
        st = untuned[name]["standard"]
        per_file = " ".join(f"{normalised([untuned[name][p]]):18.1f}" for p in PROFILES)
        print(f"{name:32} {st.true_positives:3d} {st.false_positives:3d} {st.missed_windows:3d} {per_file}")
    overall = " ".join(f"{total(untuned, names, p):18.1f}" for p in PROFILES)
    print(f"{'OVERALL (10 files)':44} {overall}")

    print("\nsensitivity sweep (overall normalised score):")
    for s in SENSITIVITIES:
        print(f"  {s:5.2f} " + " ".join(f"{p}={total(scores['shipped', s], names, p):.1f}" for p in PROFILES))
    for p in PROFILES:
        best = choose(scores, names, p)
        print(f"{p:20} tuned on all files (sensitivity {best[1]}): {total(scores[best], names, p):.1f}   "
              f"leave-one-file-out: {leave_one_file_out(scores, p):.1f}")
    if args.no_grid:
        return 0

    print("\nburst memory grid, standard profile (rows: weight, half-life in hours; columns: sensitivity)")
    print("             " + " ".join(f"{s:5.2f}" for s in SENSITIVITIES))
    grid = score_grid(series, labels, [((weight, hours), replace(SERIES_PARAMS, burst_memory_weight=weight,
                                                                 burst_memory_hours=hours))
                                       for weight, hours in MEMORY_GRID], args.workers)
    for weight, hours in MEMORY_GRID:
        row = " ".join(f"{total(grid[(weight, hours), s], names, 'standard'):5.1f}" for s in SENSITIVITIES)
        print(f"  {weight:3.1f} {hours:5.0f}h  {row}")
    print(f"nested leave-one-file-out (memory and sensitivity tuned on the other nine files): "
          f"{leave_one_file_out(grid, 'standard'):.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
