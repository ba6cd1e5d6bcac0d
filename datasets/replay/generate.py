"""Write the replay stream: two weeks of posts about six services, with outages and decoys.

    python datasets/replay/generate.py [--seed 7] [--days 14] [--out datasets/replay]

Deterministic by seed. See DATASHEET.md beside this file for what it contains and why.
Its phrasings are written independently of the classifier's labeled dataset (datasets/labeled/),
so the demo also tells how the model does on text it was not trained on.
"""
from __future__ import annotations

import argparse
import json
import math
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import zstandard

START = datetime(2026, 9, 7, tzinfo=timezone.utc)  # a Monday
WARM_UP_DAYS = 2  # no outage here: a fresh install first learns each service's rhythm

# service key -> (mean mentions per minute, weekend factor, peak hour UTC)
SERVICES = {
    "chatgpt": (1.1, 0.85, 16),
    "github": (0.45, 0.45, 15),
    "discord": (0.7, 1.35, 20),
    "steam": (0.4, 1.5, 19),
    "slack": (0.22, 0.3, 14),
    "cloudflare": (0.12, 0.7, 15),
}
NAMES = {"chatgpt": ["ChatGPT", "chatgpt", "chat gpt", "OpenAI", "Chatgpt"], "github": ["GitHub", "github", "Github"],
         "discord": ["Discord", "discord"], "steam": ["Steam", "steam"], "slack": ["Slack", "slack"],
         "cloudflare": ["Cloudflare", "cloudflare"]}
SYMPTOMS = {
    "chatgpt": ["keeps saying network error", "stuck on the loading dots", "\"something went wrong\" every message",
                "won't generate anything", "gives me a 503", "login loop", "responses cut off then error",
                "conversations not loading"],
    "github": ["pushes failing with 500", "actions jobs stuck in queued", "the unicorn page again", "PRs won't load",
               "git clone hanging", "can't merge anything", "webhooks not firing", "502 on every page"],
    "discord": ["stuck on connecting", "messages failing to send", "voice keeps dropping to RTC connecting",
                "app won't load past the splash", "servers showing as unavailable", "images not loading"],
    "steam": ["store won't load", "error code -105", "can't log in, says no connection", "downloads stuck at 0",
              "friends list offline", "community pages timing out"],
    "slack": ["messages not sending", "huddles failing", "won't load, spinning forever", "notifications dead",
              "can't upload files", "channels not loading"],
    "cloudflare": ["every site showing 502 bad gateway", "error 1101 everywhere", "half the internet is broken",
                   "dns not resolving", "challenge pages looping", "500 internal server error on all my sites"],
}
COMPLAINT_FORMS = [
    "is {name} down?", "{name} down for anyone else?", "{name} {symptom}", "{name} {symptom}. anyone else??",
    "{name} is dead rn", "ugh {name} {symptom}", "{name} down again?? {symptom}", "yo is it just me or is {name} broken",
    "{name} outage? {symptom}", "{symptom} on {name}, tried two devices", "{name}: {symptom}", "{NAME} IS DOWN",
    "{name} not working {emoji}", "welp {name} is down, guess I'm done for today", "{name} {symptom} (EU here)",
    "status page says all good but {name} {symptom}", "great, {name} is down in the middle of my work",
    "can't use {name} at all right now", "{name} servers cooked {emoji}", "anyone else's {name} broken?",
]
CHATTER_FORMS = [
    "{name} is honestly the best tool I use every day", "how do I export my data from {name}?",
    "tip: {name} has keyboard shortcuts for almost everything", "switched my team to {name} last month, no regrets",
    "{name} pricing went up again", "does {name} work well on linux?", "{name} just saved me an hour",
    "what's your favourite {name} feature", "I spent the whole weekend on {name} lol",
    "hot take: {name} was better two years ago", "new to {name}, any advice?", "{name} support answered in 5 minutes",
    "is there a dark mode in {name}", "learning {name} this week", "{name} on mobile is surprisingly good",
    "our company runs on {name} and that is a little scary", "made a thing with {name}, feedback welcome",
    "{name} got dumber this week, answers are worse", "{name} let me down with that update, UI is worse",
    "downvoted for asking about {name}? really?", "{name} is down to earth about privacy compared to others",
    "remember the huge {name} outage last year? wild times", "{name} scheduled maintenance tonight 2am, heads up",
    "the {name} docs are down the list of things I read", "bug: {name} dark mode has a wrong colour on one button",
    "they shut down the old {name} API, time to migrate", "my {name} streak is down to 3 days",
]
HYPE_FORMS = [
    "{name} just announced a huge update!!", "the new {name} release is insane", "{name} launch event was wild",
    "everyone is talking about the {name} announcement", "trying the new {name} features right now {emoji}",
    "{name} going viral again lmao", "the {name} meme of the day", "{name} layoffs news is rough",
]
SOLO_COMPLAINTS = ["{name} logged me out for no reason", "{name} not loading on my wifi, fine on 4g?",
                   "is {name} down or is it my internet"]
EMOJI = ["😭", "💀", "🙃", "😤", "", "", ""]
COMPLAINT_BODIES = ["", "", "Tried restarting, clearing cache, nothing.", "Happened about 10 minutes ago.",
                    "Is there a status page for this?", "Edit: seems to be everyone.", "On desktop and phone."]
CHATTER_BODIES = ["", "", "Thanks in advance.", "Curious what others think.", "Long time lurker, first post.",
                  "Edit: typo"]

# Outages: service, start day offset (days, hours), duration minutes, peak complaints/minute, shape,
# official acknowledgement lag in minutes after start (None: never acknowledged).
OUTAGES = [
    ("chatgpt", (2, 14.3), 95, 14.0, "sharp", 18),
    ("github", (3, 16.1), 70, 7.0, "sharp", 12),
    ("discord", (4, 21.5), 50, 9.0, "sharp", 25),
    ("cloudflare", (5, 11.2), 40, 22.0, "sharp", 9),
    ("slack", (6, 15.0), 180, 2.2, "slow", 55),
    ("steam", (7, 19.7), 120, 5.0, "slow", None),
    ("chatgpt", (8, 9.4), 60, 3.0, "regional", 40),
    ("github", (9, 13.8), 150, 3.5, "slow", 33),
    ("discord", (10, 3.2), 35, 2.5, "regional", None),
    ("steam", (11, 17.3), 45, 10.0, "sharp", 14),
    ("chatgpt", (12, 20.1), 25, 8.0, "sharp", 7),
    ("slack", (13, 14.6), 55, 4.0, "sharp", 21),
]
# Non-outage bursts: service, (day, hour), duration minutes, mentions multiplier, kind
DECOYS = [
    ("chatgpt", (3, 17.0), 150, 6.0, "hype"),
    ("steam", (5, 18.0), 240, 4.0, "hype"),
    ("discord", (8, 15.5), 90, 3.0, "hype"),
    ("github", (11, 10.0), 120, 3.0, "hype"),
    ("cloudflare", (9, 16.0), 60, 5.0, "hype"),
]
SPAMMERS = [("discord", (6, 2.0), 20, 40), ("github", (12, 4.0), 15, 25)]  # one account, many complaints


def _at(day_hour: tuple[float, float]) -> datetime:
    day, hour = day_hour
    return START + timedelta(days=day, hours=hour)


def outage_shape(kind: str, t: float, duration: float) -> float:
    """Complaint intensity, 0..1, at ``t`` minutes into an outage of ``duration`` minutes."""
    if t < 0 or t > duration + 20:
        return 0.0
    tail = math.exp(-(t - duration) / 6) if t > duration else 1.0  # stragglers after recovery
    if kind == "sharp":
        rise = min(1.0, (t + 1) / 4)
        decay = 0.55 + 0.45 * math.exp(-t / 25)  # most shout at first, then fewer
        return rise * decay * tail
    if kind == "slow":
        return min(1.0, (t + 1) / (duration * 0.4)) * tail
    return min(1.0, (t + 1) / 8) * 0.8 * tail  # regional: a modest plateau


def rhythm(service: str, minute: datetime, growth_per_week: float = 0.02) -> float:
    """Expected mentions per minute outside incidents: hour of day, day of week, slow growth."""
    mean, weekend, peak_hour = SERVICES[service]
    hour = minute.hour + minute.minute / 60
    daily = 1 + 0.7 * math.cos(2 * math.pi * (hour - peak_hour) / 24)
    weekly = weekend if minute.weekday() >= 5 else 1.0
    growth = 1 + growth_per_week * (minute - START).total_seconds() / (7 * 86400)
    return mean * daily * weekly * growth


class Writer:
    def __init__(self, rng: np.random.Generator):
        self.rng = rng
        self.rows: list[dict] = []

    def pick(self, items: list[str]) -> str:
        return items[int(self.rng.integers(len(items)))]

    def text(self, form: str, service: str) -> str:
        name = self.pick(NAMES[service])
        text = form.format(name=name, NAME=name.upper(), symptom=self.pick(SYMPTOMS[service]),
                           emoji=self.pick(EMOJI)).strip()
        if self.rng.random() < 0.15:
            text = text.lower()
        return text

    def add(self, at: datetime, service: str, form_pool: list[str], author: str | None = None) -> None:
        style = "reddit" if self.rng.random() < 0.45 else "bluesky"
        text = self.text(self.pick(form_pool), service)
        if style == "reddit":
            bodies = COMPLAINT_BODIES if form_pool in (COMPLAINT_FORMS, SOLO_COMPLAINTS) else CHATTER_BODIES
            text = f"{text}\n\n{self.pick(bodies)}".strip()
        self.rows.append({
            "id": f"{style[0]}{len(self.rows):07d}",
            "created_at": at.isoformat(),
            "author": author or f"user{int(self.rng.integers(200_000)):06d}",
            "style": style,
            "lang": "en",
            "text": text,
        })


def generate(seed: int = 7, days: int = 14) -> tuple[list[dict], list[dict], dict[str, list[dict]]]:
    """Return (posts sorted by time, ground-truth outages, Statuspage incidents per service)."""
    rng = np.random.default_rng(seed)
    writer = Writer(rng)
    minutes = [START + timedelta(minutes=m) for m in range(days * 1440)]
    for service in SERVICES:
        for minute in minutes:
            rate = rhythm(service, minute)
            for decoy_service, when, duration, factor, _ in DECOYS:
                if decoy_service == service and 0 <= (minute - _at(when)).total_seconds() / 60 < duration:
                    rate *= factor
                    for _ in range(rng.poisson(rate * 0.6)):
                        writer.add(minute + timedelta(seconds=float(rng.uniform(0, 60))), service, HYPE_FORMS)
            for _ in range(rng.poisson(rate)):
                pool = SOLO_COMPLAINTS if rng.random() < 0.03 else CHATTER_FORMS
                writer.add(minute + timedelta(seconds=float(rng.uniform(0, 60))), service, pool)
    truth, status = [], {s: [] for s in SERVICES}
    for n, (service, when, duration, peak, shape, ack_lag) in enumerate(OUTAGES):
        start = _at(when)
        for t in range(duration + 20):
            # Users still post in their usual rhythm; an outage at 3 am draws fewer complaints.
            scale = peak * outage_shape(shape, t, duration) * min(1.5, 0.4 + rhythm(service, start) / SERVICES[service][0])
            for _ in range(rng.poisson(scale)):
                writer.add(start + timedelta(minutes=t, seconds=float(rng.uniform(0, 60))), service, COMPLAINT_FORMS)
        end = start + timedelta(minutes=duration)
        acknowledged = start + timedelta(minutes=ack_lag) if ack_lag is not None else None
        truth.append({"id": f"outage-{n:02d}", "service": service, "shape": shape, "start": start.isoformat(),
                      "end": end.isoformat(), "peak_per_minute": peak,
                      "acknowledged_at": acknowledged.isoformat() if acknowledged else None})
        if acknowledged:
            status[service].append(statuspage_incident(f"replay{n:02d}", service, shape, acknowledged,
                                                       end + timedelta(minutes=int(rng.integers(5, 40)))))
    for service, when, duration, count in SPAMMERS:
        start = _at(when)
        for _ in range(count):
            at = start + timedelta(seconds=float(rng.uniform(0, duration * 60)))
            writer.add(at, service, COMPLAINT_FORMS, author="angry_account_42")
    posts = sorted(writer.rows, key=lambda r: r["created_at"])
    return posts, truth, status


# The part of each service a partial (slow or regional) outage is acknowledged on: such incidents name
# that one component, as GitHub's "Incident with Codespaces" does; a sharp total outage names none.
PARTIAL_COMPONENTS = {"chatgpt": "Conversations", "github": "Codespaces", "discord": "Voice", "steam": "Steam Store",
                      "slack": "Huddles", "cloudflare": "CDN/Cache"}


def statuspage_incident(incident_id: str, service: str, shape: str, acknowledged: datetime,
                        resolved: datetime) -> dict:
    """An incident object shaped exactly like Statuspage's /api/v2/incidents.json entries."""
    title = {"sharp": "Elevated error rates", "slow": "Degraded performance", "regional": "Errors for some users"}[shape]
    component = None if shape == "sharp" else {
        "id": f"{service}-{PARTIAL_COMPONENTS[service].lower().replace('/', '-').replace(' ', '-')}",
        "name": PARTIAL_COMPONENTS[service], "status": "operational", "created_at": "2026-01-01T00:00:00.000Z",
        "updated_at": resolved.isoformat().replace("+00:00", ".000Z"), "position": 1, "description": None,
        "showcase": True, "start_date": None, "group_id": None, "page_id": f"replay-{service}", "group": False,
        "only_show_if_degraded": False}

    def update(suffix: str, status: str, body: str, at: datetime) -> dict:
        stamp = at.isoformat().replace("+00:00", ".000Z")
        return {"id": f"{incident_id}{suffix}", "status": status, "body": body, "incident_id": incident_id,
                "created_at": stamp, "updated_at": stamp, "display_at": stamp, "affected_components": None,
                "deliver_notifications": True, "custom_tweet": None, "tweet_id": None}

    def stamp(at: datetime) -> str:
        return at.isoformat().replace("+00:00", ".000Z")

    return {
        "id": incident_id, "name": f"{title} on {service}", "status": "resolved",
        "created_at": stamp(acknowledged), "updated_at": stamp(resolved), "monitoring_at": None,
        "resolved_at": stamp(resolved), "impact": "major" if shape == "sharp" else "minor",
        "shortlink": f"https://stspg.io/{incident_id}", "started_at": stamp(acknowledged), "page_id": f"replay-{service}",
        "incident_updates": [
            update("r", "resolved", "This incident has been resolved.", resolved),
            update("i", "investigating", "We are investigating reports of errors.", acknowledged),
        ],
        "components": [component] if component else [],
    }


def write(out: Path, seed: int, days: int) -> None:
    posts, truth, status = generate(seed, days)
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "posts.jsonl.zst", "wb") as raw:
        with zstandard.ZstdCompressor(level=19).stream_writer(raw) as f:
            for row in posts:
                f.write((json.dumps(row, ensure_ascii=False) + "\n").encode())
    (out / "truth.json").write_text(json.dumps({"seed": seed, "days": days, "start": START.isoformat(),
                                                "warm_up_days": WARM_UP_DAYS, "outages": truth}, indent=1) + "\n")
    status_dir = out / "status"
    status_dir.mkdir(exist_ok=True)
    for service, incidents in status.items():
        body = {"page": {"id": f"replay-{service}", "name": service, "url": f"https://status.example/{service}"},
                "incidents": sorted(incidents, key=lambda i: i["created_at"], reverse=True)}
        (status_dir / f"{service}.json").write_text(json.dumps(body, indent=1) + "\n")
    print(f"{len(posts)} posts, {len(truth)} outages ({sum(t['acknowledged_at'] is None for t in truth)} never "
          f"acknowledged), {len(SERVICES)} services, {days} days -> {out}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--days", type=int, default=14)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent)
    args = parser.parse_args()
    write(args.out, args.seed, args.days)
