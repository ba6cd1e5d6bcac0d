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
| bluesky_author_feed        | bluesky/thread_view_post_with_embed_media.json's postView | MarshalX/atproto@568529b; app.bsky.feed.getAuthorFeed's {feed: [{post}], cursor} |

The URLs are the ones each payload was read from. The only things written here are the 404 answer and,
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
    params = urlencode({"actor": "githubstatus.com", "filter": "posts_no_replies", "includePins": "false", "limit": 30})
    cassettes["bluesky_author_feed"] = [interaction(f"{AUTHOR_FEED}?{params}", 200, json.dumps(author_feed()), JSON)]
    for name, interactions in cassettes.items():
        (HERE / f"{name}.yaml").write_text(yaml.safe_dump({"interactions": interactions, "version": 1}))


if __name__ == "__main__":
    main()
