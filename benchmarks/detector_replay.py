"""The detector alone on the replay stream, with oracle complaint labels.

Regenerates ``datasets/replay`` with its own generator (same seed, so the same posts) while
recording which phrase pool each post came from: outage complaints and lone users' local problems
count as complaints, everything else (chatter, hype, other senses of "down") as mentions only.
The counts therefore measure the detector with a perfect classifier: an upper bound for the whole
pipeline, whose end-to-end figure is ``outage-signal demo``. Each service's detector runs from a cold
start over the 14 days, minute by minute, and its incidents are scored like the demo scores them
(an outage is caught by an incident opened in [start, end + 30 min]; any other incident is a false
alarm), with leads over the official acknowledgement from :func:`detector.link_official`.

    python benchmarks/detector_replay.py [--sensitivity 1.0]
"""
from __future__ import annotations

import argparse
import importlib.util
import statistics
import sys
from collections import defaultdict
from datetime import datetime, timedelta
from pathlib import Path

import pandas as pd

from outage_signal.detector import ServiceDetector, link_official

LATE_MARGIN = timedelta(minutes=30)


def load_generator(root: Path):
    spec = importlib.util.spec_from_file_location("replay_generate", root / "datasets" / "replay" / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _new_authors(complaints: pd.DataFrame, window: timedelta) -> pd.Series:
    """Per minute, complaining authors not already counted in the previous ``window``."""
    last_counted: dict[str, datetime] = {}
    fresh = []
    for minute, author in zip(complaints["minute"], complaints["author"]):
        seen = last_counted.get(author)
        if seen is None or minute - seen >= window:
            last_counted[author] = minute
            fresh.append(minute)
    return pd.Series(1, index=pd.DatetimeIndex(fresh)).groupby(level=0).size()


def labelled_counts(gen, seed: int, days: int, author_window: timedelta | None
                    ) -> tuple[dict[str, pd.DataFrame], list[dict]]:
    complaint_pools = (gen.COMPLAINT_FORMS, gen.SOLO_COMPLAINTS)
    original_add = gen.Writer.add

    def add(self, at, service, form_pool, author=None):
        original_add(self, at, service, form_pool, author)
        self.rows[-1]["service"] = service
        self.rows[-1]["complaint"] = any(form_pool is pool for pool in complaint_pools)

    gen.Writer.add = add
    try:
        posts, truth, _ = gen.generate(seed=seed, days=days)
    finally:
        gen.Writer.add = original_add
    frame = pd.DataFrame(posts)
    frame["minute"] = pd.to_datetime(frame["created_at"], utc=True).dt.floor("min")
    minutes = pd.date_range(gen.START, periods=days * 1440, freq="min", tz="UTC")
    counts = {}
    for service, rows in frame.groupby("service"):
        complaints = rows[rows["complaint"]]
        table = pd.DataFrame({
            "complaints": complaints.groupby("minute").size(),
            "authors": (complaints.groupby("minute")["author"].nunique() if author_window is None
                        else _new_authors(complaints.sort_values("minute"), author_window)),
            "mentions": rows.groupby("minute").size(),
        }).reindex(minutes, fill_value=0).fillna(0).astype(int)
        counts[service] = table
    return counts, truth


def score_incidents(incidents: dict[str, list[dict]], truth: list[dict], weeks: float,
                    verbose: bool = False) -> dict[str, float]:
    """Score incidents (per service: dicts with id, opened, resolved) against the replay's outages."""
    say = print if verbose else (lambda *_: None)
    caught, delays, leads, used = 0, [], [], set()
    for outage in sorted(truth, key=lambda o: o["start"]):
        start, end = datetime.fromisoformat(outage["start"]), datetime.fromisoformat(outage["end"])
        hits = [i for i in incidents[outage["service"]] if start <= i["opened"] <= end + LATE_MARGIN]
        line = f"{outage['id']} {outage['service']:10} {outage['shape']:8} start {start:%d %H:%M}"
        if not hits:
            say(line + "  MISSED")
            continue
        first = hits[0]
        used.add(first["id"])
        caught += 1
        delays.append((first["opened"] - start).total_seconds() / 60)
        line += f"  alarm +{delays[-1]:.0f} min"
        if outage["acknowledged_at"]:
            ack = datetime.fromisoformat(outage["acknowledged_at"])
            link = link_official([(i["id"], i["opened"], i["resolved"]) for i in incidents[outage["service"]]],
                                 [(outage["id"], ack, end)])
            if first["id"] in link:
                leads.append(link[first["id"]][1])
                line += f"  lead {leads[-1]:+.0f} min"
        say(line)
    false_alarms = [i for s in incidents.values() for i in s if i["id"] not in used]
    for fa in false_alarms:
        say(f"false alarm {fa['id']} opened {fa['opened']:%d %H:%M}")
    return {
        "caught": caught,
        "recall": caught / len(truth),
        "false_alarms": len(false_alarms),
        "false_alarms_per_service_week": len(false_alarms) / weeks,
        "median_minutes_to_alarm": statistics.median(delays) if delays else float("nan"),
        "median_lead_minutes": statistics.median(leads) if leads else float("nan"),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sensitivity", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--days", type=int, default=14)
    parser.add_argument("--author-window", type=int, default=0,
                        help="count an author once per this many minutes (0: distinct per minute, as the store does)")
    args = parser.parse_args()
    gen = load_generator(Path(__file__).resolve().parents[1])
    window = timedelta(minutes=args.author_window) if args.author_window else None
    counts, truth = labelled_counts(gen, args.seed, args.days, window)

    incidents: dict[str, list[dict]] = defaultdict(list)
    for service, table in counts.items():
        det = ServiceDetector(service, args.sensitivity)
        for event in det.update_many(table.index, table["complaints"], table["authors"], table["mentions"]):
            if event.kind == "opened":
                incidents[service].append({"id": event.incident_id, "opened": event.at, "resolved": None})
            elif event.kind == "resolved":
                incidents[service][-1]["resolved"] = event.at

    figures = score_incidents(incidents, truth, weeks=len(counts) * args.days / 7, verbose=True)
    print(f"\nsensitivity {args.sensitivity}: recall {figures['recall']:.3f} ({figures['caught']}/{len(truth)}), "
          f"false alarms per service-week {figures['false_alarms_per_service_week']:.2f} ({figures['false_alarms']}), "
          f"median minutes to alarm {figures['median_minutes_to_alarm']:.1f}, "
          f"median lead over official {figures['median_lead_minutes']:.1f} min")
    return 0


if __name__ == "__main__":
    sys.exit(main())
