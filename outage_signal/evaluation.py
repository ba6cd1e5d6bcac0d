"""Score detected incidents against known outages: the replay's ground truth (``datasets/replay/truth.json``)
and the scenario suite's windows (:func:`score_alarms`)."""
from __future__ import annotations

import json
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

# An alarm counts for an outage if raised between its start and this long after its end: later than
# that, people have stopped complaining and the alarm is noise.
LATE_MARGIN = timedelta(minutes=30)


@dataclass
class ReplayScore:
    outages: int
    caught: int
    false_alarms: int
    service_weeks: float
    minutes_to_alarm: list[float] = field(default_factory=list)
    lead_over_official: list[float] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)  # one per outage and per false alarm

    @property
    def recall(self) -> float:
        return self.caught / self.outages if self.outages else 0.0

    @property
    def false_alarms_per_service_week(self) -> float:
        return self.false_alarms / self.service_weeks if self.service_weeks else 0.0

    def figures(self) -> dict[str, float | int | None]:
        median = lambda xs: round(statistics.median(xs), 1) if xs else None  # noqa: E731
        return {"outages": self.outages, "caught": self.caught, "missed": self.outages - self.caught,
                "false_alarms": self.false_alarms, "recall": round(self.recall, 3),
                "false_alarms_per_service_week": round(self.false_alarms_per_service_week, 3),
                "median_minutes_to_alarm": median(self.minutes_to_alarm),
                "median_lead_over_official_minutes": median(self.lead_over_official)}


def load_truth(path: str | Path) -> dict[str, Any]:
    return json.loads(Path(path).read_text())


def score_replay(incidents: Sequence[dict[str, Any]], truth: dict[str, Any]) -> ReplayScore:
    """Match stored incidents (rows of the ``incidents`` table) to the truth's outages, per service.

    An outage is caught by the first incident of its service opened within [start, end + LATE_MARGIN];
    every incident that catches no outage is a false alarm.
    """
    outages = truth["outages"]
    services = {o["service"] for o in outages}
    weeks = truth["days"] / 7
    used: set[str] = set()
    score = ReplayScore(outages=len(outages), caught=0, false_alarms=0, service_weeks=len(services) * weeks)
    for outage in sorted(outages, key=lambda o: o["start"]):
        start, end = datetime.fromisoformat(outage["start"]), datetime.fromisoformat(outage["end"])
        candidates = [i for i in incidents if i["service"] == outage["service"] and i["id"] not in used
                      and start <= datetime.fromisoformat(i["opened_at"]) <= end + LATE_MARGIN]
        row = {"outage": outage["id"], "service": outage["service"], "shape": outage["shape"],
               "start": outage["start"], "acknowledged_at": outage["acknowledged_at"], "incident": None}
        if candidates:
            incident = min(candidates, key=lambda i: i["opened_at"])
            used.add(incident["id"])
            opened = datetime.fromisoformat(incident["opened_at"])
            row.update(incident=incident["id"], opened_at=incident["opened_at"],
                       minutes_to_alarm=(opened - start).total_seconds() / 60)
            score.caught += 1
            score.minutes_to_alarm.append(row["minutes_to_alarm"])
            if outage["acknowledged_at"]:
                row["lead_minutes"] = (datetime.fromisoformat(outage["acknowledged_at"]) - opened).total_seconds() / 60
                score.lead_over_official.append(row["lead_minutes"])
        score.rows.append(row)
    for incident in incidents:
        if incident["id"] not in used and incident["service"] in services:
            score.false_alarms += 1
            score.rows.append({"outage": None, "service": incident["service"], "incident": incident["id"],
                               "opened_at": incident["opened_at"]})
    return score


@dataclass
class SeriesScore:
    """Alarms on series with known outages, scored as issue 15 states the targets.

    An outage over ``[start, end)`` is caught by the first alarm opened in ``[start, end]``; an alarm
    within ``LATE_MARGIN`` after an outage's end is neither a catch nor a false alarm; every other
    alarm is a false alarm. Scores of several series add up with ``+``.
    """

    outages: int = 0
    caught: int = 0
    false_alarms: int = 0
    weeks: float = 0.0
    minutes_to_alarm: list[float] = field(default_factory=list)

    def __add__(self, other: "SeriesScore") -> "SeriesScore":
        return SeriesScore(self.outages + other.outages, self.caught + other.caught,
                           self.false_alarms + other.false_alarms, self.weeks + other.weeks,
                           self.minutes_to_alarm + other.minutes_to_alarm)

    @property
    def recall(self) -> float | None:
        return self.caught / self.outages if self.outages else None

    @property
    def false_alarms_per_week(self) -> float:
        return self.false_alarms / self.weeks if self.weeks else 0.0

    @property
    def median_minutes_to_alarm(self) -> float | None:
        return statistics.median(self.minutes_to_alarm) if self.minutes_to_alarm else None


def score_alarms(alarms: Sequence[float], outages: Sequence[tuple[float, float]], weeks: float) -> SeriesScore:
    """Score alarm times against outage windows ``(start, end)`` of one series, all in minutes.

    >>> s = score_alarms([5, 130, 400], [(0, 60), (100, 160)], weeks=1.0)
    >>> s.caught, s.false_alarms, s.minutes_to_alarm
    (2, 1, [5, 30])
    >>> score_alarms([75], [(0, 60)], weeks=1.0).false_alarms   # 15 min after the end: late, not false
    0
    """
    late = LATE_MARGIN.total_seconds() / 60
    alarms = sorted(alarms)
    score = SeriesScore(outages=len(outages), weeks=weeks)
    for start, end in outages:
        inside = [a for a in alarms if start <= a <= end]
        if inside:
            score.caught += 1
            score.minutes_to_alarm.append(inside[0] - start)
    score.false_alarms = sum(1 for a in alarms if not any(start <= a <= end + late for start, end in outages))
    return score
