"""Incident events, and linking detected incidents to the status page's official incidents."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal, Sequence

EventKind = Literal["opened", "escalated", "resolved"]


@dataclass(frozen=True)
class IncidentEvent:
    """One change in a detected incident's life.

    ``incident_id`` is ``"<service>:<started_at as YYYYmmddTHHMMZ>"``: deterministic, so a re-run
    over the same counts gives the same ids. ``at`` is the minute the event is emitted (for
    ``opened`` it is the alarm time); ``started_at`` is the CUSUM's estimate of the change point
    (the minute after the statistic last stood at zero), never later than the opening.
    ``complaints`` is the total complaint posts since ``started_at``; ``expected`` is what the
    baseline expected over the same minutes (of distinct complaining authors, the count the
    detector tests); ``peak_per_minute`` the largest complaints count in one step;
    ``score`` the CUSUM log-likelihood-ratio statistic at the event.
    """

    kind: EventKind
    service: str
    incident_id: str
    at: datetime
    started_at: datetime
    complaints: int
    peak_per_minute: float
    expected: float
    score: float


def link_official(
    incidents: Sequence[tuple[str, datetime, datetime | None]],
    official: Sequence[tuple[str, datetime, datetime | None]],
    max_gap: timedelta = timedelta(hours=2),
) -> dict[str, tuple[str, float]]:
    """Match detected incidents to official ones and measure our lead.

    ``incidents`` holds ``(incident_id, opened_at, resolved_at)`` where ``opened_at`` is the ALARM
    time (the ``at`` of the ``opened`` event, not the change-point estimate) and ``resolved_at`` is
    None while the incident is open. ``official`` holds ``(official_id, acknowledged_at,
    resolved_at)``. Returns ``{incident_id: (official_id, lead_minutes)}`` with
    ``lead_minutes = acknowledged_at - opened_at`` in minutes: positive when we were first.

    Matching rule: a pair is a candidate when the two intervals overlap or the gap between them is
    at most ``max_gap`` (an open interval runs forever; an official incident without a resolution
    time is taken as the instant of its acknowledgement). Candidates are matched greedily, closest
    ``|acknowledged_at - opened_at|`` first, each incident and each official incident at most once.
    Incidents that match nothing are simply absent from the result: they stay as unacknowledged
    incidents.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> t = lambda h, m: datetime(2026, 1, 1, h, m, tzinfo=timezone.utc)
    >>> link_official([("svc:a", t(10, 0), t(11, 0)), ("svc:b", t(20, 0), None)],
    ...               [("gh-1", t(10, 25), t(12, 0))])
    {'svc:a': ('gh-1', 25.0)}
    """
    candidates = []
    for inc_id, opened, inc_resolved in incidents:
        inc_end = inc_resolved
        for off_id, acked, off_resolved in official:
            off_end = off_resolved if off_resolved is not None else acked
            gap_after_ours = acked - inc_end if inc_end is not None else timedelta(0)
            gap_after_theirs = opened - off_end
            if max(gap_after_ours, gap_after_theirs) <= max_gap:
                candidates.append((abs(acked - opened), inc_id, off_id, (acked - opened).total_seconds() / 60.0))
    candidates.sort(key=lambda row: (row[0], row[1], row[2]))
    links: dict[str, tuple[str, float]] = {}
    used_official: set[str] = set()
    for _, inc_id, off_id, lead in candidates:
        if inc_id in links or off_id in used_official:
            continue
        links[inc_id] = (off_id, lead)
        used_official.add(off_id)
    return links
