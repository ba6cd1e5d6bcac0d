"""Online change-point detection of complaint surges: a windowed count CUSUM with an incident lifecycle.

The statistic is Page's CUSUM (Page 1954, "Continuous inspection schemes", Biometrika 41) on counts,
in the counted-data form of Lucas (1985, "Counted data CUSUM's", Technometrics 27): for a count
``x`` with in-control mean ``mu`` and an out-of-control mean ``shift * mu`` the log-likelihood
ratio of one step is ``x * log(shift) - (shift - 1) * mu``. With ``C_t`` the running sum of the
llr, the textbook CUSUM is ``C_t - min_{k <= t} C_k``; this one only looks back ``evidence_hours``:

    S_t = C_t - min(C_t, min over the steps k of the last evidence_hours of C_{k-1}),
    alarm when S_t > threshold / sensitivity.

Outages are abrupt, so old evidence is not outage evidence: bounding the window (a windowed
likelihood ratio, Lai 1995, "Sequential changepoint detection in quality control and dynamical
systems", JRSS B 57) keeps a slow drift from adding up over days into an alarm, puts the change
point (the step after the window's minimum of ``C``) inside the outage, and makes an incident's
``complaints`` count the incident, not the days before it. Each step's llr is also capped at the
alarm level divided by ``alarm_steps``, so no single step (a one-minute blip) opens an incident
alone: an alarm needs evidence on several steps, which a real outage supplies within minutes.

Two departures from the textbook form, both for real social counts:

* over-dispersion: the counts are negative binomial with variance ``mu + a * mu**2``, the
  over-dispersion ``a`` estimated by the method of moments hour by hour and taken as the median of
  the last week's hourly estimates (robust: the bursts to be detected must not inflate it; ``a = 0``
  is Poisson). The
  llr becomes ``x * log(shift * (1 + a mu) / (1 + a shift mu)) - log((1 + a shift mu) / (1 + a mu)) / a``:
  each count carries less evidence the busier and burstier the series, while sparse counts keep
  the Poisson form;
* hype: the in-control mean is scaled up by how far the service's *non-complaint* mentions of the
  last few minutes (``hype_window``) are above their own baseline, so a launch or a meme that
  raises all mentions (and complaints with them, at the same share) does not look like an outage,
  while an outage (complaints up, other chatter flat) does. One minute's chatter is too few posts
  for that ratio: it swings by chance, and the complaints of the minutes whose chatter happened to
  be low would read as an outage.

The in-control mean comes from :class:`~detector.baseline.SeasonalBaseline`: hour of week (in the
minute-counts settings its hour-of-day level smoothed over the neighbouring hours,
``day_smoothing``), with a recent-level correction, so a series that grows slowly is learnt as its
new normal. The shift is raised hour by hour where the evidence of a minute means less: in a series
whose hourly level wanders (``wander_z``: the alarm rate stays that many learnt standard deviations
of the wander above the baseline) and on a sparse series (``min_surge_per_hour``). The wander is
learnt from each hour's squared log-ratio of its count to its prediction, from the warm-up's second
half on (``wander_after_hours``), so the detector goes live knowing it whatever the hour it starts
at; a prediction from ``d``
days of learning carries its own error, about the wander over the square root of ``d`` (the
variance of a prediction from a mean of past values is the noise's times ``1 + 1/n``), so in the
minute-counts settings each ratio is discounted by ``d / (d + wander_youth_days)``: the young
baseline's ignorance does not raise the shift for a week (``wander_youth_days``). The service
settings have no memory of past alarms: a service that fails often alarms on every outage. (The
generic mention-volume settings of :mod:`detector.series` opt into one, ``burst_memory_weight``:
news comes in runs.)

Beside the CUSUM, a sharp-rise test (``rise_steps``; on in the minute-counts settings of
:mod:`detector.series`, off by default and in the mention-volume settings): the shift the wander
raises suits large outages, but an abrupt smaller one on a wandering or sparse series would build
evidence slowly. The test compares the last ``rise_steps`` steps (less their largest, so a
one-minute blip cannot pass it) with the hour just before them, which carries the series' current
wander, and with the baseline: a rise of ``rise_ratio`` times the larger of the two, at least
RISE_MIN_EXCESS counts above the baseline, whose Poisson log-likelihood ratio exceeds
``rise_evidence`` (a prospective scan statistic with a reference period, Kulldorff 2001,
"Prospective time periodic geographical disease surveillance using a scan statistic", JRSS A 164; by
the Chernoff bound the chance of such a window at the rate before it is below
``exp(-rise_evidence)``). Either test opens the incident; the lifecycle after that is the same. The
same test also watches an open incident, measured against the incident's own highest level before
its window: an outage that begins inside an incident opened on a burst of chatter ends that
incident and opens its own, instead of showing only as an escalation.

An onset test (``onset_ratio``; on in the minute-counts settings) asks the CUSUM's own run for what
the sharp-rise test asks of its window: the steps since the change point at that multiple of the hour
before them and of their baseline. A baseline that expects too little (a weekday it has not learnt)
lets the CUSUM add a shortfall up over hours into an incident; an outage rises within minutes. Most
do: an outage that ramps up over hours never clears the hour before its run, which was the ramp
too, so once the CUSUM stands at ``onset_override`` times the alarm level the test gives way. Where
the wander has not raised the CUSUM's shift, the baseline predicts the hours well and the test asks
less (``onset_break_even``): a ramp, or an outage at twice or thrice the rate of a busy hour, seldom
reaches 2.5 times the hour before it.

Each llr is rounded to a multiple of 1/256. The rounding is far below the threshold's precision,
and it makes every partial sum exact in floating point: the vectorised path
(:meth:`ServiceDetector.update_many`) computes a block's CUSUM with a cumulative sum and a sliding
minimum and obtains bit-for-bit the same statistic as the per-minute reference
(:meth:`ServiceDetector.update`).
"""
from __future__ import annotations

import bisect
import math
from dataclasses import asdict, dataclass, fields
from datetime import datetime, timedelta, timezone
from functools import cached_property
from typing import Any, Sequence

import numpy as np
import pandas as pd

from outage_signal.detector.baseline import SeasonalBaseline, learning_clip
from outage_signal.detector.incidents import IncidentEvent

_LLR_QUANTUM = 256.0
# The sharp-rise test (DetectorParams.rise_steps): the rate before a rise is that of the hour before
# its window, shrunk towards the baseline by half an hour of it; a rise is at least 8 counts above
# the baseline (fewer are chatter on any series). Chosen on the scenario suite's tune part.
RISE_REFERENCE_MINUTES = 60
RISE_PSEUDO_MINUTES = 30
RISE_MIN_EXCESS = 8
# The calm hour (DetectorParams.calm_threshold): the learnt wander's variance under 0.03 (a sigma of
# 0.17 in log), at least 30 counts expected in the hour (in fewer, counting noise hides such a wander),
# and the over-dispersion measured on 10-minute blocks at most twice the minutes' own (or 0.02, for a
# series with none): real chatter comes in bursts of several minutes (news, a thread), which a model
# of independent minutes does not expect. The wander's and the counts' limits were tried on the scenario
# suite's tune part and on seeds 1000-1059 of benchmarks/detector_issue_reading.py; the ratio was set
# between the real background's quiet series (5-7) and independent minutes (about 1).
CALM_WANDER_VARIANCE = 0.03
CALM_MIN_PER_HOUR = 30.0
BURST_BLOCK_MINUTES = 10
CALM_BURST_RATIO = 2.0
_CALM_DISPERSION_FLOOR = 0.02
_RISE_BATCH_MARGIN = 1e-6  # the batch path's tolerance: near the level, the exact per-step path decides
DISPERSION_HOURS = 168
_NO_CLIP = -1
_MINUTE, _LLR_BEFORE, _COMPLAINTS, _EXPECTED = range(4)  # the rows of ServiceDetector.window
_WANDER_PSEUDOCOUNT = 2.0  # counts added to an hour's count and its prediction before their log-ratio
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
# What states saved by older detectors hold and this one ignores: the alarm memory every service
# had (removed by issue 15: it deafened services that fail often; their openings are forgotten) and
# the unwindowed CUSUM's run.
_REMOVED_PARAMS = {"alarm_memory_weight", "alarm_memory_hours"}
_REMOVED_STATE = _REMOVED_PARAMS | {"run_start", "run_complaints", "run_expected", "run_peak"}


class DetectorError(ValueError):
    """The detector was fed something it cannot use (out-of-order minutes, bad frame, bad state)."""


def _epoch_minute(moment: datetime) -> int:
    if moment.tzinfo is None:
        raise DetectorError(f"timestamp {moment!r} is naive; pass timezone-aware UTC datetimes")
    return int((moment - _EPOCH).total_seconds() // 60)


def _as_datetime(epoch_minute: int) -> datetime:
    return _EPOCH + timedelta(minutes=int(epoch_minute))


@dataclass(frozen=True)
class DetectorParams:
    """The detector's model settings; the defaults are the service detector's.

    Sensitivity is not among them: it is the one knob an operator turns (the config's
    ``[detector] sensitivity``), passed to :class:`ServiceDetector` beside these.

    >>> from dataclasses import replace
    >>> five_minutes = replace(DetectorParams(threshold=20), step_minutes=5)
    >>> five_minutes.threshold, five_minutes.step_minutes, five_minutes.shift
    (20.0, 5, 3.0)
    """

    shift: float = 3.0
    """The smallest surge worth an alarm, as a multiple of the expected rate (> 1)."""
    threshold: float = 14.0
    """CUSUM threshold at sensitivity 1 (log-likelihood-ratio units, > 0)."""
    quiet_minutes: int = 30
    """An open incident resolves after this many consecutive quiet minutes (the smoothed count back
    under ``quiet_ratio`` times the baseline). Bursts closer than this merge into one incident: that
    is the hysteresis."""
    quiet_ratio: float = 1.5
    """A step is quiet when its smoothed count is under this multiple of the smoothed baseline."""
    escalation_factor: float = 2.0
    """An ``escalated`` event is emitted when the incident's peak per minute reaches this factor
    times the peak last reported."""
    warmup_hours: int = 24
    """Hours the baseline must have learnt before any incident can open. A fresh install learns its
    rhythm online during the warm-up and stays silent; so does a restored one until then."""
    step_minutes: int = 1
    """Minutes per step, dividing 60 (1 for the service counts; the series' step for
    :func:`detect_series`)."""
    hype_pseudocount: float = 3.0
    """Counts per step added to the non-complaint chatter and its baseline before their ratio (the hype
    factor) is taken, so a near-silent chatter channel cannot make hype out of a post or two."""
    hype_window: int = 5
    """Steps of non-complaint chatter the hype factor is measured over (the last ones, this step's
    included): one step's chatter is too few posts to tell hype from chance, so on a hype day the
    complaints of a step whose chatter happened to be low would look like an outage (>= 1)."""
    adapt_after_hours: float = 6.0
    """Hours overlapping an incident younger than this are not learnt (outages do not inflate the
    baseline); after it, the surge is learnt as the new normal."""
    rate_floor: float = 0.0
    """The expected rate is never taken below this fraction of the service's overall rate, so the
    quiet hours of a strong daily cycle do not turn ordinary chatter into alarms (>= 0)."""
    evidence_hours: float = 3.0
    """How far back the CUSUM looks: evidence older than this is dropped (a windowed CUSUM), so an
    incident's start and complaints come from its last few hours at most (> 0)."""
    wander_z: float = 3.0
    """How far the rate that alarms stays above the series' hour-to-hour wander: the llr's shift is
    raised, hour by hour, until its break-even rate (the rate at which the CUSUM neither grows nor
    shrinks) is at least ``exp(wander_z * sigma)`` times the baseline, ``sigma`` the learnt spread of
    an hour's log-level around its prediction. An hour at twice its usual rate is chatter in a
    series that wanders that much (>= 0; 0 keeps ``shift``)."""
    min_surge_per_hour: float = 40.0
    """The smallest surge worth an alarm in counts per hour: on a sparse series the shift rises so
    that ``(shift - 1) * rate`` is at least this, since a few extra posts an hour are chatter there
    (>= 0)."""
    level_hours: float = 6.0
    """Half-life of the baseline's recent-level correction, in hours (0: none), so a series that
    grows is learnt as its new normal within hours."""
    burst_memory_weight: float = 0.0
    """0 (off) for complaint counts: every outage alarms, however often a service fails. For
    news-driven mention volumes, whose bursts come in runs, each incident opened raises the alarm
    level by this fraction of ``threshold / sensitivity``, fading with ``burst_memory_hours``."""
    burst_memory_hours: float = 336.0
    """Half-life of that memory, in hours (> 0)."""
    alarm_steps: int = 3
    """The fewest steps whose evidence can open an incident: each step's llr is capped at the
    alarm level divided by this, so one step (a one-minute blip) never alarms alone (>= 1)."""
    day_smoothing: float = 0.0
    """Weight of each neighbouring hour in the baseline's hour-of-day rate (0 to 1/3; 0: the hour
    alone): a young baseline's hours are noisy, and daily rhythms are smooth."""
    rise_steps: int = 0
    """The sharp-rise test's window, in steps (0: off). Beside the CUSUM, whose shift the wander
    raises, an incident opens when the last ``rise_steps`` (less their largest step, so a
    one-minute blip cannot) hold at least ``rise_ratio`` times both the rate of the hour before
    them and the baseline, at least RISE_MIN_EXCESS counts above the baseline, with a Poisson
    likelihood ratio over ``rise_evidence / sensitivity``: an abrupt outage on a sparse or a
    wandering series alarms within minutes. While an incident is open, a rise that clears the test
    against the incident's own highest smoothed level as well ends it, and the new surge opens
    its own incident."""
    rise_ratio: float = 3.0
    """How many times the rate before it (and the baseline) a sharp rise must reach (> 1)."""
    rise_evidence: float = 20.0
    """The sharp-rise test's level: its Poisson log-likelihood ratio against the rate before it
    must exceed this over the sensitivity (a Chernoff bound: under that rate such a window has a
    chance below ``exp(-rise_evidence)``) (> 0)."""
    wander_youth_days: float = 0.0
    """Each hour's squared log-ratio is learnt as wander times ``d / (d + wander_youth_days)``,
    ``d`` the days the baseline has learnt: a baseline learnt from ``d`` days of a wandering series
    is itself off by about the wander over the square root of ``d``, and that error is not the
    series' wander (>= 0; 0: none)."""
    wander_after_hours: int = 12
    """Hours the baseline has learnt before the wander is learnt (the over-dispersion's half of the
    default warm-up): a detector that went live with no wander learnt read the first busy hours'
    wander as outages, so how many false alarms it raised depended on the hour of day it started
    at. Earlier hours' residuals would mostly measure the baseline's own ignorance (>= 0)."""
    onset_ratio: float = 0.0
    """An incident the CUSUM would open also needs its run (the steps since the change point) at
    this multiple of the hour before the run, that hour's rate shrunk towards the baseline as the
    sharp-rise test's is, and of the run's own baseline (0: off). A run that began no faster than
    the hour before it is the baseline's own error (a rhythm it has not learnt, a Monday after a
    weekend) rather than an outage, which is abrupt (>= 0)."""
    onset_override: float = 0.0
    """An incident the onset test holds back opens anyway once the CUSUM reaches this multiple of the
    alarm level (0: never). A slow ramp's run never clears the hour before it, which was the ramp too,
    but its evidence keeps growing; a baseline's shortfall of a few tens of percent seldom piles up
    that far within the evidence window (0, or >= 1)."""
    onset_break_even: float = 0.0
    """The onset test's ratio is at most this multiple of the CUSUM's break-even rate for the hour,
    ``(s - 1) / log s`` at the hour's shift ``s`` (0: no limit). The wander raises the shift, so the
    test stands at ``onset_ratio`` on a wandering series, whose baseline errs by hours at a time; on a
    series the baseline predicts well, the shift stays at ``shift`` and the test asks about twice the
    hour before (1.1 times 1.82 at shift 3), as a ramp, or an outage at twice or thrice the rate of a
    busy hour, seldom reaches 2.5 times it (>= 0)."""
    quiet_peak_fraction: float = 0.0
    """A step of an open incident is also quiet when its smoothed count is under this fraction of
    the incident's highest smoothed count (0: off; on in the minute-counts settings). The baseline
    does not learn the hours of a young incident, so on a wandering series an outage's aftermath
    can sit above ``quiet_ratio`` times it for hours, and the next outage would fall inside the
    stale incident instead of opening its own (0 to 1)."""
    calm_threshold: float = 0.0
    """The CUSUM threshold at sensitivity 1 in a calm hour, one the model of the series predicts well
    (0: off, ``threshold`` in every hour): its learnt wander small, enough counts to tell, and no
    bursts beyond its minutes' own over-dispersion (CALM_WANDER_VARIANCE, CALM_MIN_PER_HOUR,
    CALM_BURST_RATIO; steps that do not divide BURST_BLOCK_MINUTES are never calm). How often a
    CUSUM alarms by chance depends on its threshold only where its model is right; on a series the
    baseline predicts well, a lower threshold alarms minutes sooner on an outage that ramps up, and
    hardly more often by chance (>= 0)."""

    def __post_init__(self) -> None:
        # Coerce as the numbers may come from JSON or TOML (14 for 14.0); states compare equal after.
        for field in fields(self):
            cast = int if field.type == "int" else float
            object.__setattr__(self, field.name, cast(getattr(self, field.name)))
        rules = {
            "shift": (self.shift > 1, "> 1"),
            "threshold": (self.threshold > 0, "> 0"),
            "quiet_minutes": (self.quiet_minutes >= 0, ">= 0"),
            "warmup_hours": (self.warmup_hours >= 0, ">= 0"),
            "step_minutes": (self.step_minutes >= 1 and 60 % self.step_minutes == 0, "dividing 60"),
            "hype_pseudocount": (self.hype_pseudocount > 0, "> 0"),
            "hype_window": (self.hype_window >= 1, ">= 1"),
            "rate_floor": (self.rate_floor >= 0, ">= 0"),
            "evidence_hours": (self.evidence_hours > 0, "> 0"),
            "alarm_steps": (self.alarm_steps >= 1, ">= 1"),
            "wander_z": (self.wander_z >= 0, ">= 0"),
            "level_hours": (self.level_hours >= 0, ">= 0"),
            "min_surge_per_hour": (self.min_surge_per_hour >= 0, ">= 0"),
            "burst_memory_weight": (self.burst_memory_weight >= 0, ">= 0"),
            "burst_memory_hours": (self.burst_memory_hours > 0, "> 0"),
            "day_smoothing": (0 <= self.day_smoothing <= 1 / 3, "between 0 and 1/3"),
            "rise_steps": (self.rise_steps == 0 or self.rise_steps >= 2, "0 (off) or >= 2"),
            "rise_ratio": (self.rise_ratio > 1, "> 1"),
            "rise_evidence": (self.rise_evidence > 0, "> 0"),
            "quiet_peak_fraction": (0 <= self.quiet_peak_fraction < 1, ">= 0 and < 1"),
            "wander_youth_days": (self.wander_youth_days >= 0, ">= 0"),
            "wander_after_hours": (self.wander_after_hours >= 0, ">= 0"),
            "onset_ratio": (self.onset_ratio >= 0, ">= 0"),
            "onset_override": (self.onset_override == 0 or self.onset_override >= 1, "0 (never) or >= 1"),
            "onset_break_even": (self.onset_break_even >= 0, ">= 0"),
            "calm_threshold": (self.calm_threshold >= 0, ">= 0"),
        }
        for name, (ok, rule) in rules.items():
            if not ok:
                raise DetectorError(f"DetectorParams: need {name} {rule}, got {getattr(self, name)!r}")


class ServiceDetector:
    """Online detector of complaint surges for one service, one step (minute) at a time.

    Parameters
    ----------
    service:
        The service key; it prefixes incident ids.
    sensitivity:
        The one knob. The CUSUM threshold is ``params.threshold / sensitivity``: 2.0 alarms on half
        the evidence (earlier, more false alarms), 0.5 needs twice as much. Default 1.0.
    params:
        The model's settings (:class:`DetectorParams`); the defaults suit a service's per-minute
        complaining authors; ``detector.series.PROFILES`` holds the settings for a bare series of
        minute counts and for mention volumes.

    The counted signal is ``authors`` (distinct complaining authors in the step), so one account
    posting many complaints in a minute counts once; ``complaints`` is reported in events;
    ``mentions - complaints`` is the non-complaint chatter that measures hype. Give a source
    without author information ``authors=complaints``. One account complaining every minute
    still counts once a minute; counting each author at most once per hour (complaining authors not
    already counted in the previous 60 minutes) closes that gap, see benchmarks/detector_replay.py.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> minutes = pd.date_range("2026-01-01", periods=3 * 1440, freq="min", tz="UTC")
    >>> authors = rng.poisson(2.0, len(minutes))
    >>> authors[2 * 1440 + 600: 2 * 1440 + 660] += 12          # a one-hour outage on day 3
    >>> other_chatter = rng.poisson(4.0, len(minutes))
    >>> det = ServiceDetector("github")
    >>> events = det.update_many(minutes, authors, authors, authors + other_chatter)
    >>> [(e.kind, e.at.strftime("%d %H:%M")) for e in events]
    [('opened', '03 10:02'), ('resolved', '03 11:47')]
    >>> restored = ServiceDetector.from_state(det.state_dict())
    >>> restored.update(minutes[-1] + pd.Timedelta(minutes=1), 1, 1, 3)
    []
    >>> ServiceDetector("github", 2.0).alarm_level
    7.0
    """

    def __init__(self, service: str, sensitivity: float = 1.0, *, params: DetectorParams = DetectorParams()) -> None:
        if not sensitivity > 0:
            raise DetectorError(f"need sensitivity > 0, got {sensitivity!r}")
        self.service = service
        self.sensitivity = float(sensitivity)
        self.params = params

        steps_per_hour = 60 // self.params.step_minutes
        self.authors_baseline = SeasonalBaseline(steps_per_hour, level_half_life_hours=self.params.level_hours,
                                                 day_smoothing=self.params.day_smoothing)
        self.other_baseline = SeasonalBaseline(steps_per_hour, level_half_life_hours=self.params.level_hours,
                                               day_smoothing=self.params.day_smoothing)
        # Over-dispersion: the negative binomial's ``a`` in ``variance = mu + a * mu**2`` (0 =
        # Poisson), the median of the last DISPERSION_HOURS hourly moment estimates, so that the
        # bursts themselves (a few hours) cannot inflate it and blunt the detector.
        self.hourly_dispersion: list[float] = []  # oldest first
        self.sorted_dispersion: list[float] = []  # the same, sorted: the median without sorting each hour
        self.overdispersion = 0.0
        # The same measured on each hour's blocks of BURST_BLOCK_MINUTES (for the calm test only), and
        # whether the current hour is calm.
        self.hourly_burst_dispersion: list[float] = []
        self.sorted_burst_dispersion: list[float] = []
        self.burst_dispersion = 0.0  # their median
        self.hour_blocks: list[int] = []  # the hour's block sums, where it is summed (see _roll_hour)
        self.calm = False
        # Hour-to-hour wander: the squared log-ratio of each learnt hour's count to its prediction
        # (the last DISPERSION_HOURS, and sorted), and the shift it sets for the current hour.
        self.hourly_wander: list[float] = []
        self.sorted_wander: list[float] = []
        self.hour_shift = self.params.shift
        self.hours_learned = 0
        self.last_minute: int | None = None
        # The hour being accumulated, and the rates and clips fixed for it when it opened.
        self.cur_hour: int | None = None
        self._clear_hour_totals()
        self.hour_tainted = False
        self.rate_authors = 0.0
        self.rate_other = 0.0
        self.clip_authors = _NO_CLIP
        self.clip_other = _NO_CLIP
        # The windowed CUSUM: the running llr sum, and the steps of the evidence window, one column
        # each (oldest first), in the rows _MINUTE, _LLR_BEFORE (the llr sum before the step),
        # _COMPLAINTS and _EXPECTED.
        self.cusum = 0.0
        self.llr_sum = 0.0
        self.window = np.empty((4, 0))
        self.incident: dict[str, Any] | None = None
        # Incident openings, each fading with burst_memory_hours (updated at hour rollover).
        self.recent_openings = 0.0
        # The last steps' counted signal, oldest first (_kept_author_steps of them): the sharp-rise
        # test's window and the hour before it, and the onset test's run and the hour before it.
        self.recent_authors: list[int] = []
        # The last hype_window - 1 steps' non-complaint chatter, oldest first: the hype factor's window.
        self.recent_other: list[int] = []

    # ----------------------------------------------------------------------------------- derived
    @property
    def alarm_level(self) -> float:
        """The CUSUM level that opens an incident: ``threshold / sensitivity`` (``calm_threshold`` in a
        calm hour), raised by the burst memory where a profile uses one."""
        threshold = self.params.calm_threshold if self.calm else self.params.threshold
        return threshold / self.sensitivity * (1.0 + self.params.burst_memory_weight * self.recent_openings)

    @property
    def _step_cap(self) -> float:
        """The most evidence one step can add: just over the alarm level / ``alarm_steps`` (on the
        llr grid), so ``alarm_steps`` strong steps alarm and one fewer cannot."""
        return (math.floor(self.alarm_level / self.params.alarm_steps * _LLR_QUANTUM) + 1) / _LLR_QUANTUM

    @cached_property
    def _block_steps(self) -> int:
        """Steps per block of the calm test's burst measure (0: the calm test is off)."""
        step = self.params.step_minutes
        return BURST_BLOCK_MINUTES // step if self.params.calm_threshold and BURST_BLOCK_MINUTES % step == 0 else 0

    @cached_property
    def _evidence_minutes(self) -> float:
        return self.params.evidence_hours * 60.0

    @cached_property
    def _rise_reference_steps(self) -> int:
        return RISE_REFERENCE_MINUTES // self.params.step_minutes

    @cached_property
    def _kept_author_steps(self) -> int:
        """How many of the last steps' counts the sharp-rise and onset tests read (0: neither is on)."""
        reference = self._rise_reference_steps
        rise = self.params.rise_steps + reference if self.params.rise_steps else 0
        onset = math.ceil(self._evidence_minutes / self.params.step_minutes) + 1 + reference if self.params.onset_ratio else 0
        return max(rise, onset)

    def _rise_alarms(self, window_sums: np.ndarray, largest: np.ndarray, reference_sums: np.ndarray,
                     mean: np.ndarray, margin: float = 0.0) -> np.ndarray:
        """Which steps the sharp-rise test alarms on, from each step's last ``rise_steps`` counts
        (their sum and largest), the sum of the hour before them, and the step's baseline mean.

        The rise is measured against the larger of the rate before it (:meth:`_rate_before`) and
        the baseline. ``margin`` (the batch path's) lowers the level a little so that rounding there
        can only send a step to the exact path.
        """
        steps = self.params.rise_steps - 1  # the window less its largest step
        rise = window_sums - largest
        before = self._rate_before(reference_sums, self._rise_reference_steps, mean)
        expected = steps * np.maximum(before, mean)
        candidate = (rise >= self.params.rise_ratio * expected) & (rise - steps * mean >= RISE_MIN_EXCESS)
        alarms = np.zeros(len(rise), dtype=bool)
        if candidate.any():
            x, lam = rise[candidate], expected[candidate]
            # Poisson log-likelihood ratio of the window's rate x / steps against lam / steps.
            alarms[candidate] = x * np.log(x / lam) - (x - lam) > self.params.rise_evidence / self.sensitivity - margin
        return alarms

    def _rate_before(self, reference_sum: Any, reference_steps: int, mean: Any) -> Any:
        """The rate of the steps before a rise (the sharp-rise test's window, the onset test's run):
        their sum over their steps, shrunk towards the baseline ``mean`` by RISE_PSEUDO_MINUTES of it,
        as a near-silent hour is not a rate of zero. Scalars or arrays alike."""
        pseudo_steps = RISE_PSEUDO_MINUTES / self.params.step_minutes
        return (reference_sum + mean * pseudo_steps) / (reference_steps + pseudo_steps)

    @property
    def warmed_up(self) -> bool:
        return self.hours_learned >= self.params.warmup_hours

    def _llr_terms(self, mean: Any) -> tuple[Any, Any]:
        """``(per_count, offset)`` with ``llr = count * per_count - offset`` at this mean, or at each of
        an array of means: the same numpy operations either way, so both paths agree to the bit."""
        a, shift = self.overdispersion, self.hour_shift
        log_shift = math.log(shift)
        if a == 0.0:
            return log_shift, (shift - 1.0) * mean
        growth = np.log1p(a * shift * mean) - np.log1p(a * mean)
        return log_shift - growth, growth / a

    @cached_property
    def _quiet_steps(self) -> int:
        return max(1, math.ceil(self.params.quiet_minutes / self.params.step_minutes))

    # ------------------------------------------------------------------------------ hour rollover
    def _clear_hour_totals(self) -> None:
        """Start accumulating a new hour's counts."""
        self.hour_steps = 0
        self.hour_authors = 0
        self.hour_other = 0
        self.hour_excess = 0.0
        self.hour_squared_means = 0.0
        self.hour_expected = 0.0

    def _wander_variance(self) -> float:
        """The learnt hour-to-hour wander's variance in log (0 before any is learnt). The median of a
        chi-squared(1) is 0.455 of its mean; Poisson noise of an hour's count (about 1 / its expected
        count) is not wander."""
        if not self.sorted_wander:
            return 0.0
        per_hour = self.rate_authors * (60 // self.params.step_minutes)
        noise = 1.0 / (per_hour + _WANDER_PSEUDOCOUNT)
        return max(0.0, _rolling_median(self.sorted_wander) / 0.455 - noise)

    def _hour_shift(self, wander_variance: float) -> float:
        """The llr's shift for the hour: ``shift``, raised until its break-even rate ``(s - 1) /
        log(s)`` clears the hour-to-hour wander (of :meth:`_wander_variance`), and until the surge it
        stands for is at least ``min_surge_per_hour`` counts."""
        per_hour = self.rate_authors * (60 // self.params.step_minutes)
        shift = max(self.params.shift, 1.0 + self.params.min_surge_per_hour / max(per_hour, 1e-9))
        if not self.sorted_wander or self.params.wander_z == 0.0:
            return shift
        break_even = math.exp(self.params.wander_z * math.sqrt(wander_variance))
        if break_even <= _break_even_rate(shift):
            return shift
        shift = 2.0 * break_even
        for _ in range(30):  # the fixed point of s = 1 + r log s, contracting for s > r
            shift = 1.0 + break_even * math.log(shift)
        return shift

    def _baseline_maturity(self) -> float:
        """The share of an hour's squared log-ratio to its prediction that is wander:
        ``d / (d + wander_youth_days)`` after ``d`` days learnt (1 when that setting is 0)."""
        if not self.params.wander_youth_days:
            return 1.0
        days = self.hours_learned / 24.0
        return days / (days + self.params.wander_youth_days)

    def _roll_hour(self, new_hour: int) -> None:
        if self.cur_hour is not None and self.hour_steps > 0 and not self.hour_tainted:
            self.authors_baseline.learn_hour(self.cur_hour, self.hour_authors, self.hour_steps)
            self.other_baseline.learn_hour(self.cur_hour, self.hour_other, self.hour_steps)
            # Dispersion is learnt once the rhythm is half learnt, the wander after
            # wander_after_hours; earlier residuals would mostly measure the baseline's own ignorance.
            if self.hours_learned >= self.params.warmup_hours // 2 and self.hour_squared_means > 0.0:
                self.overdispersion = max(0.0, _push_rolling(
                    self.hourly_dispersion, self.sorted_dispersion, self.hour_excess / self.hour_squared_means))
                # The calm test's burst measure, from whole hours it expected counts enough in.
                whole = self.hour_steps == 60 // self.params.step_minutes
                bursts = _block_dispersion(self.hour_blocks, self._block_steps) if self.hour_blocks and whole else None
                if bursts is not None:
                    self.burst_dispersion = _push_rolling(
                        self.hourly_burst_dispersion, self.sorted_burst_dispersion, bursts)
            if self.hours_learned >= self.params.wander_after_hours:
                log_ratio = math.log((self.hour_authors + _WANDER_PSEUDOCOUNT) / (self.hour_expected + _WANDER_PSEUDOCOUNT))
                _push_rolling(self.hourly_wander, self.sorted_wander, log_ratio * log_ratio * self._baseline_maturity())
            self.hours_learned += 1
        if self.cur_hour is not None and self.params.burst_memory_weight:
            self.recent_openings *= 0.5 ** ((new_hour - self.cur_hour) / self.params.burst_memory_hours)
        self.cur_hour = new_hour
        self._clear_hour_totals()
        # Hours overlapping a young incident are not learnt; a surge that lasts longer than
        # adapt_after_hours is taken as the new normal and learnt (clipped), so a lasting level
        # shift cannot keep an incident open, or reopen one, forever.
        self.hour_tainted = (
            self.incident is not None
            and new_hour * 60 - self.incident["started"] < self.params.adapt_after_hours * 60
        )
        self.rate_authors = max(
            self.authors_baseline.rate(new_hour), self.params.rate_floor * self.authors_baseline.global_rate()
        )
        self.rate_other = self.other_baseline.rate(new_hour)
        # Clipping needs a trustworthy rate; during the warm-up the baseline learns raw counts.
        if self.warmed_up:
            self.clip_authors = learning_clip(
                self.rate_authors, 1.0 + self.overdispersion * self.rate_authors
            )
            self.clip_other = learning_clip(self.rate_other)
        else:
            self.clip_authors = self.clip_other = _NO_CLIP
        wander_variance = self._wander_variance()  # of the hour's rate: the shift's and the calm test's
        self.hour_shift = self._hour_shift(wander_variance)
        # The calm test reads bursts, and can call an hour calm, only where it expects counts enough.
        steps = 60 // self.params.step_minutes
        countable = bool(self._block_steps) and self.rate_authors * steps >= CALM_MIN_PER_HOUR
        self.hour_blocks = [0] * (steps // self._block_steps) if countable else []
        self.calm = countable and self._calm(wander_variance)

    def _calm(self, wander_variance: float) -> bool:
        """Whether the hour now starting is calm (:attr:`DetectorParams.calm_threshold`), given that
        it expects CALM_MIN_PER_HOUR counts or more."""
        if not self.sorted_wander or not self.sorted_burst_dispersion:
            return False
        return (wander_variance < CALM_WANDER_VARIANCE
                and self.burst_dispersion <= CALM_BURST_RATIO * max(self.overdispersion, _CALM_DISPERSION_FLOOR))

    # ------------------------------------------------------------------------- reference update
    def update(self, minute: datetime, complaints: int, authors: int, mentions: int) -> list[IncidentEvent]:
        """Consume one step's counts (steps in strictly increasing order) and return its events."""
        t = _epoch_minute(minute)
        if self.last_minute is not None and t <= self.last_minute:
            raise DetectorError(f"{minute} is not after the last update ({_as_datetime(self.last_minute)})")
        self.last_minute = t
        hour = t // 60
        if hour != self.cur_hour:
            self._roll_hour(hour)
        return self._step(t, int(complaints), int(authors), int(mentions))

    def _step(self, t: int, complaints: int, authors: int, mentions: int) -> list[IncidentEvent]:
        other = max(mentions - complaints, 0)
        chatter = self.recent_other + [other]
        pseudo = self.params.hype_pseudocount
        hype = max(1.0, (sum(chatter) + pseudo) / (len(chatter) * self.rate_other + pseudo))
        self.recent_other = chatter[max(0, len(chatter) - self.params.hype_window + 1):]
        mean = self.rate_authors * hype
        learnt_authors = authors if self.clip_authors == _NO_CLIP else min(authors, self.clip_authors)
        learnt_other = other if self.clip_other == _NO_CLIP else min(other, self.clip_other)
        self.hour_steps += 1
        self.hour_authors += learnt_authors
        self.hour_other += learnt_other
        if self.hour_blocks:
            self.hour_blocks[(t % 60) // self.params.step_minutes // self._block_steps] += learnt_authors
        residual = learnt_authors - mean
        self.hour_excess += residual * residual - learnt_authors
        self.hour_squared_means += mean * mean
        self.hour_expected += mean
        kept_steps = self._kept_author_steps
        if kept_steps:
            self.recent_authors.append(authors)
            if len(self.recent_authors) > kept_steps:
                del self.recent_authors[0]

        if not self.warmed_up:
            self._clear_window()
            return []
        per_count, offset = self._llr_terms(mean)
        llr = min(round(float(authors * per_count - offset) * _LLR_QUANTUM) / _LLR_QUANTUM, self._step_cap)
        if self.incident is not None:
            # The window only serves to open; an open incident's score is the plain CUSUM, and
            # the window starts afresh when it resolves.
            self.cusum = max(0.0, self.cusum + llr)
            return self._follow(t, complaints, authors, mean)
        self._push_window(t, complaints, mean)
        self.llr_sum += llr
        self.cusum = self._windowed_cusum()
        if self.cusum > self.alarm_level and (self._abrupt_onset() or self._onset_overridden()):
            return [self._open(t, authors, mean)]
        if self._sharp_rise(mean):
            return [self._open(t, authors, mean, since=t - (self.params.rise_steps - 1) * self.params.step_minutes)]
        return []

    def _sharp_rise(self, mean: float) -> bool:
        """The sharp-rise test on the counts kept, ending with this step's."""
        k, recent = self.params.rise_steps, self.recent_authors
        if not k or len(recent) < k + self._rise_reference_steps:
            return False
        window_sum = sum(recent[-k:])
        # A necessary condition first (the window less its largest step cannot exceed the window).
        if window_sum < max(self.params.rise_ratio * (k - 1) * mean, (k - 1) * mean + RISE_MIN_EXCESS):
            return False
        reference = recent[len(recent) - k - self._rise_reference_steps:-k]
        return bool(self._rise_alarms(np.array([window_sum], dtype=float), np.array([max(recent[-k:])], dtype=float),
                                      np.array([sum(reference)], dtype=float), np.array([mean]))[0])

    def _change_point(self) -> int:
        """The index in the window of the run's first step: the latest where the llr sum stood lowest."""
        llr_before = self.window[_LLR_BEFORE]
        return int(np.flatnonzero(llr_before == llr_before.min())[-1])

    def _abrupt_onset(self) -> bool:
        """Whether the CUSUM's run began abruptly (:meth:`_onset_ratio`): its counts against the hour
        before it and against its baseline."""
        ratio = self._onset_ratio()
        if not ratio:
            return True
        run = self.window[_EXPECTED, self._change_point():]
        steps, recent = len(run), self.recent_authors
        end = max(0, len(recent) - steps)  # where the run's counts begin
        reference = recent[max(0, end - self._rise_reference_steps):end]
        expected = float(run.mean())
        before = self._rate_before(sum(reference), len(reference), expected)
        return sum(recent[end:]) >= ratio * steps * max(before, expected)

    def _onset_ratio(self) -> float:
        """The onset test's ratio this hour: ``onset_ratio``, at most ``onset_break_even`` times the
        break-even rate of the hour's shift (0: no test)."""
        ratio, cap = self.params.onset_ratio, self.params.onset_break_even
        if not (ratio and cap):
            return ratio
        return min(ratio, cap * _break_even_rate(self.hour_shift))

    def _onset_overridden(self) -> bool:
        """Whether the CUSUM has grown past the onset test (``onset_override``)."""
        override = self.params.onset_override
        return bool(override) and self.cusum > override * self.alarm_level

    def _clear_window(self) -> None:
        self.cusum = 0.0
        self.window = np.empty((4, 0))

    def _push_window(self, t: int, complaints: int, mean: float) -> None:
        """Add step ``t`` (before its llr joins the sum) and drop the steps older than the window."""
        self._keep_window(np.column_stack((self.window, [t, self.llr_sum, complaints, mean])), t)

    def _keep_window(self, window: np.ndarray, t: int) -> None:
        """Keep the steps of ``window`` that are in step ``t``'s evidence window."""
        self.window = window[:, int(window[_MINUTE].searchsorted(t - self._evidence_minutes, "right")):]

    def _windowed_cusum(self) -> float:
        """The llr sum over its lowest point in the window (0 when it is the lowest)."""
        return self.llr_sum - min(self.llr_sum, float(self.window[_LLR_BEFORE].min()))

    def _event(self, kind: str, t: int) -> IncidentEvent:
        inc = self.incident
        assert inc is not None
        return IncidentEvent(
            kind=kind,  # type: ignore[arg-type]
            service=self.service,
            incident_id=inc["id"],
            at=_as_datetime(t),
            started_at=_as_datetime(inc["started"]),
            complaints=inc["complaints"],
            peak_per_minute=float(inc["peak"]) / self.params.step_minutes,
            expected=inc["expected"],
            score=self.cusum,
        )

    def _open(self, t: int, authors: int, mean: float, since: int | None = None) -> IncidentEvent:
        # The change point: the latest step of the window where the llr sum stood at its minimum;
        # for a sharp rise, not before the first step of its window.
        first = self._change_point()
        if since is not None:
            first = max(first, int(np.searchsorted(self.window[_MINUTE], since)))
        run = self.window[:, first:]
        started = int(run[_MINUTE, 0])
        peak = int(run[_COMPLAINTS].max())
        self.incident = {
            "id": f"{self.service}:{_as_datetime(started):%Y%m%dT%H%MZ}",
            "started": started,
            "complaints": int(run[_COMPLAINTS].sum()),
            "expected": math.fsum(run[_EXPECTED]),
            "peak": peak,
            "reported_peak": peak,
            "smoothed_count": float(authors),
            "peak_smoothed": float(authors),
            "smoothed_mean": mean,
            "quiet_steps": 0,
        }
        self.hour_tainted = True
        self.recent_openings += 1.0
        return self._event("opened", t)

    def _follow(self, t: int, complaints: int, authors: int, mean: float) -> list[IncidentEvent]:
        inc = self.incident
        assert inc is not None
        inc["complaints"] += complaints
        inc["expected"] += mean
        inc["peak"] = max(inc["peak"], complaints)
        # Short EWMAs (about 5 steps) of the count and its baseline decide quietness; the 0.5
        # pseudo-count keeps a near-silent service from flapping on a single post.
        inc["smoothed_count"] += 0.2 * (authors - inc["smoothed_count"])
        inc["smoothed_mean"] += 0.2 * (mean - inc["smoothed_mean"])
        # The incident's highest smoothed count (states saved before it was kept start from now).
        inc["peak_smoothed"] = max(inc.get("peak_smoothed", 0.0), inc["smoothed_count"])
        quiet = (inc["smoothed_count"] + 0.5 <= self.params.quiet_ratio * (inc["smoothed_mean"] + 0.5)
                 or inc["smoothed_count"] < self.params.quiet_peak_fraction * inc["peak_smoothed"])
        inc["quiet_steps"] = inc["quiet_steps"] + 1 if quiet else 0
        superseded = self._superseded(mean)  # also records this step's level: called on every step
        if inc["quiet_steps"] >= self._quiet_steps or superseded:
            event = self._event("resolved", t)
            self.incident = None
            self._clear_window()
            return [event]
        if inc["peak"] >= self.params.escalation_factor * max(inc["reported_peak"], 1):
            inc["reported_peak"] = inc["peak"]
            return [self._event("escalated", t)]
        return []

    def _superseded(self, mean: float) -> bool:
        """Record the open incident's highest smoothed count as of this step, and say whether a new
        surge has begun within it: the sharp-rise test, with that count before the test's window
        as the level to rise from.
        The incident then resolves and the surge opens its own on the next step, so an outage
        that starts inside an incident opened on a burst of chatter still alarms."""
        k = self.params.rise_steps
        if not k:
            return False
        inc = self.incident
        assert inc is not None
        # The highest smoothed count as of each of the last k + 1 steps: the first is the level
        # before the window (a ramp's own rise stays within about twice it; a new surge does not).
        levels = inc.setdefault("peak_levels", [])
        levels.append(inc["peak_smoothed"])
        if len(levels) <= k + 1:
            return False
        del levels[0]
        return self._sharp_rise(max(mean, levels[0]))

    # --------------------------------------------------------------------------- batch update
    def update_many(
        self,
        minutes: Sequence[datetime] | pd.DatetimeIndex,
        complaints: Sequence[int] | np.ndarray,
        authors: Sequence[int] | np.ndarray,
        mentions: Sequence[int] | np.ndarray,
    ) -> list[IncidentEvent]:
        """Consume many steps at once; returns exactly the events of calling :meth:`update` on each.

        Hours with no incident open and no alarm are computed with numpy (a cumulative sum over
        the exactly-representable llr and a sliding minimum); the rest falls back on the per-step
        reference.
        """
        index = pd.DatetimeIndex(minutes)
        if index.tz is None:
            raise DetectorError("minutes must be timezone-aware UTC")
        t = index.tz_convert("UTC").as_unit("ns").asi8 // 60_000_000_000
        c = np.asarray(complaints, dtype=np.int64)
        a = np.asarray(authors, dtype=np.int64)
        m = np.asarray(mentions, dtype=np.int64)
        if not (len(t) == len(c) == len(a) == len(m)):
            raise DetectorError("minutes, complaints, authors and mentions differ in length")
        if len(t) == 0:
            return []
        if np.any(np.diff(t) <= 0) or (self.last_minute is not None and t[0] <= self.last_minute):
            raise DetectorError("minutes must be strictly increasing and after the last update")
        hours = t // 60
        cuts = np.flatnonzero(np.diff(hours)) + 1
        starts = np.concatenate(([0], cuts))
        ends = np.concatenate((cuts, [len(t)]))
        # The hype factor's chatter windows depend on the counts alone: all of them at once.
        other = np.maximum(m - c, 0)
        kept_other = len(self.recent_other)
        chatter_of = np.concatenate((np.asarray(self.recent_other, dtype=np.int64), other))
        sums, steps = (column[kept_other:] for column in self._window_chatter(chatter_of))
        events: list[IncidentEvent] = []
        for s, e in zip(starts.tolist(), ends.tolist()):
            hour = int(hours[s])
            if hour != self.cur_hour:
                self._roll_hour(hour)
            if self.incident is None and self._fast_block(t[s:e], c[s:e], a[s:e], other[s:e], sums[s:e], steps[s:e]):
                continue
            self.recent_other = self._last_chatter(chatter_of[:kept_other + s])
            for i in range(s, e):
                self.last_minute = int(t[i])
                events.extend(self._step(int(t[i]), int(c[i]), int(a[i]), int(m[i])))
        self.recent_other = self._last_chatter(chatter_of)
        return events

    def _fast_block(self, t: np.ndarray, c: np.ndarray, a: np.ndarray, other: np.ndarray, chatter: np.ndarray,
                    chatter_steps: np.ndarray) -> bool:
        """Apply one hour's steps vectorised, given each step's chatter over its hype window and that
        window's steps; False (and nothing changed) if an alarm would fire."""
        pseudo = self.params.hype_pseudocount
        full = chatter_steps[0] == self.params.hype_window
        if full:  # every window full: one expected chatter, the product the reference forms
            hype = np.maximum(1.0, (chatter + pseudo) / (self.params.hype_window * self.rate_other + pseudo))
        else:
            hype = np.maximum(1.0, (chatter + pseudo) / (chatter_steps * self.rate_other + pseudo))
        mean = self.rate_authors * hype
        warmed = self.warmed_up
        if warmed:
            per_count, offset = self._llr_terms(mean)  # the reference's operations, on every step at once
            llr = a * per_count - offset
            # rint rounds half to even, as the reference's round() does.
            increments = np.minimum(np.rint(llr * _LLR_QUANTUM) / _LLR_QUANTUM, self._step_cap)
            after = self.llr_sum + increments.cumsum()  # exact: multiples of 1/256, far below 2**44
            kept, n = self.window.shape[1], len(t)
            window = np.empty((4, kept + n))
            window[:, :kept] = self.window
            window[_MINUTE, kept:] = t
            window[_LLR_BEFORE, kept] = self.llr_sum
            window[_LLR_BEFORE, kept + 1:] = after[:-1]
            window[_COMPLAINTS, kept:] = c
            window[_EXPECTED, kept:] = mean
            # A bound first: the lowest sum since the kept window's start is at most each step's
            # window minimum, so most hours need no per-step window (mostly the sum drifts down,
            # its oldest values are its highest, and the bound is nearly exact).
            lowest = np.minimum.accumulate(window[_LLR_BEFORE])[kept:]
            if (after - lowest).max() > self.alarm_level:
                # The exact CUSUM: step i's window holds the steps newer than t_i - evidence, a
                # minimum over each by reduceat on (first, last + 1) index pairs (a padding
                # column keeps the last index in range).
                first = np.searchsorted(window[_MINUTE], t - self._evidence_minutes, side="right")
                pairs = np.empty(2 * n, dtype=np.int64)
                pairs[0::2] = first
                pairs[1::2] = np.arange(kept + 1, kept + n + 1)
                lows = np.minimum.reduceat(np.append(window[_LLR_BEFORE], 0.0), pairs)[::2]
                if (after - np.minimum(after, lows)).max() > self.alarm_level:
                    return False
            if self.params.rise_steps and self._block_rises(a, mean):
                return False
        learnt_a = a if self.clip_authors == _NO_CLIP else np.minimum(a, self.clip_authors)
        learnt_o = other if self.clip_other == _NO_CLIP else np.minimum(other, self.clip_other)
        self.hour_steps += len(t)
        self.hour_authors += int(learnt_a.sum())
        self.hour_other += int(learnt_o.sum())
        if self.hour_blocks:
            if len(t) == 60 // self.params.step_minutes:  # a whole hour, mostly: its blocks in order
                sums = learnt_a.reshape(len(self.hour_blocks), -1).sum(axis=1)
            else:
                sums = np.bincount((t % 60) // self.params.step_minutes // self._block_steps, learnt_a,
                                   len(self.hour_blocks)).astype(np.int64)
            self.hour_blocks = [x + y for x, y in zip(self.hour_blocks, sums.tolist())]
        # Summed in order, as the reference does, so the floats agree to the bit.
        residual = learnt_a - mean
        terms = np.empty((3, len(t) + 1))
        terms[:, 0] = self.hour_excess, self.hour_squared_means, self.hour_expected
        terms[0, 1:] = residual * residual - learnt_a
        terms[1, 1:] = mean * mean
        terms[2, 1:] = mean
        self.hour_excess, self.hour_squared_means, self.hour_expected = np.add.accumulate(terms, axis=1)[:, -1].tolist()
        self.last_minute = int(t[-1])
        kept_steps = self._kept_author_steps
        if kept_steps:
            self.recent_authors = self.recent_authors[max(0, len(self.recent_authors) + len(a) - kept_steps):] + a.tolist()
            del self.recent_authors[:-kept_steps]
        if not warmed:
            self._clear_window()
            return True
        self._keep_window(window, int(t[-1]))
        self.llr_sum = float(after[-1])
        self.cusum = self._windowed_cusum()
        return True

    def _window_chatter(self, other: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Each step's chatter over its hype window (it and the steps before it, at most
        ``hype_window``) and how many steps that window holds: whole counts, the reference's sums."""
        totals = np.concatenate(([0], np.cumsum(other)))
        ends = np.arange(1, len(other) + 1)
        starts = np.maximum(0, ends - self.params.hype_window)
        return totals[ends] - totals[starts], ends - starts

    def _last_chatter(self, other: Sequence[int] | np.ndarray) -> list[int]:
        """The steps' chatter the next step's hype window needs (the last ``hype_window - 1``)."""
        kept = self.params.hype_window - 1
        return [int(x) for x in other[len(other) - kept:]] if kept and len(other) else []

    def _block_rises(self, a: np.ndarray, mean: np.ndarray) -> bool:
        """Whether the sharp-rise test might alarm on any step of the block (then the exact path
        decides): each step's window and reference hour, from the kept counts and the block's."""
        k, reference = self.params.rise_steps, self._rise_reference_steps
        kept = self.recent_authors
        if len(kept) >= k - 1:
            # Necessary conditions first (most blocks stop at one). A window holds k steps of the
            # kept tail and the block, so no more than all of them; it needs at least what the
            # hour's lowest mean (the baseline's: the hype factor is at least 1) asks of it.
            tail = kept[len(kept) - k + 1:]
            rate = self.rate_authors
            least = max(self.params.rise_ratio * (k - 1) * rate, (k - 1) * rate + RISE_MIN_EXCESS)
            if sum(tail) + int(a.sum()) < least:
                return False
            # Then each window's sum (whole counts: exact) against that, and against its step's own mean.
            window_sums = np.convolve(np.concatenate((tail, a)), np.ones(k, dtype=np.int64), "valid")
            if window_sums.max() < least or not (
                    window_sums >= np.maximum(self.params.rise_ratio * (k - 1) * mean,
                                              (k - 1) * mean + RISE_MIN_EXCESS)).any():
                return False
        counts = np.concatenate((np.asarray(kept, dtype=float), a))
        ends = np.arange(len(kept), len(counts)) + 1  # one past each block step
        tested = ends >= k + reference
        if not tested.any():
            return False
        ends, mean = ends[tested], mean[tested]
        sums = np.concatenate(([0.0], np.cumsum(counts)))  # exact: whole counts
        window_sums = sums[ends] - sums[ends - k]
        near = window_sums >= np.maximum(self.params.rise_ratio * (k - 1) * mean, (k - 1) * mean + RISE_MIN_EXCESS)
        if not near.any():
            return False
        ends, mean, window_sums = ends[near], mean[near], window_sums[near]
        largest = np.lib.stride_tricks.sliding_window_view(counts, k).max(axis=1)[ends - k]
        reference_sums = sums[ends - k] - sums[ends - k - reference]
        return bool(self._rise_alarms(window_sums, largest, reference_sums, mean, _RISE_BATCH_MARGIN).any())

    # ---------------------------------------------------------------------------- fit / state
    def fit(self, history: pd.DataFrame) -> "ServiceDetector":
        """Prime on history (a minute-indexed frame with complaints, authors, mentions columns).

        The history is replayed through the detector and its events discarded; hours that overlap
        a detected incident are not learnt, and the rest are clipped, so outages in the history do
        not inflate the baseline. Afterwards the CUSUM and any open incident are cleared.
        """
        _check_frame(history)
        self.update_many(history.index, history["complaints"], history["authors"], history["mentions"])
        self.reset_detection()
        return self

    def reset_detection(self) -> None:
        """Forget the CUSUM and any open incident, keep the learnt baseline."""
        self._clear_window()
        self.incident = None
        self.hour_tainted = False

    def state_dict(self) -> dict[str, Any]:
        """Everything needed to continue exactly; JSON-serialisable."""
        # Private attributes are the settings' derived values (cached properties), rebuilt from params.
        state = {k: v for k, v in vars(self).items()
                 if not k.startswith("_") and not isinstance(v, (SeasonalBaseline, DetectorParams))}
        state["window"] = self.window.tolist()
        state["params"] = asdict(self.params)
        state["authors_baseline"] = self.authors_baseline.state_dict()
        state["other_baseline"] = self.other_baseline.state_dict()
        state["incident"] = dict(self.incident) if self.incident is not None else None
        return state

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> "ServiceDetector":
        """The detector a :meth:`state_dict` describes.

        A parameter the state lacks takes its default. States saved before :class:`DetectorParams`
        hold the parameters at the top level; they load the same. What older detectors kept and
        this one no longer has (the alarm memory, the unwindowed CUSUM's run) is ignored: such a
        state continues with its baseline and any open incident, its evidence starting afresh.
        """
        removed_params = _REMOVED_PARAMS & (set(state) | set(state.get("params", {})))
        state = {k: v for k, v in state.items() if k not in _REMOVED_STATE}
        try:
            if "params" in state:
                params = {k: v for k, v in state.pop("params").items() if k not in _REMOVED_PARAMS}
            else:
                params = {f.name: state.pop(f.name) for f in fields(DetectorParams) if f.name in state}
            obj = cls(state.pop("service"), state.pop("sensitivity"), params=DetectorParams(**params))
            for key, value in state.items():
                if key.endswith("_baseline"):
                    baseline = SeasonalBaseline.from_state(value)
                    baseline.level_half_life_hours = obj.params.level_hours  # older states lack it
                    baseline.day_smoothing = obj.params.day_smoothing
                    setattr(obj, key, baseline)
                elif key == "incident":
                    obj.incident = dict(value) if value is not None else None
                elif key == "recent_openings" and removed_params:
                    continue  # the removed alarm memory's openings
                elif key == "window":
                    obj.window = np.array(value, dtype=float).reshape(4, -1)
                else:
                    setattr(obj, key, value)
        except (KeyError, TypeError, ValueError) as exc:  # ValueError includes DetectorParams' DetectorError
            raise DetectorError(f"not a ServiceDetector state: {exc}") from exc
        return obj


def _push_rolling(values: list[float], sorted_values: list[float], value: float) -> float:
    """Add ``value`` to the last DISPERSION_HOURS ``values`` (oldest first) and their sorted copy;
    return the new median (sorted insertion: no sort each hour)."""
    values.append(value)
    bisect.insort(sorted_values, value)
    if len(values) > DISPERSION_HOURS:
        del sorted_values[bisect.bisect_left(sorted_values, values.pop(0))]
    return _rolling_median(sorted_values)


def _block_dispersion(sums: Sequence[int], steps: int) -> float | None:
    """The negative binomial's ``a`` (per step) that an hour's block sums show, each block of
    ``steps`` steps: the blocks' variance around the hour's straight-line trend (a smooth rhythm's
    slope is not burstiness) less the Poisson part, over ``steps`` times the squared step mean; None
    for an hour with no counts. Independent steps show their own ``a``; bursts that span steps more.

    >>> _block_dispersion([10, 10, 10, 10, 10, 10], 10)  # steadier than Poisson
    -1.0
    >>> round(_block_dispersion([2, 30, 4, 25, 3, 20], 10), 2)  # bursts of several minutes
    9.05
    """
    total = weighted = squares = 0
    for j, x in enumerate(sums):  # a loop over a handful of ints: faster than numpy here
        total += x
        weighted += j * x
        squares += x * x
    if total <= 0:
        return None
    k = len(sums)
    mean = total / k
    squared_offsets = k * (k * k - 1) / 12.0  # the sum of (j - (k - 1) / 2) ** 2
    slope = (weighted - total * (k - 1) / 2.0) / squared_offsets
    residual = squares - total * mean - slope * slope * squared_offsets
    return (residual / (k - 2) - mean) * steps / (mean * mean)


def _break_even_rate(shift: float) -> float:
    """The rate, as a multiple of the baseline, at which a CUSUM tuned to ``shift`` neither grows nor
    shrinks: ``(shift - 1) / log(shift)`` (its llr's mean is zero there, for Poisson counts).

    >>> round(_break_even_rate(3.0), 2)
    1.82
    """
    return (shift - 1.0) / math.log(shift)


def _rolling_median(sorted_values: list[float]) -> float:
    n = len(sorted_values)
    return sorted_values[n // 2] if n % 2 else (sorted_values[n // 2 - 1] + sorted_values[n // 2]) / 2.0


def _check_frame(counts: pd.DataFrame) -> None:
    missing = {"complaints", "authors", "mentions"} - set(counts.columns)
    if missing:
        raise DetectorError(f"counts frame lacks columns {sorted(missing)}")
    if not isinstance(counts.index, pd.DatetimeIndex) or counts.index.tz is None:
        raise DetectorError("counts frame needs a timezone-aware DatetimeIndex")


def detect_offline(
    counts: pd.DataFrame,
    service: str,
    sensitivity: float = 1.0,
    history: pd.DataFrame | None = None,
    *,
    params: DetectorParams = DetectorParams(),
) -> list[IncidentEvent]:
    """All incident events of a backfilled period, by replaying the online detector.

    With ``history`` the detector is primed on it first. Without, it is primed on ``counts``
    itself (outage hours excluded, as :meth:`ServiceDetector.fit` does) and then replays
    ``counts`` from the start, so incidents in the first day of a backfill are not lost to the
    warm-up.
    """
    _check_frame(counts)
    source = history if history is not None else counts
    # Pass 1 learns the overall level (its warm-up learns unclipped, outages included); pass 2
    # starts from that level as a warmed-up prior, so it clips and skips outage hours from the
    # first minute; the replay then runs on pass 2's baseline.
    primer = ServiceDetector(service, sensitivity, params=params).fit(source)
    det = ServiceDetector(service, sensitivity, params=params)
    det.authors_baseline.prior_rate = primer.authors_baseline.global_rate()
    det.other_baseline.prior_rate = primer.other_baseline.global_rate()
    det.hours_learned = det.params.warmup_hours
    det.fit(source)
    if history is None:
        det.last_minute = None  # replaying the same minutes again is intended here
        det.cur_hour = None
    return det.update_many(counts.index, counts["complaints"], counts["authors"], counts["mentions"])
