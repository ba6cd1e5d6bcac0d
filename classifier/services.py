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
- **Links to content hosted on a platform** (a pasted screenshot "github.com/user-attachments/...", a tweet
  "twitter.com/SlackStatus/status/1260...", a thread "reddit.com/r/aws/comments/..."): they cite something,
  not the platform being down, so the platform's name in them does not count ("discord.com/channels/1 not
  loading" and "x.com/home" still do).

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
# Words a hashtag or handle may add right after a name: "#SteamDown", "@DiscordApp", "#GitHubOutage".
_TAG_TAILS = ("down", "outage", "status", "support", "help", "app")
# "my line", "our teams", "the signal": an ambiguous name after one of these words is the ordinary word.
_DETERMINER = re.compile(r"(?:^|[^a-z])(?:my|our|your|their|his|her|its|a|an|the|this|that)\s+$")
# Links that cite content hosted on a platform: an attachment, a tweet, a Reddit thread.
_CONTENT_LINK = re.compile(r"github\.com/user-attachments/|[a-z0-9.-]*githubusercontent\.com/"
                           r"|(?:twitter|x)\.com/\w+/status/|reddit\.com/r/\w+/comments/")
_SEPARATORS = str.maketrans({c: " " for c in "-_\t\n\r\f\v"})
_ALNUM = frozenset("abcdefghijklmnopqrstuvwxyz0123456789")


class _Hit(NamedTuple):
    start: int
    end: int
    key: str
    ambiguous: bool


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
    """

    def __init__(self, aliases: Mapping[str, Sequence[str]], ambiguous: Mapping[str, Sequence[str]] | None = None,
                 excluded: Mapping[str, Sequence[str]] | None = None):
        self.aliases = {key: list(names) for key, names in aliases.items()}
        self.ambiguous = {key: list(names) for key, names in (ambiguous or {}).items()}
        self._automaton = ahocorasick.Automaton()
        short: dict[str, str] = {}
        # An excluded phrase is found as a name of no service (key ""): a name inside it then does not count.
        no_service = {"": [phrase for phrases in (excluded or {}).values() for phrase in phrases]}
        for is_ambiguous, table in ((False, self.aliases), (True, self.ambiguous), (False, no_service)):
            for key, names in table.items():
                for name in names:
                    word = _normal(name)
                    if len(word) < SHORT_ALIAS:
                        short.setdefault(word, key)
                    elif word:
                        entries = self._automaton.get(word, [])
                        self._automaton.add_word(word, [*entries, (key, is_ambiguous, len(word))])
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
        if any(h.ambiguous for h in hits):
            near = self._context_spans(lower)
            hits = [h for h in hits if not h.ambiguous or self._in_context(lower, h, near)]
        found = {h.key for h in hits if h.key and not any(_inside(h, other) for other in hits)}
        if self._short_pattern is not None:
            found.update(self._short[(m.group(1) or m.group(2))] for m in self._short_pattern.finditer(lower))
        return sorted(found)

    def _word_hits(self, lower: str) -> list[_Hit]:
        """Every alias of three or more characters found on word boundaries (or as the start of a domain)."""
        if not self._has_words:
            return []
        spaced = lower.translate(_SEPARATORS)  # same length as ``lower``: positions agree
        links = [m.span() for m in _CONTENT_LINK.finditer(lower)] if "/" in lower else []
        hits = []
        for last, entries in self._automaton.iter(spaced):
            end = last + 1
            start = end - entries[0][2]
            if links and any(link_start <= start < link_end for link_start, link_end in links):
                continue
            if start > 0 and lower[start - 1] in _ALNUM:
                continue
            if end < len(lower) and lower[end] in _ALNUM and not _DOMAIN_AFTER.match(lower, end) and not (
                    start > 0 and lower[start - 1] in "#@" and lower.startswith(_TAG_TAILS, end)):
                continue
            hits.extend(_Hit(start, end, key, is_ambiguous) for key, is_ambiguous, _ in entries)
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
    def _in_context(lower: str, hit: _Hit, near: list[tuple[int, int]]) -> bool:
        """Whether an ambiguous name is written as only a name is, or has an outage word near it."""
        if (hit.start > 0 and lower[hit.start - 1] in "#@") or (hit.end < len(lower) and lower[hit.end] in _ALNUM):
            return True  # "#steam", "@zoom", "#SteamDown", "steampowered.com": a tag, a handle or a domain
        if _DETERMINER.search(lower, max(0, hit.start - 8), hit.start):
            return False
        return any(start < hit.end + CONTEXT_CHARS and end > hit.start - CONTEXT_CHARS for start, end in near)


def _inside(hit: _Hit, other: _Hit) -> bool:
    """Whether ``hit`` is part of a longer name of another service found at the same place."""
    return (other.key != hit.key and other.start <= hit.start and hit.end <= other.end
            and other.end - other.start > hit.end - hit.start)
