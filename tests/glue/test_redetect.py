"""History added behind the detector (a backfill, an import) is detected again from the start."""
from datetime import datetime, timedelta, timezone

import numpy as np

from outage_signal.collector.records import Post
from outage_signal import notify, pipeline
from outage_signal.store import Store

T0 = datetime(2026, 9, 1, tzinfo=timezone.utc)
DAYS = 5
OUTAGES = {1: 600, 4: 900}  # day -> minute of day: one outage on day 2, one on day 5


def complaints() -> list[Post]:
    """Complaints about github, minute by minute: a low hum, and two 30-minute outages."""
    rng = np.random.default_rng(7)
    posts = []
    for minute in range(DAYS * 1440):
        day, of_day = divmod(minute, 1440)
        surge = day in OUTAGES and OUTAGES[day] <= of_day < OUTAGES[day] + 30
        for k in range(rng.poisson(12 if surge else 0.3)):
            posts.append(Post("reddit", f"t3_{minute}_{k}", "github is down", f"user{minute}_{k}",
                              T0 + timedelta(minutes=minute, seconds=k)))
    return posts


def store_and_detect(store: Store, posts: list[Post], endpoints: list[notify.Endpoint]) -> None:
    before = store.conn.execute("SELECT COALESCE(MAX(id), 0) FROM posts").fetchone()[0]
    store.save_batch("test", None, posts)
    ids = [i for (i,) in store.conn.execute("SELECT id FROM posts WHERE id > ? ORDER BY id", (before,))]
    store.save_labels("m1", [(i, 0.9, True, ["github"]) for i in ids])
    pipeline.detect(store, ["github"], endpoints)


def incidents(store: Store) -> list[tuple]:
    return [(i["id"], i["opened_at"], i["resolved_at"], i["status"]) for i in store.incidents()]


def test_a_backfill_behind_the_detector_is_detected_like_a_fresh_history(tmp_path):
    posts = complaints()
    split = T0 + timedelta(days=3)
    console = [notify.CONSOLE]
    with Store(tmp_path / "reference.db") as reference:
        store_and_detect(reference, posts, console)
        expected = incidents(reference)
    assert [i[0][:len("github:20260902")] for i in expected] == ["github:20260902", "github:20260905"]

    with Store(tmp_path / "backfilled.db") as store:
        # The job runs from day 4 on: it warms up on day 4 and sees day 5's outage on its own.
        store_and_detect(store, [p for p in posts if p.created_at >= split], console)
        notified = store.conn.execute("SELECT COUNT(*) FROM outbox").fetchone()[0]
        position = store.detector_state("github").last_minute
        # As if partial history had also opened incidents that fuller history does not confirm,
        # one of them still open (announced, so receivers hold an open alert).
        for incident_id, status in (("github:20260904T0300Z", "resolved"), ("github:20260904T0900Z", "open")):
            store.conn.execute("INSERT INTO incidents (id, service, started_at, opened_at, status, complaints, expected,"
                               " peak_per_minute, score) VALUES (?, 'github', '2026-09-04T03:00:00+00:00',"
                               " '2026-09-04T03:05:00+00:00', ?, 9, 1.0, 3.0, 20.0)", (incident_id, status))
        # Then the first three days are backfilled: the detector had passed them.
        store_and_detect(store, [p for p in posts if p.created_at < split], console)
        assert store.detector_state("github").stale_from is None
        assert incidents(store) == expected
        # Past events are recorded, not notified again or for the first time; the open incident
        # that history no longer confirms is closed with one resolved notification.
        new = store.conn.execute("SELECT event_id FROM outbox ORDER BY rowid").fetchall()[notified:]
        assert [event_id for (event_id,) in new] == [f"github:20260904T0900Z:resolved:{position}"]
        superseded = store.conn.execute("SELECT id FROM incidents WHERE status = 'superseded' ORDER BY id").fetchall()
        assert superseded == [("github:20260904T0300Z",), ("github:20260904T0900Z",)]  # kept, not listed
        # Posts a little late (within the hour) do not make the detector start over.
        late = [Post("reddit", "late", "github is down", "late", datetime.fromisoformat(position) - timedelta(minutes=20))]
        store.save_batch("test", None, late)
        store.save_labels("m1", [(store.conn.execute("SELECT MAX(id) FROM posts").fetchone()[0], 0.9, True, ["github"])])
        assert store.detector_state("github").stale_from is None


def test_a_crash_while_detecting_again_leaves_it_to_do_on_the_next_run(tmp_path, monkeypatch):
    posts, split = complaints(), T0 + timedelta(days=3)
    with Store(tmp_path / "reference.db") as reference:
        store_and_detect(reference, posts, [])
        expected = incidents(reference)
    with Store(tmp_path / "crashed.db") as store:
        store_and_detect(store, [p for p in posts if p.created_at >= split], [])
        apply = pipeline._apply
        calls = []

        def crash_on_the_second_event(*args):
            calls.append(args)
            if len(calls) == 2:
                raise KeyboardInterrupt  # the process stops here, mid-transaction
            apply(*args)

        monkeypatch.setattr(pipeline, "_apply", crash_on_the_second_event)
        try:
            store_and_detect(store, [p for p in posts if p.created_at < split], [])
        except KeyboardInterrupt:
            pass
        assert store.detector_state("github").stale_from is not None  # nothing of it was kept
        monkeypatch.setattr(pipeline, "_apply", apply)
        pipeline.detect(store, ["github"], [])
        assert incidents(store) == expected


def test_a_day_without_any_post_is_a_gap_in_collection_not_silence(tmp_path):
    """Collection stopped for ten days (no post from any source): the detectors skip those days instead of
    learning ten days of zeros, so the same steady chatter after the gap opens no incident."""
    rng = np.random.default_rng(3)
    days = [*range(3), *range(13, 14)]  # three days, a ten-day gap, one more day
    posts = [Post("reddit", f"t3_{day}_{minute}_{k}", "github is down", f"user{day}_{minute}_{k}",
                  T0 + timedelta(days=day, minutes=minute, seconds=k))
             for day in days for minute in range(1440) for k in range(rng.poisson(1.5))]
    resumed = T0 + timedelta(days=13)
    with Store(tmp_path / "one-go.db") as store:
        store_and_detect(store, posts, [])
        assert incidents(store) == []
        assert 4 * 24 - 2 <= store.detector_state("github").state["hours_learned"] <= 4 * 24  # none of the gap's
    with Store(tmp_path / "incremental.db") as store:
        # The job ran through the first half of the gap (as `stream` does, up to the clock's minute), then
        # collection resumed: the rest of the gap is skipped too.
        store_and_detect(store, [p for p in posts if p.created_at < resumed], [])
        pipeline.detect(store, ["github"], [], until=(T0 + timedelta(days=8)).isoformat())
        store_and_detect(store, [p for p in posts if p.created_at >= resumed], [])
        assert incidents(store) == []
        assert 4 * 24 - 2 <= store.detector_state("github").state["hours_learned"] <= 4 * 24
