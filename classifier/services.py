"""Which services a post names, from the catalog's aliases."""
from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

# Top-level domains that turn an alias into a URL mention: "githubstatus.com", "discord.gg/...".
_TLD = r"\.(?:com|app|gg|ai|io|net|org|co)\b"
# An alias shorter than this ("x", "gh") is also a letter or a fragment of other words ("x-ray",
# "<img src=x>", "xbox.com"), so it needs more context than a name does.
SHORT_ALIAS = 3


class ServiceMatcher:
    """Find every service a text names.

    An alias matches on word boundaries, so it also matches as a ``#hashtag`` or ``@handle``; the
    spaces in a multi-word alias match any run of spaces, dashes or underscores; an alias at the start
    of a domain name matches as a URL. A short alias (under three characters) matches only as a word of
    its own, set off by spaces or punctuation that ends a phrase, or as exactly a domain (``x.com``).
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
    """

    def __init__(self, aliases: Mapping[str, Sequence[str]]):
        self.aliases = {key: list(names) for key, names in aliases.items()}
        self._patterns = {key: self._compile(names) for key, names in self.aliases.items()}

    @staticmethod
    def _compile(names: Sequence[str]) -> re.Pattern[str]:
        words = sorted({n.strip().lower() for n in names if n.strip()}, key=len, reverse=True)
        long_words = [w for w in words if len(w) >= SHORT_ALIAS]
        short_words = [w for w in words if len(w) < SHORT_ALIAS]
        rules = []
        if long_words:
            body = "|".join(r"[\s_-]+".join(re.escape(part) for part in w.split()) for w in long_words)
            rules.append(rf"(?<![a-z0-9])(?:{body})(?:(?![a-z0-9])|[a-z0-9-]*{_TLD})")
        if short_words:
            body = "|".join(re.escape(w) for w in short_words)
            rules.append(rf"(?<![^\s#@(\"'])(?:{body})(?=[.,;:!?)\"']*(?:\s|$))")  # a word of its own
            rules.append(rf"(?<![a-z0-9-])(?:{body}){_TLD}(?![.-]?[a-z0-9])")  # exactly the domain
        return re.compile("|".join(rules) or "(?!)", re.IGNORECASE)

    def match(self, text: str) -> list[str]:
        """The keys of every service ``text`` names, sorted."""
        return sorted(key for key, pattern in self._patterns.items() if pattern.search(text))
