"""Write the cassettes of the status platform readers and of official Bluesky accounts.

    python tests/cassettes/make_platform_cassettes.py

A developer script, never run by the tests (they read the committed cassettes). Every body is a real
published payload kept in tests/data/<platform>/, whose SOURCE.txt names where it comes from:

| cassette                   | body                                   | where it comes from                          |
|----------------------------|----------------------------------------|----------------------------------------------|
| platform_incidentio        | incidentio/openai-summary.json         | AlgoraLabs-AI/AI-Cloud-Status@6e7245de, internal/providers/testdata/captures/openai-20260722-114905-minor.json (live status.openai.com, an incident.io page) |
| platform_instatus          | instatus/perplexity-summary.json       | same repository, captures/perplexity-20260723-145302-major.json (live status.perplexity.com, Instatus) |
| platform_betterstack       | betterstack/huggingface-index.json     | same repository, captures/huggingface-20260719-104250-major.json (live status.huggingface.co, Better Stack) |
| platform_aws               | aws/currentevents.json (UTF-16 bytes)  | same repository, captures/aws-20260801-155355-minor.json (live health.aws.amazon.com) |
| platform_azure             | azure/feed-westus.xml                  | same repository, captures/azure-20260723-152634-major.json (live Azure status RSS) |
| platform_gcp               | gcp/incidents.json                     | Checkmk/checkmk@392e2974, tests/unit/cmk/base/plugins/agent_based/test_gcp_health.py (Google's incident mLBHeCxhRia17anXCSX1, fields trimmed by Checkmk) |
| platform_slack             | slack/history.json                     | https://docs.slack.dev/reference/slack-status-api, the documented sample incident |
| auto_probe_incidentio      | 404, then incidentio/openai-summary.json | the page's address answers 404 here (no real HTML home page was recorded); then the summary as above |
| platform_rootly            | rootly_incidents(): incidents A and B, one page (of 100, and of the default 25) | rootly/incidents-schema-example.json filled in, see below |
| rootly_two_pages           | rootly_incidents(): A and B, then C, 2 a page | same, as two pages of /api/v1/incidents.json |
| auto_probe_rootly          | 404, 404, then rootly/status.json      | the address and /api/v2/summary.json answer 404 here; then Rootly's status.json example, unchanged |
| platform_statusio          | statusio_status(): the docs' example with incidents A and B | statusio/public-status-example.json, incidents filled in, see below |
| bluesky_author_feed        | bluesky/thread_view_post_with_embed_media.json's postView | MarshalX/atproto@568529b; app.bsky.feed.getAuthorFeed's {feed: [{post}], cursor} |

Rootly: no recorded answer of a Rootly page was found in public repositories, so its bodies are built from
the two published shapes of the Status Page Public API (tests/data/rootly/SOURCE.txt): the API reference's
example of /api/v1/incidents.json (https://docs.rootly.com/api-reference/statuspages/list-active-incidents-for-a-status-page,
generated from Rootly's OpenAPI spec swagger/status_page/v1/swagger.json), which gives every field but only
placeholder values ("<string>", 123, one UUID, one time), and the guide's example
(https://docs.rootly.com/configuration/status-page-public-api), which gives real-looking values for some.
Every field of an incident, an update, the page and the pagination is the API reference's, with its name
and type; nothing is added. The values: incident A's name, status, impact, start, resolution, link (the
guide's "url") and first update are the guide's; the page's name, url, time zone and update time are the
guide's; everything else (the ids, derived from the reference's UUID; incidents B and C; the other
updates; created_at/updated_at/display_at; the pagination numbers) is filled in here, in the published
shape. The status.json of auto_probe_rootly is the guide's example, unchanged.

Status.io: no recorded answer of a live page with an incident was found in public repositories (callers
of api.status.io/1.0/status were found, with mocks of their own), so platform_statusio is built from two
published shapes (tests/data/statusio/SOURCE.txt). The answer is Status.io's documented example of the
Public Status API (https://kb.status.io/developers/public-status-api, "Example Response (JSON)"), kept in
tests/data/statusio/public-status-example.json; its incidents list is empty there. An incident's fields are
those of Status.io's own Go client, statusio/statusio-go@04a45da8, status_types.go (StatusSummaryResponse,
result.incidents[]: _id, name, datetime_open, status, status_code, messages[] {details, datetime, state,
status}, components_affected[] and containers_affected[] {_id, name}); nothing is added. Kept from the
example: every field but the two below, and the component (Website) and containers (US-West, US-East) the
incidents name, with their ids. Filled in here, in the published shape: the incidents (their _id, name,
times, status, status_code, messages' details, datetimes, state and status) and status_overall's status and
status_code (the example's says Operational, which an answer listing open incidents would not). The
status codes are Status.io's (kb.status.io/developers/status-codes, as statusio-go and callers use them);
the message states 100/200 are Status.io's integer states as statusio-go types them (int). The URL is the
one the archived copy of the docs page gives as its real-world example (Status.io's own page id).

The URLs are the ones each payload was read from (Rootly's: the guide's example page, status.example.com). The only things written here are the 404 answer and,
as tests/cassettes/make_bluesky_cassettes.py does, the restamped uri, text and times of the two postViews
of bluesky_author_feed (the recorded postView's text is empty): one an outage acknowledgement, one not.
"""
import copy
import json
from pathlib import Path
from urllib.parse import urlencode

import yaml

HERE = Path(__file__).resolve().parent
DATA = HERE.parent / "data"
JSON = "application/json; charset=utf-8"
PLATFORMS = {  # cassette: (url read, file, content type)
    "platform_incidentio": ("https://status.openai.com/api/v2/summary.json", "incidentio/openai-summary.json", JSON),
    "platform_instatus": ("https://status.perplexity.com/api/v2/summary.json", "instatus/perplexity-summary.json", JSON),
    "platform_betterstack": ("https://status.huggingface.co/index.json", "betterstack/huggingface-index.json", JSON),
    "platform_aws": ("https://health.aws.amazon.com/public/currentevents", "aws/currentevents.json", "application/json"),
    "platform_azure": ("https://rssfeed.azure.status.microsoft/en-us/status/feed/", "azure/feed-westus.xml",
                       "application/rss+xml; charset=utf-8"),
    "platform_gcp": ("https://status.cloud.google.com/incidents.json", "gcp/incidents.json", JSON),
    "platform_slack": ("https://slack-status.com/api/v2.0.0/history", "slack/history.json", JSON),
}
ROOTLY = "https://status.example.com"
ROOTLY_UUID = "3c90c3cc-0d44-4b50-8888-8dd25736052a"  # the API reference's placeholder UUID


def rootly_update(n: int, status: str, body: str, at: str) -> dict:
    """An incident update with every field of the API reference's example; ``custom_tweet`` and ``tweet_id``
    (not posted to Twitter) null."""
    return {"id": ROOTLY_UUID[:-4] + f"{n:04d}", "status": status, "body": body, "created_at": at, "updated_at": at,
            "display_at": at, "custom_tweet": None, "deliver_notifications": True, "tweet_id": None}


def rootly_incident(n: int, name: str, status: str, impact: str, started: str, updates: list, monitoring=None,
                    resolved=None, link: str | None = None) -> dict:
    """An incident with every field of the API reference's example, in its order; updates newest first."""
    first, last = updates[-1]["created_at"], updates[0]["created_at"]
    return {"id": ROOTLY_UUID[:-4] + f"{n:04d}", "name": name, "status": status, "created_at": first,
            "updated_at": last, "monitoring_at": monitoring, "resolved_at": resolved, "impact": impact,
            "shortlink": link or f"{ROOTLY}/incidents/{ROOTLY_UUID[:-4]}{n:04d}", "started_at": started,
            "page_id": ROOTLY_UUID, "incident_updates": updates}


def rootly_incidents() -> list[dict]:
    """A (the guide's incident), B (critical, three updates, monitoring), C (major, resolved): newest first."""
    return [
        rootly_incident(1, "API Degradation", "started", "minor", "2026-03-19T10:30:00Z", link=f"{ROOTLY}/incidents/abc123",
                        updates=[rootly_update(11, "investigating", "We are investigating reports of elevated API latency.",
                                               "2026-03-19T10:35:00Z")]),
        rootly_incident(2, "Dashboard unavailable", "monitoring", "critical", "2026-03-19T08:00:00Z",
                        monitoring="2026-03-19T09:10:00Z", updates=[
                            rootly_update(23, "monitoring", "A fix has been deployed; we are monitoring.", "2026-03-19T09:10:00Z"),
                            rootly_update(22, "identified", "The cause has been identified.", "2026-03-19T08:40:00Z"),
                            rootly_update(21, "investigating", "We are investigating reports that the dashboard does not load.",
                                          "2026-03-19T08:12:00Z")]),
        rootly_incident(3, "Delayed email notifications", "resolved", "major", "2026-03-18T22:00:00Z",
                        resolved="2026-03-18T23:30:00Z", updates=[
                            rootly_update(32, "resolved", "Notifications are delivered on time again.", "2026-03-18T23:30:00Z"),
                            rootly_update(31, "investigating", "Email notifications are delayed.", "2026-03-18T22:15:00Z")]),
    ]


def rootly_page(incidents: list, page: int, per_page: int, total: int) -> str:
    """One answer of /api/v1/incidents.json: the page (the guide's values and the reference's id), the incidents
    and the pagination, as the API reference gives them."""
    pages = -(-total // per_page)
    site = json.loads((DATA / "rootly" / "status.json").read_text())["page"]
    return json.dumps({
        "page": {"id": ROOTLY_UUID, **site}, "incidents": incidents,
        "pagination": {"page": page, "per_page": per_page, "total_count": total, "total_pages": pages,
                       "next_page": page + 1 if page < pages else None, "prev_page": page - 1 if page > 1 else None}})


def rootly_cassettes() -> dict[str, list]:
    a, b, c = rootly_incidents()
    url = ROOTLY + "/api/v1/incidents.json?page={}&per_page={}"
    return {
        # The reader asks for pages of 100; the endpoint as a user pastes it answers page 1 of the default 25.
        "platform_rootly": [interaction(url.format(1, 100), 200, rootly_page([a, b], 1, 100, 2), JSON),
                            interaction(url.split("?")[0], 200, rootly_page([a, b], 1, 25, 2), JSON)],
        "rootly_two_pages": [interaction(url.format(1, 2), 200, rootly_page([a, b], 1, 2, 3), JSON),
                             interaction(url.format(2, 2), 200, rootly_page([c], 2, 2, 3), JSON)],
        "auto_probe_rootly": [interaction(ROOTLY, 404, "Not Found", "text/plain"),
                              interaction(ROOTLY + "/api/v2/summary.json", 404, "Not Found", "text/plain"),
                              interaction(ROOTLY + "/api/v1/status.json", 200, body_of("rootly/status.json"), JSON)],
    }


STATUSIO = "https://api.status.io/1.0/status/51f6f2088643809b7200000d"


def statusio_incident(n: int, name: str, code: int, opened: str, messages: list, container: str) -> dict:
    """One of result.incidents[] in statusio-go's shape; the component and container are the example's."""
    example = json.loads((DATA / "statusio" / "public-status-example.json").read_text())["result"]["status"][0]
    [box] = [c for c in example["containers"] if c["name"] == container]
    return {"_id": example["id"][:-2] + f"{n:02d}", "name": name, "datetime_open": opened,  # filled in
            "status": {300: "Degraded Performance", 400: "Partial Service Disruption",
                       500: "Service Disruption"}[code], "status_code": code,  # filled in
            "messages": [{"details": d, "datetime": at, "state": state, "status": status}  # filled in
                         for d, at, state, status in messages],
            "components_affected": [{"_id": example["id"], "name": example["name"]}],  # the example's
            "containers_affected": [{"_id": box["id"], "name": box["name"]}]}  # the example's


def statusio_status() -> str:
    """The docs' example answer with incidents A (one message) and B (two, newest first) filled in."""
    answer = json.loads((DATA / "statusio" / "public-status-example.json").read_text())
    answer["result"]["status_overall"].update(status="Service Disruption", status_code=500)  # filled in
    answer["result"]["incidents"] = [
        statusio_incident(20, "Slow page loads in US-West", 300, "2016-01-29T22:40:00.000Z",
                          [("We are investigating slow page loads in US-West.", "2016-01-29T22:45:00.000Z", 100, 300)],
                          "US-West"),
        statusio_incident(21, "Website unavailable in US-East", 500, "2016-01-29T23:00:00.000Z",
                          [("The cause has been identified; service is partly restored.", "2016-01-29T23:20:00.000Z",
                            200, 400),
                           ("The website does not load in US-East.", "2016-01-29T23:02:00.000Z", 100, 500)],
                          "US-East"),
    ]
    return json.dumps(answer)


AUTHOR_FEED = "https://public.api.bsky.app/xrpc/app.bsky.feed.getAuthorFeed"
OFFICIAL_POSTS = [  # (text, createdAt): the restamped fields
    ("We're investigating reports of degraded performance for Git operations and Actions.", "2026-09-10T16:12:00.000Z"),
    ("Our new dark mode is rolling out to everyone this week.", "2026-09-09T09:00:00.000Z"),
]


def interaction(url: str, status: int, body: bytes | str, content_type: str) -> dict:
    return {"request": {"body": None, "headers": {}, "method": "GET", "uri": url},
            "response": {"status": {"code": status, "message": {200: "OK", 404: "Not Found"}[status]},
                         "headers": {"Content-Type": [content_type]}, "body": {"string": body}}}


def body_of(path: str) -> bytes | str:
    raw = (DATA / path).read_bytes()
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:  # AWS's UTF-16: kept as bytes
        return raw


def author_feed() -> dict:
    sample = json.loads((DATA / "bluesky" / "thread_view_post_with_embed_media.json").read_text())["thread"]["post"]
    feed = []
    for n, (text, at) in enumerate(OFFICIAL_POSTS):
        view = copy.deepcopy(sample)
        view["uri"] = view["uri"].rsplit("/", 1)[0] + f"/3kofficial{n:02d}"
        view["record"].update(text=text, createdAt=at, langs=["en"])
        view["indexedAt"] = at.replace(":00.000Z", ":01.000Z")
        feed.append({"post": view})
    return {"feed": feed, "cursor": OFFICIAL_POSTS[-1][1]}


def main() -> None:
    cassettes = {name: [interaction(url, 200, body_of(path), kind)] for name, (url, path, kind) in PLATFORMS.items()}
    url, path, kind = PLATFORMS["platform_incidentio"]
    cassettes["auto_probe_incidentio"] = [interaction("https://status.openai.com", 404, "Not Found", "text/plain"),
                                          interaction(url, 200, body_of(path), kind)]
    cassettes.update(rootly_cassettes())
    cassettes["platform_statusio"] = [interaction(STATUSIO, 200, statusio_status(), JSON)]
    params = urlencode({"actor": "githubstatus.com", "filter": "posts_no_replies", "includePins": "false", "limit": 30})
    cassettes["bluesky_author_feed"] = [interaction(f"{AUTHOR_FEED}?{params}", 200, json.dumps(author_feed()), JSON)]
    for name, interactions in cassettes.items():
        (HERE / f"{name}.yaml").write_text(yaml.safe_dump({"interactions": interactions, "version": 1}))


if __name__ == "__main__":
    main()
