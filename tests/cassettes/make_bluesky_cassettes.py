"""Write the Bluesky searchPosts cassettes from the real postView in ../shared/data (MIT, MarshalX/atproto).

    python tests/cassettes/make_bluesky_cassettes.py

A developer script, never run by the tests (they read the committed cassettes): it needs the project's
shared data folder beside the repository (../shared/data), which a user's clone does not have.

The response follows the app.bsky.feed.searchPosts lexicon ({posts: [postView], cursor, hitsTotal});
each postView is the real one recorded in the atproto SDK's tests, given its own uri, text and times.
The login cassettes follow com.atproto.server.createSession's output (accessJwt, refreshJwt, handle,
did, active), as the atproto SDK's model of that lexicon declares it; the tokens are unsigned
placeholders that decode like real ones (the SDK reads their expiry), and no password is recorded.
"""
import base64
import copy
import json
from pathlib import Path
from urllib.parse import urlencode

import yaml

HERE = Path(__file__).resolve().parent
SAMPLE = HERE.parents[2] / "shared" / "data" / "api-samples" / "bluesky" / "thread_view_post_with_embed_media.json"
HOST = "https://bsky.social/xrpc/app.bsky.feed.searchPosts"
TEXTS = ["is bluesky down? feed won't load", "github down again, 502 on push", "discord is dead rn",
         "loving the new bluesky custom feeds", "github actions stuck in queued for 20 min"]


def post(n: int) -> dict:
    view = copy.deepcopy(json.loads(SAMPLE.read_text())["thread"]["post"])
    view["uri"] = view["uri"].rsplit("/", 1)[0] + f"/3kaheyt6vpc{n:02d}"
    view["record"]["text"] = TEXTS[n % len(TEXTS)]
    view["record"]["createdAt"] = f"2026-09-10T16:{10 + n:02d}:00.000Z"
    view["record"]["langs"] = ["en"]
    view["indexedAt"] = f"2026-09-10T16:{10 + n:02d}:01.000Z"
    return view


def interaction(params: dict, status: int, body: dict | str, headers: dict | None = None) -> dict:
    return {"request": {"body": None, "headers": {}, "method": "GET", "uri": f"{HOST}?{urlencode(params)}"},
            "response": {"status": {"code": status, "message": {200: "OK", 401: "Unauthorized", 429: "Too Many Requests",
                                                               500: "Internal Server Error"}[status]},
                         "headers": {"content-type": ["application/json; charset=utf-8"], **(headers or {})},
                         "body": {"string": body if isinstance(body, str) else json.dumps(body)}}}


SESSION_HOST = "https://bsky.social/xrpc/com.atproto.server.createSession"
DID = "did:plc:kvwvcn5iqfooopmyzvb4qzba"  # the sample's author


def placeholder_jwt(scope: str) -> str:
    def part(value: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")
    claims = {"scope": scope, "sub": DID, "iat": 1788000000, "exp": 4102444800, "aud": "did:web:bsky.social"}
    return f"{part({'typ': 'at+jwt', 'alg': 'ES256K'})}.{part(claims)}.c2lnbmF0dXJl"


def login(status: int) -> dict:
    body = ({"accessJwt": placeholder_jwt("com.atproto.appPass"), "refreshJwt": placeholder_jwt("com.atproto.refresh"),
             "handle": "test.marshal.dev", "did": DID, "active": True} if status == 200 else
            {"error": "AuthenticationRequired", "message": "Invalid identifier or password"})
    recorded = interaction({}, status, body)
    recorded["request"].update(method="POST", uri=SESSION_HOST, body="(scrubbed)")
    return recorded


def main() -> None:
    first = {"q": "github down", "sort": "latest", "limit": 3}
    page1 = {"posts": [post(4), post(3), post(2)], "cursor": "3", "hitsTotal": 5}
    page2 = {"posts": [post(1), post(0)], "hitsTotal": 5}
    since = {**first, "since": "2026-09-10T16:14:01.000Z"}
    cassettes = {
        "bluesky_two_pages": [interaction(first, 200, page1), interaction({**first, "cursor": "3"}, 200, page2)],
        "bluesky_empty": [interaction(since, 200, {"posts": [], "hitsTotal": 0})],
        "bluesky_429_then_ok": [interaction(first, 429, {"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"},
                                            {"retry-after": ["5"]}),
                                interaction(first, 200, page2)],
        "bluesky_500": [interaction(first, 500, {"error": "InternalServerError", "message": "Internal Server Error"})] * 4,
        "bluesky_401": [interaction(first, 401, {"error": "AuthenticationRequired", "message": "Authentication Required"})],
        "bluesky_window": [interaction({**first, "since": "2026-09-10T16:00:00+00:00", "until": "2026-09-10T16:13:00+00:00"},
                                       200, page2)],
        "bluesky_login": [login(200), interaction(first, 200, page2)],
        "bluesky_login_refused": [login(401)],
        "bluesky_malformed": [interaction(first, 200, {"posts": [post(0), {**post(1), "record": {"$type": "app.bsky.feed.post"}}]})],
    }
    for name, interactions in cassettes.items():
        (HERE / f"{name}.yaml").write_text(yaml.safe_dump({"interactions": interactions, "version": 1}))


if __name__ == "__main__":
    main()
