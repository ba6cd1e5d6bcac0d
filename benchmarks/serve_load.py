"""`outage-signal serve` under load: a year of 50 services at minute resolution, on loopback only.

    python benchmarks/serve_load.py [--db PATH] [--services 50] [--days 365] [--seconds 15] [--clients 8]

Builds (or reuses) a database whose year ends now: per-minute counts of 50 synthetic services (Poisson
mentions and complaints with a daily rhythm; a row only for minutes with a mention, as the store keeps
them), a detector per service fitted on its last two weeks, and a few incidents a month each with their
status-page incidents, events and outbox rows. The counts are synthetic, not classified posts: this
measures serving, not detection. Then it starts `outage-signal serve` on a free loopback port and prints:

- the board's first paint in headless Chromium (Debian's /usr/bin/chromium, Paint Timing API), cold
  (a new browser context each time) over several loads: target < 1 s;
- /api/incidents latency p50/p95 from a local load generator (threads with keep-alive connections,
  for --seconds): target p95 < 100 ms;
- serve's peak resident memory (VmHWM): target < 150 MB.

The load generator shares the machine's cores with the server, so the latencies are an upper bound.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from outage_signal.detector import ServiceDetector  # noqa: E402
from outage_signal.store import Store, iso  # noqa: E402

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def catalog(folder: Path, services: int) -> Path:
    path = folder / "services.toml"
    path.write_text('catalog = "none"\n' + "".join(
        f'[services.nimbus{k:02d}]\nname = "Nimbus {k:02d}"\naliases = ["nimbus{k:02d}"]\n\n' for k in range(services)))
    return path


def build(db: Path, services: int, days: int, seed: int = 7) -> None:
    """The synthetic year (see the module's docstring), written minute-major so both count indexes append."""
    rng = np.random.default_rng(seed)
    keys = [f"nimbus{k:02d}" for k in range(services)]
    end = datetime.now(timezone.utc).replace(second=0, microsecond=0)
    start = (end - timedelta(days=days)).replace(hour=0, minute=0)
    base = rng.uniform(0.3, 3.0, services)[:, None]  # mentions per minute, each service its own size
    phase = rng.uniform(0, 24, services)[:, None]
    started = time.monotonic()
    with Store(db) as store, store.transaction() as conn:
        day = start
        while day <= end:
            minutes = pd.date_range(day, periods=1440, freq="min")
            hours = (np.arange(1440)[None, :] / 60 + phase) % 24
            mentions = rng.poisson(base * (0.4 + 1.2 * np.sin(np.pi * hours / 24) ** 2))
            complaints = rng.binomial(mentions, 0.08)
            stamps = [iso(m.to_pydatetime()) for m in minutes]
            rows = [(keys[s], "bluesky", stamps[m], int(mentions[s, m]), int(complaints[s, m]), int(complaints[s, m]))
                    for m in range(1440) if minutes[m] <= end for s in np.flatnonzero(mentions[:, m])]
            conn.executemany("INSERT INTO counts VALUES (?, ?, ?, ?, ?, ?)", rows)
            day += timedelta(days=1)
        print(f"counts written in {time.monotonic() - started:.0f} s", flush=True)
        for s, key in enumerate(keys):
            rows = conn.execute("SELECT minute, complaints, authors, mentions FROM counts WHERE service = ?"
                                " AND minute >= ? ORDER BY minute", (key, iso(end - timedelta(days=14)))).fetchall()
            frame = pd.DataFrame(rows, columns=["minute", "complaints", "authors", "mentions"])
            frame.index = pd.to_datetime(frame.pop("minute"))
            frame = frame.reindex(pd.date_range(end - timedelta(days=14), end, freq="min"), fill_value=0)
            detector = ServiceDetector(key)
            detector.update_many(frame.index, frame.complaints.to_numpy(), frame.authors.to_numpy(),
                                 frame.mentions.to_numpy())
            store.save_detector_state(key, end, detector.state_dict())
            add_incidents(conn, rng, key, start, end)
        conn.execute("INSERT OR REPLACE INTO meta VALUES ('serve_load', ?)", (json.dumps([services, days]),))
    print(f"built {db} ({db.stat().st_size / 2**30:.1f} GiB) in {time.monotonic() - started:.0f} s", flush=True)


def add_incidents(conn, rng: np.random.Generator, service: str, start: datetime, end: datetime) -> None:
    """About three incidents a month, 70% acknowledged by the status page; the newest of every tenth service open."""
    count = int((end - start).days / 10)
    opened = sorted(start + timedelta(minutes=int(m)) for m in rng.integers(0, int((end - start).total_seconds() // 60) - 600, count))
    for k, at in enumerate(opened):
        incident_id = f"{service}:{at:%Y%m%dT%H%MZ}"
        is_open = k == count - 1 and service.endswith("0")
        at = end - timedelta(minutes=20) if is_open else at
        resolved = None if is_open else at + timedelta(minutes=int(rng.integers(30, 240)))
        lead = float(rng.integers(-5, 40)) if rng.random() < 0.7 and not is_open else None
        acknowledged = at + timedelta(minutes=lead) if lead is not None else None
        official = f"status-{incident_id}" if lead is not None else None
        conn.execute("INSERT INTO incidents VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                     (incident_id, service, iso(at - timedelta(minutes=3)), iso(at), iso(resolved),
                      "open" if is_open else "resolved", int(rng.integers(20, 900)), 5.0, 12.0, 150.0, official,
                      iso(acknowledged), lead))
        if official:
            conn.execute("INSERT INTO official_incidents VALUES (?, ?, ?, 'major', ?, ?, ?, '[]', ?)",
                         (service, official, f"Elevated errors on {service}", iso(acknowledged), iso(resolved),
                          f"https://status.example/{official}",
                          json.dumps([{"at": iso(acknowledged), "status": "investigating", "body": "Looking into it."}])))
        for kind, moment in (("opened", at), ("acknowledged", acknowledged), ("resolved", resolved)):
            if moment is not None:
                event_id = f"{incident_id}:{kind}:{iso(moment)}"
                conn.execute("INSERT INTO incident_events VALUES (?, ?, ?, ?, '{}')", (event_id, incident_id, kind, iso(moment)))
                conn.execute("INSERT INTO outbox (event_id, endpoint, status, attempts, next_attempt_at, created_at,"
                             " delivered_at) VALUES (?, 'pager', 'delivered', 1, ?, ?, ?)",
                             (event_id, iso(moment), iso(moment), iso(moment)))


def start_serve(db: Path, config: Path) -> tuple[subprocess.Popen, str]:
    process = subprocess.Popen([sys.executable, "-m", "outage_signal.cli", "--db", str(db), "--config", str(config),
                                "serve", "--port", "0"], stdout=subprocess.PIPE, text=True)
    line = process.stdout.readline()
    return process, line.split(" on ", 1)[1].split()[0].rstrip("/")


def first_paints(url: str, loads: int) -> list[float]:
    """Milliseconds from navigation to first contentful paint, each load in a new (cold) browser context."""
    from playwright.sync_api import sync_playwright

    paints = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        for _ in range(loads):
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            page = context.new_page()
            page.goto(url + "/", wait_until="load")
            paint = page.evaluate("""() => new Promise(resolve => new PerformanceObserver((list, observer) => {
                const entry = list.getEntriesByName('first-contentful-paint')[0];
                if (entry) { observer.disconnect(); resolve(entry.startTime); }
            }).observe({type: 'paint', buffered: true}))""")
            paints.append(paint)
            context.close()
        browser.close()
    return paints


def load(host: str, port: int, path: str, seconds: float, clients: int) -> list[float]:
    """Per-request seconds of ``clients`` threads, each with one keep-alive connection, for ``seconds``."""
    latencies: list[float] = []
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def client() -> None:
        conn = http.client.HTTPConnection(host, port, timeout=30)
        mine = []
        while time.monotonic() < stop_at:
            began = time.perf_counter()
            conn.request("GET", path)
            answer = conn.getresponse()
            answer.read()
            assert answer.status == 200, answer.status
            mine.append(time.perf_counter() - began)
        conn.close()
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, default=Path(tempfile.gettempdir()) / "outage-signal-serve-load" / "year.db")
    parser.add_argument("--services", type=int, default=50)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--seconds", type=float, default=15.0, help="How long the load generator runs.")
    parser.add_argument("--clients", type=int, default=8, help="Concurrent keep-alive connections.")
    parser.add_argument("--loads", type=int, default=5, help="Cold page loads for the first paint.")
    args = parser.parse_args()
    args.db.parent.mkdir(parents=True, exist_ok=True)
    config = catalog(args.db.parent, args.services)
    reuse = False
    if args.db.exists():
        with Store(args.db, readonly=True) as store:
            reuse = store.meta("serve_load") == json.dumps([args.services, args.days])
    if not reuse:
        for stale in args.db.parent.glob(args.db.name + "*"):
            stale.unlink()
        build(args.db, args.services, args.days)
    with Store(args.db, readonly=True) as store:
        rows = store.conn.execute("SELECT COUNT(*) FROM counts").fetchone()[0]
        incidents = store.conn.execute("SELECT COUNT(*) FROM incidents").fetchone()[0]
    print(f"database: {args.db} ({args.db.stat().st_size / 2**30:.1f} GiB): {rows:,} count rows "
          f"({args.services} services x {args.days} days), {incidents:,} incidents")

    process, url = start_serve(args.db, config)
    try:
        host, port = url.removeprefix("http://").rsplit(":", 1)
        for path in ("/", "/api/incidents", "/api/services", "/metrics"):  # each once, as a person would first
            began = time.perf_counter()
            connection = http.client.HTTPConnection(host, int(port), timeout=60)
            connection.request("GET", path)
            size = len(connection.getresponse().read())
            print(f"first GET {path}: {(time.perf_counter() - began) * 1000:.0f} ms, {size:,} bytes")
        if CHROMIUM.exists():
            paints = first_paints(url, args.loads)
            print(f"board first paint (cold, {len(paints)} loads): median {statistics.median(paints):.0f} ms, "
                  f"max {max(paints):.0f} ms (target < 1000 ms)")
        else:
            print("board first paint: skipped, no /usr/bin/chromium")
        latencies = sorted(load(host, int(port), "/api/incidents", args.seconds, args.clients))
        p50, p95 = (latencies[int(q * (len(latencies) - 1))] * 1000 for q in (0.5, 0.95))
        print(f"/api/incidents: {len(latencies):,} requests in {args.seconds:.0f} s from {args.clients} clients "
              f"({len(latencies) / args.seconds:.0f}/s): p50 {p50:.1f} ms, p95 {p95:.1f} ms (target p95 < 100 ms)")
        board = sorted(load(host, int(port), "/", min(args.seconds, 10), 2))
        print(f"/ (the board, {len(board)} requests from 2 clients): p50 {board[len(board) // 2] * 1000:.0f} ms, "
              f"p95 {board[int(0.95 * (len(board) - 1))] * 1000:.0f} ms")
        print(f"serve's peak RSS: {peak_rss_mb(process.pid):.0f} MB (target < 150 MB)")
    finally:
        process.terminate()
        process.wait(timeout=30)


if __name__ == "__main__":
    main()
