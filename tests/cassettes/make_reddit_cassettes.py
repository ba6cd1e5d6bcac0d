"""Write the Reddit cassettes from praw's own recorded responses in ../shared/data (BSD-2, praw-dev/praw).

    python tests/cassettes/make_reddit_cassettes.py

A developer script, never run by the tests (they read the committed cassettes): it needs the project's
shared data folder beside the repository (../shared/data), which a user's clone does not have.

Bodies are the real r/askreddit/new listing and OAuth token answer (token already scrubbed by praw's
recorders, and scrubbed again here); the variants cut the same listing into two pages, or put a
429 with Retry-After or a 401 in front of it.

The follow cassettes put the same real bodies (new submissions, newest comments) at the combined
listings `stream --source reddit` polls, r/askreddit+github/new and /comments, with the rate-limit
headers every OAuth answer carries. praw's recordings were made without them; their names and format
are the ones prawcore's RateLimiter.update parses (x-ratelimit-remaining as a decimal, -used and
-reset, seconds until the window resets, as integers).
"""
import json
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
SAMPLES = HERE.parents[2] / "shared" / "data" / "api-samples" / "reddit"
SOURCE = SAMPLES / "TestSubredditListings.test_new.json"
SEARCH = ("https://oauth.reddit.com/r/all/search/?q=%22GitHub%22+%28down+OR+outage+OR+%22not+working%22%29"
          "&restrict_sr=False&sort=new&syntax=lucene&t=day&limit=100&raw_json=1")
NEW = "https://oauth.reddit.com/r/askreddit/new?limit=100&raw_json=1"
TOKEN = "https://www.reddit.com/api/v1/access_token"
# praw asks for limit=1024 when the collector reads a listing without a limit (back to its cursor).
FOLLOW_NEW = "https://oauth.reddit.com/r/askreddit+github/new?limit=1024&raw_json=1"
FOLLOW_COMMENTS = "https://oauth.reddit.com/r/askreddit+github/comments/?limit=1024&raw_json=1"


def limits(remaining: int, used: int, reset: int) -> dict:
    return {"x-ratelimit-remaining": [f"{remaining}.0"], "x-ratelimit-used": [str(used)],
            "x-ratelimit-reset": [str(reset)]}


def interaction(method: str, uri: str, status: int, body: str, headers: dict | None = None) -> dict:
    return {"request": {"body": None, "headers": {}, "method": method, "uri": uri},
            "response": {"status": {"code": status, "message": {200: "OK", 401: "Unauthorized",
                                                                429: "Too Many Requests", 503: "Service Unavailable"}[status]},
                         "headers": {"Content-Type": ["application/json; charset=UTF-8"], **(headers or {})},
                         "body": {"string": body}}}


def main() -> None:
    recorded = json.loads(SOURCE.read_text())["interactions"]
    token = json.loads(recorded[0]["response"]["body"]["string"])
    token["access_token"] = "<SCRUBBED>"
    token_answer = interaction("POST", TOKEN, 200, json.dumps(token))
    listing = json.loads(recorded[1]["response"]["body"]["string"])
    children = listing["data"]["children"]
    first = {**listing, "data": {**listing["data"], "children": children[:50], "after": children[49]["data"]["name"]}}
    second = {**listing, "data": {**listing["data"], "children": children[50:], "after": None}}
    comments = json.loads(json.loads((SAMPLES / "TestSubredditListings.test_comments.json").read_text())
                          ["interactions"][1]["response"]["body"]["string"])
    # One page each (no "after"): the follow mode reads a listing until its cursor or its end.
    new_page = json.dumps({**listing, "data": {**listing["data"], "after": None}})
    comments_page = json.dumps({**comments, "data": {**comments["data"], "after": None}})

    def poll(used: int, reset: int, budget: int = 600) -> list:
        return [interaction("GET", FOLLOW_NEW, 200, new_page, limits(budget - used - 1, used + 1, reset)),
                interaction("GET", FOLLOW_COMMENTS, 200, comments_page, limits(budget - used - 2, used + 2, reset))]

    cassettes = {
        # Two polls of the combined listings, the budget plentiful.
        "reddit_follow": [token_answer] + poll(used=0, reset=420) + poll(used=2, reset=410),
        # One poll that spends the window's last requests.
        "reddit_follow_budget_spent": [token_answer] + poll(used=598, reset=300),
        # A poll Reddit fails (prawcore tries a 5xx three times), then one that succeeds.
        "reddit_follow_unavailable": [token_answer]
                                     + [interaction("GET", FOLLOW_NEW, 503, "<html>Service Unavailable</html>")] * 3
                                     + poll(used=3, reset=400),
        "reddit_new": [token_answer, interaction("GET", NEW, 200, json.dumps(listing))],
        "reddit_new_two_pages": [
            token_answer, interaction("GET", NEW.replace("limit=100", "limit=1024"), 200, json.dumps(first)),
            interaction("GET", NEW.replace("limit=100", "limit=1024") + f"&after={children[49]['data']['name']}", 200,
                        json.dumps(second))],
        "reddit_429_then_ok": [token_answer,
                               interaction("GET", NEW, 429, '{"message": "Too Many Requests", "error": 429}',
                                           {"Retry-After": ["3"]}),
                               interaction("GET", NEW, 200, json.dumps(listing))],
        "reddit_401": [interaction("POST", TOKEN, 401, '{"message": "Unauthorized", "error": 401}')],
        "reddit_empty": [token_answer, interaction("GET", NEW, 200, json.dumps(
            {**listing, "data": {**listing["data"], "children": [], "after": None, "dist": 0}}))],
        "reddit_malformed": [token_answer, interaction("GET", NEW, 200, "<html>our CDN is having a moment</html>")],
        # prawcore tries a 5xx three times itself; the collector's own backoff then tries again.
        "reddit_503_then_ok": [token_answer] + [interaction("GET", NEW, 503, "<html>Service Unavailable</html>")] * 3
                              + [interaction("GET", NEW, 200, json.dumps(listing))],
        # The app's access is revoked between two listings of the same run.
        "reddit_revoked_mid_run": [token_answer, interaction("GET", NEW, 200, json.dumps(listing)),
                                   interaction("GET", NEW.replace("askreddit", "github"), 401,
                                               '{"message": "Unauthorized", "error": 401}'),
                                   # prawcore then asks for a new token, which is refused too.
                                   interaction("POST", TOKEN, 401, '{"message": "Unauthorized", "error": 401}')],
        # New submissions, then the subreddit's newest comments as praw recorded them.
        "reddit_comments": [token_answer, interaction("GET", NEW, 200, json.dumps(listing)), interaction("GET", "https://oauth.reddit.com/r/askreddit/comments/?limit=100&raw_json=1",
                                                      200, json.loads((SAMPLES / "TestSubredditListings.test_comments.json")
                                                                      .read_text())["interactions"][1]["response"]["body"]["string"])],
        # A real search result (praw's recording), at the URL the collector asks for a catalog query.
        "reddit_search": [token_answer, interaction("GET", SEARCH, 200, json.loads(
            (SAMPLES / "TestSubreddit.test_search.json").read_text())["interactions"][1]["response"]["body"]["string"])],
    }
    for name, interactions in cassettes.items():
        (HERE / f"{name}.yaml").write_text(yaml.safe_dump({"interactions": interactions, "version": 1}))


if __name__ == "__main__":
    main()
