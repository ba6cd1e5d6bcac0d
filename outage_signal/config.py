"""The configuration: which services to watch, how sensitive the detector is, where webhooks go.

The configuration is one TOML file, validated against the schema below: every key is defined here, an
unknown key is an error, and every problem is one :class:`ConfigError` line naming the file and the
dotted key, e.g. ``config.toml: key 'detector.colour': unknown key``.

Without ``--config`` (or ``OUTAGE_SIGNAL_CONFIG``) the catalog shipped with the package
(``default_services.toml``) is used, so the tool runs out of the box. A config of your own extends that
catalog rather than copying it:

- each ``[services.KEY]`` of your config adds a service, or replaces the bundled service of the same
  KEY wholesale (the bundled one's aliases, subreddits and status page are not kept);
- ``catalog = "none"`` at the top of your config watches only your own services;
- ``optional_catalogs = ["isp"]`` also watches the optional catalogs shipped beside the bundled one
  (``isp_services.toml``: internet and mobile providers); your own services still replace theirs by KEY.

So a config holding only ``[[webhooks]]`` watches the bundled services and notifies those webhooks.
"""
from __future__ import annotations

import functools
import json
import os
import re
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, Strict, StrictBool, ValidationError

DEFAULT_CONFIG = Path(__file__).with_name("default_services.toml")
# Catalogs shipped beside the bundled one that a config turns on with optional_catalogs = [NAME, ...].
OPTIONAL_CATALOGS = {"isp": Path(__file__).with_name("isp_services.toml")}
DEFAULT_DB = Path("outage-signal.db")
# The bundled replay is package data (datasets/ installs as outage_signal.datasets).
DEFAULT_REPLAY = Path(str(resources.files("outage_signal.datasets") / "replay"))
# A display name shorter than this ("X") is a letter, not a name a post can be matched on.
MIN_NAME_ALIAS = 3


class ConfigError(ValueError):
    """The configuration file is missing, unreadable or not what Outage Signal expects."""


def _text(value: str) -> str:
    if not value.strip():
        raise ValueError("expected a non-empty string")
    return value


def _http_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"expected an http:// or https:// URL, got {value!r}")
    return value


def _websocket_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("ws", "wss") or not parts.netloc:
        raise ValueError(f"expected a ws:// or wss:// URL, got {value!r}")
    return value


def _non_empty(value: tuple) -> tuple:
    # Checked after the items (not with Field(min_length)), so a bad item is the one problem reported.
    if not value:
        raise ValueError("expected a non-empty list, got []")
    return value


def _service_key(value: str) -> str:
    # Keys name the report's files, so they must be safe as file names on every system.
    if not re.fullmatch(r"[a-z0-9][a-z0-9_-]{0,39}", value):
        raise ValueError("a service key is 1 to 40 lowercase letters, digits, '-' or '_', starting with a "
                         "letter or digit")
    return value


Text = Annotated[str, AfterValidator(_text)]
HttpUrl = Annotated[str, AfterValidator(_http_url)]
WebSocketUrl = Annotated[str, AfterValidator(_websocket_url)]
ServiceKey = Annotated[str, AfterValidator(_service_key)]
WebhookFormat = Literal["generic", "slack", "discord", "alertmanager", "pagerduty", "apprise"]
EventKind = Literal["opened", "escalated", "acknowledged", "resolved"]


class _Table(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# The status platforms a catalog entry's status_page may name: each has a reader in
# outage_signal.collector.status_pages (README, "Status pages"); "auto" finds out which one a page is on.
STATUS_PAGE_KINDS = ("statuspage", "incidentio", "instatus", "betterstack", "rootly", "statusio", "gcp", "aws",
                     "azure", "slack", "feed", "auto")
StatusPageKind = Literal[STATUS_PAGE_KINDS]  # type: ignore[valid-type]
# The facts of a catalog entry a `sources` note may be about.
SOURCED_FACTS = ("name", "aliases", "ambiguous", "excluded", "mirrors", "subreddits", "bluesky", "status_page",
                 "official_bluesky")


class StatusPage(_Table):
    kind: StatusPageKind
    url: Annotated[HttpUrl, AfterValidator(lambda url: url.rstrip("/"))]


def _bluesky_handle(value: str) -> str:
    handle = value.removeprefix("@").lower()
    if not re.fullmatch(r"([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]", handle):
        raise ValueError(f"{value!r} is not a Bluesky handle (a domain name such as status.example.com)")
    return handle


BlueskyHandle = Annotated[str, AfterValidator(_bluesky_handle)]


class Service(_Table):
    name: Text = ""  # display name; the service's key when left out
    aliases: tuple[Text, ...] = ()  # what a post calls the service
    ambiguous: tuple[Text, ...] = ()  # names that are also ordinary words: they count only with context
    excluded: tuple[Text, ...] = ()  # phrases holding a name that do not mean the service ("cloudflare location")
    mirrors: tuple[Text, ...] = ()  # mirrors of a registry ("npm.tuna"): a post naming one does not name the service
    subreddits: tuple[Text, ...] = ()
    bluesky: tuple[Text, ...] = ()  # app.bsky.feed.searchPosts queries
    status_page: StatusPage | None = None
    # The company's own Bluesky accounts: their posts about an outage count as an acknowledgement.
    official_bluesky: tuple[BlueskyHandle, ...] = ()
    sources: dict[Literal[SOURCED_FACTS], Text] = {}  # where each fact comes from, free text

    def match_names(self) -> list[str]:
        """The names a post may use for this service on their own: its aliases, and its display name unless
        that is short or ambiguous."""
        context = {_normal(n) for n in self.ambiguous}
        names = [self.name, *self.aliases] if len(self.name.strip()) >= MIN_NAME_ALIAS else self.aliases
        return [n for n in dict.fromkeys(names) if _normal(n) not in context]


PAGERDUTY_EVENTS_URL = "https://events.pagerduty.com/v2/enqueue"
OWN_ALERT_LABELS = ("alertname", "service", "incident_id")  # an alert's identity, set by Outage Signal


def _label_name(value: str) -> str:
    # Alertmanager's label names are those of the Prometheus data model.
    if not re.fullmatch(r"[a-zA-Z_][a-zA-Z0-9_]*", value):
        raise ValueError(f"{value!r} is not a label name (letters, digits and _, not starting with a digit)")
    return value


LabelName = Annotated[str, AfterValidator(_label_name)]


class Webhook(_Table):
    """One ``[[webhooks]]`` table. Which keys a format takes is checked in :func:`_check_webhooks`."""

    name: Text = ""  # webhook-N (its position) when left out
    url: Text | None = None  # http(s) URL; an Apprise URL for apprise; pagerduty defaults to PAGERDUTY_EVENTS_URL
    format: WebhookFormat = "generic"
    secret_env: Text | None = None  # the environment variable holding the signing secret; required for generic
    routing_key_env: Text | None = None  # pagerduty: the environment variable holding the integration's routing key
    incident_url: Text | None = None  # alertmanager, pagerduty: a link to the incident, "{service}", "{incident_id}"
    labels: dict[LabelName, Text] = {}  # alertmanager: added to each alert's labels
    services: Annotated[tuple[Text, ...], Field(min_length=1)] | None = None  # None: every service
    events: Annotated[tuple[EventKind, ...], Field(min_length=1)] | None = None  # None: every kind


class Detector(_Table):
    # 2 alarms on half the evidence, 0.5 needs twice as much
    sensitivity: Annotated[float, Strict(), Field(gt=0, allow_inf_nan=False)] = 1.0


class Reddit(_Table):
    comments: StrictBool = False  # also read the subreddits' newest comments


# Bluesky's public Jetstream instances (the Jetstream README's list); any of them serves the whole network.
JETSTREAM_ENDPOINTS = (
    "wss://jetstream1.us-east.bsky.network/subscribe",
    "wss://jetstream2.us-east.bsky.network/subscribe",
    "wss://jetstream1.us-west.bsky.network/subscribe",
    "wss://jetstream2.us-west.bsky.network/subscribe",
)


class Stream(_Table):
    """``outage-signal stream``: the Jetstream instances to read, in failover order, and how long a
    silent connection is kept before it is opened again."""

    endpoints: Annotated[tuple[WebSocketUrl, ...], AfterValidator(_non_empty)] = JETSTREAM_ENDPOINTS
    stall_seconds: Annotated[float, Strict(), Field(gt=0, allow_inf_nan=False)] = 30.0


class ConfigFile(_Table):
    """One config file as written, before it is merged with the bundled catalog."""

    catalog: Literal["bundled", "none"] = "bundled"
    optional_catalogs: tuple[Literal[tuple(OPTIONAL_CATALOGS)], ...] = ()
    detector: Detector = Detector()
    reddit: Reddit = Reddit()
    stream: Stream = Stream()
    services: dict[ServiceKey, Service] = {}
    webhooks: tuple[Webhook, ...] = ()


@dataclass(frozen=True)
class Config:
    path: Path
    services: dict[str, Service]
    sensitivity: float = 1.0
    reddit_comments: bool = False
    webhooks: tuple[Webhook, ...] = ()
    stream: Stream = Stream()

    def aliases(self) -> dict[str, list[str]]:
        """``{service key: [names]}``: the names that mean a service on their own."""
        return {key: s.match_names() for key, s in self.services.items()}

    def matcher_names(self) -> dict[str, dict[str, list[str]]]:
        """The classifier's ServiceMatcher arguments: ``ServiceMatcher(**config.matcher_names())``."""
        return {"aliases": self.aliases(),
                "ambiguous": {key: list(s.ambiguous) for key, s in self.services.items() if s.ambiguous},
                "excluded": {key: list(s.excluded) for key, s in self.services.items() if s.excluded},
                "mirrors": {key: list(s.mirrors) for key, s in self.services.items() if s.mirrors}}

    def names(self) -> list[str]:
        """The stream prefilter's words: every name a post may call a service by, ambiguous ones too.

        The prefilter finds names as substrings of a post's text, with one regex alternation whose cost
        grows with the number of names, so two kinds are left out: a name holding a shorter one ("steam
        store" passes wherever "steam" does: the same posts pass, at 350 names instead of 750), and names
        of one or two letters ("ig" is in one post in five: "night", "big"; a post naming a service only
        that way is not streamed)."""
        words = sorted({" ".join(name.lower().split()) for s in self.services.values()
                        for name in [*s.match_names(), *s.ambiguous] if len(name.strip()) > 2}, key=len)
        kept: list[str] = []
        for word in words:
            if not any(shorter in word for shorter in kept):
                kept.append(word)
        return kept


def service_rows(config: Config) -> list[dict[str, Any]]:
    """The catalog as rows, one per service in catalog order: what ``outage-signal services`` lists."""
    return [{"key": key, "name": s.name, "aliases": list(s.aliases), "ambiguous": list(s.ambiguous),
             "excluded": list(s.excluded), "mirrors": list(s.mirrors), "subreddits": list(s.subreddits),
             "bluesky": list(s.bluesky),
             "status_page_kind": s.status_page.kind if s.status_page else None,
             "status_page_url": s.status_page.url if s.status_page else None, "sources": dict(s.sources)}
            for key, s in config.services.items()]


def resolve_config_path(path: str | os.PathLike | None = None) -> Path:
    """The config file to use: ``path``, else ``$OUTAGE_SIGNAL_CONFIG``, else the shipped catalog."""
    chosen = path or os.environ.get("OUTAGE_SIGNAL_CONFIG")
    return Path(chosen) if chosen else DEFAULT_CONFIG


def load_config(path: str | os.PathLike | None = None) -> Config:
    """Read and validate a configuration file, merged over the bundled catalog unless it says ``catalog = "none"``."""
    path = resolve_config_path(path)
    file = read_config_file(path)
    own = _named(file.services)
    bundled = _bundled_services() if file.catalog == "bundled" else {}
    for name in file.optional_catalogs:
        bundled = {**bundled, **_optional_services(name)}
    if not bundled and not own:
        raise ConfigError(f"{path}: key 'services': no services to watch; add [services.KEY] tables "
                          'or remove catalog = "none"')
    _check_aliases(path, {k: s for k, s in bundled.items() if k not in own}, own)
    webhooks = tuple(h if h.name else h.model_copy(update={"name": f"webhook-{n}"})
                     for n, h in enumerate(file.webhooks))
    services = {**bundled, **own}  # a replaced service keeps its place in the catalog's order
    _check_webhooks(path, webhooks, services)
    return Config(path=path, services=services, sensitivity=file.detector.sensitivity,
                  reddit_comments=file.reddit.comments, webhooks=webhooks, stream=file.stream)


def read_config_file(path: Path) -> ConfigFile:
    """One file parsed and checked against the schema, on its own."""
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
    try:
        return ConfigFile.model_validate(raw)
    except ValidationError as e:
        raise _config_error(path, e) from None


@functools.cache
def _bundled_services() -> dict[str, Service]:
    return _named(read_config_file(DEFAULT_CONFIG).services)


@functools.cache
def _optional_services(name: str) -> dict[str, Service]:
    return _named(read_config_file(OPTIONAL_CATALOGS[name]).services)


def _normal(name: str) -> str:
    """A name as compared for sameness: lower case, runs of spaces as one."""
    return " ".join(name.lower().split())


def _named(services: dict[str, Service]) -> dict[str, Service]:
    """A service without a display name is called by its key."""
    return {key: s if s.name else s.model_copy(update={"name": key}) for key, s in services.items()}


def _check_aliases(path: Path, kept: dict[str, Service], own: dict[str, Service]) -> None:
    """No name may mean two services; the config's own services are checked last, so the error names them."""
    owner: dict[str, str] = {}
    for key, service in [*kept.items(), *own.items()]:
        plain = {_normal(n) for n in service.aliases}
        for name in service.ambiguous:
            if _normal(name) in plain:
                raise ConfigError(f"{path}: key 'services.{key}.ambiguous': {name!r} is also in aliases; list a "
                                  "name in one of the two")
        for name in [*service.match_names(), *service.ambiguous]:
            normal = _normal(name)
            if owner.setdefault(normal, key) != key:
                field = "name" if name == service.name else "ambiguous" if name in service.ambiguous else "aliases"
                raise ConfigError(f"{path}: key 'services.{key}.{field}': {name!r} already names service "
                                  f"{owner[normal]!r}; a name may mean only one service")


def _check_webhooks(path: Path, webhooks: tuple[Webhook, ...], services: dict[str, Service]) -> None:
    names: dict[str, int] = {}
    for n, hook in enumerate(webhooks):
        where = f"{path}: key 'webhooks[{n}]"
        if names.setdefault(hook.name, n) != n:
            raise ConfigError(f"{where}.name': {hook.name!r} is already the name of webhooks[{names[hook.name]}]; "
                              "each webhook needs its own name")
        problem = _webhook_problem(hook)
        if problem:
            key, message = problem
            raise ConfigError(f"{where}.{key}': {message}")
        unknown = sorted(set(hook.services or ()) - set(services))
        if unknown:
            raise ConfigError(f"{where}.services': unknown service(s) {', '.join(unknown)}")


def _webhook_problem(hook: Webhook) -> tuple[str, str] | None:
    """The first key of ``hook`` its format does not accept, as (key, message); None when all is well."""
    fmt = hook.format
    if hook.url is None and fmt != "pagerduty":
        return "url", "required"
    if hook.url is not None and fmt != "apprise":  # an Apprise URL is checked by Apprise, once its ${VARS} are read
        try:
            _http_url(hook.url)
        except ValueError as e:
            return "url", str(e)
    if fmt == "generic" and hook.secret_env is None:
        return "secret_env", ("generic webhooks are signed; name the environment variable holding the secret "
                              "(whsec_... base64, see the README, Webhooks)")
    if hook.secret_env is not None and fmt not in ("generic", "slack", "discord"):
        return "secret_env", f"{fmt} webhooks are not signed; remove secret_env"
    if fmt == "pagerduty" and hook.routing_key_env is None:
        return "routing_key_env", ("required: name the environment variable holding the routing key of the "
                                   "PagerDuty service's Events API v2 integration")
    if hook.routing_key_env is not None and fmt != "pagerduty":
        return "routing_key_env", "only pagerduty webhooks take a routing key"
    if hook.incident_url is not None:
        if fmt not in ("alertmanager", "pagerduty"):
            return "incident_url", "only alertmanager and pagerduty webhooks take an incident_url"
        try:
            _http_url(hook.incident_url.format(service="github", incident_id="github:1"))
        except (KeyError, IndexError, ValueError) as e:
            return "incident_url", (f"{e} (the URL may use {{service}} and {{incident_id}})"
                                    if isinstance(e, ValueError) else
                                    f"unknown placeholder {e}; the URL may use {{service}} and {{incident_id}}")
    if hook.labels and fmt != "alertmanager":
        return "labels", "only alertmanager webhooks take labels"
    for name in OWN_ALERT_LABELS:
        if name in hook.labels:
            return f"labels.{name}", f"{name} is set by Outage Signal; {', '.join(OWN_ALERT_LABELS)} identify the alert"
    return None


# What a pydantic error type means, in the words the README uses.
_EXPECTED = {
    "string_type": "a string", "bool_type": "true or false", "float_type": "a number", "finite_number": "a number",
    "tuple_type": "a list of strings", "dict_type": "a table", "model_type": "a table", "too_short": "a non-empty list",
    "literal_error": "{expected}", "greater_than": "a number > {gt:g}",
}
_EXPECTED_AT = {("services",): "a table of services, e.g. [services.github]",
                ("webhooks",): "an array of tables [[webhooks]]"}
_UNKNOWN_KEY_HINTS = {("webhooks", "secret"): "never put the secret in the file: set an environment "
                                              "variable and name it in secret_env"}


def _config_error(path: Path, error: ValidationError) -> ConfigError:
    """The first problem pydantic found, as one line naming the file and the dotted key."""
    problems = error.errors(include_url=False)
    first = problems[0]
    loc = tuple(part for part in first["loc"] if part != "[key]")  # "[key]": the dict key itself is at fault
    kind, ctx = first["type"], first.get("ctx", {})
    if kind == "extra_forbidden":
        hint = _UNKNOWN_KEY_HINTS.get((loc[0], loc[-1])) or f"expected one of {', '.join(_keys_beside(loc))}"
        message = f"unknown key; {hint}"
    elif kind == "missing":
        message = "required"
    elif kind == "value_error":
        message = str(ctx["error"])
    elif kind in _EXPECTED:
        expected = _EXPECTED_AT.get(loc) or _EXPECTED[kind].format(**ctx)
        message = f"expected {expected}, got {_short_repr(first['input'])}"
    else:
        message = first["msg"][:1].lower() + first["msg"][1:]
    more = f" (and {len(problems) - 1} more problem(s))" if len(problems) > 1 else ""
    return ConfigError(f"{path}: key '{_dotted(loc)}': {message}{more}")


def _keys_beside(loc: tuple) -> list[str]:
    """The keys the table holding ``loc``'s last key accepts."""
    shape = tuple("*" if isinstance(part, int) or (i == 1 and loc[0] == "services") else part
                  for i, part in enumerate(loc[:-1]))
    table = {(): ConfigFile, ("detector",): Detector, ("reddit",): Reddit, ("stream",): Stream,
             ("services", "*"): Service,
             ("services", "*", "status_page"): StatusPage, ("webhooks", "*"): Webhook}.get(shape)
    return list(table.model_fields) if table else []


def _dotted(loc: tuple) -> str:
    """``('webhooks', 0, 'url')`` as ``webhooks[0].url``; keys that are not bare TOML keys are quoted."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            bare = re.fullmatch(r"[A-Za-z0-9_-]+", part)
            text += ("." if text else "") + (part if bare else json.dumps(part))
    return text


def _short_repr(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
