"""What people look at: a status table, a plot per service or series, a self-contained HTML report."""
from __future__ import annotations

import html
import math
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Sequence

import matplotlib
import numpy as np
import pandas as pd

matplotlib.use("Agg")  # files only, never a window
import matplotlib.dates as mdates  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402

from outage_signal.collector.jetstream import CURSOR_KEY as JETSTREAM_CURSOR, stream_lag  # noqa: E402
from outage_signal.collector.reddit import FOLLOW_KEY as REDDIT_FOLLOW_KEY  # noqa: E402
from outage_signal.detector import IncidentEvent, ServiceDetector, component_only  # noqa: E402
from outage_signal.config import Config, StatusPage  # noqa: E402
from outage_signal.sources import AUTO_CURSOR  # noqa: E402
from outage_signal.store import Store  # noqa: E402

BIN_MINUTES = 10  # plots show complaints per 10 minutes: per minute is too noisy to read


def status(store: Store, config: Config, now: datetime | None = None) -> list[dict[str, Any]]:
    """One row per service: the last hour of complaints against the baseline, the open incident,
    the last official incident, and the collection state of the sources."""
    last = store.last_post_minute()
    now = now or (datetime.fromisoformat(last) if last else datetime.now(timezone.utc))
    hour_ago = (now - timedelta(hours=1)).isoformat()
    collected_at = store.collected_at()
    failing = _failing_sources(store)
    real_now = datetime.now(timezone.utc)
    stream_cursor, last_poll = store.cursor(JETSTREAM_CURSOR), store.cursor(REDDIT_FOLLOW_KEY)
    lag = None if stream_cursor is None else round(stream_lag(int(stream_cursor), real_now), 1)
    reddit_lag = None if last_poll is None else round(max(0.0, (real_now - datetime.fromisoformat(last_poll))
                                                          .total_seconds()), 1)
    rows = []
    for key, service in config.services.items():
        counts = store.counts(key, since=hour_ago, until=now.isoformat())
        incident = next((i for i in reversed(store.incidents(key)) if i["status"] == "open"), None)
        official = store.official_incidents(key)
        last_official = official[-1] if official else None
        detector = saved_detector(store, key)
        baseline = expected_per_minute(detector) if detector else None
        rows.append({
            "service": key, "name": service.name,
            "complaints_last_hour": sum(c for _, c, _, _ in counts),
            "authors_last_hour": sum(a for _, _, a, _ in counts),
            "expected_authors_last_hour": round(sum(baseline(now - timedelta(minutes=m)) for m in range(60)), 2)
            if baseline else None,
            "open_incident_since": incident["opened_at"] if incident else None,
            "open_incident_complaints": incident["complaints"] if incident else None,
            "last_official": (f"{last_official['title']} ({'resolved' if last_official['resolved_at'] else 'open'})"
                              if last_official else None),
            "last_collected": max((at for source, at in collected_at.items()
                                   if key in source or source.startswith(("replay", "import"))), default=None),
            "failing_sources": [s for s in failing if key in s],
            "status_platform": status_platform(store, key, service.status_page),
            "stream_lag_seconds": lag,
            "reddit_follow_lag_seconds": reddit_lag,
        })
    return rows


def status_platform(store: Store, key: str, page: StatusPage | None) -> str | None:
    """The platform a service's status page is read as: its kind, or for ``auto`` the one found."""
    if page is None or page.kind != "auto":
        return page.kind if page else None
    found = store.cursor(f"status:{key}") or ""
    return f"{found.removeprefix(AUTO_CURSOR).split(' ')[0]} (auto)" if found.startswith(AUTO_CURSOR) else "auto (not read yet)"


def incidents(store: Store, service: str | None = None) -> list[dict[str, Any]]:
    """Detected incidents, each with the official incident it is linked to (title, impact, components,
    and ``official_scope``: "service-wide", "component-only: <components>", or None when no status page
    incident is linked) and ``acknowledged_by``: who spoke first, the status page or an official account."""
    return [{**row, "official_scope": official_scope(row)} for row in store.incidents_with_official(service)]


def official_scope(row: dict[str, Any]) -> str | None:
    """Whether a linked status page incident is about the whole service or a component or two of it."""
    if row["official_source"] != "status_page":
        return None
    components = row["official_components"]
    return f"component-only: {', '.join(components)}" if component_only(components) else "service-wide"


def official_summary(row: dict[str, Any]) -> str:
    """The linked official incident in a few words: ``minor, component-only: Codespaces``."""
    if not row["official_id"]:
        return "-"
    if row["official_scope"] is None:
        return f"{row['acknowledged_by']} post"
    return f"{row['official_impact']}, {row['official_scope']}"


def _failing_sources(store: Store) -> list[str]:
    summary = store.last_run_summary()
    return list(summary.get("failures", {})) if summary else []


def saved_detector(store: Store, service: str) -> ServiceDetector | None:
    """The service's detector as the last detection left it, or None before any."""
    saved = store.detector_state(service)
    return ServiceDetector.from_state(saved.state) if saved else None


def expected_per_minute(detector: ServiceDetector):
    """The detector's learnt baseline (complaining authors per minute) as a function of time."""
    baseline = detector.authors_baseline
    return lambda moment: baseline.rate(int(moment.timestamp() // 3600))


def plot(store: Store, service: str, out: str | Path, since: str | None = None, until: str | None = None) -> Path:
    """A PNG of one service: complaining authors per 10 minutes, the baseline band, incidents as
    spans with their lead over the status page, official acknowledgements and resolutions as markers."""
    out = Path(out)
    rows = store.counts(service, since=since, until=until)
    fig, ax = plt.subplots(figsize=(12, 3.6), dpi=100)
    if rows:
        start = datetime.fromisoformat(rows[0][0])
        end = datetime.fromisoformat(rows[-1][0])
        bins: dict[datetime, int] = {}
        for minute, _, authors, _ in rows:
            moment = datetime.fromisoformat(minute)
            slot = start + timedelta(minutes=(moment - start) // timedelta(minutes=BIN_MINUTES) * BIN_MINUTES)
            bins[slot] = bins.get(slot, 0) + authors
        slots = [start + timedelta(minutes=BIN_MINUTES * i)
                 for i in range(int((end - start) / timedelta(minutes=BIN_MINUTES)) + 1)]
        ax.step(slots, [bins.get(s, 0) for s in slots], where="post", color="#1f4e79", lw=0.9,
                label=f"complaining authors / {BIN_MINUTES} min")
        detector = saved_detector(store, service)
        if detector:
            baseline = expected_per_minute(detector)
            mean = [baseline(s) * BIN_MINUTES for s in slots]
            upper = [m + 3 * math.sqrt(m) for m in mean]  # Poisson: the variance is the mean
            ax.fill_between(slots, 0, upper, step="post", color="#9ecae1", alpha=0.5, label="baseline (mean + 3σ)")
            ax.step(slots, mean, where="post", color="#3182bd", lw=0.7, ls="--")
        top = max(bins.values(), default=1)
        for incident in store.incidents(service):
            opened = datetime.fromisoformat(incident["opened_at"])
            if not (start <= opened <= end):
                continue
            resolved = datetime.fromisoformat(incident["resolved_at"]) if incident["resolved_at"] else end
            ax.axvspan(datetime.fromisoformat(incident["started_at"]), resolved, color="#fc9272", alpha=0.35)
            ax.axvline(opened, color="#de2d26", lw=1)
            lead = incident["lead_minutes"]
            ax.annotate(f"alarm{'' if lead is None else f' {lead:+.0f} min vs status page'}", (opened, top * 0.95),
                        fontsize=7, color="#a50f15", rotation=90, va="top", ha="right")
        for official in store.official_incidents(service):
            acknowledged = datetime.fromisoformat(official["acknowledged_at"])
            if start <= acknowledged <= end:
                ax.axvline(acknowledged, color="black", lw=1, ls=":")
                ax.plot([acknowledged], [top], marker="v", color="black", ms=6)
            if official["resolved_at"] and start <= datetime.fromisoformat(official["resolved_at"]) <= end:
                ax.plot([datetime.fromisoformat(official["resolved_at"])], [top], marker="^", color="green", ms=6)
        ax.plot([], [], marker="v", color="black", ls=":", label="status page acknowledged")
        ax.plot([], [], marker="^", color="green", ls="", label="status page resolved")
        ax.fill_between([], [], color="#fc9272", alpha=0.35, label="detected incident")
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%m-%d\n%H:%M"))
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), fontsize=7, ncol=5, frameon=False)
    else:
        ax.text(0.5, 0.5, "no data", ha="center", va="center", transform=ax.transAxes)
    ax.set_title(f"{service}: complaints against its normal rhythm (UTC)", fontsize=10)
    ax.set_ylabel("authors")
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out)
    plt.close(fig)
    return out


SERIES_BINS = 1500  # a series plot sums its steps into at most about this many bins, each a readable width
_BIN_CHOICES = (1, 5, 10, 15, 30, 60, 120, 240, 360, 720, 1440)  # minutes


def plot_series(timestamps: Sequence[datetime], values: Sequence[float], events: Sequence[IncidentEvent],
                out: str | Path, title: str) -> Path:
    """A PNG of one series with its incidents: the values summed per bin (the narrowest of 1 minute to
    a day, and not below the series' step, that keeps the bins to about SERIES_BINS), each incident a
    span from its start to its resolution with a red line at its alarm. Timestamps and events alike
    naive (as UTC) or with a zone, as :func:`detector.series_events` gives them."""
    out = Path(out)
    series = pd.Series(np.asarray(values, dtype=float), index=pd.DatetimeIndex(timestamps))
    fig, ax = plt.subplots(figsize=(12, 3.6), dpi=100)
    if len(series):
        span = (series.index[-1] - series.index[0]) / pd.Timedelta(minutes=1)
        step = (series.index[1] - series.index[0]) / pd.Timedelta(minutes=1) if len(series) > 1 else 1
        width = next((b for b in _BIN_CHOICES if b >= step and span / b <= SERIES_BINS), _BIN_CHOICES[-1])
        binned = series.resample(f"{width}min").sum()
        ax.step(binned.index, binned.to_numpy(), where="post", color="#1f4e79", lw=0.8,
                label=f"value per {_bin_name(width)}")
        resolved = {e.incident_id: e.at for e in events if e.kind == "resolved"}
        opened = [e for e in events if e.kind == "opened"]
        for e in opened:
            ax.axvspan(e.started_at, resolved.get(e.incident_id, series.index[-1]), color="#fc9272", alpha=0.35)
            ax.axvline(e.at, color="#de2d26", lw=1)
        ax.fill_between([], [], color="#fc9272", alpha=0.35, label="incident, start to resolution")
        ax.plot([], [], color="#de2d26", label=f"alarm ({len(opened)})")
        ax.set_xlim(series.index[0], series.index[-1])
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%m-%d\n%H:%M"))
        ax.legend(loc="upper right", fontsize=7, frameon=False)
    else:
        ax.text(0.5, 0.5, "no data", ha="center", va="center", transform=ax.transAxes)
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out)
    plt.close(fig)
    return out


def _bin_name(minutes: int) -> str:
    return f"{minutes} min" if minutes < 60 else "day" if minutes == 1440 else f"{minutes // 60} h"


def report(store: Store, config: Config, out_dir: str | Path, since: str | None = None, until: str | None = None,
           service: str | None = None) -> Path:
    """Write ``index.html`` and one PNG per service into ``out_dir``; return the page's path.

    The page needs no network: images sit beside it and there is no script or stylesheet from elsewhere.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    services = [service] if service else [s for s in config.services if store.counts(s, since=since, until=until)]
    sections, rows = [], []
    for key in services:
        image = plot(store, key, out_dir / f"{key}.png", since, until)
        sections.append(f'<section><h2>{html.escape(config.services[key].name if key in config.services else key)}'
                        f'</h2><img src="{image.name}" alt="{html.escape(key)} complaints" width="1200"></section>')
        for incident in incidents(store, key):
            if (since and incident["opened_at"] < since) or (until and incident["opened_at"] > until):
                continue
            samples = store.sample_complaints(key, incident["started_at"], incident["resolved_at"] or incident["opened_at"])
            links = "<br>".join(sample_post(text, url) for text, url in samples)
            lead = "" if incident["lead_minutes"] is None else f"{incident['lead_minutes']:+.0f} min"
            rows.append(f"<tr><td>{html.escape(key)}</td><td>{incident['opened_at'][:16]}</td>"
                        f"<td>{(incident['resolved_at'] or 'open')[:16]}</td><td>{incident['complaints']}</td>"
                        f"<td>{(incident['acknowledged_at'] or 'never')[:16]}{_by(incident)}</td>"
                        f"<td>{html.escape(official_summary(incident))}</td><td>{lead}</td><td>{links}</td></tr>")
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Outage Signal report</title>
<style>body{{font-family:sans-serif;margin:2em;max-width:1250px}}table{{border-collapse:collapse;font-size:13px}}
td,th{{border:1px solid #ccc;padding:4px 8px;vertical-align:top}}th{{background:#eee}}</style></head>
<body><h1>Outage Signal report</h1>
<p>Window: {html.escape(_shown(since or store.first_post_minute()))} to
{html.escape(_shown(until or store.last_post_minute()))} (UTC). Lead = status page acknowledgement
minus our alarm: positive when we were first.</p>
<h2>Incidents</h2>
<table id="incidents"><tr><th>service</th><th>opened</th><th>resolved</th><th>complaints</th>
<th>official acknowledgement</th><th>official incident</th><th>lead</th><th>sample posts</th></tr>
{''.join(rows) or '<tr><td colspan="8">no incidents</td></tr>'}</table>
{''.join(sections)}
<script>/* marks each plot once it has rendered, so a headless browser can check the page */
for (const img of document.images) {{
  const mark = () => img.dataset.loaded = img.naturalWidth > 0 ? "yes" : "no";
  img.complete ? mark() : (img.onload = img.onerror = mark);
}}</script>
</body></html>
"""
    index = out_dir / "index.html"
    index.write_text(page)
    return index


def _by(incident: dict[str, Any]) -> str:
    """Who spoke first, when it was not the status page."""
    by = incident["acknowledged_by"]
    return f" (first: {html.escape(by)})" if by and by != "status_page" else ""


def sample_post(text: str, url: str | None) -> str:
    """A sample post's opening words, linked to the post when its URL is a web address: a post's URL
    comes from whoever posted it, and a ``javascript:`` or ``data:`` one would run in the reader's browser."""
    words = html.escape(text[:120])
    if url and url.lower().startswith(("http://", "https://")):
        return f'<a href="{html.escape(url)}" rel="noopener noreferrer">{words}</a>'
    return words


def _shown(moment: str | None) -> str:
    """``2026-09-09T14:18:00+00:00`` as ``2026-09-09 14:18``; "-" for a database with no posts."""
    return moment[:16].replace("T", " ") if moment else "-"
