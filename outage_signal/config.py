"""The configuration: which services to watch, where the database lives, where webhooks go.

The configuration is one TOML file. Without ``--config`` (or ``OUTAGE_SIGNAL_CONFIG``) the catalog
shipped with the package (``default_services.toml``) is used, so the tool runs out of the box.
Every problem is reported as a :class:`ConfigError` naming the file, the key and what was expected.
"""
from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

DEFAULT_CONFIG = Path(__file__).with_name("default_services.toml")
DEFAULT_DB = Path("outage-signal.db")
# The bundled replay is package data (datasets/ installs as outage_signal.datasets).
DEFAULT_REPLAY = Path(str(resources.files("outage_signal.datasets") / "replay"))
STATUS_PAGE_KINDS = ("statuspage", "feed")


class ConfigError(ValueError):
    """The configuration file is missing, unreadable or not what Outage Signal expects."""


@dataclass(frozen=True)
class StatusPage:
    kind: str  # "statuspage" (Atlassian Statuspage v2 API) or "feed" (RSS/Atom)
    url: str


@dataclass(frozen=True)
class Service:
    key: str
    name: str
    aliases: tuple[str, ...]
    subreddits: tuple[str, ...] = ()
    bluesky: tuple[str, ...] = ()
    status_page: StatusPage | None = None


@dataclass(frozen=True)
class Config:
    path: Path
    services: dict[str, Service]
    sensitivity: float = 1.0  # [detector] sensitivity: 2 alarms on half the evidence, 0.5 needs twice as much
    reddit_comments: bool = False  # [reddit] comments: also read the subreddits' newest comments
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    def aliases(self) -> dict[str, list[str]]:
        """``{service key: [aliases]}``, the input the classifier's ServiceMatcher takes."""
        return {key: [s.name, *s.aliases] for key, s in self.services.items()}


def resolve_config_path(path: str | os.PathLike | None = None) -> Path:
    """The config file to use: ``path``, else ``$OUTAGE_SIGNAL_CONFIG``, else the shipped catalog."""
    chosen = path or os.environ.get("OUTAGE_SIGNAL_CONFIG")
    return Path(chosen) if chosen else DEFAULT_CONFIG


def load_config(path: str | os.PathLike | None = None) -> Config:
    """Read and validate a configuration file."""
    path = resolve_config_path(path)
    try:
        with open(path, "rb") as f:
            raw = tomllib.load(f)
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found") from None
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path}: not valid TOML: {e}") from None
    except UnicodeDecodeError as e:
        raise ConfigError(f"{path}: not UTF-8 text (byte {e.start}); save the file as UTF-8") from None
    except OSError as e:
        raise ConfigError(f"{path}: cannot read: {e.strerror}") from None
    services_raw = raw.get("services")
    if not isinstance(services_raw, dict) or not services_raw:
        raise ConfigError(f"{path}: key 'services': expected a table of services, e.g. [services.github]")
    services = {key: _service(path, key, value) for key, value in services_raw.items()}
    reddit = raw.get("reddit", {})
    if not isinstance(reddit, dict) or not isinstance(reddit.get("comments", False), bool):
        raise ConfigError(f"{path}: key 'reddit.comments': expected true or false (default false)")
    return Config(path=path, services=services, sensitivity=_sensitivity(path, raw.get("detector", {})),
                  reddit_comments=reddit.get("comments", False), raw=raw)


def _sensitivity(path: Path, detector: Any) -> float:
    value = detector.get("sensitivity", 1.0) if isinstance(detector, dict) else None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise ConfigError(f"{path}: key 'detector.sensitivity': expected a number > 0 (default 1.0), got {value!r}")
    return float(value)


def _service(path: Path, key: str, value: Any) -> Service:
    where = f"{path}: key 'services.{key}"
    if not isinstance(value, dict):
        raise ConfigError(f"{where}': expected a table, got {type(value).__name__}")
    name = value.get("name", key)
    if not isinstance(name, str) or not name.strip():
        raise ConfigError(f"{where}.name': expected a non-empty string")
    lists = {}
    for list_key in ("aliases", "subreddits", "bluesky"):
        items = value.get(list_key, [])
        if not isinstance(items, list) or not all(isinstance(i, str) and i.strip() for i in items):
            raise ConfigError(f"{where}.{list_key}': expected a list of non-empty strings")
        lists[list_key] = tuple(items)
    unknown = set(value) - {"name", "aliases", "subreddits", "bluesky", "status_page"}
    if unknown:
        raise ConfigError(f"{where}': unknown key(s) {', '.join(sorted(unknown))}; "
                          "expected name, aliases, subreddits, bluesky, status_page")
    return Service(key=key, name=name, status_page=_status_page(where, value.get("status_page")), **lists)


def _status_page(where: str, value: Any) -> StatusPage | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ConfigError(f"{where}.status_page': expected a table {{ kind = ..., url = ... }}")
    kind, url = value.get("kind"), value.get("url")
    if kind not in STATUS_PAGE_KINDS:
        raise ConfigError(f"{where}.status_page.kind': expected one of {', '.join(STATUS_PAGE_KINDS)}, got {kind!r}")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise ConfigError(f"{where}.status_page.url': expected an http(s) URL, got {url!r}")
    return StatusPage(kind=kind, url=url.rstrip("/"))
