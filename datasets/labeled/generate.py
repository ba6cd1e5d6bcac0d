"""Write the labeled posts the complaint classifier learns from: datasets/labeled/posts.csv.

    python datasets/labeled/generate.py [--seed 11] [--per-form 9]

Rows are written (composed from the phrase forms below, each form a ``group`` so that near-duplicates
never straddle the train/test split) or real (Reddit posts and comments recorded by praw's test suite,
and GitHub status-page messages, from ../shared/data). See DATASHEET.md for the label definitions.
Deterministic by seed.
"""
from __future__ import annotations

import argparse
import csv
import json
import random
import tomllib
from pathlib import Path

HERE = Path(__file__).resolve().parent
SHARED = HERE.parents[2] / "shared" / "data"
CATALOG = HERE.parents[1] / "outage_signal" / "default_services.toml"

ERRORS = ["500 errors", "a 502", "502 bad gateway", "503 service unavailable", "504 gateway timeout",
          "internal server error", "\"something went wrong\"", "\"an error occurred\"", "network error",
          "timeouts", "connection refused", "error code 1015", "a blank white page", "\"service unavailable\"",
          "ERR_CONNECTION_RESET", "login failures", "endless spinner", "\"try again later\""]
ACTIONS = ["log in", "load anything", "send messages", "connect", "sign in", "push", "open the app",
           "refresh the page", "get a response", "join a call", "load my feed", "upload anything"]
WHEN = ["", "", "", " right now", " rn", " since 10 min", " for the last half hour", " this morning", " again",
        " all of a sudden", " tonight"]
TAILS = ["", "", "", " 😩", " 💀", " 🙃", " ugh", " lol", " wtf", " anyone else?", " pls fix", " #outage",
         " (US east)", " in Europe", " on both app and web"]
BODIES_POS = ["", "Tried another browser and my phone, same thing.", "Cleared cache, restarted router, nothing.",
              "Was working fine an hour ago.", "Status page still shows all green.", "Happening to my whole team.",
              "Getting this on every request."]
BODIES_NEG = ["", "Thanks!", "Would love some advice.", "Just curious what you all think.",
              "Sorry if this was asked before.", "EDIT: solved, thanks"]

# Outage complaints: a user reporting the service down, erroring or degraded now.
POSITIVE = [
    "is {s} down?", "is {s} down for anyone else", "{s} down?", "{s} is down{w}", "{s} down again{w}",
    "{s} not working{w}", "anyone else having problems with {s}{w}?", "is it just me or is {s} broken{w}",
    "{s} keeps giving me {e}{w}", "getting {e} on {s}{w}", "{s} throwing {e}{w}", "{s} returns {e} every time",
    "can't {a} on {s}{w}", "cannot {a} in {s}{w}", "{s} won't let me {a}{w}", "{s} won't load{w}",
    "{s} is dead{w}", "{s} just went down{w}", "{s} outage?{w}", "{s} outage right now", "{s} servers down?",
    "{S} DOWN", "{s} completely broken{w}", "{s} unusable{w}, everything times out",
    "{s} super slow{w}, pages take a minute to load", "{s} is crawling{w}, half the requests fail",
    "{s} went down in the middle of my work", "welp {s} is down", "so {s} is down huh",
    "status page says fine but {s} is down for me", "{s}: {e}{w}", "{e} from {s}{w}. down?",
    "lost connection to {s}{w}", "{s} stuck on loading{w}", "{s} login broken{w}", "{s} having an outage",
    "{s} is having issues{w}", "{s} acting up{w}, {e}", "yep {s} is down", "down detector lit up for {s}",
    "{s} api returning {e}{w}", "all my {s} requests failing{w}", "{s} keeps disconnecting{w}",
    "{s} not responding{w}", "{s} not loading for me{w}", "hey @{h} your service is down{w}",
    "{s} crashed for everyone?", "error after error on {s}{w}", "is {s} having problems today?",
    "{s} just died mid {activity}",
]
ACTIVITY = ["game", "meeting", "deploy", "conversation", "match", "upload", "call", "sprint demo"]

# Everything else that names a service, with the hard cases plentiful.
NEGATIVE = {
    "chatter": ["how do I export my history from {s}?", "{s} is so good for {use}", "anyone using {s} for {use}?",
                "just switched to {s}", "{s} vs the alternatives for {use}?", "what's the best {s} setting for {use}",
                "my team lives in {s}", "{s} tips thread", "first week with {s}, loving it",
                "is {s} worth paying for?", "{s} pricing explained", "how does {s} handle {use}?"],
    "other-down": ["why did this get downvoted? I only asked about {s}", "{s} really let me down with that answer",
                   "they shut down the {s} side project", "the {s} community is so down to earth",
                   "went down a rabbit hole reading {s} threads", "download the {s} app from the store",
                   "{s} stock down 4% today", "calm down, it's just {s}", "{s} breakdown of this year's features",
                   "countdown to the {s} event", "writing my notes in markdown and pasting into {s}",
                   "slow down and read the {s} docs", "upvote if {s} helped you", "{s} voted down the proposal",
                   "going down memory lane with old {s} screenshots"],
    "past": ["remember when {s} went down for a whole day in 2021?", "postmortem of last week's {s} outage is a good read",
             "the {s} outage last month cost us a day", "{s} published the root cause of the outage yesterday",
             "looking back at the biggest {s} outages", "{s} was down yesterday but it's fine now",
             "the {s} outage is resolved, everything works again"],
    "maintenance": ["{s} scheduled maintenance this Sunday 02:00 UTC", "heads up: {s} will be down for planned maintenance tonight",
                    "{s} maintenance window announced for next week", "planned {s} downtime on Saturday for upgrades"],
    "joke": ["my motivation is down more often than {s}", "if {s} goes down I'm going home lol",
             "what do you even do when {s} is down?", "tips for surviving when {s} goes down", "{s} never goes down, unlike me"],
    "announcement": ["{s} just announced a new feature", "{s} launches {use} support", "{s} raises prices again",
                     "new {s} update rolling out today", "{s} hits a record number of users", "{s} layoffs announced"],
    "quality": ["{s} got dumber this week", "{s} answers are worse than before", "the new {s} UI is terrible",
                "{s} customer support is useless", "{s} recommendations are garbage lately",
                "{s} keeps suggesting the wrong thing"],
    "bug": ["bug: {s} dark mode toggle doesn't stick", "feature request for {s}: better search",
            "the {s} search filter ignores dates, known bug?", "{s} emoji picker is misaligned on mobile",
            "small bug in {s} settings page, typo in a label"],
}
USES = ["coding", "school", "work chat", "gaming", "note taking", "hosting", "music", "research", "scheduling"]


def load_services() -> dict[str, list[str]]:
    with open(CATALOG, "rb") as f:
        services = tomllib.load(f)["services"]
    return {key: [s.get("name", key), *s.get("aliases", [])] for key, s in services.items()}


def typo(text: str, rng: random.Random) -> str:
    if len(text) < 8 or rng.random() > 0.12:
        return text
    i = rng.randrange(1, len(text) - 1)
    return text[:i] + text[i + 1:]


def compose(form: str, service: str, names: list[str], rng: random.Random, positive: bool) -> str:
    name = rng.choice(names)
    name = {0: name, 1: name.lower(), 2: name}[rng.randrange(3)]
    text = form.format(s=name, S=name.upper(), h=names[0].lower().replace(" ", ""), e=rng.choice(ERRORS),
                       a=rng.choice(ACTIONS), w=rng.choice(WHEN), use=rng.choice(USES),
                       activity=rng.choice(ACTIVITY))
    text = typo(text + rng.choice(TAILS if positive else ["", "", " lol", " 🙂", " #tech"]), rng)
    if rng.random() < 0.1:
        text = text.lower()
    if rng.random() < 0.4:  # Reddit style: a title and a body
        body = rng.choice(BODIES_POS if positive else BODIES_NEG)
        text = f"{text}\n\n{body}".strip()
    return text


def written_rows(rng: random.Random, per_form: int) -> list[dict]:
    services = load_services()
    keys = sorted(services)
    rows = []
    for n, form in enumerate(POSITIVE):
        for _ in range(per_form * 3):
            key = rng.choice(keys)
            rows.append(_row(compose(form, key, services[key], rng, True), 1, key, "complaint", f"pos-{n}"))
    for category, forms in NEGATIVE.items():
        for n, form in enumerate(forms):
            for _ in range(per_form * 3):
                key = rng.choice(keys)
                rows.append(_row(compose(form, key, services[key], rng, False), 0, key, category,
                                 f"neg-{category}-{n}"))
    return rows


def _row(text: str, label: int, service: str, category: str, group: str, origin: str = "written") -> dict:
    return {"text": text, "label": label, "service": service, "category": category, "group": group,
            "origin": origin}


def real_rows() -> list[dict]:
    """Real text from ../shared/data, all negatives: none is a user reporting an outage now."""
    rows = []
    for path in sorted((SHARED / "api-samples" / "reddit").glob("*.json")):
        for interaction in json.loads(path.read_text())["interactions"]:
            try:
                body = json.loads(interaction["response"]["body"].get("string", ""))
            except ValueError:
                continue
            for listing in body if isinstance(body, list) else [body]:
                for child in (listing.get("data", {}).get("children", []) if isinstance(listing, dict) else []):
                    data = child.get("data", {})
                    text = (f"{data['title']}\n\n{data.get('selftext', '')}".strip() if "title" in data
                            else data.get("body", ""))
                    if text and text not in ("[deleted]", "[removed]"):
                        rows.append(_row(text[:2000], 0, "", "real-reddit", f"real-reddit-{data.get('id')}", "real"))
    # GitHub's own status messages: maintenance notices and "resolved" notes are not user complaints.
    for line in (SHARED / "status" / "github-statuses" / "incidents.jsonl").read_text().splitlines():
        incident = json.loads(line)
        for update in incident["updates"]:
            if update["status"] in ("Scheduled", "Completed", "Resolved"):
                rows.append(_row(update["message"][:2000], 0, "github", f"real-status-{update['status'].lower()}",
                                 f"real-status-{incident['id']}", "real"))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--per-form", type=int, default=9)
    parser.add_argument("--out", type=Path, default=HERE / "posts.csv")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    real = real_rows()
    # Keep at most 600 status messages: they are near-identical boilerplate.
    status = [r for r in real if r["category"].startswith("real-status")]
    real = [r for r in real if not r["category"].startswith("real-status")] + rng.sample(status, min(600, len(status)))
    rows = written_rows(rng, args.per_form) + real
    seen, unique = set(), []
    for row in rows:
        if row["text"].lower() not in seen:
            seen.add(row["text"].lower())
            unique.append(row)
    with open(args.out, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(unique[0]))
        writer.writeheader()
        writer.writerows(unique)
    positives = sum(r["label"] for r in unique)
    print(f"{len(unique)} rows ({positives} complaints, {len(unique) - positives} not; "
          f"{sum(r['origin'] == 'real' for r in unique)} real) -> {args.out}")


if __name__ == "__main__":
    main()
