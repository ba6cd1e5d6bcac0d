"""Write the labeled posts the complaint classifier learns from: datasets/labeled/posts.csv.

    python datasets/labeled/generate.py [--seed 11] [--per-form 18]

Rows are written (composed from the phrase forms below, each form a ``group`` so that near-duplicates
never straddle the train/test split) or real (Reddit posts and comments recorded by praw's test suite,
and GitHub status-page messages, from ../shared/data). See DATASHEET.md for the label definitions.
Deterministic by seed.

Only the form decides a written row's label. Everything else in the row (the service and how it is
spelled, the slot values, prefix, tail, body, case and typo) is drawn once per *pair* of rows, one
complaint and one not, and used in both. So every such piece appears as often with label 1 as with
label 0 and cannot teach the model a label; ``tests/classifier/test_written_data.py`` checks this on
posts.csv. To make pairs, forms are bucketed by the slots they use: a complaint form with ``{e}`` is
paired with a non-complaint form with ``{e}``.
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

# Slot values. Each pool is used by complaint and non-complaint forms alike, so none of its values
# says which label a row has. They are worded to read naturally on both sides.
ERRORS = ["500 errors", "a 502", "502 bad gateway", "503 service unavailable", "504 gateway timeout",
          "internal server error", "\"something went wrong\"", "\"an error occurred\"", "network error",
          "timeouts", "connection refused", "error code 1015", "a blank white page", "\"service unavailable\"",
          "ERR_CONNECTION_RESET", "login failures", "an endless spinner", "\"try again later\""]
ACTIONS = ["log in", "sign in", "send messages", "push", "open the app", "join a call", "load the feed",
           "upload files", "connect an account", "check notifications"]
WHEN = ["", "", "", " right now", " rn", " today", " this morning", " tonight", " all of a sudden",
        " for the last half hour"]
USES = ["coding", "school", "work chat", "gaming", "note taking", "hosting", "music", "research", "scheduling"]
ACTIVITY = ["game", "meeting", "deploy", "conversation", "match", "upload", "call", "sprint demo"]

# Decoration around the form, shared by both labels the same way (see the module docstring).
PREFIXES = ["", "", "", "", "", "", "ok so ", "hey all, ", "PSA: ", "honestly "]
TAILS = ["", "", "", "", " 😩", " 💀", " 🙃", " 🙂", " ugh", " lol", " wtf", " anyone else?", " #tech",
         " (US east)", " in Europe", " on both app and web"]
# Reddit-style bodies: none says by itself whether the service is down, so each fits either kind of title.
BODIES = ["Thanks!", "Would love some advice.", "Just curious what you all think.", "Sorry if this was asked before.",
          "Tried another browser and my phone, same thing.", "Was working fine an hour ago.",
          "Happening to my whole team.", "On Windows 11, latest Chrome.", "Using the free plan if that matters.",
          "Any ideas?"]
BODY_SHARE = 0.4  # of rows get a body (Reddit style: title, blank line, body)

# Every pool of pieces that is not a form, by the name the check in tests/classifier/test_written_data.py
# reports: each value must appear with both labels at the same rate.
TEMPLATE_PIECES = {"prefix": PREFIXES, "tail": TAILS, "body": BODIES, "when": WHEN, "error": ERRORS,
                   "action": ACTIONS, "use": USES, "activity": ACTIVITY}

# Outage complaints: a user reporting the service down, erroring or degraded now.
POSITIVE = [
    # only {s}
    "is {s} down?", "is {s} down for anyone else", "{s} down?", "{s} outage as we speak", "{s} servers down?",
    "{s} DOWN", "{s} went down in the middle of my work", "welp {s} is down", "so {s} is down huh",
    "status page says fine but {s} is down for me", "{s} having an outage", "yep {s} is down",
    "down detector lit up for {s}", "{s} crashed for everyone?", "is {s} having problems at the moment?",
    "{s} is down and I have a deadline", "pretty sure {s} is down", "{s} down for everyone or just me?",
    "anyone know when {s} will be back up?", "{s} outage ruining my day", "{s} has been down for an hour",
    "can someone confirm {s} is down", "{s} is unreachable", "{s} is toast", "is {s} dead?",
    "is anyone else's {s} down", "{s} broke, can't do anything",
    # {w}
    "{s} is down{w}", "{s} down again{w}", "{s} not working{w}", "anyone else having problems with {s}{w}?",
    "is it just me or is {s} broken{w}", "{s} won't load{w}", "{s} is dead{w}", "{s} just went down{w}",
    "{s} outage?{w}", "{s} completely broken{w}", "{s} unusable{w}, everything times out",
    "{s} super slow{w}, pages take a minute to load", "{s} is crawling{w}, half the requests fail",
    "lost connection to {s}{w}", "{s} stuck on loading{w}", "{s} login broken{w}", "{s} is having issues{w}",
    "all my {s} requests failing{w}", "{s} keeps disconnecting{w}", "{s} not responding{w}",
    "{s} not loading for me{w}", "error after error on {s}{w}",
    # {e}, {e} and {w}
    "{s} returns {e} every time", "{s} gives {e} on every page", "{s} down, just {e}",
    "{s} keeps giving me {e}{w}", "getting {e} on {s}{w}", "{s} throwing {e}{w}", "{s}: {e}{w}",
    "{e} from {s}{w}. down?", "{s} acting up{w}, {e}", "{s} api returning {e}{w}",
    # {a} and {w}
    "can't {a} on {s}{w}", "cannot {a} in {s}{w}", "{s} won't let me {a}{w}",
    # {use}
    "can't use {s} for {use}, it's down", "{s} down in the middle of {use}", "{s} not working for {use} at all",
    "is {s} down? can't do any {use}", "{s} outage killed my {use} session", "{s} erroring for everyone doing {use}?",
    "{s} keeps failing during {use}", "no {use} for me, {s} is down",
    # {activity}
    "{s} just died mid {activity}", "{s} kicked me out mid {activity}", "{s} froze right in the middle of my {activity}",
    # {h} and {w}
    "hey @{h} your service is down{w}", "@{h} fix your servers{w}",
]

# Everything else that names a service, with the hard cases plentiful (the same slots as above).
NEGATIVE = {
    "chatter": ["how do I export my history from {s}?", "{s} tips thread", "is {s} worth paying for?",
                "{s} pricing explained", "just switched to {s}{w}", "trying {s} for the first time{w}",
                "setting up {s} for my team{w}", "watching a {s} tutorial{w}", "my team lives in {s}",
                "writing retry logic for {e} from the {s} api{w}", "does the {s} sdk retry on {e} by default?",
                "can't figure out how to {a} on {s}{w}, where's the button?",
                "{s} is so good for {use}", "anyone using {s} for {use}?", "{s} vs the alternatives for {use}?",
                "what's the best {s} setting for {use}", "used {s} mid {activity}, worked great",
                "any tips for using {s} during a {activity}?", "{s} made my {activity} so much easier", "hey @{h} love the new update{w}"],
    "other-down": ["why did my {s} post get downvoted{w}?", "{s} really let me down with that answer",
                   "they shut down the {s} side project", "the {s} community is so down to earth",
                   "went down a rabbit hole reading {s} threads{w}", "download the {s} app from the store",
                   "{s} stock down 4%{w}", "calm down, it's just {s}", "{s} breakdown of this year's features",
                   "countdown to the {s} event{w}", "writing my notes in markdown and pasting into {s}{w}",
                   "slow down and read the {s} docs", "upvote if {s} helped you",
                   "going down memory lane with old {s} screenshots{w}", "made a {s} wallpaper that says {e}{w}"],
    "past": ["remember when {s} went down for a whole day in 2021?", "postmortem of last week's {s} outage is a good read",
             "the {s} outage last month cost us a day", "looking back at the biggest {s} outages",
             "{s} was down yesterday but it's fine now", "the {s} outage is resolved, everything works again",
             "finally read the {s} postmortem{w}", "{s} published the root cause of last week's outage{w}",
             "read the {s} postmortem{w}, the {e} last week was a bad rollout",
             "{s} was throwing {e} yesterday, all fixed now", "last year {s} went down mid {use} for me",
             "{s} wouldn't let me {a} last week{w}, thankfully that's fixed"],
    "maintenance": ["{s} maintenance window announced for next week", "{s} scheduled maintenance{w}",
                    "heads up: {s} will be down for planned maintenance{w}", "planned {s} downtime{w} for upgrades",
                    "{s} maintenance{w}: expect {e} for a few minutes",
                    "{s} maintenance on Sunday, plan your {use} around it"],
    "joke": ["my motivation is down more often than {s}", "if {s} goes down I'm going home lol",
             "what do you even do when {s} is down?", "tips for surviving when {s} goes down",
             "{s} never goes down, unlike me", "my brain returns {e}{w}, unlike {s}",
             "what do you even do when {s} throws {e}?", "@{h} please never go down during my finals{w}"],
    "announcement": ["{s} hits a record number of users", "{s} layoffs announced", "{s} just announced a new feature{w}",
                     "new {s} update rolling out{w}", "{s} raises prices{w}", "{s} launches {use} support",
                     "{s} now shows a friendly page instead of {e}{w}", "{s} now lets you {a} from your watch{w}",
                     "{s} adds a {use} mode"],
    "quality": ["{s} customer support is useless", "{s} got dumber{w}", "{s} answers are worse than before{w}",
                "the new {s} UI is terrible{w}", "{s} recommendations are garbage{w}",
                "{s} keeps suggesting the wrong thing{w}", "{s} makes it so hard to {a}{w}, terrible UX",
                "{s} is mediocre for {use} honestly"],
    "bug": ["feature request for {s}: better search", "the {s} search filter ignores dates, known bug?",
            "small bug in {s} settings page, typo in a label", "bug: {s} dark mode toggle doesn't stick{w}",
            "{s} emoji picker is misaligned on mobile{w}", "bug: {s} shows {e} when dark mode is on{w}",
            "{s} shows {e} only when I paste an emoji, known bug?", "the {s} {use} export drops the last line"],
}
SLOT_POOLS = {"e": ERRORS, "a": ACTIONS, "w": WHEN, "use": USES, "activity": ACTIVITY}
PAIRING_SLOTS = (*SLOT_POOLS, "h")  # "h", the service's @handle, has no pool: it follows from the service


def slots_of(form: str) -> tuple[str, ...]:
    """The slots a form uses besides the service name: forms are paired across labels by these."""
    return tuple(slot for slot in PAIRING_SLOTS if "{" + slot + "}" in form)


def load_services() -> dict[str, list[str]]:
    with open(CATALOG, "rb") as f:
        services = tomllib.load(f)["services"]
    return {key: [s.get("name", key), *s.get("aliases", [])] for key, s in services.items()}


def typo(text: str, position: float) -> str:
    """Drop one character at ``position`` (a fraction of the length), keeping the first and last."""
    if len(text) < 8:
        return text
    i = 1 + int(position * (len(text) - 2))
    return text[:i] + text[i + 1:]


class Deck:
    """Deals a pool's values in shuffled rounds, so that each is used about equally often."""

    def __init__(self, values: list[str], rng: random.Random):
        self.values, self.rng, self.hand = values, rng, []

    def deal(self) -> str:
        if not self.hand:
            self.hand = self.rng.sample(self.values, len(self.values))
        return self.hand.pop()


def draw_pieces(names: list[str], slot_decks: dict[str, Deck], rng: random.Random) -> dict:
    """Everything in a row except its form: drawn once per pair and used for both rows."""
    name = rng.choice(names)
    return {"name": name if rng.random() < 2 / 3 else name.lower(), "handle": names[0].lower().replace(" ", ""),
            **{slot: deck.deal() for slot, deck in slot_decks.items()},
            "prefix": rng.choice(PREFIXES), "tail": rng.choice(TAILS),
            "typo": rng.random() if rng.random() < 0.12 else None, "lower": rng.random() < 0.1,
            "body": rng.choice(BODIES) if rng.random() < BODY_SHARE else ""}


def compose(form: str, pieces: dict) -> str:
    text = form.format(s=pieces["name"], h=pieces["handle"], **{slot: pieces.get(slot) for slot in SLOT_POOLS})
    text = pieces["prefix"] + text + pieces["tail"]
    if pieces["typo"] is not None:
        text = typo(text, pieces["typo"])
    if pieces["lower"]:
        text = text.lower()
    return f"{text}\n\n{pieces['body']}" if pieces["body"] else text


def written_rows(rng: random.Random, per_form: int) -> list[dict]:
    """Complaint and non-complaint rows in pairs that differ only in their form (see the module docstring).

    Within each bucket of forms using the same slots, ``per_form`` pairs are made for each form of the
    larger side; the smaller side's forms take turns, so its forms repeat a little more often.
    """
    services = load_services()
    keys = sorted(services)
    positive = [(form, "complaint", f"pos-{n}") for n, form in enumerate(POSITIVE)]
    negative = [(form, category, f"neg-{category}-{n}")
                for category, forms in NEGATIVE.items() for n, form in enumerate(forms)]
    rows = []
    for slots in sorted({slots_of(form) for form, _, _ in positive + negative}):
        complaints = [f for f in positive if slots_of(f[0]) == slots]
        others = [f for f in negative if slots_of(f[0]) == slots]
        if not complaints or not others:
            raise ValueError(f"forms using slots {slots} must exist for both labels, or their slot values leak it")
        slot_decks = {slot: Deck(SLOT_POOLS[slot], rng) for slot in slots if slot in SLOT_POOLS}
        for i in range(per_form * max(len(complaints), len(others))):
            key = rng.choice(keys)
            pieces = draw_pieces(services[key], slot_decks, rng)
            for (form, category, group), label in ((complaints[i % len(complaints)], 1), (others[i % len(others)], 0)):
                rows.append(_row(compose(form, pieces), label, key, category, group))
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
    parser.add_argument("--per-form", type=int, default=18)
    parser.add_argument("--out", type=Path, default=HERE / "posts.csv")
    args = parser.parse_args()
    written = written_rows(random.Random(args.seed), args.per_form)
    real = real_rows()
    # Keep at most 600 status messages: they are near-identical boilerplate.
    status = [r for r in real if r["category"].startswith("real-status")]
    real = ([r for r in real if not r["category"].startswith("real-status")]
            + random.Random(args.seed).sample(status, min(600, len(status))))
    rows = written + real
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
