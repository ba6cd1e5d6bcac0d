from pathlib import Path

import praw
import pytest
import vcr

from outage_signal.collector.reddit import RedditCollector, RedditError, reddit_from_env
from outage_signal.collector.retry import RetryPolicy

NO_WAIT = RetryPolicy(sleep=lambda seconds: None)

CASSETTES = Path(__file__).resolve().parents[1] / "cassettes"


def replay(name: str):
    return vcr.use_cassette(str(CASSETTES / f"{name}.yaml"), record_mode="none",
                            match_on=["method", "scheme", "host", "path", "query"], filter_headers=["authorization"])


@pytest.fixture
def reddit():
    return praw.Reddit(client_id="test-id", client_secret="test-secret", user_agent="outage-signal tests",
                       check_for_async=False, check_for_updates=False)  # no PyPI request


def test_first_page_of_new_submissions(reddit):
    with replay("reddit_new"):
        [batch] = RedditCollector(reddit, subreddits=["askreddit"], limit=100).batches({})
    assert batch.source == "reddit:new:r/askreddit" and len(batch.posts) == 100
    post = batch.posts[0]
    assert post.source_id.startswith("t3_") and post.url.startswith("https://www.reddit.com/r/AskReddit/")
    assert float(batch.cursor) == max(p.created_at.timestamp() for p in batch.posts)


def test_pagination_and_the_cursor_stops_at_what_is_stored(reddit):
    with replay("reddit_new_two_pages"):
        [batch] = RedditCollector(reddit, subreddits=["askreddit"], limit=None).batches({})
    assert len(batch.posts) == 100 and len({p.source_id for p in batch.posts}) == 100
    # A later run with that cursor reads the same listing but keeps only what is not older.
    newest_ten = sorted(p.created_at.timestamp() for p in batch.posts)[-10]
    with replay("reddit_new"):
        [again] = RedditCollector(reddit, subreddits=["askreddit"], limit=100).batches(
            {"reddit:new:r/askreddit": repr(newest_ten)})
    # Newest first: it stops at the first post older than the cursor.
    assert len(again.posts) == sum(p.created_at.timestamp() >= newest_ten for p in batch.posts) >= 10


def test_429_is_retried_after_retry_after(reddit):
    waits = []
    with replay("reddit_429_then_ok"):
        [batch] = RedditCollector(reddit, subreddits=["askreddit"], limit=100,
                                  retry=RetryPolicy(jitter=0, sleep=waits.append)).batches({})
    assert waits == [3.0] and len(batch.posts) == 100


def test_bad_credentials_say_what_to_fix(reddit):
    with replay("reddit_401"), pytest.raises(RedditError, match="OUTAGE_SIGNAL_REDDIT_CLIENT_ID"):
        list(RedditCollector(reddit, subreddits=["askreddit"], limit=100, retry=NO_WAIT).batches({}))


def test_missing_credentials_are_named():
    with pytest.raises(RedditError, match="set OUTAGE_SIGNAL_REDDIT_CLIENT_ID and OUTAGE_SIGNAL_REDDIT_CLIENT_SECRET"):
        reddit_from_env({})


@pytest.mark.live
def test_live_reddit():
    import os
    if not os.environ.get("OUTAGE_SIGNAL_REDDIT_CLIENT_ID"):
        pytest.skip("no Reddit credentials in the environment")
    [batch] = RedditCollector(reddit_from_env(), subreddits=["github"], limit=5).batches({})
    assert batch.posts


def test_backfill_window_keeps_only_posts_inside_it(reddit):
    with replay("reddit_new"):
        [everything] = RedditCollector(reddit, subreddits=["askreddit"], limit=100).batches({})
    stamps = sorted(p.created_at.timestamp() for p in everything.posts)
    window = (stamps[20], stamps[60])
    with replay("reddit_new"):
        [batch] = RedditCollector(reddit, subreddits=["askreddit"], limit=100, window=window).batches({})
    assert batch.source.startswith("reddit:new:r/askreddit:")
    assert len(batch.posts) == sum(window[0] <= s <= window[1] for s in stamps)
    assert all(window[0] <= p.created_at.timestamp() <= window[1] for p in batch.posts)


def test_empty_listing_keeps_the_cursor(reddit):
    with replay("reddit_empty"):
        [batch] = RedditCollector(reddit, subreddits=["askreddit"], limit=100).batches(
            {"reddit:new:r/askreddit": "1717000000.0"})
    assert batch.posts == [] and float(batch.cursor) == 1717000000.0


def test_malformed_body_is_a_one_line_error(reddit):
    with replay("reddit_malformed"), pytest.raises(RedditError, match="reddit:new:r/askreddit: BadJSON"):
        list(RedditCollector(reddit, subreddits=["askreddit"], limit=100, retry=NO_WAIT).batches({}))


def test_5xx_is_retried_by_prawcore_then_with_backoff(reddit, monkeypatch):
    prawcore_sleeps, waits = [], []
    monkeypatch.setattr("prawcore.sessions.time.sleep", prawcore_sleeps.append)  # prawcore's own pause
    with replay("reddit_503_then_ok"):
        [batch] = RedditCollector(reddit, subreddits=["askreddit"], limit=100,
                                  retry=RetryPolicy(jitter=0, sleep=waits.append)).batches({})
    assert waits == [1.0] and len(batch.posts) == 100


def test_search_for_a_catalog_query(reddit):
    query = '"GitHub" (down OR outage OR "not working")'
    with replay("reddit_search"):
        [batch] = RedditCollector(reddit, queries=[query], limit=100).batches({})
    assert batch.source == f"reddit:search:{query}" and batch.posts
    assert all(p.source_id.startswith("t3_") and p.url.startswith("https://www.reddit.com/r/") for p in batch.posts)
    assert float(batch.cursor) == max(p.created_at.timestamp() for p in batch.posts)


def test_comments_option_reads_each_subreddits_newest_comments(reddit):
    with replay("reddit_comments"):
        new, comments = RedditCollector(reddit, subreddits=["askreddit"], limit=100, comments=True).batches({})
    assert new.source == "reddit:new:r/askreddit" and comments.source == "reddit:comments:r/askreddit"
    assert comments.posts and all(p.source_id.startswith("t1_") for p in comments.posts)
    assert all(p.url.startswith("https://www.reddit.com/") and p.raw["link_id"].startswith("t3_") for p in comments.posts)
    assert len(comments.posts) + len(comments.malformed) == 100  # deleted comments are counted, not stored
    assert float(comments.cursor) == max(p.created_at.timestamp() for p in comments.posts)


def test_access_revoked_mid_run_keeps_what_was_stored_and_says_what_to_fix(reddit, tmp_path):
    from outage_signal import pipeline
    from outage_signal.store import Store
    with Store(tmp_path / "t.db") as store, replay("reddit_revoked_mid_run"):
        with pytest.raises(RedditError, match="refused the credentials.*OUTAGE_SIGNAL_REDDIT_CLIENT_SECRET"):
            pipeline.ingest(store, RedditCollector(reddit, subreddits=["askreddit", "github"], limit=100,
                                                   retry=NO_WAIT).batches({}))
        cursors = store.cursors()
        stored = store.conn.execute("SELECT COUNT(*) FROM posts").fetchone()[0]
    # The listing read before the revocation is stored with its cursor; the next run starts from there.
    assert stored == 100 and "reddit:new:r/askreddit" in cursors and "reddit:new:r/github" not in cursors
