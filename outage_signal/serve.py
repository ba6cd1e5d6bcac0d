"""``outage-signal serve``: a live status board, a JSON API and Prometheus metrics, over the database.

Read-only: every server thread opens its own read-only connection (SQLite ``mode=ro``), so ``serve`` runs
beside ``run`` or ``stream`` writing in WAL mode. Readers see each write once it commits and never block
the writer (nor it them). The pages are rendered on the server, charts as inline SVG: a page needs
nothing from the internet, nor any script.

"Now" is the real time, unless the newest stored minute is more than an hour old (a demo database, a
collector that stopped): then the board shows the time up to its newest data, and says so. ``--now``
pins it, to look back at a moment (the demo's outages: ``--now 2026-09-09T14:40``).
"""
from __future__ import annotations

import argparse
import logging
import math
import os
import socket
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from importlib import resources
from pathlib import Path
from typing import Any, NoReturn
from urllib.parse import quote

import uvicorn
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.process_collector import ProcessCollector
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from outage_signal.collector.jetstream import CURSOR_KEY as JETSTREAM_CURSOR, stream_lag
from outage_signal.config import Config, load_config
from outage_signal.detector import ServiceDetector
from outage_signal.store import Store, iso

WEB = Path(str(resources.files("outage_signal") / "web"))
BOARD_HOURS = 6  # the board's charts
SERVICE_HOURS = 24  # a service page's chart
MAX_HOURS = 7 * 24  # the most /api/services/{key}?hours= gives
STALE_AFTER = timedelta(hours=1)  # no count this recent: "now" becomes the newest stored minute
REFRESH_SECONDS = 30  # the pages reload themselves
RATE_MINUTES = 5  # /metrics' per-minute rates: the mean of the last 5 minutes (one minute is too noisy)
SAMPLE_POSTS = 10


class ServeError(RuntimeError):
    """``serve`` cannot start: the address cannot be bound."""


# --- what the pages and the API show -------------------------------------------------------------

def board_now(store: Store, pinned: datetime | None = None,
              real_now: datetime | None = None) -> tuple[datetime, str | None]:
    """The board's "now" (a minute, the last one shown) and, when it is not the real time, why not."""
    if pinned is not None:
        return _minute(pinned), f"The time is pinned with --now to {shown(pinned)} UTC."
    real_now = real_now or datetime.now(timezone.utc)
    newest = store.newest_count_minute()
    if newest and real_now - datetime.fromisoformat(newest) > STALE_AFTER:
        return datetime.fromisoformat(newest), (f"No data since {shown(newest)} UTC: the board shows the time up "
                                                "to its newest stored minute.")
    return _minute(real_now), None


def _minute(moment: datetime) -> datetime:
    moment = moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).replace(second=0, microsecond=0)


def shown(moment: datetime | str | None) -> str:
    """``2026-09-09T14:18:00+00:00`` as ``2026-09-09 14:18``; "-" for none."""
    if moment is None:
        return "-"
    text = moment if isinstance(moment, str) else moment.isoformat()
    return text[:16].replace("T", " ")


def normal_band(detector: ServiceDetector, minute: datetime) -> tuple[float, float]:
    """The complaining authors the detector expects in ``minute``, and the top of the normal band: three
    standard deviations above, with the detector's own over-dispersion (variance mu + a mu^2)."""
    mean = detector.authors_baseline.rate(int(minute.timestamp() // 3600))
    return mean, mean + 3 * math.sqrt(mean + detector.overdispersion * mean * mean)


def as_of(incident: dict[str, Any], now: datetime) -> dict[str, Any]:
    """An incident as it stood at ``now``: what happened later (resolution, acknowledgement) not yet."""
    incident = dict(incident)
    if incident["resolved_at"] and incident["resolved_at"] > iso(now):
        incident.update(status="open", resolved_at=None)
    if incident["acknowledged_at"] and incident["acknowledged_at"] > iso(now):
        incident.update(official_id=None, acknowledged_at=None, acknowledged_by=None, lead_minutes=None)
    # Open and not acknowledged: how long the status page has been silent since our alarm.
    incident["status_page_silent_minutes"] = (
        round((now - datetime.fromisoformat(incident["opened_at"])).total_seconds() / 60)
        if incident["status"] == "open" and incident["acknowledged_at"] is None else None)
    incident["url"] = incident_path(incident["id"])
    return incident


def official_as_of(official: dict[str, Any] | None, now: datetime) -> dict[str, Any] | None:
    """An official incident as the status page told it up to ``now`` (None if acknowledged later)."""
    if official is None or official["acknowledged_at"] > iso(now):
        return None
    updates = [u for u in official["updates"] if _utc_text(u.get("at")) <= iso(now)]
    resolved = official["resolved_at"] if official["resolved_at"] and official["resolved_at"] <= iso(now) else None
    return {"id": official["source_id"], "title": official["title"], "impact": official["impact"],
            "acknowledged_at": official["acknowledged_at"], "resolved_at": resolved, "url": official["url"],
            "last_update": updates[-1].get("body") if updates else None}


def _utc_text(stamp: str | None) -> str:
    """An update's time ("2026-09-19T20:13:00.000Z") in the store's form, comparable as text."""
    if not stamp:
        return ""
    return iso(datetime.fromisoformat(stamp.replace("Z", "+00:00"))) or ""


def incident_path(incident_id: str) -> str:
    return f"/incidents/{quote(incident_id, safe=':')}"


@dataclass
class Chart:
    """One service's complaining authors per minute over a window against its normal band, as SVG geometry."""

    width: int
    height: int
    count: int  # minutes drawn
    peak: int  # the most complaining authors in one minute
    top: float  # the value at the top of the chart
    points: str  # the authors' polyline
    band: str  # the normal band's polygon
    expected: str  # the expected rate's polyline
    spans: list[dict[str, Any]] = field(default_factory=list)  # incidents: x, width, label
    acknowledged: list[float] = field(default_factory=list)  # status page acknowledgements: x
    ticks: list[str] = field(default_factory=list)  # evenly spaced time labels, first to last minute


def chart(series: list[dict[str, Any]], incidents: list[dict[str, Any]], officials: list[dict[str, Any]],
          width: int = 720, height: int = 150) -> Chart:
    start, end = datetime.fromisoformat(series[0]["minute"]), datetime.fromisoformat(series[-1]["minute"])
    span_minutes = max(1.0, (end - start).total_seconds() / 60)
    # The band and the expected rate change once an hour: a point where they change is enough.
    known = [(k, p) for k, p in enumerate(series) if p["expected"] is not None]
    steps = [(k, p) for n, (k, p) in enumerate(known)
             if n in (0, len(known) - 1) or p["expected"] != known[n - 1][1]["expected"]
             or p["expected"] != known[n + 1][1]["expected"]]
    peak = max(p["authors"] for p in series)
    top = max(1.0, peak, *(p["band_upper"] for _, p in steps)) * 1.1
    step = width / max(1, len(series) - 1)

    def x(moment: datetime) -> float:
        return round(min(max((moment - start).total_seconds() / 60, 0), span_minutes) / span_minutes * width, 1)

    def y(value: float) -> str:
        return f"{height - value / top * height:.1f}"

    # Formatted once per distinct count: most minutes share a handful of values (a board is 50 x 360 points).
    heights = {authors: y(authors) for authors in {p["authors"] for p in series}}
    points = " ".join(f"{k * step:.1f},{heights[p['authors']]}" for k, p in enumerate(series))
    band = " ".join([f"{k * step:.1f},{y(p['band_upper'])}" for k, p in steps]
                    + ([f"{known[-1][0] * step:.1f},{height}", f"{known[0][0] * step:.1f},{height}"] if known else []))
    expected = " ".join(f"{k * step:.1f},{y(p['expected'])}" for k, p in steps)
    spans = []
    for incident in incidents:
        began = datetime.fromisoformat(incident["started_at"])
        ended = datetime.fromisoformat(incident["resolved_at"]) if incident["resolved_at"] else end
        if ended < start or began > end:
            continue
        spans.append({"x": x(began), "width": max(1.0, x(ended) - x(began)),
                      "label": f"incident from {shown(incident['started_at'])}"})
    acknowledged = [x(datetime.fromisoformat(o["acknowledged_at"])) for o in officials
                    if start <= datetime.fromisoformat(o["acknowledged_at"]) <= end]
    ticks = [shown(start + (end - start) * i / 6)[11:] for i in range(7)]
    return Chart(width, height, len(series), peak, round(top, 2), points, band, expected, spans, acknowledged, ticks)


class Detectors:
    """The saved detectors, each parsed again only when detection has moved on (a state is ~40 KB of JSON)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._parsed: dict[str, tuple[str, ServiceDetector]] = {}

    def current(self, store: Store) -> dict[str, ServiceDetector]:
        detectors = {}
        for service, last_minute in store.detector_minutes().items():
            with self._lock:
                parsed = self._parsed.get(service)
            if parsed is None or parsed[0] != last_minute:
                saved = store.detector_state(service)
                if saved is None:
                    continue
                parsed = (saved.last_minute, ServiceDetector.from_state(saved.state))
                with self._lock:
                    self._parsed[service] = parsed
            detectors[service] = parsed[1]
        return detectors


class Board:
    """What the pages, the API and /metrics read, from one database and one catalog."""

    def __init__(self, db_path: Path, config: Config, pinned_now: datetime | None = None):
        self.db_path, self.config, self.pinned_now = Path(db_path), config, pinned_now
        self.detectors = Detectors()
        self._local = threading.local()

    def store(self) -> Store:
        """This thread's read-only connection (an SQLite connection belongs to the thread that made it)."""
        store = getattr(self._local, "store", None)
        if store is None:
            store = self._local.store = Store(self.db_path, readonly=True)
        return store

    def now(self) -> tuple[datetime, str | None]:
        return board_now(self.store(), self.pinned_now)

    def name(self, service: str) -> str:
        known = self.config.services.get(service)
        return (known.name if known else "") or service

    def services(self, now: datetime, hours: int = BOARD_HOURS, service: str | None = None,
                 with_series: bool = False, with_chart: bool = False) -> list[dict[str, Any]]:
        """One row per catalog service (or just ``service``): the last hour against the expected rate, the
        alarm statistic (as the last detection left it), the open incident and the status page's last word;
        with ``with_series`` the per-minute series of the last ``hours``, with ``with_chart`` its chart.
        Services with an open incident come first."""
        store = self.store()
        since = now - timedelta(minutes=hours * 60 - 1)
        counts = store.counts_by_service(iso(since), iso(now), service)
        detectors = self.detectors.current(store)
        open_incidents: dict[str, dict[str, Any]] = {}
        for incident in store.latest_incidents(until=iso(now), status="open", limit=1000):
            open_incidents.setdefault(incident["service"], as_of(incident, now))
        officials = store.latest_official_incidents(iso(now))
        stamps = minute_stamps(since, hours * 60)
        rows = []
        for key in [service] if service else list(self.config.services):
            detector = detectors.get(key)
            series = minute_series(counts.get(key, []), stamps, detector)
            last_hour = series[-60:]
            official = official_as_of(officials.get(key), now)
            row = {
                "service": key, "name": self.name(key), "url": f"/services/{key}",
                "complaints_last_hour": sum(p["complaints"] for p in last_hour),
                "authors_last_hour": sum(p["authors"] for p in last_hour),
                "mentions_last_hour": sum(p["mentions"] for p in last_hour),
                "expected_authors_last_hour": round(sum(p["expected"] for p in last_hour), 2) if detector else None,
                "alarm_statistic": round(detector.cusum, 3) if detector else None,
                "alarm_level": round(detector.alarm_level, 3) if detector else None,
                "open_incident": open_incidents.get(key),
                "last_official": official,
            }
            if with_series:
                row["series"] = series
            if with_chart:
                shown_incidents = [row["open_incident"]] if row["open_incident"] else []
                shown_incidents += [as_of(i, now) for i in store.incidents_overlapping(key, iso(since), iso(now))
                                    if not row["open_incident"] or i["id"] != row["open_incident"]["id"]]
                row["chart"] = chart(series, shown_incidents, [official] if official else [])
            rows.append(row)
        rows.sort(key=lambda r: r["open_incident"] is None)  # stable: catalog order otherwise
        return rows

    def incidents(self, now: datetime, service: str | None = None, status: str | None = None,
                  limit: int = 100) -> list[dict[str, Any]]:
        """Incidents opened up to ``now``, newest first, as they stood then."""
        return [as_of(i, now) for i in self.store().latest_incidents(service, iso(now), status, limit)]

    def incident(self, incident_id: str, now: datetime) -> dict[str, Any] | None:
        """One incident as it stood at ``now``, with its official incident, events, sample posts and chart."""
        store = self.store()
        row = store.incident(incident_id)
        if row is None or row["status"] == "superseded" or row["opened_at"] > iso(now):
            return None
        incident = as_of(row, now)
        incident["name"] = self.name(incident["service"])
        official = (store.official_incident_row(incident["service"], row["official_id"])
                    if row["official_id"] else None)
        incident["official"] = official_as_of(official, now) if incident["official_id"] else None
        incident["events"] = [e for e in store.incident_events(incident_id) if e["at"] <= iso(now)]
        until = datetime.fromisoformat(incident["resolved_at"]) if incident["resolved_at"] else now
        incident["sample_posts"] = [{"text": text, "url": url} for text, url in store.sample_complaints(
            incident["service"], incident["started_at"], iso(until), limit=SAMPLE_POSTS)]
        # The chart: two hours before the change point to an hour after the end, within a day and within now.
        since = datetime.fromisoformat(incident["started_at"]) - timedelta(hours=2)
        end = min(now, until + timedelta(hours=1), since + timedelta(hours=24))
        counts = store.counts_by_service(iso(since), iso(end), incident["service"]).get(incident["service"], [])
        minutes = int((end - since).total_seconds() // 60) + 1
        series = minute_series(counts, minute_stamps(since, minutes),
                               self.detectors.current(store).get(incident["service"]))
        incident["chart"] = chart(series, [incident], [incident["official"]] if incident["official"] else [])
        return incident


def minute_stamps(since: datetime, minutes: int) -> list[str]:
    """The stored form of ``minutes`` minutes from ``since``: made once per request, for every service."""
    return [iso(since + timedelta(minutes=i)) or "" for i in range(minutes)]


def minute_series(counts: list[tuple[str, int, int, int]], stamps: list[str],
                  detector: ServiceDetector | None) -> list[dict[str, Any]]:
    """Every minute of ``stamps``: complaints, complaining authors, mentions (0 where nothing was counted), and
    the expected authors with the top of the normal band (None before the service has a detector)."""
    by_minute = {minute: (complaints, authors, mentions) for minute, complaints, authors, mentions in counts}
    expected = upper = None
    hour = ""
    series = []
    for stamp in stamps:
        complaints, authors, mentions = by_minute.get(stamp, (0, 0, 0))
        if detector is not None and stamp[:13] != hour:  # the band changes once an hour
            hour = stamp[:13]
            expected, upper = (round(v, 3) for v in normal_band(detector, datetime.fromisoformat(stamp)))
        series.append({"minute": stamp, "complaints": complaints, "authors": authors, "mentions": mentions,
                       "expected": expected, "band_upper": upper})
    return series


# --- /metrics --------------------------------------------------------------------------------------

class StoreCollector:
    """The database's figures as Prometheus metrics, read at each scrape."""

    def __init__(self, board: Board):
        self.board = board

    def collect(self) -> Iterator[Metric]:
        board, store = self.board, self.board.store()
        now, _ = board.now()
        rows = board.services(now, hours=1, with_series=True)

        def per_service(name: str, help_text: str, value: Callable[[dict[str, Any]], float | None]) -> Metric:
            metric = GaugeMetricFamily(name, help_text, labels=["service"])
            for row in rows:
                figure = value(row)
                if figure is not None:
                    metric.add_metric([row["service"]], figure)
            return metric

        def recent_rate(row: dict[str, Any], key: str) -> float:
            return sum(p[key] for p in row["series"][-RATE_MINUTES:]) / RATE_MINUTES

        minute = f"per minute, the mean of the last {RATE_MINUTES} minutes"
        yield per_service("outage_signal_complaints_per_minute", f"Posts naming the service classified as outage "
                          f"complaints, {minute}.", lambda r: recent_rate(r, "complaints"))
        yield per_service("outage_signal_complaining_authors_per_minute", f"Complaining authors (each counted once "
                          f"an hour): the detector's signal, {minute}.", lambda r: recent_rate(r, "authors"))
        yield per_service("outage_signal_mentions_per_minute", f"Posts naming the service, {minute}.",
                          lambda r: recent_rate(r, "mentions"))
        yield per_service("outage_signal_expected_authors_per_minute", "Complaining authors per minute the "
                          "service's baseline expects now.", lambda r: r["series"][-1]["expected"])
        yield per_service("outage_signal_band_upper_authors_per_minute", "The top of the normal band: expected "
                          "authors per minute plus three standard deviations.", lambda r: r["series"][-1]["band_upper"])
        yield per_service("outage_signal_alarm_statistic", "The detector's CUSUM statistic; an incident opens when "
                          "it reaches outage_signal_alarm_level.", lambda r: r["alarm_statistic"])
        yield per_service("outage_signal_alarm_level", "The alarm statistic's level that opens an incident.",
                          lambda r: r["alarm_level"])
        yield per_service("outage_signal_open_incidents", "Incidents open now.",
                          lambda r: 1 if r["open_incident"] else 0)

        newest = store.newest_count_minute()
        data = GaugeMetricFamily("outage_signal_newest_count_timestamp_seconds",
                                 "The newest minute with counts (Unix time).")
        if newest:
            data.add_metric([], datetime.fromisoformat(newest).timestamp())
        yield data
        run = store.last_run()
        last_run = GaugeMetricFamily("outage_signal_last_run_timestamp_seconds",
                                     "When the last run of the job finished (Unix time), by its command and status.",
                                     labels=["command", "status"])
        if run:
            last_run.add_metric([run["command"], run["status"]], datetime.fromisoformat(run["finished_at"]).timestamp())
        yield last_run

        real_now = datetime.now(timezone.utc)
        lag = GaugeMetricFamily("outage_signal_source_lag_seconds", "Seconds since each source last stored a batch; "
                                "for the Bluesky stream, how far its last stored event is behind real time.",
                                labels=["source"])
        cursors = store.cursors()
        for source, at in store.collected_at().items():
            if source == JETSTREAM_CURSOR and cursors.get(source):
                lag.add_metric([source], stream_lag(int(cursors[source] or 0), real_now))
            else:
                lag.add_metric([source], max(0.0, (real_now - datetime.fromisoformat(at)).total_seconds()))
        yield lag
        deliveries = GaugeMetricFamily("outage_signal_deliveries", "Notification deliveries in the outbox, by "
                                       "endpoint and status (pending: to be retried; dead: given up).",
                                       labels=["endpoint", "status"])
        for endpoint, status, rows_of_status in store.delivery_counts():
            deliveries.add_metric([endpoint, status], rows_of_status)
        yield deliveries


# --- the web app -----------------------------------------------------------------------------------

def create_app(db_path: Path, config: Config, now: datetime | None = None) -> Starlette:
    """The board, the JSON API, /healthz and /metrics over ``db_path`` (read-only); ``now`` pins the time."""
    board = Board(db_path, config, now)
    templates = Jinja2Templates(directory=str(WEB / "templates"))
    templates.env.filters.update(shown=shown, web_url=web_url, time=lambda m: shown(m)[11:])
    registry = CollectorRegistry()
    registry.register(StoreCollector(board))
    registry.register(ProcessCollector(registry=None))  # process_resident_memory_bytes, ...

    def page(request: Request, template: str, status_code: int = 200, **context: Any) -> Response:
        now, note = board.now()
        return templates.TemplateResponse(request, template, {"now": now, "note": note, "refresh": REFRESH_SECONDS,
                                                              **context}, status_code=status_code)

    def not_found(request: Request, what: str) -> Response:
        return page(request, "missing.html", status_code=404, what=what)

    def board_page(request: Request) -> Response:
        now, _ = board.now()
        return page(request, "board.html", services=board.services(now, with_chart=True),
                    incidents=board.incidents(now, limit=15), hours=BOARD_HOURS)

    def service_page(request: Request) -> Response:
        key = request.path_params["service"]
        if key not in config.services:
            return not_found(request, f"service {key}")
        now, _ = board.now()
        row = board.services(now, SERVICE_HOURS, key, with_series=True, with_chart=True)[0]
        samples = board.store().sample_complaints(key, row["series"][0]["minute"], iso(now), limit=SAMPLE_POSTS)
        return page(request, "service.html", service=row, hours=SERVICE_HOURS,
                    incidents=board.incidents(now, service=key, limit=20),
                    samples=[{"text": t, "url": u} for t, u in samples])

    def incident_page(request: Request) -> Response:
        now, _ = board.now()
        incident = board.incident(request.path_params["incident_id"], now)
        if incident is None:
            return not_found(request, f"incident {request.path_params['incident_id']}")
        return page(request, "incident.html", incident=incident)

    def api_services(request: Request) -> Response:
        now, note = board.now()
        return JSONResponse({"now": iso(now), "note": note, "services": board.services(now)})

    def api_service(request: Request) -> Response:
        key = request.path_params["service"]
        if key not in config.services:
            return JSONResponse({"error": f"no service {key!r} in the catalog"}, 404)
        hours = _int_param(request, "hours", BOARD_HOURS, 1, MAX_HOURS)
        now, note = board.now()
        row = board.services(now, hours, key, with_series=True)[0]
        return JSONResponse({"now": iso(now), "note": note, **row})

    def api_incidents(request: Request) -> Response:
        service, status = request.query_params.get("service"), request.query_params.get("status")
        if service is not None and service not in config.services:
            raise BadRequest(f"service={service}: no such service in the catalog")
        if status not in (None, "open", "resolved"):
            raise BadRequest(f"status={status}: expected open or resolved")
        limit = _int_param(request, "limit", 100, 1, 1000)
        now, note = board.now()
        return JSONResponse({"now": iso(now), "note": note,
                             "incidents": board.incidents(now, service, status, limit)})

    def api_incident(request: Request) -> Response:
        now, _ = board.now()
        incident = board.incident(request.path_params["incident_id"], now)
        if incident is None:
            return JSONResponse({"error": f"no incident {request.path_params['incident_id']!r}"}, 404)
        del incident["chart"]
        return JSONResponse(incident)

    def healthz(request: Request) -> Response:
        try:
            newest = board.store().newest_count_minute()
        except Exception as e:  # any failure to read is "not healthy", with its reason
            return JSONResponse({"status": "error", "error": str(e)}, 503)
        return JSONResponse({"status": "ok", "newest_minute": newest})

    def metrics(request: Request) -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    async def bad_request(request: Request, exc: Exception) -> Response:
        return JSONResponse({"error": str(exc)}, 400)

    return Starlette(routes=[
        Route("/", board_page), Route("/services/{service}", service_page),
        Route("/incidents/{incident_id}", incident_page),
        Route("/api/services", api_services), Route("/api/services/{service}", api_service),
        Route("/api/incidents", api_incidents), Route("/api/incidents/{incident_id}", api_incident),
        Route("/healthz", healthz), Route("/metrics", metrics),
        Mount("/static", StaticFiles(directory=str(WEB / "static")), name="static"),
    ], exception_handlers={BadRequest: bad_request})


class BadRequest(ValueError):
    """A query parameter out of range: answered 400 with the reason."""


def _int_param(request: Request, name: str, default: int, low: int, high: int) -> int:
    text = request.query_params.get(name)
    if text is None:
        return default
    if not text.isdigit() or not low <= int(text) <= high:
        raise BadRequest(f"{name}={text}: expected a whole number from {low} to {high}")
    return int(text)


def web_url(url: str | None) -> str | None:
    """A post's URL when it is a web address: it comes from whoever posted, and a ``javascript:`` one would
    run in the reader's browser."""
    return url if url and url.lower().startswith(("http://", "https://")) else None


def serve(db_path: Path, config_path: str | None, host: str = "127.0.0.1", port: int = 8080,
          now: datetime | None = None, echo: Callable[[str], None] = print) -> NoReturn:
    """Serve the board until SIGINT or SIGTERM; port 0 takes a free port. Echoes the address once listening.

    What can fail is checked here, each as one line: the database, the catalog, the address. Then this process
    becomes a fresh interpreter running only the server (``os.execv``, same process id): the command line has
    loaded the classifier's, the collectors' and the plots' libraries, about 250 MB resident that the server
    never uses; the server alone stays under 100 MB. Never call it in a process you want back.
    """
    Store(db_path, readonly=True).close()  # a missing or foreign database: one line now, not at the first page
    load_config(config_path)
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        listener = socket.socket(family, kind, proto)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(address)
        listener.listen(2048)  # now: connections wait in the backlog from the moment the address is printed
    except OSError as e:
        raise ServeError(f"cannot listen on {host}:{port}: {e.strerror or e}") from None
    bound_host, bound_port = listener.getsockname()[:2]
    shown_host = f"[{bound_host}]" if ":" in bound_host else bound_host
    echo(f"Serving {db_path} (read-only) on http://{shown_host}:{bound_port}/ ; Ctrl-C stops")
    sys.stdout.flush()
    listener.set_inheritable(True)
    args = ["--fd", str(listener.fileno()), "--db", str(db_path)]
    args += ["--config", config_path] if config_path else []
    args += ["--now", now.isoformat()] if now else []
    root = logging.getLogger()  # the logging the command's options set up, carried over
    args += ["--log-level", logging.getLevelName(root.level)]
    args += [arg for h in root.handlers if isinstance(h, logging.FileHandler) for arg in ("--log-file", h.baseFilename)]
    os.execv(sys.executable, [sys.executable, "-m", "outage_signal.serve", *args])


def _serve_socket(argv: list[str]) -> None:
    """The server process ``serve`` becomes: the app on the listening socket it inherits."""
    parser = argparse.ArgumentParser(prog="python -m outage_signal.serve", description="Run by `outage-signal serve`.")
    parser.add_argument("--fd", type=int, required=True)
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--config")
    parser.add_argument("--now", type=datetime.fromisoformat)
    parser.add_argument("--log-level", default="WARNING")
    parser.add_argument("--log-file")
    options = parser.parse_args(argv)
    handler = logging.FileHandler(options.log_file, encoding="utf-8") if options.log_file else logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=options.log_level, handlers=[handler])
    app = create_app(options.db, load_config(options.config), options.now)
    listener = socket.socket(fileno=options.fd)
    uvicorn.Server(uvicorn.Config(app, log_config=None, timeout_graceful_shutdown=5)).run(sockets=[listener])


if __name__ == "__main__":
    _serve_socket(sys.argv[1:])
