"""Generic single-series mode: alarms on any regularly sampled count series (used for NAB)."""
from __future__ import annotations

import csv
import io
import math
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Iterator, NamedTuple, Sequence

import numpy as np
import pandas as pd

from outage_signal.detector.changepoint import DetectorError, DetectorParams, ServiceDetector, detect_offline
from outage_signal.detector.incidents import IncidentEvent

# Settings by kind of series. ``minute-counts`` (MINUTE_COUNT_PARAMS), for per-minute complaint counts,
# are the service detector's own settings with nine changes chosen on the scenario suite's tune part
# for counts alone (benchmarks/detector_suite.py): the sharp-rise test, the hour-of-day smoothing, a
# per-step cap at a quarter of the alarm level, a lower surge floor (25 an hour, so a sparse service's
# outage of a few dozen complaints can alarm), an incident quiet once under a third of its highest
# count (quiet_peak_fraction, so an outage's aftermath does not swallow the next outage), the wander
# learnt by a young baseline discounted by its days (wander_youth_days 1.5), and, chosen on series
# begun at drawn hours of the week, an incident the CUSUM opens only if its run began abruptly
# (onset_ratio 2.5: at 2.5 times the hour before it) unless its evidence has reached four times the
# alarm level (onset_override 4, so an outage that ramps up over hours still opens; chosen on the tune
# part and on its ramps made twice as slow, --ramp-scale 2), the test asking at most 1.1 times the
# CUSUM's break-even rate (onset_break_even, so about twice the hour before where the wander has not
# raised the shift: a ramp, or an outage at twice or thrice a busy hour's rate, seldom reaches 2.5 times
# it; checked on the tune part and on benchmarks/detector_issue_reading.py, a second reading of issue
# 15's scenarios). Its threshold (14) and the wander's deviations (3) are the service detector's again
# since detect_series learns a file's normal before detecting it: both were chosen anew then, on the
# tune part (the online detector had had 13 and 3.75). In a calm hour, one the model predicts well
# (calm_threshold: small learnt wander, 30 or more counts an hour, no bursts of several minutes), the
# threshold is 10: about a minute sooner on outages that ramp up (benchmarks/detector_issue_reading.py,
# a second reading of issue 15's scenarios), the suite's tune part and the real background's unchanged.
# (The service detector counts distinct authors, so a bot barely moves it; on the tune part the first
# four did not help it, and it keeps its defaults.)
# ``mention-volume`` (SERIES_PARAMS) suits the far burstier volumes of all mentions, NAB's 5-minute
# Twitter volumes: a far larger shift (12: only a burst of many times the usual volume is evidence), a
# larger threshold, a longer quiet period, and a memory of its own bursts with a four-week half-life
# (news comes in runs); the rate floor, the level correction, the wander and the per-step cap are off,
# and so are the surge floor, the hour-of-day smoothing and the sharp-rise test (tried there only as
# part of the minute-count pieces in benchmarks/detector_nab.py --lofo). All of these were chosen on the
# ten realTweets files, each setting by its score averaged over its sensitivity and the neighbouring
# ones (a plateau, not a peak), so benchmarks/detector_nab.py --lofo scores them leave-one-file-out.
SERIES_PARAMS = DetectorParams(shift=12.0, threshold=25.0, quiet_minutes=240, rate_floor=0.0, level_hours=0.0,
                               wander_z=0.0, min_surge_per_hour=0.0, alarm_steps=1, burst_memory_weight=1.0,
                               burst_memory_hours=672.0, day_smoothing=0.0, rise_steps=0)
MINUTE_COUNT_PARAMS = DetectorParams(alarm_steps=4, day_smoothing=0.25, rise_steps=10,
                                     quiet_peak_fraction=0.33, wander_youth_days=1.5,
                                     min_surge_per_hour=25.0, onset_ratio=2.5, onset_override=4.0,
                                     onset_break_even=1.1, calm_threshold=10.0)
PROFILES = {"minute-counts": MINUTE_COUNT_PARAMS, "mention-volume": SERIES_PARAMS}


def series_profile(step_minutes: int, values: Sequence[float]) -> str:
    """The profile ``auto`` picks: ``minute-counts`` for a one-minute series of whole numbers,
    ``mention-volume`` for anything else (a longer step, or values that are not counts).

    >>> series_profile(1, [0, 2, 1]), series_profile(5, [40, 38]), series_profile(1, [0.5, 2.25])
    ('minute-counts', 'mention-volume', 'mention-volume')
    """
    counts = np.asarray(values, dtype=float)
    whole = bool(np.all(counts == np.round(counts)))
    return "minute-counts" if step_minutes == 1 and whole else "mention-volume"


def detect_series(
    values: Sequence[float],
    timestamps: Sequence[Any],
    sensitivity: float = 1.0,
    profile: str = "auto",
    params: DetectorParams | None = None,
    mentions: Sequence[float] | None = None,
    online: bool = False,
) -> list[pd.Timestamp]:
    """Alarm timestamps (incident openings) of one regularly sampled series of counts: the ``at`` of
    the ``opened`` events of :func:`series_events`, which takes the same arguments.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> stamps = pd.date_range("2015-03-01", periods=12 * 24 * 4, freq="5min")
    >>> values = np.random.default_rng(1).poisson(40, len(stamps))
    >>> values[900:930] *= 6
    >>> [str(t) for t in detect_series(values, stamps)]
    ['2015-03-04 03:00:00']
    """
    events = series_events(values, timestamps, sensitivity, profile, params, mentions, online)
    return [e.at for e in events if e.kind == "opened"]


def series_events(
    values: Sequence[float],
    timestamps: Sequence[Any],
    sensitivity: float = 1.0,
    profile: str = "auto",
    params: DetectorParams | None = None,
    mentions: Sequence[float] | None = None,
    online: bool = False,
) -> list[IncidentEvent]:
    """Every incident event (opened, escalated, resolved) of one regularly sampled series of counts.

    The series runs through :class:`~detector.changepoint.ServiceDetector` at the series' own
    step (inferred as the median spacing, which must divide an hour; it replaces
    ``step_minutes``), values rounded to counts. The series is history, so by default the detector
    first learns its normal from all of it and then replays it
    (:func:`~detector.changepoint.detect_offline`: the hours of the incidents it finds are not
    learnt, every count is clipped): each alarm is where a detector that already knew the series'
    rhythm and wander would have raised it, from the steps up to the alarm, and the first day is
    not lost to the warm-up. ``online=True`` runs the detector as it runs live instead: every alarm
    decided on the steps before it alone, none in the first day (the warm-up); NAB's rules ask for
    that. ``mentions``, if given, are each step's mentions of the service, the counted ones
    included: the hype channel, so a rise of all mentions at once (news, a launch) is not taken
    for an outage of the counted ones. The settings are
    ``params`` if given, else those of ``profile``: a name in :data:`PROFILES`, or ``auto`` to
    choose by :func:`series_profile`. Each event's ``at`` and ``started_at`` are input timestamps
    (naive ones are taken as UTC and come back naive); its service is ``series``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> stamps = pd.date_range("2026-01-05", periods=3 * 1440, freq="min")
    >>> values = np.random.default_rng(2).poisson(2.0, len(stamps))
    >>> values[2000:2060] += 10                                  # an hour at six times the usual
    >>> for e in series_events(values, stamps):
    ...     print(e.kind, e.at, "started", e.started_at, e.complaints, "complaints")
    opened 2026-01-06 09:23:00 started 2026-01-06 09:20:00 49 complaints
    resolved 2026-01-06 10:55:00 started 2026-01-06 09:20:00 791 complaints
    """
    if profile != "auto" and profile not in PROFILES:
        raise DetectorError(f"unknown profile {profile!r}; expected auto, {', '.join(PROFILES)}")
    index = pd.DatetimeIndex(pd.to_datetime(list(timestamps))).as_unit("ns")
    naive = index.tz is None
    if naive:
        index = index.tz_localize("UTC")
    if len(index) < 2:
        return []
    step = int(np.median(np.diff(index.asi8)) // 60_000_000_000)
    if step < 1 or 60 % step:
        raise DetectorError(f"series step of {step} minutes does not divide an hour")
    if params is None:
        params = PROFILES[series_profile(step, values) if profile == "auto" else profile]
    counts = _as_counts(values)
    every = counts if mentions is None else _as_counts(mentions)
    if len(every) != len(counts):
        raise DetectorError(f"{len(every)} mentions for {len(counts)} values; expected one per step")
    # Samples are assigned to the step grid they nominally sit on (NAB stamps end in :53 seconds).
    grid = index.floor(f"{step}min").as_unit("ns")
    keep = np.concatenate(([True], np.diff(grid.asi8) > 0))
    steps, counts, every = grid[keep], counts[keep], every[keep]
    params = replace(params, step_minutes=step)
    if online:
        events = ServiceDetector("series", sensitivity, params=params).update_many(steps, counts, counts, every)
    else:
        frame = pd.DataFrame({"complaints": counts, "authors": counts, "mentions": every}, index=steps)
        events = detect_offline(frame, "series", sensitivity, params=params)
    # Each event's steps back at their input timestamps, in the input's timezone convention.
    stamps = index[keep].tz_localize(None) if naive else index[keep]
    moments = pd.DatetimeIndex([m for e in events for m in (e.at, e.started_at)], tz="UTC").as_unit("ns")
    at = stamps[steps.searchsorted(moments)]
    return [replace(e, at=at[2 * i], started_at=at[2 * i + 1]) for i, e in enumerate(events)]


def _as_counts(values: Sequence[float]) -> np.ndarray:
    """Values rounded to whole counts, negatives as 0."""
    return np.rint(np.maximum(np.asarray(values, dtype=float), 0.0)).astype(np.int64)


class Series(NamedTuple):
    """One series as read from a CSV: its timestamps, values and, if the file has them, mentions."""

    timestamps: list[datetime]
    values: list[float]
    mentions: list[float] | None


def read_series_csv(path: str | Path, fill_step: int | None = None) -> Series:
    """Read a ``timestamp,value`` CSV (NAB's layout), with an optional ``mentions`` column.

    The header names the columns (in any order; other columns are ignored). Timestamps are ISO
    8601, all naive (taken as UTC) or all with a zone, evenly spaced by a step of whole minutes
    that divides an hour, none missing; values and mentions are finite numbers. Anything else
    raises :class:`DetectorError` naming the file, the line and what was expected.

    ``fill_step`` (minutes) reads counts exported with their empty steps left out, as a
    ``GROUP BY minute`` query writes them: the step is ``fill_step`` instead of the first
    spacing, and each absent step between two rows is a 0. Rows must still fall on that step.
    """
    data = _read_bytes(path)
    try:
        text = data.decode("utf-8-sig")  # a BOM, as spreadsheets write, is not part of the header
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise DetectorError(f"{path}: line {line}: not UTF-8 text; expected a timestamp,value CSV") from None
    return _parse_series(path, _numbered_rows(path, text), fill_step)


def _numbered_rows(path: str | Path, text: str) -> Iterator[tuple[int, list[str]]]:
    """Each CSV row with the number of the line it ends on, as :func:`csv.reader` reads them. A file
    with no quote, NUL or lone carriage return (what exports write) is split on its newlines and
    commas directly, which reads the same rows in a quarter of the time."""
    lines = text.replace("\r\n", "\n")
    if '"' not in lines and "\r" not in lines and "\0" not in lines:
        pieces = lines.split("\n")
        if pieces[-1] == "":
            pieces.pop()  # the last line's newline ends it; it starts no empty row
        for number, line in enumerate(pieces, start=1):
            yield number, line.split(",") if line else []
        return
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        for row in reader:
            yield reader.line_num, row
    except csv.Error as exc:  # a field beyond csv's size limit
        raise DetectorError(f"{path}: line {reader.line_num}: {exc}") from None


def _read_bytes(path: str | Path) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise DetectorError(f"{path}: cannot read: {exc.strerror}") from None


def _parse_series(path: str | Path, rows: Iterator[tuple[int, list[str]]], fill_step: int | None) -> Series:
    if fill_step is not None and (fill_step <= 0 or 60 % fill_step):
        raise DetectorError(f"{path}: a fill step of {fill_step} minutes; expected whole minutes that divide an hour")
    header_line, header = next(rows, (0, None))
    if header is None:
        raise DetectorError(f"{path}: empty file; expected a header line timestamp,value")
    columns = [name.strip() for name in header]
    missing = [name for name in ("timestamp", "value") if name not in columns]
    if missing:
        raise DetectorError(f"{path}: line {header_line}: header {','.join(header)!r} lacks the column(s) "
                            f"{', '.join(missing)}; expected timestamp,value")
    at_stamp, at_value = columns.index("timestamp"), columns.index("value")
    at_mentions = columns.index("mentions") if "mentions" in columns else None
    stamps: list[datetime] = []
    values: list[float] = []
    mentions: list[float] | None = None if at_mentions is None else []
    step = None if fill_step is None else timedelta(minutes=fill_step)
    naive = None
    for line, row in rows:
        if not row:
            continue  # a blank line
        if len(row) != len(header):
            raise DetectorError(f"{path}: line {line}: {len(row)} field(s); expected {len(header)}, as in the header")
        stamp = _timestamp(path, line, row[at_stamp])
        value = _value(path, line, row[at_value], "value")
        mention = 0.0 if at_mentions is None else _value(path, line, row[at_mentions], "mentions")
        if naive is None:
            naive = stamp.tzinfo is None
        elif (stamp.tzinfo is None) != naive:
            raise DetectorError(f"{path}: line {line}: timestamp {row[at_stamp]!r}; expected every timestamp with "
                                "a time zone or every one without, as in the first row")
        elif (gap := stamp - stamps[-1]) != step:  # the usual row is one step after the last: nothing to check
            where = f"{path}: line {line}"
            if gap <= timedelta(0):
                raise DetectorError(f"{where}: {_minutes(gap)} after the previous row; expected a later timestamp")
            if step is None:
                if gap % timedelta(minutes=1) or 60 % (gap // timedelta(minutes=1)):
                    raise DetectorError(f"{where}: {_minutes(gap)} after the previous row; "
                                        "expected a step of whole minutes that divides an hour")
                step = gap
            elif fill_step is not None and not gap % step:
                absent = gap // step - 1
                last = stamps[-1]
                stamps.extend(last + step * (i + 1) for i in range(absent))
                values.extend([0.0] * absent)
                if mentions is not None:
                    mentions.extend([0.0] * absent)
            else:
                hint = ("" if fill_step is not None else
                        "; if rows of 0 were left out, read it with a fill step (detect-series --fill-missing)")
                raise DetectorError(f"{where}: {_minutes(gap)} after the previous row; expected the series' "
                                    f"step of {_minutes(step)} (evenly spaced rows, none missing){hint}")
        stamps.append(stamp)
        values.append(value)
        if mentions is not None:
            mentions.append(mention)
    if not stamps:
        raise DetectorError(f"{path}: no rows after the header; expected timestamp,value rows")
    return Series(stamps, values, mentions)


def _timestamp(path: str | Path, line: int, field: str) -> datetime:
    try:
        return datetime.fromisoformat(field.strip())
    except ValueError:
        raise DetectorError(f"{path}: line {line}: timestamp {field!r} is not an ISO 8601 date-time "
                            "(like 2015-03-01 00:05:00)") from None


def _value(path: str | Path, line: int, field: str, column: str) -> float:
    try:
        value = float(field)
    except ValueError:
        raise DetectorError(f"{path}: line {line}: {column} {field!r} is not a number") from None
    if not math.isfinite(value):
        raise DetectorError(f"{path}: line {line}: {column} {field!r} is not a finite number")
    return value


def _minutes(span: timedelta) -> str:
    return f"{span / timedelta(minutes=1):g} minutes"
