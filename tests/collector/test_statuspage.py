from pathlib import Path

import pytest
import vcr

from outage_signal.collector.statuspage import StatusPageError, fetch_incidents
from outage_signal.collector.retry import RetryPolicy

CASSETTES = Path(__file__).resolve().parents[1] / "cassettes"
BASE = "https://www.githubstatus.com"


def replay(name: str):
    return vcr.use_cassette(str(CASSETTES / f"{name}.yaml"), record_mode="none")


def no_sleep(waits):
    return waits.append


def test_reads_a_page_of_real_incidents():
    with replay("status_ok"):
        batch = fetch_incidents(BASE, "github")
    assert batch.source == "status:github" and not batch.malformed
    assert len(batch.incidents) == 50
    first = batch.incidents[0]
    assert first.source_id == "bhbcjn4n3jzp" and first.impact == "critical"
    # The acknowledgement is when the first update was published: for an incident posted after the
    # fact (created and resolved at 11:00, first written up at 15:56) that is 15:56.
    retroactive = next(i for i in batch.incidents if i.source_id == "594m87r8sw13")
    assert retroactive.acknowledged_at.isoformat() == "2026-07-24T15:56:48.881000+00:00"
    assert retroactive.resolved_at.isoformat() == "2026-07-24T11:00:00+00:00"


def test_429_is_retried_after_retry_after():
    waits = []
    with replay("status_429_then_ok"):
        batch = fetch_incidents(BASE, "github", retry=RetryPolicy(jitter=0, sleep=waits.append))
    assert waits == [2.0] and len(batch.incidents) == 50


def test_5xx_gives_up_with_a_clear_message():
    waits = []
    with replay("status_503"), pytest.raises(StatusPageError, match=r"gave up after 4 attempts \(HTTP 503\)"):
        fetch_incidents(BASE, "github", retry=RetryPolicy(jitter=0, sleep=waits.append))
    assert waits == [1.0, 2.0, 4.0]


def test_404_is_not_retried():
    with replay("status_404"), pytest.raises(StatusPageError, match="HTTP 404; check status_page.url"):
        fetch_incidents(BASE, "github", retry=RetryPolicy(sleep=lambda s: pytest.fail("slept")))


def test_malformed_body_and_items():
    with replay("status_not_json"), pytest.raises(StatusPageError, match="not JSON"):
        fetch_incidents(BASE, "github")
    with replay("status_one_bad_item"):
        batch = fetch_incidents(BASE, "github")
    assert len(batch.incidents) == 2 and len(batch.malformed) == 1
    assert "KeyError" in batch.malformed[0].reason


def test_a_page_that_does_not_answer_in_time_is_retried_then_reported():
    """A real server on loopback that accepts the connection and never answers within the timeout."""
    import socket
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    waits = []
    try:
        with pytest.raises(StatusPageError, match=r"gave up after 3 attempts \(ReadTimeout\)"):
            fetch_incidents(f"http://127.0.0.1:{listener.getsockname()[1]}", "github", timeout=0.3,
                            retry=RetryPolicy(attempts=3, jitter=0, sleep=waits.append))
    finally:
        listener.close()
    assert waits == [1.0, 2.0]
