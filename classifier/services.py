"""Which services a post names, from the catalog's aliases.

At 100+ services two things go wrong with plain name matching, and the matcher has one small rule for each:

- **Names that are ordinary words** ("Steam", "Teams", "Zoom", "Notion", "Line", "Box", "Signal"): the
  catalog lists them under ``ambiguous``, and such a name counts only with context: an outage word within
  ``CONTEXT_CHARS`` characters of it ("steam is down", "Teams keeps crashing", "zoom 障害"; the classifier's
  multilingual outage and recovery cues plus a few words like "down", "servers", "login"), or a written form
  only a name takes (``#steam``, ``@zoom``, ``#SteamDown``, ``notion.so``). "Letting off steam", "my teams
  won", "zoom in on the chart" name nothing.
  A name right after "my", "our", "your", "their", "his", "her", "its", "a", "an", "the", "this" or "that"
  is the ordinary word ("our teams are working on it", "the signal is down to one bar"); "the Steam
  servers" still counts through the catalog's longer names ("steam servers").
- **Names inside longer names** ("amazon" in "amazon web services", "copilot" in "microsoft copilot",
  "facebook" in "facebook messenger"): where one service's name lies inside another's longer name found at
  the same place, only the longer one counts.
- **Phrases that hold a name but mean something else**: the catalog's ``excluded`` phrases ("cloudflare
  location" in a pasted error page of a site behind Cloudflare, "npm.taobao" for a mirror) are found like
  names, and a name inside one of them does not count.
- **Mirrors**: a post naming a mirror of a registry (the catalog's ``mirrors``: "npm.tuna", "pypi 镜像",
  "npm.mirrors.ustc") is about the mirror, and the registry's name elsewhere in it is the client pointed at
  the mirror ("npm ERR! 502 .../npm.mirrors.ustc.edu.cn/..."), so the registry is not named anywhere in it.
- **Links**: a name joined by a dash to other words in a link's host ("redux-saga-firebase.js.org") is
  another site's name, and an ambiguous name in a link's path is a word of that path
  ("windowsforum.com/threads/...": not Threads); links to content hosted on a platform (a pasted screenshot
  "github.com/user-attachments/..." or "github.com/user/repo/assets/...", a tweet
  "twitter.com/SlackStatus/status/1260...", a thread "reddit.com/r/aws/comments/...") cite something, not
  the platform being down, so the platform's name in them does not count ("discord.com/channels/1 not
  loading", "https://www.githubstatus.com" and "x.com/home" still do).
- **Ambiguous names used as ordinary words** beyond the determiners above: the subject of people at work
  ("Delta teams are working to fix...") and a numbered thing ("line 66: parser error", "signal 11"). And
  one more way a name is written as only a name is: in capitals between words that are not ("ATT
  SportsNet", "Comcast, ATT, Verizon"; "Após última att" is Portuguese for an update).

All aliases are found in one pass (Aho-Corasick, as :mod:`.cues` does), so the cost hardly grows with the
catalog; short aliases (under three characters) keep their own stricter regex.
"""
from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import NamedTuple

import ahocorasick

from outage_signal.classifier.cues import OUTAGE, RECOVERY

# Top-level domains that turn an alias into a URL mention: "githubstatus.com", "discord.gg/...".
_TLD = r"\.(?:com|app|gg|ai|io|net|org|co)\b"
_DOMAIN_AFTER = re.compile(rf"[a-z0-9-]*{_TLD}")
# An alias shorter than this ("x", "gh") is also a letter or a fragment of other words ("x-ray",
# "<img src=x>", "xbox.com"), so it needs more context than a name does.
SHORT_ALIAS = 3
# How near an outage word must be to an ambiguous name: about five words either side.
CONTEXT_CHARS = 40
# Outage words beyond the classifier's cue phrases: the bare words people put next to a service's name.
CONTEXT_WORDS = ["down", "outage", "outages", "offline", "server", "servers", "error", "errors", "crash", "crashed",
                 "crashing", "crashes", "status", "login", "log in", "sign in", "broken", "lag", "lagging", "502",
                 "503", "500", "not work", "stopped", "fails", "failing", "failed", "issues", "problems"]
# Words a hashtag or handle may add right after a name: "#SteamDown", "@DiscordApp", "#GitHubOutage", and the
# support accounts people write to ("@SpotifyCares", "@comcastcares").
_TAG_TAILS = ("down", "outage", "status", "support", "help", "app", "cares")
# "my line", "our teams", "the signal": an ambiguous name after one of these words is the ordinary word.
_DETERMINER = re.compile(r"(?:^|[^a-z])(?:my|our|your|their|his|her|its|a|an|the|this|that)\s+$")
# Links that cite content hosted on a platform: an attachment, a tweet, a Reddit thread.
_CONTENT_LINK = re.compile(r"github\.com/(?:user-attachments/|(?=[\w.-]+/[\w.-]+/assets/))"
                           r"|[a-z0-9.-]*githubusercontent\.com/|(?:twitter|x)\.com/\w+/status/"
                           r"|reddit\.com/r/\w+/comments/")
# A link written with its scheme: its host, then its path.
_LINK = re.compile(r"[a-z][a-z0-9+.-]*://([^\s/?#<>()\[\]\"'`]+)([^\s<>()\[\]\"'`]*)")
# "teams are working to fix", "line 66": after an ambiguous name, words that make it a group of people or a
# numbered thing.
_ORDINARY_AFTER = re.compile(r"\s+(?:(?:are|were)\s+(?:working|investigating|looking|aware|monitoring)\b|\d)")
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
_SEPARATORS = str.maketrans({c: " " for c in "-_\t\n\r\f\v"})
# What continues a word of a Latin-script name: ASCII letters and digits, and the accented Latin letters
# ("signalé" is French for "reported", not Signal). Other scripts do not: "github落ちてる".
_ALNUM = frozenset("abcdefghijklmnopqrstuvwxyz0123456789") | {
    c for c in map(chr, range(0xC0, 0x250)) if c.isalpha()}


class _Hit(NamedTuple):
    start: int
    end: int
    key: str
    kind: str  # "name", "ambiguous", "excluded" or "mirror"


def _normal(name: str) -> str:
    """An alias as it is looked for: lower case, dashes and underscores as spaces, one space between words."""
    return " ".join(name.lower().translate(_SEPARATORS).split())


def _context_automaton() -> ahocorasick.Automaton:
    automaton = ahocorasick.Automaton()
    for phrase in {*OUTAGE, *RECOVERY, *CONTEXT_WORDS}:
        automaton.add_word(phrase, len(phrase))
    automaton.make_automaton()
    return automaton


_CONTEXT = _context_automaton()


class ServiceMatcher:
    """Find every service a text names.

    ``aliases`` are names that mean a service on their own; ``ambiguous`` names mean it only with context
    (see the module's docstring). An alias matches on word boundaries, so it also matches as a ``#hashtag``
    or ``@handle``; dashes and underscores match spaces ("GH-Actions" is "gh actions"); an alias at the
    start of a domain name matches as a URL. A short alias (under three characters) matches only as a word
    of its own, set off by spaces or punctuation that ends a phrase, or as exactly a domain (``x.com``).
    Matching ignores case.

    Examples
    --------
    >>> m = ServiceMatcher({"github": ["GitHub", "gh actions"], "discord": ["discord"], "x": ["twitter", "x"]})
    >>> m.match("is #GitHub down? https://www.githubstatus.com says no, @discord is fine")
    ['discord', 'github']
    >>> m.match("GH-Actions queue stuck")
    ['github']
    >>> m.match("I got downvoted on discordian forums")
    []
    >>> m.match("x is down again"), m.match("https://x.com/home won't load")
    (['x'], ['x'])
    >>> m.match("my x-ray results are in"), m.match("xbox.com is down"), m.match('<img src=x>')
    ([], [], [])
    >>> m = ServiceMatcher({"steam": ["steampowered"], "aws": ["amazon web services"], "amazon": ["amazon"]},
    ...                    ambiguous={"steam": ["steam"]})
    >>> m.match("steam is down again"), m.match("#SteamDown"), m.match("letting off some steam tonight")
    (['steam'], ['steam'], [])
    >>> m.match("amazon web services us-east-1 is on fire"), m.match("my amazon order is late")
    (['aws'], ['amazon'])
    >>> m = ServiceMatcher({"cloudflare": ["cloudflare"]}, excluded={"cloudflare": ["cloudflare location"]})
    >>> m.match("502 Bad gateway. Cloudflare Location: Seattle"), m.match("cloudflare is down")
    ([], ['cloudflare'])
    >>> m = ServiceMatcher({"npm": ["npm"]}, mirrors={"npm": ["npm.tuna"]})
    >>> m.match("npm ERR! 502 from https://npm.tuna.tsinghua.edu.cn"), m.match("npm ERR! 502 from registry.npmjs.org")
    ([], ['npm'])
    """

    def __init__(self, aliases: Mapping[str, Sequence[str]], ambiguous: Mapping[str, Sequence[str]] | None = None,
                 excluded: Mapping[str, Sequence[str]] | None = None,
                 mirrors: Mapping[str, Sequence[str]] | None = None):
        self.aliases = {key: list(names) for key, names in aliases.items()}
        self.ambiguous = {key: list(names) for key, names in (ambiguous or {}).items()}
        self._automaton = ahocorasick.Automaton()
        short: dict[str, str] = {}
        # Excluded phrases and mirrors are found like names: a name inside an excluded phrase then does not
        # count, and a mirror found drops its service from the whole post.
        tables = (("name", self.aliases), ("ambiguous", self.ambiguous), ("excluded", excluded or {}),
                  ("mirror", mirrors or {}))
        for kind, table in tables:
            for key, names in table.items():
                for name in names:
                    word = _normal(name)
                    if len(word) < SHORT_ALIAS and kind == "name":
                        short.setdefault(word, key)
                    elif word:
                        entries = self._automaton.get(word, [])
                        self._automaton.add_word(word, [*entries, (key, kind, len(word))])
        self._has_words = len(self._automaton) > 0
        if self._has_words:
            self._automaton.make_automaton()
        self._short = short
        body = "|".join(re.escape(w) for w in sorted(short, key=len, reverse=True))
        self._short_pattern = re.compile(
            rf"(?<![^\s#@(\"'])({body})(?=[.,;:!?)\"']*(?:\s|$))"  # a word of its own
            rf"|(?<![a-z0-9-])({body}){_TLD}(?![.-]?[a-z0-9])") if short else None  # exactly the domain

    def match(self, text: str) -> list[str]:
        """The keys of every service ``text`` names, sorted."""
        lower = text.lower()
        hits = self._word_hits(lower)
        if any(h.kind == "ambiguous" for h in hits):
            near = self._context_spans(lower)
            original = text if len(text) == len(lower) else None  # for capitals, where positions agree
            hits = [h for h in hits if h.kind != "ambiguous" or self._in_context(original, lower, h, near)]
        mirrored = {h.key for h in hits if h.kind == "mirror"}
        found = {h.key for h in hits if h.kind in ("name", "ambiguous") and h.key not in mirrored
                 and not any(_inside(h, other) for other in hits)}
        if self._short_pattern is not None:
            found.update(self._short[(m.group(1) or m.group(2))] for m in self._short_pattern.finditer(lower))
        return sorted(found)

    def _word_hits(self, lower: str) -> list[_Hit]:
        """Every alias of three or more characters found on word boundaries (or as the start of a domain)."""
        if not self._has_words:
            return []
        spaced = lower.translate(_SEPARATORS)  # same length as ``lower``: positions agree
        cited, hosts, paths = _link_spans(lower) if "/" in lower else ([], [], [])
        hits = []
        for last, entries in self._automaton.iter(spaced):
            end = last + 1
            start = end - entries[0][2]
            if cited and _within(start, cited):
                continue
            if start > 0 and lower[start - 1] in _ALNUM:
                continue
            if hosts and "-" in lower[start - 1: start] + lower[end: end + 1] and _within(start, hosts):
                continue  # a word of another site's host: "redux-saga-firebase.js.org"
            if paths and _within(start, paths):
                entries = [entry for entry in entries if entry[1] != "ambiguous"]  # "/threads/"
            if end < len(lower) and lower[end] in _ALNUM and not _DOMAIN_AFTER.match(lower, end) and not (
                    start > 0 and lower[start - 1] in "#@" and lower.startswith(_TAG_TAILS, end)):
                continue
            hits.extend(_Hit(start, end, key, kind) for key, kind, _ in entries)
        return hits

    @staticmethod
    def _context_spans(lower: str) -> list[tuple[int, int]]:
        """Where the text's outage words are: (start, end) of each, whole words only for Latin ones."""
        spans = []
        for last, length in _CONTEXT.iter(lower):
            start, end = last + 1 - length, last + 1
            before = lower[start - 1] if start > 0 else " "
            after = lower[end] if end < len(lower) else " "
            if not ((lower[start].isascii() and before.isalnum()) or (lower[end - 1].isascii() and after.isalnum())):
                spans.append((start, end))
        return spans

    @staticmethod
    def _in_context(text: str | None, lower: str, hit: _Hit, near: list[tuple[int, int]]) -> bool:
        """Whether an ambiguous name is written as only a name is, or has an outage word near it."""
        if (hit.start > 0 and lower[hit.start - 1] in "#@") or (hit.end < len(lower) and lower[hit.end] in _ALNUM):
            return True  # "#steam", "@zoom", "#SteamDown", "steampowered.com": a tag, a handle or a domain
        if _DETERMINER.search(lower, max(0, hit.start - 8), hit.start) or _ORDINARY_AFTER.match(lower, hit.end):
            return False
        if text is not None and _in_capitals(text, hit):
            return True  # "ATT SportsNet", "LINE": a brand written as one, not the word ("Após última att")
        return any(start < hit.end + CONTEXT_CHARS and end > hit.start - CONTEXT_CHARS for start, end in near)


def _link_spans(lower: str) -> tuple[list[tuple[int, int]], list[tuple[int, int]], list[tuple[int, int]]]:
    """Where links to content hosted on a platform are, and where links' hosts and paths are."""
    links = list(_LINK.finditer(lower))
    return ([m.span() for m in _CONTENT_LINK.finditer(lower)], [m.span(1) for m in links],
            [m.span(2) for m in links])


def _in_capitals(text: str, hit: _Hit) -> bool:
    """Whether a name is written in capitals between words that are not ("da TIM, mas", not "IN LINE. THEY")."""
    if not text[hit.start:hit.end].isupper():
        return False
    before = _LATIN_WORD.findall(text, max(0, hit.start - 30), hit.start)[-1:]
    after = _LATIN_WORD.findall(text, hit.end, hit.end + 30)[:1]
    return not any(word.isupper() for word in before + after)


def _within(position: int, spans: list[tuple[int, int]]) -> bool:
    return any(start <= position < end for start, end in spans)


def _inside(hit: _Hit, other: _Hit) -> bool:
    """Whether ``hit`` is part of a longer name of another service found at the same place, or overlaps an
    excluded phrase ("x app" in "iPhone X app")."""
    if other.kind == "excluded":
        return other.start < hit.end and hit.start < other.end
    return (other.key != hit.key and other.start <= hit.start and hit.end <= other.end
            and other.end - other.start > hit.end - hit.start)
