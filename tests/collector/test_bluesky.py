from pathlib import Path

import pytest
import vcr
from atproto import Client

from outage_signal.collector.bluesky import BlueskyCollector, BlueskyError, bluesky_from_env
from outage_signal.collector.retry import RetryPolicy

NO_WAIT = RetryPolicy(sleep=lambda seconds: None)

CASSETTES = Path(__file__).resolve().parents[1] / "cassettes"


def replay(name: str):
    return vcr.use_cassette(str(CASSETTES / f"{name}.yaml"), record_mode="none",
                            match_on=["method", "scheme", "host", "path", "query"], filter_headers=["authorization"])


def collect(name: str, cursors=None, **kw):
    with replay(name):
        return list(BlueskyCollector(Client(), ["github down"], page_size=3, **kw).batches(cursors or {}))


def test_pages_until_the_last_and_moves_the_cursor_to_the_newest():
    [batch] = collect("bluesky_two_pages")
    assert batch.source == "bluesky:q:github down" and len(batch.posts) == 5
    post = batch.posts[0]
    assert post.source == "bluesky" and post.source_id.startswith("at://did:plc:")
    assert post.url.startswith("https://bsky.app/profile/test.marshal.dev/post/") and post.language == "en"
    assert post.text == "github actions stuck in queued for 20 min"
    assert batch.cursor == "2026-09-10T16:14:01.000Z"


def test_empty_result_keeps_the_cursor():
    [batch] = collect("bluesky_empty", {"bluesky:q:github down": "2026-09-10T16:14:01.000Z"})
    assert batch.posts == [] and batch.cursor == "2026-09-10T16:14:01.000Z"


def test_429_then_success():
    waits = []
    [batch] = collect("bluesky_429_then_ok", retry=RetryPolicy(jitter=0, sleep=waits.append))
    assert waits == [5.0] and len(batch.posts) == 2


def test_5xx_gives_up_with_a_message():
    waits = []
    with pytest.raises(BlueskyError, match="gave up after 4 attempts"):
        collect("bluesky_500", retry=RetryPolicy(jitter=0, sleep=waits.append))
    assert waits == [1.0, 2.0, 4.0]


def test_auth_failure_says_what_to_fix():
    with pytest.raises(BlueskyError, match="OUTAGE_SIGNAL_BLUESKY_APP_PASSWORD"):
        collect("bluesky_401", retry=NO_WAIT)
    with pytest.raises(BlueskyError, match="set OUTAGE_SIGNAL_BLUESKY_HANDLE and OUTAGE_SIGNAL_BLUESKY_APP_PASSWORD"):
        bluesky_from_env({})


def test_malformed_post_is_counted_the_rest_kept():
    [batch] = collect("bluesky_malformed")
    assert len(batch.posts) == 1 and len(batch.malformed) == 1


def test_backfill_window_has_its_own_cursor():
    window = ("2026-09-10T16:00:00+00:00", "2026-09-10T16:13:00+00:00")
    [batch] = collect("bluesky_window", window=window)
    assert batch.source == f"bluesky:q:github down:{window[0]}..{window[1]}"
    assert len(batch.posts) == 2 and batch.cursor == "2026-09-10T16:11:01.000Z"


ACCOUNT = {"OUTAGE_SIGNAL_BLUESKY_HANDLE": "test.marshal.dev", "OUTAGE_SIGNAL_BLUESKY_APP_PASSWORD": "abcd-efgh-ijkl-mnop"}


def test_login_with_an_app_password_then_search():
    with replay("bluesky_login"):
        client = bluesky_from_env(ACCOUNT)
        [batch] = BlueskyCollector(client, ["github down"], page_size=3).batches({})
    assert client.me is None  # no profile lookup: the session is all a search needs
    assert len(batch.posts) == 2


def test_refused_login_names_the_variables_and_not_the_password():
    with replay("bluesky_login_refused"), pytest.raises(BlueskyError) as refused:
        bluesky_from_env(ACCOUNT)
    assert "OUTAGE_SIGNAL_BLUESKY_APP_PASSWORD" in str(refused.value)
    assert ACCOUNT["OUTAGE_SIGNAL_BLUESKY_APP_PASSWORD"] not in str(refused.value)


@pytest.mark.live
def test_live_bluesky():
    import os
    if not os.environ.get("OUTAGE_SIGNAL_BLUESKY_HANDLE"):
        pytest.skip("no Bluesky credentials in the environment")
    [batch] = BlueskyCollector(bluesky_from_env(), ["github"], page_size=5, max_pages=1).batches({})
    assert batch.posts and all(p.url.startswith("https://bsky.app/profile/") for p in batch.posts)
