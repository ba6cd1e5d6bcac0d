"""A service's normal rhythm of counts: hour of day, day of week and slow growth.

The baseline is a hierarchy of Gamma-Poisson rate estimates with exponential forgetting:

* a global rate (half-life one week of hours) that follows slow growth,
* an hour-of-day rate (24 buckets) shrunk towards the global rate, optionally smoothed over the
  neighbouring hours (``day_smoothing``: daily rhythms are smooth, and an hour's own counts carry
  that hour's chance wander, so borrowing from its neighbours lowers the noise of a young estimate),
* an hour-of-week rate (168 buckets) shrunk towards its hour-of-day rate,
* a recent level: the ratio of the counts of the last hours (half-life ``level_half_life_hours``,
  six by default) to what those buckets expected for them. The buckets learn over days and weeks; the level follows a series that
  grows (a new service, a collection that ramps up, a growing community) within hours, so growth is
  learnt as the new normal instead of looking like a surge.

Each estimate is ``(counts + prior_weight * parent_rate) / (exposure + prior_weight)``: the posterior
mean of a Poisson rate under a Gamma prior centred on the parent level. A bucket with little data (a
service with almost no chatter, or the first week of a fresh install) therefore falls back on its
parent instead of estimating a rate of zero from a handful of empty minutes.

The baseline learns one *hour* at a time: the detector accumulates an hour's counts and calls
:meth:`SeasonalBaseline.learn_hour` when the hour closes. Robustness to outages in the history is
the detector's job: it clips each count at a high quantile of the current rate before accumulating
it, and it does not learn hours that overlap an incident at all.

All rates are per *step* (a minute for the service detector, the series' step for generic series).
"""
from __future__ import annotations

import math
from typing import Any

HOURS_PER_WEEK = 168
_EPOCH_WEEKDAY = 3  # 1970-01-01 was a Thursday; weekday() counts Monday as 0


def hour_of_week(epoch_hour: int) -> int:
    """Bucket (0 = Monday 00:00 UTC .. 167 = Sunday 23:00 UTC) of an hour counted from the epoch.

    >>> hour_of_week(0)  # 1970-01-01 00:00 UTC, a Thursday
    72
    """
    day = (epoch_hour // 24 + _EPOCH_WEEKDAY) % 7
    return day * 24 + epoch_hour % 24


def _half_life_factor(updates: float) -> float:
    return 0.5 ** (1.0 / updates)


class SeasonalBaseline:
    """Hierarchical Gamma-Poisson rate of one count channel, learnt hour by hour.

    Parameters
    ----------
    steps_per_hour:
        How many observations make an hour (60 for minute counts, 12 for 5-minute counts).
    prior_rate:
        Rate per step assumed before any data: deliberately low, so a fresh detector expects
        little chatter until it has seen some.
    level_half_life_hours:
        Half-life of the recent-level correction (0: none).
    day_smoothing:
        Weight of each neighbouring hour in the hour-of-day rate: the hour's bucket counts
        ``1 - 2 * day_smoothing``, the hour before and the hour after ``day_smoothing`` each
        (0: the hour alone; at most 1/3).

    Examples
    --------
    >>> b = SeasonalBaseline(steps_per_hour=60)
    >>> for hour in range(24 * 7):
    ...     b.learn_hour(hour, total=120 if hour % 24 == 12 else 60, steps=60)
    >>> round(b.rate(12), 2), round(b.rate(13), 2)
    (1.84, 1.01)
    >>> smoothed = SeasonalBaseline(steps_per_hour=60, day_smoothing=0.25)  # noon lends to 11:00 and 13:00
    >>> for hour in range(24 * 7):
    ...     smoothed.learn_hour(hour, total=120 if hour % 24 == 12 else 60, steps=60)
    >>> round(smoothed.rate(12), 2), round(smoothed.rate(13), 2)
    (1.59, 1.13)
    """

    global_half_life_hours = 7 * 24.0
    hour_of_day_half_life = 14.0  # updates of that bucket, i.e. days
    hour_of_week_half_life = 4.0  # updates of that bucket, i.e. weeks
    level_pseudocount = 5.0  # counts added to both sides of the level's ratio: a few posts barely move it

    def __init__(self, steps_per_hour: int = 60, prior_rate: float = 0.01, level_half_life_hours: float = 6.0,
                 day_smoothing: float = 0.0) -> None:
        self.steps_per_hour = steps_per_hour
        self.prior_rate = prior_rate
        self.level_half_life_hours = level_half_life_hours  # 0: no level correction
        self.day_smoothing = day_smoothing
        self.global_counts = 0.0
        self.global_exposure = 0.0
        self.day_counts = [0.0] * 24
        self.day_exposure = [0.0] * 24
        self.week_counts = [0.0] * HOURS_PER_WEEK
        self.week_exposure = [0.0] * HOURS_PER_WEEK
        self.recent_counts = 0.0
        self.recent_expected = 0.0

    # The prior weights are exposures (in steps): how much data a bucket needs before its own
    # counts outweigh its parent's rate.
    @property
    def _global_prior_weight(self) -> float:
        return 1.0 * self.steps_per_hour

    @property
    def _day_prior_weight(self) -> float:
        return 2.0 * self.steps_per_hour

    @property
    def _week_prior_weight(self) -> float:
        return 2.0 * self.steps_per_hour

    def global_rate(self) -> float:
        """The overall rate per step, ignoring hour and weekday."""
        g_weight = self._global_prior_weight
        return (self.global_counts + g_weight * self.prior_rate) / (self.global_exposure + g_weight)

    def level(self) -> float:
        """The recent counts over what the buckets expected for them (1: the buckets are current)."""
        if not self.level_half_life_hours:
            return 1.0
        k = self.level_pseudocount
        return (self.recent_counts + k) / (self.recent_expected + k)

    def rate(self, epoch_hour: int) -> float:
        """Expected count per step during the given hour (hours counted from the Unix epoch)."""
        return self._seasonal_rate(epoch_hour) * self.level()

    def _seasonal_rate(self, epoch_hour: int) -> float:
        global_rate = self.global_rate()
        d = epoch_hour % 24
        day_weight, week_weight = self._day_prior_weight, self._week_prior_weight
        counts, exposure = self.day_counts[d], self.day_exposure[d]
        if self.day_smoothing:
            side, centre = self.day_smoothing, 1.0 - 2.0 * self.day_smoothing
            before, after = (d - 1) % 24, (d + 1) % 24
            counts = centre * counts + side * (self.day_counts[before] + self.day_counts[after])
            exposure = centre * exposure + side * (self.day_exposure[before] + self.day_exposure[after])
        day_rate = (counts + day_weight * global_rate) / (exposure + day_weight)
        w = hour_of_week(epoch_hour)
        return (self.week_counts[w] + week_weight * day_rate) / (self.week_exposure[w] + week_weight)

    def learn_hour(self, epoch_hour: int, total: float, steps: int) -> None:
        """Add one closed hour: ``total`` counts over ``steps`` observed steps."""
        if self.level_half_life_hours:
            f = _half_life_factor(self.level_half_life_hours)
            self.recent_expected = self.recent_expected * f + self._seasonal_rate(epoch_hour) * steps
            self.recent_counts = self.recent_counts * f + total
        g = _half_life_factor(self.global_half_life_hours)
        self.global_counts = self.global_counts * g + total
        self.global_exposure = self.global_exposure * g + steps
        d = epoch_hour % 24
        f = _half_life_factor(self.hour_of_day_half_life)
        self.day_counts[d] = self.day_counts[d] * f + total
        self.day_exposure[d] = self.day_exposure[d] * f + steps
        w = hour_of_week(epoch_hour)
        f = _half_life_factor(self.hour_of_week_half_life)
        self.week_counts[w] = self.week_counts[w] * f + total
        self.week_exposure[w] = self.week_exposure[w] * f + steps

    def state_dict(self) -> dict[str, Any]:
        return {k: (list(v) if isinstance(v, list) else v) for k, v in vars(self).items()}

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> "SeasonalBaseline":
        obj = cls(state["steps_per_hour"], state["prior_rate"])
        for k, v in state.items():
            setattr(obj, k, list(v) if isinstance(v, list) else v)
        return obj


def learning_clip(rate: float, dispersion: float = 1.0) -> int:
    """Largest count per step the baseline learns from: about four standard deviations up.

    The variance is ``dispersion * rate`` (quasi-Poisson); counts above the clip are clipped, so a
    burst in the history cannot drag the baseline up.

    >>> learning_clip(0.01), learning_clip(5.0), learning_clip(5.0, dispersion=4.0)
    (2, 15, 24)
    """
    return int(math.floor(rate + 4.0 * math.sqrt(dispersion * rate) + 2.0))
