"""Which services a post names, from the catalog's aliases."""
from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

# Top-level domains that turn an alias into a URL mention: "githubstatus.com", "discord.gg/...".
_DOMAIN = r"[a-z0-9-]*\.(?:com|app|gg|ai|io|net|org|co)\b"


class ServiceMatcher:
    """Find every service a text names.

    An alias matches on word boundaries, so it also matches as a ``#hashtag`` or ``@handle``; the
    spaces in a multi-word alias match any run of spaces, dashes or underscores; an alias at the start
    of a domain name matches as a URL. Matching ignores case.

    Examples
    --------
    >>> m = ServiceMatcher({"github": ["GitHub", "gh actions"], "discord": ["discord"], "x": ["twitter"]})
    >>> m.match("is #GitHub down? https://www.githubstatus.com says no, @discord is fine")
    ['discord', 'github']
    >>> m.match("GH-Actions queue stuck")
    ['github']
    >>> m.match("I got downvoted on discordian forums")
    []
    """

    def __init__(self, aliases: Mapping[str, Sequence[str]]):
        self.aliases = {key: list(names) for key, names in aliases.items()}
        self._patterns = {key: self._compile(names) for key, names in self.aliases.items()}

    @staticmethod
    def _compile(names: Sequence[str]) -> re.Pattern[str]:
        words = sorted({n.strip().lower() for n in names if n.strip()}, key=len, reverse=True)
        alternatives = [r"[\s_-]+".join(re.escape(part) for part in w.split()) for w in words]
        body = "|".join(alternatives)
        return re.compile(rf"(?<![a-z0-9])(?:(?:{body})(?![a-z0-9])|(?:{body}){_DOMAIN})", re.IGNORECASE)

    def match(self, text: str) -> list[str]:
        """The keys of every service ``text`` names, sorted."""
        return sorted(key for key, pattern in self._patterns.items() if pattern.search(text))
