"""Which reader reads a status page: one per platform, chosen by ``status_page.kind``, and ``auto``.

Every reader takes ``(url, service, session, timeout, retry)`` and returns one :class:`Batch` of
:class:`OfficialIncident` records, under the one retry policy. ``url`` is the page's address
(``https://status.openai.com``; the reader adds its endpoint's path), or the feed's for ``feed`` and
``azure``, or the Public Status API's (``https://api.status.io/1.0/status/<page id>``) for ``statusio``.

``auto`` reads the URL as given and recognises the platform from the answer's shape; when the answer
is not one it knows (a page's HTML), it tries each platform's endpoint under that address in turn.
"""
from __future__ import annotations

import logging
from collections.abc import Callable

import feedparser
import requests

from outage_signal.collector import betterstack, cloud, instatus, rootly, slackstatus, statusio, statuspage
from outage_signal.collector.feeds import fetch_feed
from outage_signal.collector.records import Batch
from outage_signal.collector.retry import RetryPolicy
from outage_signal.collector.statuspage import StatusPageError, decode_json, get_with_retries

Reader = Callable[..., Batch]
log = logging.getLogger(__name__)

READERS: dict[str, Reader] = {
    "statuspage": statuspage.fetch_incidents,
    "incidentio": statuspage.fetch_incidentio,
    "instatus": instatus.fetch_summary,
    "betterstack": betterstack.fetch_index,
    "rootly": rootly.fetch_incidents,
    "statusio": statusio.fetch_status,
    "gcp": cloud.fetch_gcp,
    "aws": cloud.fetch_aws,
    "azure": cloud.fetch_azure,
    "slack": slackstatus.fetch_history,
    "feed": fetch_feed,
}
# The endpoints ``auto`` tries under a page's address, after the address itself.
PROBE_PATHS = (statuspage.SUMMARY_PATH, rootly.STATUS_PATH, betterstack.INDEX_PATH, cloud.GCP_PATH,
               slackstatus.HISTORY_PATH, cloud.AWS_PATH)
# What a reader adds to the page's address; ``auto`` strips it to find the address from an endpoint's URL.
READER_PATHS = {"statuspage": statuspage.INCIDENTS_PATH, "incidentio": statuspage.SUMMARY_PATH,
                "instatus": statuspage.SUMMARY_PATH, "betterstack": betterstack.INDEX_PATH,
                "rootly": rootly.INCIDENTS_PATH, "gcp": cloud.GCP_PATH, "aws": cloud.AWS_PATH,
                "slack": slackstatus.HISTORY_PATH}
ENDPOINT_PATHS = sorted({*READER_PATHS.values(), *PROBE_PATHS}, key=len, reverse=True)
INSTATUS_PAGE_STATES = {"UP", "HASISSUES", "UNDERMAINTENANCE", "ONEMAJOROUTAGE", "HAS_ISSUES"}


def fetch_status(kind: str, url: str, service: str, session: requests.Session | None = None,
                 timeout: float = 15.0, retry: RetryPolicy = RetryPolicy()) -> Batch:
    """Read one status page with the reader of its ``kind`` (not ``auto``: see :func:`detect_platform`)."""
    return READERS[kind](url, service, session=session, timeout=timeout, retry=retry)


def platform_of(body: bytes) -> str | None:
    """The platform whose answer ``body`` looks like, or None.

    >>> platform_of(b'{"page": {"id": "kctbh9vrtdwd", "name": "GitHub"}, "incidents": []}')
    'statuspage'
    >>> platform_of(b'{"page": {"id": "01JMDK9XYNY6RXSED6SDWW50WY", "name": "OpenAI"}, "incidents": []}')
    'incidentio'
    >>> platform_of(b'{"page": {"name": "Acme Status"}, "status": {"indicator": "none"}, "incidents": []}')
    'rootly'
    >>> platform_of(b'{"result": {"status_overall": {"status_code": 100}, "status": [], "incidents": []}}')
    'statusio'
    >>> platform_of(b'<html><body>Status</body></html>') is None
    True
    """
    try:
        payload = decode_json(body, "")
    except StatusPageError:
        return _feed_platform(body)
    if isinstance(payload, list):
        first = payload[0] if payload and isinstance(payload[0], dict) else {}
        return ("gcp" if "external_desc" in first else "aws" if "arn" in first else
                "slack" if "notes" in first and "services" in first else None)
    if not isinstance(payload, dict):
        return None
    if statusio.is_status_answer(payload):
        return "statusio"
    page, data = payload.get("page"), payload.get("data")
    if isinstance(data, dict) and data.get("type") == "status_page":
        return "betterstack"
    if isinstance(page, dict) and ("activeIncidents" in payload or page.get("status") in INSTATUS_PAGE_STATES):
        return "instatus"
    rootly_status = isinstance(payload.get("status"), dict) and "incidents" in payload and "components" not in payload
    if isinstance(page, dict) and (isinstance(payload.get("pagination"), dict) or rootly_status):
        # Rootly: incidents.json pages its list; status.json has the overall status and incidents, and no
        # components (Statuspage's and incident.io's summary.json list components, their status.json no incidents).
        return "rootly"
    if isinstance(page, dict) and ("incidents" in payload or "components" in payload):
        # incident.io gives its pages ULIDs (26 characters); Atlassian's page ids are 12.
        return "incidentio" if len(str(page.get("id", ""))) == 26 else "statuspage"
    return None


def _feed_platform(body: bytes) -> str | None:
    feed = feedparser.parse(body)
    if not feed.get("version"):
        return None
    return "azure" if feed.feed.get("title", "").strip() == "Azure Status" else "feed"


def detect_platform(url: str, session: requests.Session | None = None, timeout: float = 15.0,
                    retry: RetryPolicy = RetryPolicy()) -> tuple[str, str]:
    """``(kind, url for that kind's reader)`` of the page at ``url`` (its address, or one of its endpoints);
    :class:`StatusPageError` when no answer looks like a platform this tool reads."""
    address = url.rstrip("/")
    # Strip the longest endpoint path it ends with: Rootly's /api/v1/incidents.json, not Google's /incidents.json.
    address = address.removesuffix(next((p for p in ENDPOINT_PATHS if address.endswith(p)), ""))
    tried = []
    for candidate in dict.fromkeys([url, address, *(address + p for p in PROBE_PATHS)]):
        try:
            body = get_with_retries(candidate, session, timeout, retry).content
        except StatusPageError as e:
            tried.append(str(e))
            continue
        kind = platform_of(body)
        if kind:
            log.info("status page %s is on %s (recognised from %s)", url, kind, candidate)
            return kind, candidate if kind in ("feed", "azure", "statusio") else address
        tried.append(f"{candidate}: not a status platform's answer")
    raise StatusPageError(f"{url}: no known status platform answered ({'; '.join(tried)[:300]}); "
                          f"set status_page.kind to one of {', '.join(READERS)}")
