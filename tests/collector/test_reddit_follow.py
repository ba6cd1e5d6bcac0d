"""`outage-signal stream --source reddit`: polling the catalog's subreddits within Reddit's rate limits.

The cassettes (tests/cassettes/make_reddit_cassettes.py) hold praw's real recorded listings at the
combined listings the follow mode reads, with rate-limit headers in the format prawcore parses.
"""
import json
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path

import praw
import pytest
import vcr
from click.testing import CliRunner

from outage_signal import streaming
from outage_signal.classifier import DEFAULT_MODEL, ComplaintClassifier
from outage_signal.cli import cli
from outage_signal.collector.reddit import (FOLLOW_KEY, RateLimitMeter, RateLimits, RedditCollector, metered,
                                           poll_delay)
from outage_signal.collector.retry import RetryPolicy
from outage_signal.config import load_config
from outage_signal.store import Store

CASSETTES = Path(__file__).resolve().parents[1] / "cassettes"
NEW, COMMENTS = "reddit:new:r/askreddit+github", "reddit:comments:r/askreddit+github"
NO_WAIT = RetryPolicy(sleep=lambda seconds: None)


@pytest.fixture(scope="module")
def model():
    return ComplaintClassifier.load(DEFAULT_MODEL)


@pytest.fixture
def config(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text('catalog = "none"\n'
                    '[services.askreddit]\nname = "AskReddit"\naliases = ["askreddit"]\nsubreddits = ["askreddit"]\n'
                    '[services.github]\nname = "GitHub"\naliases = ["github"]\nsubreddits = ["github"]\n')
    return load_config(path)


class Clock:
    """A clock that stands still: the meter stamps the reset time with it, the pacing reads it."""

    def __init__(self, at: float = 1000.0):
        self.at = at

    def __call__(self) -> float:
        return self.at


def client(meter: RateLimitMeter) -> praw.Reddit:
    return praw.Reddit(client_id="test-id", client_secret="test-secret", user_agent="outage-signal tests",
                       check_for_async=False, check_for_updates=False, **metered(meter))  # no PyPI request


# Soon after the recorded posts were written (1 March 2016): the minute analysed is near them, so
# detection covers an hour of minutes, not the ten years since.
SOON_AFTER = datetime(2016, 3, 1, 9, 30, tzinfo=timezone.utc)


def follow(store, config, model, meter, stop, wait, retry=NO_WAIT, echo=lambda line: None):
    return streaming.follow_reddit(store, config, model, [], client(meter), meter, stop=stop, min_interval=1.0,
                                   retry=retry, wait=wait, echo=echo, now=lambda: SOON_AFTER)


def stop_after(count: int, stop: threading.Event, waits: list):
    def wait(seconds: float) -> None:
        waits.append(seconds)
        if len(waits) == count:
            stop.set()
    return wait


def replay(name: str):
    return vcr.use_cassette(str(CASSETTES / f"{name}.yaml"), record_mode="none",
                            match_on=["method", "scheme", "host", "path", "query"], filter_headers=["authorization"])


def post_ids(store) -> list[str]:
    return [row[0] for row in store.conn.execute("SELECT source_id FROM posts")]


# --- the pacing decision ---

def test_the_budget_left_is_spread_evenly_until_the_reset():
    limits = RateLimits(remaining=60.0, used=540, reset_at=1300.0)
    assert poll_delay(limits, cost=2, now=1000.0, min_interval=1.0) == 10.0  # 30 polls in 300 s
    assert poll_delay(limits, cost=3, now=1000.0, min_interval=1.0) == 15.0  # dearer polls, fewer of them
    assert poll_delay(limits, cost=2, now=1200.0, min_interval=1.0) == pytest.approx(100 / 30)


def test_a_spent_budget_waits_for_the_reset():
    assert poll_delay(RateLimits(1.0, 599, 1300.0), cost=2, now=1000.0, min_interval=1.0) == 301.0
    assert poll_delay(RateLimits(0.0, 600, 1010.0), cost=2, now=1000.0, min_interval=30.0) == 30.0


def test_the_minimum_interval_holds_however_large_the_budget():
    assert poll_delay(RateLimits(600.0, 0, 1600.0), cost=2, now=1000.0, min_interval=5.0) == 5.0
    assert poll_delay(None, cost=2, now=1000.0, min_interval=5.0) == 5.0  # no limits seen yet
    assert poll_delay(RateLimits(0.0, 600, 900.0), cost=2, now=1000.0, min_interval=5.0) == 5.0  # window reset since


def test_the_meter_keeps_the_newest_limits_and_counts_every_request():
    meter = RateLimitMeter(clock=Clock(1000.0))
    meter.record({"x-ratelimit-remaining": "597.0", "x-ratelimit-used": "3", "x-ratelimit-reset": "420"})
    meter.record({"content-type": "text/html"})  # an error page without limits: the last known stay
    assert meter.requests == 2 and meter.limits == RateLimits(597.0, 3, 1420.0)


# --- the loop, through recorded Reddit answers ---

def test_the_combined_listings_are_one_request_each(config):
    collector = RedditCollector(None, subreddits=["askreddit", "github"], comments=True, combined=True)
    assert [key for key, _ in collector.listings()] == [NEW, COMMENTS]


def test_follow_stores_both_listings_and_paces_by_the_limits_reddit_sends(tmp_path, config, model):
    stop, waits, meter = threading.Event(), [], RateLimitMeter(clock=Clock())
    with Store(tmp_path / "f.db") as store, replay("reddit_follow"):
        summary = follow(store, config, model, meter, stop, stop_after(2, stop, waits))
        ids = post_ids(store)
        cursors = store.cursors()
    assert summary.polls == 2 and summary.new_posts == len(ids) == len(set(ids)) > 100
    assert {i[:3] for i in ids} == {"t3_", "t1_"} and NEW in cursors and COMMENTS in cursors
    # Poll 1 cost 3 requests (token, new, comments) and left 598 of the budget for 420 s: 199 polls;
    # poll 2 cost 2 and left 596 for 410 s: 298 polls.
    assert waits == [pytest.approx(420 / 199), pytest.approx(410 / 298)]


def test_each_complete_poll_records_when_it_began_and_status_shows_the_followers_lag(tmp_path, config, model):
    db = tmp_path / "f.db"
    stop, meter = threading.Event(), RateLimitMeter(clock=Clock())
    with Store(db) as store, replay("reddit_follow"):
        follow(store, config, model, meter, stop, stop_after(1, stop, []))
        assert store.cursor(FOLLOW_KEY) == SOON_AFTER.isoformat()
        store.save_batch(FOLLOW_KEY, (datetime.now(timezone.utc) - timedelta(seconds=90)).isoformat())
    result = CliRunner().invoke(cli, ["--db", str(db), "--config", str(config.path), "status", "--json"])
    assert result.exit_code == 0, result.output
    row = json.loads(result.output.splitlines()[0])
    assert 90 <= row["reddit_follow_lag_seconds"] < 120 and row["stream_lag_seconds"] is None
    result = CliRunner().invoke(cli, ["--db", str(db), "--config", str(config.path), "status"])
    assert "Reddit follower: 9" in result.output and "s behind real time" in result.output
    assert "Bluesky stream" not in result.output


def test_a_spent_budget_pauses_the_follow_until_the_window_resets(tmp_path, config, model, monkeypatch):
    stop, waits, meter = threading.Event(), [], RateLimitMeter(clock=Clock())
    prawcore_sleeps = []
    monkeypatch.setattr("prawcore.rate_limit.time.sleep", prawcore_sleeps.append)
    with Store(tmp_path / "f.db") as store, replay("reddit_follow_budget_spent"):
        follow(store, config, model, meter, stop, stop_after(1, stop, waits))
    # prawcore spaces the requests inside a poll (at most 10 s apart); the follow spaces the polls.
    assert len(prawcore_sleeps) == 1 and prawcore_sleeps[0] <= 10
    assert waits == [301.0]  # 300 s to the reset, and a second for the clocks


def test_a_stop_after_a_batch_keeps_its_cursor_and_a_restart_doubles_nothing(tmp_path, config, model):
    db = tmp_path / "f.db"
    stop, waits = threading.Event(), []
    with Store(db) as store, replay("reddit_follow"):
        save_batch = store.save_batch

        def save_then_signal(*args, **kwargs):  # SIGTERM arrives while the first listing is read
            stop.set()
            return save_batch(*args, **kwargs)
        store.save_batch = save_then_signal
        first = follow(store, config, model, RateLimitMeter(clock=Clock()), stop, waits.append)
        store.save_batch = save_batch
        cursors = store.cursors()
        stored = post_ids(store)
    assert waits == [] and NEW in cursors and COMMENTS not in cursors  # the comments were never read
    assert FOLLOW_KEY not in cursors  # an unfinished poll does not make the database current
    assert first.new_posts == len(stored) == 100

    stop = threading.Event()
    with Store(db) as store, replay("reddit_follow"):  # a new process: its own client, the same answers
        again = follow(store, config, model, RateLimitMeter(clock=Clock()), stop, stop_after(1, stop, []))
        ids = post_ids(store)
        new_cursor = store.cursor(NEW)
    assert new_cursor == cursors[NEW]
    assert len(ids) == len(set(ids)) == first.new_posts + again.new_posts
    assert all(i.startswith("t1_") for i in set(ids) - set(stored))  # only the comments were new


def test_a_poll_reddit_keeps_failing_is_reported_and_tried_again_later(tmp_path, config, model, monkeypatch):
    monkeypatch.setattr("prawcore.sessions.time.sleep", lambda seconds: None)  # prawcore's own 5xx retries
    stop, waits, lines = threading.Event(), [], []
    with Store(tmp_path / "f.db") as store, replay("reddit_follow_unavailable"):
        summary = follow(store, config, model, RateLimitMeter(clock=Clock()), stop, stop_after(2, stop, waits),
                         retry=RetryPolicy(attempts=1), echo=lines.append)
        cursors = store.cursors()
    assert summary.failed_polls == 1 and summary.polls == 1 and NEW in cursors and COMMENTS in cursors
    assert 15 <= waits[0] <= 30  # streaming.UNAVAILABLE's first backoff, jittered
    assert any(line.startswith(f"reddit: {NEW}: gave up after 1 attempts") for line in lines)


# --- the command ---

def test_reddit_follow_without_credentials_is_one_line(tmp_path, monkeypatch):
    for name in ("OUTAGE_SIGNAL_REDDIT_CLIENT_ID", "OUTAGE_SIGNAL_REDDIT_CLIENT_SECRET", "OUTAGE_SIGNAL_REDDIT_SITE"):
        monkeypatch.delenv(name, raising=False)
    result = CliRunner().invoke(cli, ["--db", str(tmp_path / "f.db"), "stream", "--source", "reddit"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.output.strip().splitlines() == [
        "Error: Reddit credentials missing: set OUTAGE_SIGNAL_REDDIT_CLIENT_ID and OUTAGE_SIGNAL_REDDIT_CLIENT_SECRET "
        "(a script app's id and secret, https://www.reddit.com/prefs/apps) or OUTAGE_SIGNAL_REDDIT_SITE naming a "
        "praw.ini site"]


def test_jetstream_options_are_refused_for_reddit(tmp_path):
    result = CliRunner().invoke(cli, ["--db", str(tmp_path / "f.db"), "stream", "--source", "reddit",
                                      "--endpoint", "wss://x/subscribe"])
    assert result.exit_code == 2 and "--endpoint and --stall-seconds are for --source bluesky" in result.output


def test_a_second_reddit_follower_on_the_same_database_is_refused(tmp_path, monkeypatch):
    from outage_signal.lock import RunLock
    monkeypatch.setenv("OUTAGE_SIGNAL_REDDIT_CLIENT_ID", "test-id")
    monkeypatch.setenv("OUTAGE_SIGNAL_REDDIT_CLIENT_SECRET", "test-secret")
    db = tmp_path / "f.db"
    with RunLock(Path(f"{db}.stream-reddit"), "stream"):  # its own lock: the Bluesky stream holds another
        result = CliRunner().invoke(cli, ["--db", str(db), "stream", "--source", "reddit"])
    assert result.exit_code == 2 and "Not streaming: another run holds the lock (stream" in result.output
