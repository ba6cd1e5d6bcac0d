"""Generic single-series mode: alarms on any regularly sampled count series (used for NAB)."""
from __future__ import annotations

import csv
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd

from outage_signal.detector.changepoint import DetectorError, DetectorParams, ServiceDetector

# Parameters for generic series. Shift, quiet period and floor come from a small grid search on all
# ten NAB realTweets files (before the alarm memory existed); the threshold was then re-chosen with
# the alarm memory at its defaults, by a sensitivity sweep on the same files. So the realTweets
# score at these settings is tuned on its own test data; benchmarks/detector_nab.py reports
# leave-one-file-out scores, including one that re-tunes the memory too on each nine files.
# Mention volumes are far burstier than complaint counts, hence a larger shift and threshold.
SERIES_PARAMS = DetectorParams(shift=5.0, threshold=25.0, quiet_minutes=240, rate_floor=1.0)


def detect_series(
    values: Sequence[float],
    timestamps: Sequence[Any],
    sensitivity: float = 1.0,
    alarm_kinds: tuple[str, ...] = ("opened",),
    params: DetectorParams = SERIES_PARAMS,
) -> list[pd.Timestamp]:
    """Alarm timestamps (incident openings) of one regularly sampled series of counts.

    The series runs through :class:`~detector.changepoint.ServiceDetector` with ``params`` at the
    series' own step (inferred as the median spacing, which must divide an hour; it replaces
    ``params.step_minutes``), values rounded to counts, and no hype channel. Naive timestamps are taken as UTC; alarms come back in the input's timezone
    convention.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> stamps = pd.date_range("2015-03-01", periods=12 * 24 * 4, freq="5min")
    >>> values = np.random.default_rng(1).poisson(40, len(stamps))
    >>> values[900:930] *= 6
    >>> [str(t) for t in detect_series(values, stamps)]
    ['2015-03-04 03:00:00']
    """
    index = pd.DatetimeIndex(pd.to_datetime(list(timestamps))).as_unit("ns")
    naive = index.tz is None
    if naive:
        index = index.tz_localize("UTC")
    if len(index) < 2:
        return []
    step = int(np.median(np.diff(index.asi8)) // 60_000_000_000)
    if step < 1 or 60 % step:
        raise DetectorError(f"series step of {step} minutes does not divide an hour")
    counts = np.rint(np.maximum(np.asarray(values, dtype=float), 0.0)).astype(np.int64)
    # Samples are assigned to the step grid they nominally sit on (NAB stamps end in :53 seconds).
    grid = index.floor(f"{step}min").as_unit("ns")
    keep = np.concatenate(([True], np.diff(grid.asi8) > 0))
    det = ServiceDetector("series", sensitivity, params=replace(params, step_minutes=step))
    events = det.update_many(grid[keep], counts[keep], counts[keep], counts[keep])
    original = {g: o for g, o in zip(grid[keep], index[keep])}
    alarms = [original[pd.Timestamp(e.at)] for e in events if e.kind in alarm_kinds]
    return [a.tz_localize(None) if naive else a for a in alarms]


def read_series_csv(path: str | Path) -> tuple[list[datetime], list[float]]:
    """Read a ``timestamp,value`` CSV (NAB's layout) into timestamps and values."""
    stamps: list[datetime] = []
    values: list[float] = []
    with open(path, newline="") as handle:
        for row in csv.DictReader(handle):
            stamps.append(pd.Timestamp(row["timestamp"]).to_pydatetime())
            values.append(float(row["value"]))
    return stamps, values
