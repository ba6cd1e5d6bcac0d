"""Property-based tests on what the APIs send: Reddit listings and Bluesky searchPosts bodies.

The bodies go through the real clients (praw/prawcore over requests, atproto over httpx) by way of
a transport that answers with the fuzzed bytes, starting from the real recorded samples. Every
item becomes a post or a counted malformed record; a body that is not a listing at all is one clear
error for its source. Nothing else escapes.
"""
import copy
import json
from pathlib import Path

import httpx
import praw
import pytest
import requests
from atproto import Client
from atproto_client.request import Request
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from requests.structures import CaseInsensitiveDict

from outage_signal.collector.bluesky import BlueskyCollector, BlueskyError
from outage_signal.collector.reddit import RedditCollector, RedditError
from outage_signal.collector.retry import RetryPolicy

NO_WAIT = RetryPolicy(sleep=lambda seconds: None)

DATA = Path(__file__).resolve().parents[1] / "data"  # real recorded bodies; see each folder's SOURCE.txt
REDDIT_NEW = json.loads((DATA / "reddit" / "askreddit-new.json").read_text())
REAL_SUBMISSION = REDDIT_NEW["data"]["children"][0]["data"]
REAL_POST_VIEW = json.loads((DATA / "bluesky" / "thread_view_post_with_embed_media.json").read_text())["thread"]["post"]
REAL_POST_VIEW["record"]["text"] = "is github down for anyone else?"  # the sample is a media post without text

text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=200)  # emoji, RTL, controls
value = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | text,
                     lambda inner: st.lists(inner, max_size=3) | st.dictionaries(text, inner, max_size=3), max_leaves=8)
timestamp = st.one_of(st.integers(min_value=-2**40, max_value=2**40), st.floats(allow_nan=False), text,
                      st.sampled_from([1788000000, 1788000000.5, 946684800, 4102444800]))
pytestmark = pytest.mark.slow  # hundreds of generated bodies a test, through the real clients
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def read_or_clear_error(read, body: bytes, error: type[Exception], source: str):
    """The batch ``read(body)`` gives, or None when it raised ``error`` naming its source: one clear error."""
    try:
        return read(body)
    except error as e:
        assert str(e).startswith(f"{source}: ")
        return None


def mutated(real: dict, changes: dict, removed: list[str]) -> dict:
    item = copy.deepcopy(real)
    item.update(changes)
    for key in removed:
        item.pop(key, None)
    return item


# --- Reddit ---------------------------------------------------------------------------------------

class Canned(requests.adapters.BaseAdapter):
    """A requests transport: the OAuth token, then ``body`` for every API call."""

    def __init__(self, body: bytes):
        super().__init__()
        self.body = body

    def send(self, request, **kwargs):
        response = requests.Response()
        response.request, response.url, response.status_code = request, request.url, 200
        response.headers = CaseInsensitiveDict({"content-type": "application/json"})
        response._content = (b'{"access_token": "fuzz", "token_type": "bearer", "expires_in": 86400, "scope": "*"}'
                             if request.url.endswith("/api/v1/access_token") else self.body)
        return response

    def close(self):
        pass


def read_reddit(body: bytes):
    session = requests.Session()
    session.mount("https://", Canned(body))
    reddit = praw.Reddit(client_id="fuzz", client_secret="fuzz", user_agent="outage-signal fuzz tests",
                         requestor_kwargs={"session": session}, check_for_async=False, check_for_updates=False)
    [batch] = RedditCollector(reddit, subreddits=["askreddit"], limit=100, retry=NO_WAIT).batches({})
    return batch


submission_changes = st.dictionaries(
    st.sampled_from(["title", "selftext", "created_utc", "id", "name", "author", "permalink", "subreddit",
                     "score", "num_comments"]), value | timestamp, max_size=4)
submission_removals = st.lists(st.sampled_from(["title", "selftext", "created_utc", "author", "permalink", "id"]),
                               max_size=2)


@FUZZ
@given(st.lists(st.tuples(submission_changes, submission_removals), min_size=1, max_size=5))
def test_reddit_listing_items_become_posts_or_counted_malformed(items):
    children = [{"kind": "t3", "data": mutated(REAL_SUBMISSION, changes, removed)} for changes, removed in items]
    body = {"kind": "Listing", "data": {"after": None, "dist": len(children), "children": children, "before": None}}
    batch = read_or_clear_error(read_reddit, json.dumps(body).encode(), RedditError, "reddit:new:r/askreddit")
    if batch is None:  # praw itself could not make objects of the page
        return
    assert len(batch.posts) + len(batch.malformed) == len(children)
    assert all(m.reason for m in batch.malformed)
    assert all(p.text.strip() and p.created_at.year >= 2005 for p in batch.posts)


@FUZZ
@given(st.one_of(value.map(lambda v: json.dumps(v).encode()), st.binary(max_size=300),
                 st.just(json.dumps(REDDIT_NEW).encode()[:5000])))  # truncated
def test_a_reddit_body_that_is_not_a_listing_is_one_clear_error(body):
    batch = read_or_clear_error(read_reddit, body, RedditError, "reddit:new:r/askreddit")
    if batch is None:
        return
    assert batch.posts == []  # what praw could read of it holds no submission


# --- Bluesky --------------------------------------------------------------------------------------

def read_bluesky(body: bytes):
    transport = httpx.MockTransport(lambda request: httpx.Response(200, content=body,
                                                                   headers={"content-type": "application/json"}))
    client = Client(request=Request(transport=transport))
    [batch] = BlueskyCollector(client, ["github down"], page_size=25, retry=NO_WAIT).batches({})
    return batch


post_changes = st.dictionaries(st.sampled_from(["uri", "cid", "indexedAt", "author", "record"]), value, max_size=2)
record_changes = st.dictionaries(st.sampled_from(["text", "createdAt", "langs", "$type"]), value | timestamp, max_size=3)


@FUZZ
@given(st.lists(st.tuples(post_changes, record_changes), min_size=1, max_size=5))
def test_bluesky_posts_become_posts_or_counted_malformed(items):
    posts = []
    for changes, record in items:
        view = mutated(REAL_POST_VIEW, changes, [])
        if isinstance(view.get("record"), dict):
            view["record"] = mutated(view["record"], record, [])
        posts.append(view)
    batch = read_bluesky(json.dumps({"posts": posts}).encode())  # no cursor: the last page
    if batch.malformed and batch.malformed[0].location == "bluesky:q:github down":
        # The page breaks the lexicon, so the client refuses all of it: counted, and the cursor stays.
        assert batch.posts == [] and batch.cursor is None and "searchPosts" in batch.malformed[0].reason
        return
    assert len(batch.posts) + len(batch.malformed) == len(posts)
    assert all(p.text.strip() and p.created_at.year >= 2005 for p in batch.posts)


@FUZZ
@given(st.one_of(value.map(lambda v: json.dumps(v).encode()), st.binary(max_size=300)))
def test_a_bluesky_body_that_is_not_a_search_result_is_one_clear_error(body):
    batch = read_or_clear_error(read_bluesky, body, BlueskyError, "bluesky:q:github down")
    if batch is None:
        return
    assert batch.posts == [] and all("searchPosts" in m.reason for m in batch.malformed)
