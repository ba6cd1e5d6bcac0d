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


# Statuspage's impact scale, which every status reader maps its platform's onto ("unknown": not said).
IMPACT_RANK = {"none": 0, "unknown": 1, "minor": 1, "major": 2, "critical": 3}
# An official incident naming this many components or fewer is about those parts ("Codespaces is
# degraded"), not the whole service: a surge of complaints about the service is less likely its echo.
COMPONENT_ONLY_MAX = 2
# What a weaker explanation of a complaint surge costs, in minutes of distance between the two times.
IMPACT_STEP_MINUTES = 10.0
COMPONENT_ONLY_MINUTES = 20.0


def component_only(components: Sequence[str]) -> bool:
    """Whether an official incident naming ``components`` is about part of the service only.

    >>> component_only(["Codespaces"]), component_only([]), component_only(["API", "Git", "Pages", "Actions"])
    (True, False, False)
    """
    return 0 < len(components) <= COMPONENT_ONLY_MAX


def link_official(
    incidents: Sequence[tuple[str, datetime, datetime | None]],
    official: Sequence[tuple],
    max_gap: timedelta = timedelta(hours=2),
) -> dict[str, tuple[str, float]]:
    """Match detected incidents to official ones and measure our lead.

    ``incidents`` holds ``(incident_id, opened_at, resolved_at)`` where ``opened_at`` is the ALARM
    time (the ``at`` of the ``opened`` event, not the change-point estimate) and ``resolved_at`` is
    None while the incident is open. ``official`` holds ``(official_id, acknowledged_at, resolved_at)``,
    optionally followed by ``impact`` (Statuspage's scale) and ``components``. Returns
    ``{incident_id: (official_id, lead_minutes)}`` with ``lead_minutes = acknowledged_at - opened_at``
    in minutes: positive when we were first. The caller passes one service's incidents only, so
    nothing is ever linked across services.

    Matching rule: a pair is a candidate when the two intervals overlap or the gap between them is
    at most ``max_gap`` (an open interval runs forever; an official incident without a resolution
    time is taken as the instant of its acknowledgement). Each candidate pair has a distance: the
    minutes between acknowledgement and alarm, plus ``IMPACT_STEP_MINUTES`` for each step its impact
    stands below critical, plus ``COMPONENT_ONLY_MINUTES`` when it names only a component or two: a
    surge of complaints about a service is best explained by the widest, most severe incident of its
    time. Pairs are matched greedily, nearest first, each incident and each official incident at most
    once. Incidents that match nothing are absent from the result: they stay unacknowledged.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> t = lambda h, m: datetime(2026, 1, 1, h, m, tzinfo=timezone.utc)
    >>> link_official([("svc:a", t(10, 0), t(11, 0)), ("svc:b", t(20, 0), None)],
    ...               [("gh-1", t(10, 25), t(12, 0))])
    {'svc:a': ('gh-1', 25.0)}

    A "Codespaces degraded" incident acknowledged first does not take the surge a major outage
    acknowledged ten minutes later explains:

    >>> link_official([("svc:a", t(10, 0), t(11, 0))],
    ...               [("codespaces", t(10, 5), t(10, 50), "minor", ("Codespaces",)),
    ...                ("outage", t(10, 15), t(11, 30), "major", ())])
    {'svc:a': ('outage', 15.0)}
    """
    candidates = []
    for inc_id, opened, inc_resolved in incidents:
        inc_end = inc_resolved
        for off_id, acked, off_resolved, *rest in official:
            impact, components = (list(rest) + ["unknown", ()])[:2]
            off_end = off_resolved if off_resolved is not None else acked
            gap_after_ours = acked - inc_end if inc_end is not None else timedelta(0)
            gap_after_theirs = opened - off_end
            if max(gap_after_ours, gap_after_theirs) <= max_gap:
                distance = (abs((acked - opened).total_seconds()) / 60.0
                            + IMPACT_STEP_MINUTES * (IMPACT_RANK["critical"] - IMPACT_RANK.get(impact, 1))
                            + (COMPONENT_ONLY_MINUTES if component_only(components) else 0.0))
                candidates.append((distance, inc_id, off_id, (acked - opened).total_seconds() / 60.0))
    candidates.sort(key=lambda row: (row[0], row[1], row[2]))
    links: dict[str, tuple[str, float]] = {}
    used_official: set[str] = set()
    for _, inc_id, off_id, lead in candidates:
        if inc_id in links or off_id in used_official:
            continue
        links[inc_id] = (off_id, lead)
        used_official.add(off_id)
    return links
