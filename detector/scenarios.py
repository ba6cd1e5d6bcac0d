"""Seeded minute-level complaint-count scenarios with known outages: the detector's own evaluation suite.

Each :class:`Scenario` is one service's per-minute complaint counts over a few weeks (``complaints``,
plus ``authors`` and ``mentions`` for :class:`~detector.changepoint.ServiceDetector`) and its truth:
the outage windows (:class:`Outage`). :func:`suite` yields every family's scenarios for one part:
``tune`` to choose settings on, ``report`` (other seeds) to report on. Scores come from
:func:`outage_signal.evaluation.score_alarms`; ``benchmarks/detector_suite.py`` runs the detectors.

Background (every family)
    A mean rate drawn log-uniformly from 0.05 to 20 complaints a minute (a sparse service to a busy
    one; slow growth starts lower), shaped by the weekly rhythm (168 hours of the week) of one of
    NAB's ten realTweets series, with hour-to-hour wander (a log-normal AR(1) factor) whose sigma and
    lag-1 correlation are that series' own (``datasets/scenario-stats/nab-rhythm.json``). That wander
    steps at each hour's start; real volumes do not (in NAB's 5-minute counts two bins 30 minutes apart
    correlate as much across an hour's start as within an hour), so ``wander_shape="continuous"``
    draws it instead as a log-level drifting minute by minute (Ornstein-Uhlenbeck) whose hourly counts
    have the same series' hourly statistics: a check of how much the figures owe to the wander's shape,
    which no minute-level complaint data here pins down. Minute
    counts are negative binomial around that rate (gamma-Poisson, variance ``mu + a mu**2``, ``a``
    log-uniform 0.02-0.2: an assumption, no minute-level complaint data to fit it on). Non-complaint
    chatter (``mentions - complaints``) is 2-6 times the complaint rate with the same rhythm.
    No outage or decoy falls in the first two days (the warm-up). A series begins on Monday at 00:00
    UTC (``start_hour=0``) unless told to begin at another hour of its week: a detector's first days
    depend on the hour it starts at, and :func:`suite` can give each scenario its own
    (:func:`drawn_start_hour`).

Outage statistics (``datasets/scenario-stats/github-incidents.json``, from githubstatus.com's 819
incidents 2022-2026, minor/major/critical impacts)
    Durations: GitHub's empirical duration distribution restricted to 15-180 minutes. How often: the
    gaps between consecutive outage starts are drawn from GitHub's empirical gaps (median 25 h; 30 %
    are 12-36 h, hence the repeat family). Size: 3x to 40x the usual rate (log-uniform), the issue's
    range; outage complaints are Poisson (many distinct people) on top of the background. Ramp: no
    real data gives how fast complaints ramp up, so sudden outages reach full size in 1-3 minutes
    and ramping ones over 25-50 % of their duration (linear): an assumption, stated (``ramp_scale``
    slows them, to check a detector against it).

Families (``FAMILIES``; decoys are not outages and an alarm on them is a false alarm)
    ``sudden``      outages at GitHub's durations and frequency, full size within 1-3 minutes.
    ``ramping``     the same, ramping up linearly over 25-50 % of the duration.
    ``short``       15-minute sudden outages at GitHub's frequency.
    ``long``        3-hour outages, half sudden, half ramping over 30-60 minutes.
    ``repeat``      outages a day apart (23-25 h): two or three in a row, each week.
    ``blips``       one to three one-minute spikes a day at 3x-40x the usual rate (decoys).
    ``hype``        one whole day a week at 1.5x-2.5x complaints and chatter alike (decoy).
    ``bots``        one bot a day posting 1-4 complaints a minute for 5-20 minutes at a random time;
                    it is one author, so ``authors`` rises by one a minute (decoy).
    ``slow_growth`` a service growing 5x-20x over the series from a trickle (0.02-0.2 a minute), no
                    outage: its new normal must be learnt, never alarmed.
    ``quiet``       background only.

>>> s = scenario("sudden", "tune", 0, days=7)
>>> len(s.complaints), s.weeks, s.outages[0].end - s.outages[0].start > 0
(10080, 1.0, True)
>>> np.array_equal(scenario("sudden", "tune", 0, days=7).complaints, s.complaints)
True
"""
from __future__ import annotations

import csv
import json
import zlib
from dataclasses import dataclass, replace
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Callable, Iterator

import numpy as np
import pandas as pd
from scipy.signal import lfilter

FAMILIES = ("sudden", "ramping", "short", "long", "repeat", "blips", "hype", "bots", "slow_growth", "quiet")
OUTAGE_FAMILIES = ("sudden", "ramping", "short", "long", "repeat")
PARTS = ("tune", "report")
WANDER_SHAPES = ("hourly", "continuous")
START = pd.Timestamp("2026-01-05 00:00", tz="UTC")  # a Monday: hour of week 0 is the NAB shape's first hour
WARMUP_MINUTES = 2 * 1440
MINUTES_PER_WEEK = 7 * 1440
DURATION_RANGE = (15, 180)  # minutes: the outages run from 15 minutes to 3 hours
MULTIPLE_RANGE = (3.0, 40.0)  # outage size, times the usual rate
RATE_RANGE = (0.05, 20.0)  # complaints a minute, sparse to busy
DISPERSION_RANGE = (0.02, 0.2)  # negative binomial a (variance mu + a mu**2)
CHATTER_RANGE = (2.0, 6.0)  # non-complaint mentions per complaint


@dataclass(frozen=True)
class Outage:
    """An outage over minutes ``[start, end)`` of its scenario (minute 0 is the scenario's start)."""

    start: int
    end: int
    multiple: float
    """Complaints during the outage, at full size, as a multiple of the usual rate."""
    ramp_minutes: int
    """Minutes to reach full size (1 for a step)."""


@dataclass(frozen=True)
class Scenario:
    family: str
    part: str
    index: int
    complaints: np.ndarray
    """Per-minute complaint counts (the ``value`` of a ``timestamp,value`` CSV)."""
    authors: np.ndarray
    """Per-minute distinct complaining authors (fewer than complaints only where a bot posts)."""
    mentions: np.ndarray
    """Per-minute mentions, complaints included."""
    background: np.ndarray
    """The expected background complaints per minute (rhythm, wander, growth, hype, blips; no outage, no bot)."""
    surge: np.ndarray
    """The expected outage complaints per minute on top of the background (0 outside outages)."""
    hype: np.ndarray
    """The hype factor each minute (1 outside hype days): complaints and chatter alike are multiplied by it."""
    outages: tuple[Outage, ...]
    decoys: tuple[tuple[int, int], ...]
    """Minutes ``[start, end)`` of blips, hype days and bot bursts: surges that are not outages."""
    usual_rate: float
    """The background's mean rate before growth, complaints a minute."""
    rhythm_file: str
    """The NAB realTweets file whose weekly shape and wander the background follows."""
    start: pd.Timestamp = START
    """The first minute: START, or as many hours after it as the scenario's ``start_hour``."""

    @property
    def minutes(self) -> pd.DatetimeIndex:
        return pd.date_range(self.start, periods=len(self.complaints), freq="min")

    @property
    def weeks(self) -> float:
        return len(self.complaints) / MINUTES_PER_WEEK

    @property
    def name(self) -> str:
        return f"{self.family}-{self.part}-{self.index:02d}"

    def from_hour(self, hours: int) -> Scenario:
        """The same scenario with its first ``hours`` cut off: it begins that much later, and its
        outages and decoys fall that much earlier in it (those that began before the cut are dropped).
        No outage falls in a scenario's first two days; ``from_hour(36)`` puts its first ones from hour
        12 on, in a detector's warm-up and its first live day.

        >>> s = scenario("sudden", "tune", 0, days=4)
        >>> later = s.from_hour(36)
        >>> len(later.complaints) == len(s.complaints) - 36 * 60, later.outages[0].start == s.outages[0].start - 36 * 60
        (True, True)
        """
        cut = hours * 60
        if not 0 <= cut < len(self.complaints):
            raise ValueError(f"need hours from 0 to the scenario's length, got {hours!r}")
        arrays = {name: getattr(self, name)[cut:] for name in ("complaints", "authors", "mentions", "background",
                                                                "surge", "hype")}
        return replace(self, **arrays, start=self.start + pd.Timedelta(hours=hours),
                       outages=tuple(replace(o, start=o.start - cut, end=o.end - cut) for o in self.outages
                                     if o.start >= cut),
                       decoys=tuple((begin - cut, end - cut) for begin, end in self.decoys if begin >= cut))

    def write_csv(self, path: str | Path, mentions: bool = False) -> Path:
        """Write the complaint counts as a ``timestamp,value`` CSV (naive UTC timestamps, NAB's layout),
        with the mentions as a third column if asked (what ``detect-series`` reads as the hype channel)."""
        path = Path(path)
        columns = [self.minutes.strftime("%Y-%m-%d %H:%M:%S"), self.complaints.tolist()]
        with path.open("w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(["timestamp", "value", "mentions"] if mentions else ["timestamp", "value"])
            writer.writerows(zip(*columns, self.mentions.tolist()) if mentions else zip(*columns))
        return path


@cache
def _stats(name: str) -> dict[str, Any]:
    return json.loads((resources.files("outage_signal.datasets") / "scenario-stats" / name).read_text())


def github_stats() -> dict[str, Any]:
    """GitHub's incident statistics (``datasets/scenario-stats/github-incidents.json``)."""
    return _stats("github-incidents.json")


def nab_rhythm() -> dict[str, Any]:
    """NAB realTweets' weekly shapes and hourly wander (``datasets/scenario-stats/nab-rhythm.json``)."""
    return _stats("nab-rhythm.json")


def _log_uniform(rng: np.random.Generator, low: float, high: float) -> float:
    return float(np.exp(rng.uniform(np.log(low), np.log(high))))


def outage_duration(rng: np.random.Generator) -> int:
    """A duration in minutes from GitHub's empirical distribution, restricted to ``DURATION_RANGE``."""
    stats = github_stats()
    levels, values = stats["quantile_levels"], stats["duration_minutes_quantiles"]
    low, high = (float(np.interp(d, values, levels)) for d in DURATION_RANGE)
    minutes = float(np.interp(rng.uniform(low, high), levels, values))
    return int(np.clip(round(minutes), *DURATION_RANGE))


def outage_gap_minutes(rng: np.random.Generator) -> int:
    """Minutes between two outage starts, from GitHub's empirical gaps."""
    stats = github_stats()
    return int(round(60 * float(np.interp(rng.uniform(), stats["quantile_levels"], stats["gap_hours_quantiles"]))))


def hourly_wander(rng: np.random.Generator, hours: int, sigma: float, lag1: float) -> np.ndarray:
    """One factor per hour: a stationary log-normal AR(1) with log-sigma ``sigma`` and lag-1 ``lag1``, mean 1."""
    log_wander = np.empty(hours)
    log_wander[0] = rng.normal(0.0, sigma)
    innovations = rng.normal(0.0, sigma * np.sqrt(1.0 - lag1 ** 2), hours)
    for h in range(1, hours):
        log_wander[h] = lag1 * log_wander[h - 1] + innovations[h]
    return np.exp(log_wander - sigma ** 2 / 2)


def continuous_wander(rng: np.random.Generator, minutes: int, sigma: float, tau: float) -> np.ndarray:
    """One factor per minute: a stationary log-normal Ornstein-Uhlenbeck level, log-sigma ``sigma``,
    correlation ``exp(-lag / tau)`` at a lag in minutes, mean 1.

    >>> w = continuous_wander(np.random.default_rng(0), 200_000, 0.3, 60)
    >>> round(float(w.mean()), 1), round(float(np.log(w).std()), 1)
    (1.0, 0.3)
    """
    phi = np.exp(-1.0 / tau)
    first = rng.normal(0.0, sigma)
    innovations = rng.normal(0.0, sigma * np.sqrt(1.0 - phi ** 2), minutes)
    log_wander, _ = lfilter([1.0], [1.0, -phi], innovations, zi=[phi * first])
    return np.exp(log_wander - sigma ** 2 / 2)


def _seed(family: str, part: str, index: int) -> np.random.SeedSequence:
    # crc32, not hash(): the same numbers in every process.
    return np.random.SeedSequence([zlib.crc32(family.encode()), PARTS.index(part), index])


def drawn_start_hour(family: str, part: str, index: int) -> int:
    """An hour of the week (0-167) for the scenario to begin at, drawn from a stream of its own (the
    scenario's other draws stay as they are).

    >>> drawn_start_hour("sudden", "tune", 0) == drawn_start_hour("sudden", "tune", 0) < 168
    True
    """
    entropy = _seed(family, part, index).entropy
    return int(np.random.default_rng([*entropy, 168]).integers(168))


def scenario(family: str, part: str, index: int, days: int = 14, wander_scale: float = 1.0,
             wander_shape: str = "hourly", start_hour: int = 0, ramp_scale: float = 1.0) -> Scenario:
    """The ``index``-th scenario of a family in a part; the same arguments give the same scenario.

    ``wander_scale`` multiplies the wander's sigma (0: the weekly rhythm alone, smooth), to see how a
    detector fares on series that wander less, or more, than NAB's; ``wander_shape`` is ``hourly`` (a
    level per hour) or ``continuous`` (a level drifting minute by minute, with the same hourly statistics);
    ``start_hour`` is the hour of the week the series begins at (0: Monday 00:00 UTC); the draws are the
    same at every start hour, only the weekly rhythm's phase and the timestamps move. ``ramp_scale``
    multiplies every ramping outage's ramp (at most its whole duration; 2: ``ramping`` ramps over 50-100 %
    of it), the same draws otherwise: how fast complaints ramp up is the suite's one unmeasured
    assumption about outages, so a detector can be checked against slower ramps than it was tuned on."""
    if family not in FAMILIES:
        raise ValueError(f"unknown family {family!r}; expected one of {', '.join(FAMILIES)}")
    if part not in PARTS:
        raise ValueError(f"unknown part {part!r}; expected one of {', '.join(PARTS)}")
    if days < 4:
        raise ValueError(f"need days >= 4 (two are warm-up), got {days}")
    if wander_scale < 0:
        raise ValueError(f"need wander_scale >= 0, got {wander_scale}")
    if wander_shape not in WANDER_SHAPES:
        raise ValueError(f"unknown wander_shape {wander_shape!r}; expected one of {', '.join(WANDER_SHAPES)}")
    if not 0 <= start_hour < 168:
        raise ValueError(f"need start_hour from 0 to 167 (an hour of the week), got {start_hour!r}")
    if ramp_scale <= 0:
        raise ValueError(f"need ramp_scale > 0, got {ramp_scale}")
    rng = np.random.default_rng(_seed(family, part, index))
    n = days * 1440
    t = np.arange(n)

    rhythm = nab_rhythm()["files"]
    rhythm_file = sorted(rhythm)[int(rng.integers(len(rhythm)))]
    shape_stats = rhythm[rhythm_file]
    # The weekly shape, interpolated between hour centres, floored so no hour is silent.
    shape = np.maximum(np.asarray(shape_stats["weekly_shape"]), 0.1)
    hour_of_week = (t / 60.0 + start_hour - 0.5) % 168
    weekly = np.interp(hour_of_week, np.arange(169), np.append(shape, shape[0]))
    if wander_shape == "hourly":
        wander = np.repeat(hourly_wander(rng, n // 60, shape_stats["hourly_log_sigma"] * wander_scale,
                                         shape_stats["hourly_lag1"]), 60)
    else:
        wander = continuous_wander(rng, n, shape_stats["minute_log_sigma"] * wander_scale, shape_stats["minute_tau"])

    if family == "slow_growth":
        usual_rate = _log_uniform(rng, 0.02, 0.2)
        growth = np.exp(np.log(rng.uniform(5.0, 20.0)) * t / (n - 1))
    else:
        usual_rate = _log_uniform(rng, *RATE_RANGE)
        growth = np.ones(n)
    usual = usual_rate * weekly * growth  # the rhythm without wander: "the usual rate" at each minute
    background = usual * wander
    chatter = background * rng.uniform(*CHATTER_RANGE)
    hype = np.ones(n)
    decoys: list[tuple[int, int]] = []
    surge = np.zeros(n)
    outages: list[Outage] = []

    def add_outage(start: int, duration: int, ramp: int) -> None:
        multiple = _log_uniform(rng, *MULTIPLE_RANGE)
        end = min(start + duration, n)
        size = (multiple - 1.0) * usual[start:end]
        surge[start:end] += size * np.minimum(1.0, (np.arange(end - start) + 1.0) / ramp)
        outages.append(Outage(start, end, round(multiple, 2), ramp))

    def sudden_ramp(duration: int) -> int:
        return int(rng.integers(1, 4))

    def slowed(ramp: int, duration: int) -> int:
        """A ramping outage's ramp, times ``ramp_scale``, at most the whole outage."""
        return max(2, min(duration, round(ramp * ramp_scale)))

    def github_paced(duration_of: Callable[[], int], ramp_of: Callable[[int], int]) -> None:
        start = WARMUP_MINUTES + int(rng.integers(0, 1440))
        while True:
            duration = duration_of()
            if start + duration + 60 > n:
                return
            add_outage(start, duration, ramp_of(duration))
            # The next start after GitHub's gap, but never before this outage has ended and calmed.
            start += max(outage_gap_minutes(rng), duration + 120)

    if family == "sudden":
        github_paced(lambda: outage_duration(rng), sudden_ramp)
    elif family == "ramping":
        github_paced(lambda: outage_duration(rng), lambda d: slowed(max(2, round(d * rng.uniform(0.25, 0.5))), d))
    elif family == "short":
        github_paced(lambda: 15, sudden_ramp)
    elif family == "long":
        github_paced(lambda: 180, lambda d: sudden_ramp(d) if rng.uniform() < 0.5 else slowed(int(rng.integers(30, 61)), d))
    elif family == "repeat":
        for week_start in range(WARMUP_MINUTES, n - 3 * 1440, MINUTES_PER_WEEK):
            start = week_start + int(rng.integers(0, 1440))
            for _ in range(int(rng.integers(2, 4))):
                duration = outage_duration(rng)
                if start + duration + 60 > n:
                    break
                add_outage(start, duration, sudden_ramp(duration))
                start += int(rng.integers(23 * 60, 25 * 60 + 1))
    elif family == "blips":
        for day in range(2, days):
            for minute in rng.choice(1440, size=int(rng.integers(1, 4)), replace=False):
                at = day * 1440 + int(minute)
                surge_blip = (_log_uniform(rng, *MULTIPLE_RANGE) - 1.0) * usual[at]
                decoys.append((at, at + 1))
                background[at] += surge_blip  # a decoy is background: no outage
    elif family == "hype":
        for week_start in range(WARMUP_MINUTES, n - 1440 + 1, MINUTES_PER_WEEK):
            day = week_start + 1440 * int(rng.integers(0, min(7, (n - week_start) // 1440)))
            hype[day:day + 1440] = rng.uniform(1.5, 2.5)
            decoys.append((day, day + 1440))
        background *= hype
        chatter *= hype

    # Outage complaints come from many distinct people: Poisson on top of the over-dispersed background.
    complaints = rng.poisson(_negative_binomial_means(rng, background)) + rng.poisson(surge)
    other = rng.poisson(_negative_binomial_means(rng, chatter))
    authors = complaints.copy()
    if family == "bots":
        for day in range(2, days):
            length = int(rng.integers(5, 21))
            at = day * 1440 + int(rng.integers(0, 1440 - length))
            posts = rng.poisson(rng.uniform(1.0, 4.0), length)
            complaints[at:at + length] += posts
            authors[at:at + length] += posts > 0  # one account: one author a minute at most
            decoys.append((at, at + length))
    return Scenario(family, part, index, complaints.astype(np.int64), authors.astype(np.int64),
                    (complaints + other).astype(np.int64), background, surge, hype, tuple(outages),
                    tuple(sorted(decoys)), usual_rate, rhythm_file, START + pd.Timedelta(hours=start_hour))


def _negative_binomial_means(rng: np.random.Generator, mean: np.ndarray) -> np.ndarray:
    """Gamma-distributed means around ``mean``: Poisson draws of them are negative binomial."""
    a = _log_uniform(rng, *DISPERSION_RANGE)
    return mean * rng.gamma(1.0 / a, a, len(mean))


def suite(part: str, per_family: int = 8, days: int = 14, families: tuple[str, ...] = FAMILIES,
          wander_scale: float = 1.0, wander_shape: str = "hourly", start_hour: int | None = 0,
          ramp_scale: float = 1.0) -> Iterator[Scenario]:
    """Every family's first ``per_family`` scenarios of one part, family by family, each beginning
    at ``start_hour`` of its week, or at its own :func:`drawn_start_hour` if that is None."""
    for family in families:
        for index in range(per_family):
            hour = drawn_start_hour(family, part, index) if start_hour is None else start_hour
            yield scenario(family, part, index, days, wander_scale, wander_shape, hour, ramp_scale)
