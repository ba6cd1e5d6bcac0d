"""The one way through: collect → store → classify → count → detect → link → notify.

Each stage is a function over a :class:`~outage_signal.store.Store`, usable alone; :func:`run_pass`
chains them. Every stage is safe to re-run: what it already did, it does not do twice.
"""
from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from outage_signal.classifier import ComplaintClassifier, ServiceMatcher
from outage_signal.collector.records import Batch, Malformed
from outage_signal.collector.dumps import UnreadableDump, dump_reader, source_key
from outage_signal.detector import IncidentEvent, ServiceDetector, link_official
from outage_signal import notify
from outage_signal.config import DEFAULT_REPLAY, Config
from outage_signal.sources import Source, backfill_sources, replay_sources
from outage_signal.evaluation import ReplayScore, load_truth, score_replay
from outage_signal.prefetch import EncodedBatch, HelperDied, parallel_encoded
from outage_signal.store import Store, iso, minute_of, now_iso

Progress = Callable[[int], None]
log = logging.getLogger(__name__)


@dataclass
class IngestReport:
    batches: int = 0
    new_posts: int = 0
    incidents: int = 0
    malformed: list[Malformed] = field(default_factory=list)
    failures: dict[str, str] = field(default_factory=dict)  # source -> one-line error


def ingest(store: Store, batches: Iterable[Batch | EncodedBatch], report: IngestReport | None = None,
           progress: Progress | None = None) -> IngestReport:
    """Store each batch with its cursor in one transaction; malformed records are kept and counted."""
    report = report or IngestReport()
    for item in batches:
        batch, rows = (item.batch, item.rows) if isinstance(item, EncodedBatch) else (item, [])
        report.new_posts += store.save_batch(batch.source, batch.cursor, batch.posts, batch.incidents,
                                             batch.malformed, encoded_posts=rows, all_open=batch.all_open)
        posts = len(batch.posts) + len(rows)
        report.batches += 1
        report.incidents += len(batch.incidents)
        report.malformed.extend(batch.malformed)
        log.info("%s: %d posts, %d incidents, %d malformed stored; cursor now %s", batch.source,
                 posts, len(batch.incidents), len(batch.malformed), batch.cursor)
        if progress:
            progress(posts + len(batch.malformed))
    return report


def classify(store: Store, model: ComplaintClassifier, matcher: ServiceMatcher, chunk: int = 5000,
             progress: Progress | None = None) -> int:
    """Label every post the current model has not labeled yet, and refresh the counts. Returns posts labeled."""
    labeled = 0
    while rows := store.unlabeled_posts(model.version, limit=chunk):
        texts = [text for _, text in rows]
        probabilities = model.predict_proba(texts)
        labels = [(post_id, p, p >= model.threshold, matcher.match(text))
                  for (post_id, text), p in zip(rows, probabilities)]
        # The rows are every unlabeled post after the watermark, in id order: all up to the last are labeled.
        labeled += store.save_labels(model.version, labels, through=rows[-1][0])
        if progress:
            progress(len(rows))
    return labeled


# The newest minutes may still be filling (late posts, search index lag): leave them for the next run.
SETTLE_MINUTES = 2
# A day or more without a single stored post, from any source, is collection that stopped (a collector down,
# a dump's stray old post), not a day of silence: the detectors skip it rather than learn a day of zeros.
COLLECTION_GAP_MINUTES = 24 * 60


def reclassify(store: Store, model: ComplaintClassifier, matcher: ServiceMatcher,
               progress: Progress | None = None) -> int:
    """Label every post with ``model`` (after a model change) and rebuild all counts from its labels."""
    labeled = classify(store, model, matcher, progress=progress)
    store.recount_all(model.version)
    return labeled


def detect(store: Store, services: Sequence[str], endpoints: Sequence[notify.Endpoint],
           sensitivity: float = 1.0, until: str | None = None) -> list[IncidentEvent]:
    """Run each service's online detector from its saved state up to ``until``.

    ``until`` defaults to the newest stored post's minute less ``SETTLE_MINUTES``. Per service, the
    incident changes, their events, the outbox rows and the detector's new state are written in one
    transaction, so a crash leaves the previous state and a re-run redoes the same work.

    Quiet minutes count as zeros, but not those of a gap in collection: ``COLLECTION_GAP_MINUTES`` or more
    without any stored post, from any source, are skipped (the detectors learn nothing from them), also
    while the gap still goes on at ``until``.

    A service whose counts changed well behind its detector (history added by a backfill, an import
    or a reclassification: see ``Store.detector_state``) is detected again from its first minute.
    The detector is deterministic, so the incidents of unchanged history come back the same; those
    of the past are recorded without notifications, and incidents the fuller history no longer
    produces are marked ``superseded`` (one still open gets a ``resolved`` notification).
    """
    first, newest = store.first_post_minute(), store.last_post_minute()
    if first is None or newest is None:
        return []
    last = until or iso(datetime.fromisoformat(newest) - timedelta(minutes=SETTLE_MINUTES))
    end = datetime.fromisoformat(last)
    saved_states = {service: store.detector_state(service) for service in services}
    resumed = {service for service, saved in saved_states.items() if saved and not saved.stale_from}
    starts = {service: datetime.fromisoformat(saved_states[service].last_minute) + timedelta(minutes=1)
              if service in resumed else datetime.fromisoformat(first) for service in services}
    pending = [service for service in services if starts[service] <= end]
    if not pending:
        return []
    gaps = [(pd.Timestamp(before), pd.Timestamp(after)) for before, after
            in store.collection_gaps(iso(min(starts[s] for s in pending)), last, COLLECTION_GAP_MINUTES)]
    if end - datetime.fromisoformat(newest) > timedelta(minutes=COLLECTION_GAP_MINUTES):
        gaps.append((pd.Timestamp(newest), pd.Timestamp(end) + pd.Timedelta(minutes=1)))  # a gap still going on
    events: list[IncidentEvent] = []
    for service in pending:
        saved, start = saved_states[service], starts[service]
        detector = (ServiceDetector.from_state(saved.state) if service in resumed
                    else ServiceDetector(service, sensitivity))
        # Every minute of the span, quiet ones as zeros, through the detector's vectorised path; not the
        # minutes of a gap in collection.
        minutes = pd.date_range(start, end, freq="min")
        in_gap = np.zeros(len(minutes), dtype=bool)
        for before, after in gaps:
            in_gap[minutes.searchsorted(before, side="right"):minutes.searchsorted(after)] = True
        minutes = minutes[~in_gap]
        series = np.zeros((3, len(minutes)), dtype=np.int64)
        rows = store.counts(service, since=iso(start), until=iso(end))
        if rows:
            at = minutes.get_indexer(pd.DatetimeIndex([m for m, *_ in rows]))
            series[:, at] = np.array([r[1:] for r in rows], dtype=np.int64).T
        service_events = detector.update_many(minutes, *series)
        with store.transaction():
            if saved and saved.stale_from:
                _supersede(store, service, end, {e.incident_id for e in service_events}, endpoints)
            for event in service_events:
                past = saved is not None and iso(event.at) <= saved.last_minute  # already detected once
                _apply(store, event, [] if past else endpoints)
            store.save_detector_state(service, end, detector.state_dict())
        events.extend(service_events)
    return events


def _supersede(store: Store, service: str, end: datetime, reproduced: set[str],
               endpoints: Sequence[notify.Endpoint]) -> None:
    """Mark the service's incidents up to ``end`` that the fuller history did not reproduce.

    One still open was announced, so receivers hold an open alert: it is closed with a ``resolved``
    event at ``end``.
    """
    for incident_id in store.supersede_incidents(service, end, reproduced):
        record_event(store, incident_id, "resolved", end, endpoints)


def _apply(store: Store, event: IncidentEvent, endpoints: Sequence[notify.Endpoint]) -> None:
    """Record one detector event: the incident row, the event row and its outbox rows."""
    store.apply_event(event)
    record_event(store, event.incident_id, event.kind, event.at, endpoints)


def record_event(store: Store, incident_id: str, kind: str, at: datetime,
                 endpoints: Sequence[notify.Endpoint]) -> str:
    """Write an incident event (with a payload built from the incident row as it is now) and its outbox
    rows, inside the caller's transaction."""
    event_id = f"{incident_id}:{kind}:{minute_of(at)}"
    incident = store.incident(incident_id)
    if store.add_event(event_id, incident_id, kind, at, event_payload(store, event_id, kind, at, incident)):
        notify.enqueue(store, event_id, incident["service"], kind, endpoints, now_iso())
    return event_id


def event_payload(store: Store, event_id: str, kind: str, at: datetime, incident: dict[str, Any]) -> dict[str, Any]:
    official = store.official_incident(incident["service"], incident["official_id"]) if incident["official_id"] else None
    samples = store.sample_complaints(incident["service"], incident["started_at"], minute_of(at))
    return {
        "event_id": event_id, "kind": kind, "service": incident["service"], "incident_id": incident["id"],
        "at": iso(at), "started_at": incident["started_at"], "opened_at": incident["opened_at"],
        "resolved_at": incident["resolved_at"], "complaints": incident["complaints"],
        "expected": round(incident["expected"], 2), "peak_per_minute": round(incident["peak_per_minute"], 2),
        "lead_minutes": incident["lead_minutes"], "acknowledged_by": incident["acknowledged_by"],
        "official": official,
        "sample_posts": [{"text": text, "url": url} for text, url in samples],
    }


def link(store: Store, endpoints: Sequence[notify.Endpoint], max_gap: timedelta = timedelta(hours=2)) -> int:
    """Link detected incidents to official ones, record who acknowledged each first and our lead, and an
    ``acknowledged`` event the first time.

    An incident's official incident is the status page's (``link_official``: time, impact, components).
    Its acknowledgement is the earliest of that incident's and of the first post of the service's official
    Bluesky accounts during the incident (from its change point, less ``SOCIAL_LEEWAY``, to its
    resolution): the first to speak wins. Returns the number of incidents newly acknowledged.
    """
    linked = 0
    for service in store.incident_services():
        official = store.official_incidents(service)
        if not official:
            continue
        incidents = store.incidents(service)
        pages = [o for o in official if o["source"] == "status_page"]
        posts = [o for o in official if o["source"] != "status_page"]  # acknowledged_at order
        matches = link_official(
            [(i["id"], _time(i["opened_at"]), _time(i["resolved_at"])) for i in incidents],
            [(o["source_id"], _time(o["acknowledged_at"]), _time(o["resolved_at"]), o["impact"],
              tuple(json.loads(o["components"]))) for o in pages],
            max_gap=max_gap)
        acknowledged = {o["source_id"]: o["acknowledged_at"] for o in pages}
        with store.transaction():
            for incident in incidents:
                said = []  # (when, who, which official incident)
                if incident["id"] in matches:
                    page_incident = matches[incident["id"]][0]
                    said.append((acknowledged[page_incident], "status_page", page_incident))
                post = _first_post(posts, incident)
                if post:
                    said.append((post["acknowledged_at"], post["source"], post["source_id"]))
                if not said:
                    continue
                at, by, _ = min(said)
                official_id = said[0][2]  # the status page's incident when there is one, else the post
                if (incident["official_id"], incident["acknowledged_at"], incident["acknowledged_by"]) == \
                        (official_id, at, by):
                    continue
                lead = (_time(at) - _time(incident["opened_at"])).total_seconds() / 60.0
                store.link_incident(incident["id"], official_id, at, lead, by)
                if incident["acknowledged_at"] is None:
                    record_event(store, incident["id"], "acknowledged", _time(at), endpoints)
                    linked += 1
    return linked


# An official post may come a little before the complaints' change point is estimated to be.
SOCIAL_LEEWAY = timedelta(minutes=30)


def _first_post(posts: list[dict[str, Any]], incident: dict[str, Any]) -> dict[str, Any] | None:
    """The first official post during ``incident`` (``posts`` in time order), or None."""
    start, end = _time(incident["started_at"]) - SOCIAL_LEEWAY, _time(incident["resolved_at"])
    return next((p for p in posts if start <= _time(p["acknowledged_at"]) <= (end or _time(p["acknowledged_at"]))), None)


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


@dataclass
class PassSummary:
    ingest: IngestReport
    labeled: int
    events: list[IncidentEvent]
    linked: int
    delivery: notify.DeliveryReport | None

    def line(self) -> str:
        """The one-line summary the scheduled job ends with."""
        opened = sum(e.kind == "opened" for e in self.events)
        resolved = sum(e.kind == "resolved" for e in self.events)
        failed = f", {len(self.ingest.failures)} source(s) failing" if self.ingest.failures else ""
        delivered = (f", {self.delivery.delivered} notification(s) sent, {self.delivery.pending} pending"
                     if self.delivery else "")
        if self.delivery and self.delivery.dead:  # given up: cron must hear of it (see ``run --help``)
            delivered += f", {self.delivery.dead} dead (see `outage-signal deliveries --status dead`)"
        return (f"{self.ingest.new_posts} new posts ({len(self.ingest.malformed)} malformed), "
                f"{self.labeled} classified, {opened} incident(s) opened, {resolved} resolved, "
                f"{self.linked} linked to official{delivered}{failed}")


def run_pass(store: Store, config: Config, model: ComplaintClassifier, sources: Sequence[Source],
             endpoints: Sequence[notify.Endpoint], *, deliver: bool = True, dry_run: bool = False,
             until: str | None = None, progress: Progress | None = None,
             echo: Callable[[str], None] = print) -> PassSummary:
    """One pass of the job. A source that fails is reported in the summary; the others go on."""
    report = IngestReport()
    for name, batches in sources:
        try:
            ingest(store, batches(), report, progress)
        except Exception as e:  # noqa: BLE001 - one broken source must not stop the others
            report.failures[name] = f"{type(e).__name__}: {e}"
            log.warning("source %s failed: %s", name, report.failures[name])
    summary = analyse(store, config, model, endpoints, report, deliver=deliver, dry_run=dry_run, until=until,
                      progress=progress, echo=echo)
    log.info("pass done: %s", summary.line())
    return summary


def analyse(store: Store, config: Config, model: ComplaintClassifier, endpoints: Sequence[notify.Endpoint],
            report: IngestReport, *, deliver: bool = True, dry_run: bool = False, until: str | None = None,
            progress: Progress | None = None, echo: Callable[[str], None] = print) -> PassSummary:
    """What follows collection, in a pass or every minute of ``stream``: classify, count, detect up to
    ``until``, link, notify."""
    labeled = classify(store, model, ServiceMatcher(**config.matcher_names()), progress=progress)
    events = detect(store, list(config.services), endpoints, config.sensitivity, until=until)
    linked = link(store, endpoints)
    delivery = notify.deliver(store, endpoints, dry_run=dry_run, echo=echo) if deliver else None
    return PassSummary(report, labeled, events, linked, delivery)


def import_files(store: Store, paths: Sequence[Path], progress: Progress | None = None) -> IngestReport:
    """Load bulk dump files (resuming each from its stored cursor); a failing file does not stop the rest.

    A file is failing when it cannot be read as a whole (see :class:`UnreadableDump`), or when it had
    lines to read and none of them loaded."""
    report = IngestReport()
    for path in paths:
        new_posts, malformed = report.new_posts, len(report.malformed)
        try:
            chunks, parse = dump_reader(path, store.cursor(source_key(Path(path))))
            ingest(store, parallel_encoded(chunks, parse, store.encoder), report, progress)
        except (OSError, HelperDied) as e:
            report.failures[str(path)] = f"{type(e).__name__}: {e}"
        except UnreadableDump as e:
            report.failures[str(path)] = str(e)
        else:
            if report.new_posts == new_posts and len(report.malformed) > malformed:
                report.failures[str(path)] = (f"nothing loaded: {len(report.malformed) - malformed} malformed "
                                              "line(s) and no new post")
    return report


def backfill(store: Store, config: Config, model: ComplaintClassifier, source: str, since: datetime,
             until: datetime, progress: Progress | None = None) -> PassSummary:
    """Collect a past window from one source, then classify, detect and link, without notifying anyone.

    ``config`` may be narrowed to one service first. Each window has cursors of its own, so an
    interrupted backfill resumes where it stopped.
    """
    sources = backfill_sources(store, config, source, since, until)
    return run_pass(store, config, model, sources, [], deliver=False, progress=progress)


def demo(store: Store, config: Config, model: ComplaintClassifier, endpoints: Sequence[notify.Endpoint],
         replay_dir: Path = DEFAULT_REPLAY, progress: Progress | None = None,
         echo: Callable[[str], None] = print) -> tuple[PassSummary, ReplayScore]:
    """Run the whole job over the bundled replay stream, then score its incidents against the truth."""
    summary = run_pass(store, config, model, replay_sources(store, replay_dir), endpoints, progress=progress,
                       echo=echo)
    return summary, score_replay(store.incidents(), load_truth(replay_dir / "truth.json"))
