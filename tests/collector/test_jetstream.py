"""The Jetstream collector and `outage-signal stream` against a real WebSocket server on 127.0.0.1.

The server (jetstream_server.py) plays events stamped from the recorded shapes in tests/data/jetstream;
each test waits for conditions (the cursor reaching the last event), never for a time.
"""
from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone

import orjson
import pytest
from click.testing import CliRunner

from jetstream_server import TEMPLATES, Behaviour, JetstreamServer, stamped_events
from outage_signal.classifier import DEFAULT_MODEL, ComplaintClassifier, ServiceMatcher
from outage_signal.cli import cli
from outage_signal.collector.jetstream import (CURSOR_KEY, REWIND_US, JetstreamCollector, Prefilter,
                                               event_deleted_post, event_to_post, frame_time_us)
from outage_signal.collector.records import Post
from outage_signal.collector.retry import RetryPolicy
from outage_signal.config import load_config
from outage_signal import streaming
from outage_signal.store import Store, StoreError

CONFIG = load_config()
MATCHER = ServiceMatcher(**CONFIG.matcher_names())
NAMES = [name for names in CONFIG.aliases().values() for name in names]
NO_WAIT = RetryPolicy(base=0.0, jitter=0.0)  # reconnect at once: the tests are about what is stored


def now_us() -> int:
    return int(datetime.now(timezone.utc).timestamp() * 1e6)


def collector(server: JetstreamServer, **kwargs) -> JetstreamCollector:
    kwargs = {"batch_seconds": 0.05, "stall_seconds": 5.0, "retry": NO_WAIT, **kwargs}
    return JetstreamCollector([server.url], NAMES, lambda text: bool(MATCHER.match(text)), **kwargs)


def read_until(reader: JetstreamCollector, store: Store, last_us: int) -> None:
    """Store every batch, as `stream` does, until the event at ``last_us`` has been read."""
    for batch in reader.batches(store.cursor(CURSOR_KEY)):
        store.save_batch(batch.source, batch.cursor, batch.posts, malformed=batch.malformed)
        if reader.stats.last_time_us == last_us:
            reader.stop.set()


def stored_uris(store: Store) -> list[str]:
    return [uri for (uri,) in store.conn.execute("SELECT source_id FROM posts WHERE source = 'bluesky'")]


@pytest.fixture
def play():
    servers = []

    def start(frames, behaviours=(), pace=None):
        servers.append(JetstreamServer(frames, behaviours, pace))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


# --- decoding, no network ---

def test_event_to_post_keeps_the_posts_identity_language_and_time_and_nothing_else():
    reply, real, no_text, update, delete, like, identity, account = TEMPLATES
    post = event_to_post(reply)
    assert post.source == "bluesky"  # as the search collector stores it: a post both see is one row
    assert post.source_id == "at://did:plc:q235v55g5unth4zjjdpacfdr/app.bsky.feed.post/3mmoojp4cd223"
    assert post.url == "https://bsky.app/profile/did:plc:q235v55g5unth4zjjdpacfdr/post/3mmoojp4cd223"
    assert (post.language, post.author, post.created_at) == (
        "en", "did:plc:q235v55g5unth4zjjdpacfdr", datetime(2026, 5, 25, 14, 23, 28, 757000, tzinfo=timezone.utc))
    assert post.raw == {"cid": reply["commit"]["cid"], "time_us": reply["time_us"]}
    assert event_to_post(real).text == "new text114"  # the real record of post_record.json
    assert event_to_post(update).language == "de"
    assert [event_to_post(e) for e in (delete, like, identity, account)] == [None] * 4
    with pytest.raises(ValueError):
        event_to_post(no_text)  # a post with no text: malformed, were it ever a candidate


def test_prefilter_passes_every_frame_naming_a_service_and_few_others():
    is_candidate = Prefilter(NAMES)
    frames, kept = stamped_events(800, now_us())
    candidates = [f for f in frames if is_candidate(f)]
    posts = [event_to_post(orjson.loads(f)) for f in candidates]
    found = {p.source_id for p in posts if p is not None and MATCHER.match(p.text)}
    assert found == kept  # the prefilter loses no post the matcher would keep
    assert len(candidates) < len(frames) / 2
    assert frame_time_us(frames[5]) == orjson.loads(frames[5])["time_us"]


# --- the collector against the server ---

def test_a_drop_mid_batch_resumes_before_the_cursor_and_stores_everything_once(tmp_path, play):
    frames, kept = stamped_events(3000, now_us() - 60_000_000)
    server = play(frames, [Behaviour(after=1234, action="drop")])
    # One batch per connection, yielded by the drop and then by the stall at the live tip: the drop is mid-batch.
    reader = collector(server, batch_seconds=3600, stall_seconds=0.3)
    with Store(tmp_path / "s.db") as store:
        read_until(reader, store, frame_time_us(frames[-1]))
        assert sorted(stored_uris(store)) == sorted(kept)
        assert store.cursor(CURSOR_KEY) == str(frame_time_us(frames[-1]))
    assert reader.stats.connects == 2 and len(server.cursors) == 2
    # The second connection asks for a few seconds before the last event read, not from the start.
    assert server.cursors[1] == frame_time_us(frames[1233]) - REWIND_US
    assert reader.stats.events > len(frames)  # the overlap was read again, and stored once


def test_twenty_drops_lose_nothing_and_double_nothing(tmp_path, play):
    frames, kept = stamped_events(3000, now_us() - 600_000_000, step_us=100_000)  # 5 s rewind: 50 frames
    server = play(frames, [Behaviour(after=150, action="drop")] * 20)  # 100 new frames a connection
    reader = collector(server)
    with Store(tmp_path / "s.db") as store:
        read_until(reader, store, frame_time_us(frames[-1]))
        uris = stored_uris(store)
    assert reader.stats.connects == 21 and len(uris) == len(set(uris)) and set(uris) == kept


def test_quiet_seconds_keep_the_cursor(tmp_path, play):
    frames, kept = stamped_events(100, now_us() - 60_000_000)
    server = play(frames)  # then quiet, as the live tip is between two posts
    reader = collector(server)
    quiet_batches = 0
    with Store(tmp_path / "s.db") as store:
        for batch in reader.batches(None):
            store.save_batch(batch.source, batch.cursor, batch.posts, malformed=batch.malformed)
            if reader.stats.last_time_us == frame_time_us(frames[-1]):
                quiet_batches += 1
            if quiet_batches == 5:
                reader.stop.set()
        assert store.cursor(CURSOR_KEY) == str(frame_time_us(frames[-1]))
        assert sorted(stored_uris(store)) == sorted(kept)


def test_a_stalled_stream_is_reconnected(tmp_path, play):
    frames, kept = stamped_events(600, now_us() - 60_000_000)
    server = play(frames, [Behaviour(after=300, action="silent")])
    reader = collector(server, stall_seconds=0.3)
    with Store(tmp_path / "s.db") as store:
        read_until(reader, store, frame_time_us(frames[-1]))
        assert sorted(stored_uris(store)) == sorted(kept)
    assert reader.stats.stalls == 1 and reader.stats.connects == 2
    assert "stalled" in reader.stats.failures[-1]


def test_malformed_frames_are_counted_and_skipped(tmp_path, play):
    frames, kept = stamped_events(200, now_us() - 60_000_000)
    t = frame_time_us(frames[99])
    bad = ["not json at all",  # no time_us: not an event
           '{"did":"did:plc:x","time_us":%d,"kind":"commit","commit":{"text":"github is down' % t,  # cut off
           orjson.dumps({"did": "did:plc:x", "time_us": t, "kind": "commit", "commit": {
               "operation": "create", "collection": "app.bsky.feed.post", "rkey": "3kbad",
               "record": {"text": "github down", "createdAt": "yesterday-ish"}}}).decode()]  # a bad time
    server = play(frames[:100] + bad + frames[100:])
    reader = collector(server)
    with Store(tmp_path / "s.db") as store:
        read_until(reader, store, frame_time_us(frames[-1]))
        assert sorted(stored_uris(store)) == sorted(kept)
        rejects = store.conn.execute("SELECT location, reason FROM rejects ORDER BY reason").fetchall()
    assert reader.stats.malformed == 3 and len(rejects) == 3
    reasons = " | ".join(reason for _, reason in rejects)
    assert "not a Jetstream event, no time_us" in reasons and "not a Jetstream event, cut short" in reasons
    assert "ValueError" in reasons and "yesterday-ish" in reasons


def test_a_burst_is_read_whole(tmp_path, play):
    frames, kept = stamped_events(30_000, now_us() - 600_000_000, step_us=1000)
    server = play(frames)
    reader = collector(server, batch_seconds=0.2)
    with Store(tmp_path / "s.db") as store:
        read_until(reader, store, frame_time_us(frames[-1]))
        assert len(stored_uris(store)) == len(kept) == store.post_count()
    assert reader.stats.events == len(frames) and reader.stats.malformed == 0


def test_failover_to_the_next_endpoint_when_one_refuses(tmp_path, play):
    frames, kept = stamped_events(100, now_us() - 60_000_000)
    server = play(frames)
    dead = "ws://127.0.0.1:9/subscribe"  # the discard port: nothing listens, the connection is refused
    reader = JetstreamCollector([dead, server.url], NAMES, lambda text: bool(MATCHER.match(text)),
                                batch_seconds=0.05, retry=NO_WAIT)
    with Store(tmp_path / "s.db") as store:
        read_until(reader, store, frame_time_us(frames[-1]))
        assert sorted(stored_uris(store)) == sorted(kept)
    assert "127.0.0.1:9" in reader.stats.failures[0] and reader.stats.endpoint == server.url.split("/")[2]


def test_reconnect_waits_follow_the_retry_policy_with_backoff():
    waits = []
    stop = threading.Event()
    policy = RetryPolicy(base=1.0, jitter=0.0)
    reader = JetstreamCollector(["ws://127.0.0.1:9/subscribe"], NAMES, bool, stop=stop, retry=policy)
    reader.stop = type("Recorder", (), {"is_set": lambda self: len(waits) >= 4,
                                        "wait": lambda self, s: waits.append(s)})()
    assert list(reader.batches(None)) == []
    assert waits == [2.0, 4.0, 8.0, 16.0]  # every attempt failed: each wait doubles


def test_backdated_posts_are_counted_not_kept(tmp_path, play):
    frames, kept = stamped_events(50, now_us() - 60_000_000)
    event = orjson.loads(frames[0])
    event["commit"]["record"]["createdAt"] = "2023-01-01T00:00:00Z"  # an imported archive
    event["commit"]["record"]["text"] = "github down in 2023"
    server = play([orjson.dumps(event).decode()] + frames[1:])
    reader = collector(server)
    with Store(tmp_path / "s.db") as store:
        read_until(reader, store, frame_time_us(frames[-1]))
        assert f"at://{event['did']}/app.bsky.feed.post/{event['commit']['rkey']}" not in stored_uris(store)
    assert reader.stats.backdated == 1


# --- the stream: store, classify, count, detect ---

def test_stream_classifies_counts_and_detects_each_minute_and_stops_with_its_cursor_saved(tmp_path, play):
    # The services its posts name: the test's clock makes every batch a new minute, and analysing each for all
    # 131 services of the catalog takes the reader long enough to miss the server's keepalive on a busy machine.
    config = dataclasses.replace(CONFIG, services={k: CONFIG.services[k] for k in
                                                   ("github", "discord", "slack", "chatgpt", "cloudflare")})
    start = datetime.now(timezone.utc) - timedelta(minutes=3)
    frames, kept = stamped_events(2000, int(start.timestamp() * 1e6), step_us=60_000)  # two minutes of events
    server = play(frames, [Behaviour(after=1000, action="hold")])  # two batches at least, analysed after each
    stop = threading.Event()
    clock = iter(start + timedelta(minutes=k) for k in range(10_000))  # a new minute each batch
    lines = []
    model = ComplaintClassifier.load(DEFAULT_MODEL)
    with Store(tmp_path / "s.db") as store:
        def after_each_batch(line):  # the status line, printed after each batch's analysis
            lines.append(line)
            cursor = store.cursor(CURSOR_KEY)
            if cursor == str(frame_time_us(frames[999])):
                server.release()
            if cursor == str(frame_time_us(frames[-1])):
                stop.set()
        summary = streaming.stream(store, config, model, [], [server.url], stop=stop, batch_seconds=0.05,
                                   status_every=1e-9, echo=after_each_batch, now=lambda: next(clock))
        assert sorted(stored_uris(store)) == sorted(kept)
        labeled = store.conn.execute("SELECT COUNT(*) FROM labels").fetchone()[0]
        mentions = store.conn.execute("SELECT SUM(mentions) FROM counts").fetchone()[0]
        states = store.conn.execute("SELECT COUNT(*) FROM detector_state").fetchone()[0]
        # Bounded on purpose, for a process that runs for days (the README's 30-minute soak).
        assert store.conn.execute("PRAGMA cache_size").fetchone()[0] == -streaming.PAGE_CACHE_MIB * 1024
        assert store.encoder.cache_limit == streaming.AUTHOR_HASHES
    assert summary.analyses >= 2 and labeled == len(kept) == mentions and states == len(config.services)
    assert summary.stats.events == len(frames)
    assert any("events/s" in line and "lag" in line for line in lines)
    assert "new posts stored" in summary.line()


def test_the_author_hash_cache_stays_within_its_limit_and_changes_no_hash(tmp_path):
    with Store(tmp_path / "s.db") as store:
        authors = [f"did:plc:{n:024d}" for n in range(50)]
        unbounded = [store.encoder.author_hash(a) for a in authors]
        store.limit_memory(page_cache_mib=1, author_hashes=7)
        bounded = [store.encoder.author_hash(a) for a in authors + authors]
        assert bounded == unbounded * 2 and len(store.encoder._author_hashes) <= 7


def test_status_shows_the_streams_lag(tmp_path, monkeypatch):
    db = tmp_path / "s.db"
    with Store(db) as store:
        store.save_batch(CURSOR_KEY, str(now_us() - 90_000_000))
    result = CliRunner().invoke(cli, ["--db", str(db), "status", "--json"])
    assert result.exit_code == 0, result.output
    lag = orjson.loads(result.output.splitlines()[0])["stream_lag_seconds"]
    assert 90 <= lag < 120
    result = CliRunner().invoke(cli, ["--db", str(db), "status"])
    assert "Bluesky stream: 9" in result.output and "s behind real time" in result.output


def test_stream_refuses_an_endpoint_that_is_not_a_websocket_url(tmp_path):
    result = CliRunner().invoke(cli, ["--db", str(tmp_path / "s.db"), "stream", "--endpoint", "https://x/subscribe"])
    assert result.exit_code == 2 and "expected a ws:// or wss:// URL" in result.output


# --- the process: SIGKILL and restart, SIGTERM ---

def start_stream(db, *options) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "outage_signal.cli", "--db", str(db), "stream", *options,
                             "--status-every", "0.5"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for_cursor(db, at_least: int, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()
        try:
            with Store(db, readonly=True) as store:
                cursor = store.cursor(CURSOR_KEY)
        except StoreError:  # not made yet, or its schema still being written
            cursor = None
        if cursor and int(cursor) >= at_least:
            return
        time.sleep(0.05)  # polling a condition, not timing one
    raise AssertionError(f"the stream did not store up to {at_least} in {timeout} s")


def wait_for_connection(server: JetstreamServer, count: int, process: subprocess.Popen, timeout: float = 60) -> None:
    """Until the server has seen ``count`` connections: the process is streaming, its signal handlers set."""
    deadline = time.monotonic() + timeout
    while len(server.cursors) < count:
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, f"no connection {count} in {timeout} s"
        time.sleep(0.05)  # polling a condition, not timing one


@pytest.mark.slow
def test_sigkill_and_restart_lose_nothing_and_double_nothing_and_sigterm_saves_the_cursor(tmp_path, play):
    frames, kept = stamped_events(4000, now_us() - 120_000_000)
    server = play(frames, [Behaviour(after=2000, action="hold")])
    db = tmp_path / "s.db"
    first = start_stream(db, "--endpoint", server.url)
    try:
        assert server.held.wait(60)
        wait_for_cursor(db, frame_time_us(frames[1999]), first)
        server.release()
        assert server.sent_after_release.wait(60)
        first.send_signal(signal.SIGKILL)  # the rest is in flight or in memory, not stored
        first.wait(10)
    finally:
        first.kill()
    with Store(db, readonly=True) as store:
        stored_before = int(store.cursor(CURSOR_KEY))
    second = start_stream(db, "--endpoint", server.url)
    try:
        wait_for_connection(server, 2, second)
        wait_for_cursor(db, frame_time_us(frames[-1]), second)
        second.send_signal(signal.SIGTERM)
        out, err = second.communicate(timeout=30)
    finally:
        second.kill()
    assert second.returncode == 0, err
    assert "stream stopped:" in out and "events/s" in out
    assert server.cursors[-1] == stored_before - REWIND_US  # resumed a few seconds before the stored cursor
    with Store(db, readonly=True) as store:
        uris = stored_uris(store)
        assert store.cursor(CURSOR_KEY) == str(frame_time_us(frames[-1]))
    assert len(uris) == len(set(uris)) and set(uris) == kept


@pytest.mark.slow
def test_five_sigkills_in_one_run_lose_nothing_and_double_nothing(tmp_path, play):
    frames, kept = stamped_events(5000, now_us() - 300_000_000, step_us=50_000)  # 5 s rewind: 100 frames
    server = play(frames, pace=2000)  # so that each kill finds events read and not yet stored
    db = tmp_path / "s.db"
    for kill in range(5):
        process = start_stream(db, "--endpoint", server.url)
        try:
            wait_for_connection(server, kill + 1, process)  # each kill finds it streaming
            wait_for_cursor(db, frame_time_us(frames[800 * (kill + 1)]), process)
            process.send_signal(signal.SIGKILL)
            process.wait(10)
        finally:
            process.kill()
    last = start_stream(db, "--endpoint", server.url)
    try:
        wait_for_connection(server, 6, last)
        wait_for_cursor(db, frame_time_us(frames[-1]), last)
        last.send_signal(signal.SIGTERM)
        last.communicate(timeout=30)
    finally:
        last.kill()
    assert last.returncode == 0 and len(server.cursors) == 6
    with Store(db, readonly=True) as store:
        uris = stored_uris(store)
    assert len(uris) == len(set(uris)) and set(uris) == kept


def test_the_configs_endpoints_are_read_and_a_second_stream_on_the_same_database_is_refused(tmp_path, play):
    frames, _ = stamped_events(10, now_us() - 60_000_000)
    server = play(frames)
    db = tmp_path / "s.db"
    config = tmp_path / "config.toml"
    config.write_text(f'[stream]\nendpoints = ["ws://127.0.0.1:9/subscribe", "{server.url}"]\n')  # the first refuses
    first = start_stream(db, "--config", str(config))
    try:
        wait_for_connection(server, 1, first)
        wait_for_cursor(db, frame_time_us(frames[-1]), first)
        second = subprocess.run([sys.executable, "-m", "outage_signal.cli", "--db", str(db), "stream", "--endpoint",
                                 server.url], capture_output=True, text=True, timeout=60)
        assert second.returncode == 2 and "another run holds the lock (stream" in second.stderr
    finally:
        first.send_signal(signal.SIGTERM)
        first.communicate(timeout=30)
    assert first.returncode == 0
    assert os.path.exists(db)


# --- deletes ---

def uri_of(frame: str) -> str:
    event = orjson.loads(frame)
    return f"at://{event['did']}/app.bsky.feed.post/{event['commit']['rkey']}"


def delete_frame(uri: str, time_us: int) -> str:
    """A post delete in Jetstream's shape (the recorded one), of ``uri``."""
    event = orjson.loads(orjson.dumps(TEMPLATES[4]))
    did, _, rkey = uri.removeprefix("at://").partition("/app.bsky.feed.post/")
    event.update(did=did, time_us=time_us)
    event["commit"]["rkey"] = rkey
    return orjson.dumps(event).decode()


def test_event_deleted_post_is_the_uri_of_a_post_delete_only():
    reply, real, no_text, update, delete, like, identity, account = TEMPLATES
    assert event_deleted_post(delete) == "at://did:plc:3xnadku4kemqnycbweqnvgzx/app.bsky.feed.post/3mmontn3gnc2e"
    assert [event_deleted_post(e) for e in (reply, update, like, identity, account)] == [None] * 5
    like_delete = orjson.loads(orjson.dumps(delete))
    like_delete["commit"]["collection"] = "app.bsky.feed.like"
    assert event_deleted_post(like_delete) is None
    with pytest.raises(ValueError):
        event_deleted_post({**delete, "did": 7})


def test_deletes_are_handed_on_and_a_post_read_with_its_delete_is_dropped(tmp_path, play):
    frames, kept = stamped_events(600, now_us() - 60_000_000)
    naming = [n for n, f in enumerate(frames) if f.startswith("{") and '"create"' in f and uri_of(f) in kept]
    early, late = uri_of(frames[naming[0]]), uri_of(frames[naming[-1]])
    last_us = frame_time_us(frames[-1])
    frames += [delete_frame(early, last_us + 1), delete_frame(late, last_us + 2)]
    server = play(frames)
    reader = collector(server, batch_seconds=3600, stall_seconds=0.3)  # one batch: every create read with its delete
    batch = next(reader.batches(None))
    reader.stop.set()
    uris = {post.source_id for post in batch.posts}
    recorded_deletes = sum('"delete"' in f for f in frames[:-2])  # of posts that were never in the stream
    assert uris == kept - {early, late} and batch.deleted[-2:] == [early, late]
    assert len(batch.deleted) == reader.stats.deletes == recorded_deletes + 2
    assert reader.stats.posts == len(kept) - 2 and reader.stats.malformed == 0


def store_with_posts(path, *minutes: datetime) -> tuple[Store, list[str]]:
    """A store holding one complaint naming GitHub per minute, labeled by model "m" and counted."""
    store = Store(path)
    posts = [Post(source="bluesky", source_id=f"at://did:plc:x/app.bsky.feed.post/{n}", text="github down",
                  author=f"did:plc:a{n}", created_at=minute) for n, minute in enumerate(minutes)]
    store.save_batch(CURSOR_KEY, "1", posts)
    ids = [i for (i,) in store.conn.execute("SELECT id FROM posts ORDER BY id")]
    store.save_labels("m", [(i, 0.9, True, ["github"]) for i in ids])
    return store, [p.source_id for p in posts]


def test_a_delete_before_its_minute_is_detected_forgets_the_post_and_its_counts(tmp_path):
    minute = datetime(2026, 9, 10, 12, 5, tzinfo=timezone.utc)
    store, (uri, other) = store_with_posts(tmp_path / "s.db", minute, minute)
    with store:
        assert store.counts("github") == [("2026-09-10T12:05:00+00:00", 2, 2, 2)]
        assert store.forget_posts("bluesky", [uri, "at://never/stored"], minute, "m") == (1, 0)
        assert stored_uris(store) == [other]
        assert store.counts("github") == [("2026-09-10T12:05:00+00:00", 1, 1, 1)]  # no longer a complaint
        assert store.conn.execute("SELECT COUNT(*) FROM labels").fetchone()[0] == 1
        assert store.forget_posts("bluesky", [uri], minute, "m") == (0, 0)  # a replayed delete changes nothing


def test_a_delete_after_its_minute_is_detected_is_recorded_and_history_kept(tmp_path):
    minute = datetime(2026, 9, 10, 12, 5, tzinfo=timezone.utc)
    store, (detected, pending) = store_with_posts(tmp_path / "s.db", minute, minute + timedelta(minutes=1))
    with store:
        with store.transaction():
            store.save_detector_state("github", minute, {})
        deleted_at = minute + timedelta(minutes=3)
        assert store.forget_posts("bluesky", [detected, pending], deleted_at, "m") == (1, 1)
        assert stored_uris(store) == [detected]
        raw = store.conn.execute("SELECT raw ->> 'deleted_at' FROM posts").fetchone()[0]
        assert raw == deleted_at.isoformat()
        assert store.counts("github") == [("2026-09-10T12:05:00+00:00", 1, 1, 1)]  # what the detector saw


def test_the_stream_forgets_a_post_deleted_before_its_minute_is_analysed(tmp_path, play):
    frames, kept = stamped_events(400, now_us() - 2_000_000, step_us=1_000)  # this minute: not analysed yet
    naming = [n for n, f in enumerate(frames) if f.startswith("{") and '"create"' in f and uri_of(f) in kept]
    deleted = uri_of(frames[naming[0]])
    frames.append(delete_frame(deleted, frame_time_us(frames[-1]) + 1))
    server = play(frames, [Behaviour(after=400, action="hold")])  # the post is stored before its delete is sent
    stop = threading.Event()
    model = ComplaintClassifier.load(DEFAULT_MODEL)
    with Store(tmp_path / "s.db") as store:
        def after_each_batch(line):
            cursor = store.cursor(CURSOR_KEY)
            if cursor == str(frame_time_us(frames[399])):
                assert deleted in stored_uris(store)
                server.release()
            if cursor == str(frame_time_us(frames[-1])):
                stop.set()
        summary = streaming.stream(store, CONFIG, model, [], [server.url], stop=stop, batch_seconds=0.05,
                                   status_every=1e-9, echo=after_each_batch)
        assert sorted(stored_uris(store)) == sorted(kept - {deleted})
        assert store.conn.execute("SELECT SUM(mentions) FROM counts").fetchone()[0] in (None, len(kept) - 1)
    assert summary.removed == 1 and "1 stored posts deleted by their authors" in summary.line()
