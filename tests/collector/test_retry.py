"""The one retry policy: Retry-After in both its forms (RFC 9110 §10.2.3), backoff with jitter, a cap."""
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest
import requests
from hypothesis import given
from hypothesis import strategies as st

from outage_signal.collector.retry import GaveUp, Retryable, RetryPolicy, retry_after_seconds
from outage_signal.collector.statuspage import StatusPageError, fetch_incidents

NOW = datetime(2026, 9, 10, 16, 0, tzinfo=timezone.utc)


def http_date(moment: datetime) -> str:
    return format_datetime(moment, usegmt=True)  # "Thu, 10 Sep 2026 16:00:30 GMT"


def policy(waits: list, **kw) -> RetryPolicy:
    return RetryPolicy(sleep=waits.append, now=lambda: NOW, **kw)


def test_retry_after_delta_seconds_and_http_date():
    assert retry_after_seconds("120", NOW) == 120.0
    assert retry_after_seconds(" 5 ", NOW) == 5.0
    assert retry_after_seconds(http_date(NOW + timedelta(seconds=30)), NOW) == 30.0
    assert retry_after_seconds("Thursday, 10-Sep-26 16:00:45 GMT", NOW) == 45.0  # the obsolete RFC 850 form


def test_an_http_date_in_the_past_means_now():
    assert retry_after_seconds(http_date(NOW - timedelta(hours=1)), NOW) == 0.0
    assert policy([]).wait(2, http_date(NOW - timedelta(hours=1))) == 0.0


@pytest.mark.parametrize("garbage", ["soon", "", "-5", "1.5", "²", "Thu, 99 Foo 2026 25:61:00 GMT", "\x00"])
def test_a_garbage_retry_after_falls_back_to_backoff(garbage):
    assert retry_after_seconds(garbage, NOW) is None
    assert policy([], jitter=0).wait(2, garbage) == 4.0


@given(st.text(max_size=60))
def test_any_header_value_is_a_wait_or_none(value):
    seconds = retry_after_seconds(value, NOW)
    assert seconds is None or seconds >= 0


def test_waits_are_capped_whatever_the_server_asks():
    assert policy([], max_wait=60).wait(0, "86400") == 60.0
    assert policy([], max_wait=60).wait(0, http_date(NOW + timedelta(days=1))) == 60.0
    assert policy([], max_wait=60, jitter=0).wait(20) == 60.0


def test_backoff_is_exponential_with_jitter_below_it():
    assert [policy([], jitter=0).wait(n) for n in range(4)] == [1.0, 2.0, 4.0, 8.0]
    assert [policy([], jitter=0.5, random_fraction=lambda: 1.0).wait(n) for n in range(3)] == [0.5, 1.0, 2.0]
    waits = {RetryPolicy().wait(3) for _ in range(50)}  # the real random source
    assert all(4.0 <= w <= 8.0 for w in waits) and len(waits) > 1


def test_call_retries_only_retryable_failures_then_gives_up():
    waits, answers = [], iter([Retryable("HTTP 503"), Retryable("HTTP 429", "3"), "ok"])

    def attempt():
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    assert policy(waits, jitter=0).call(attempt) == "ok" and waits == [1.0, 3.0]

    def always_busy():
        raise Retryable("HTTP 502")

    waits.clear()
    with pytest.raises(GaveUp, match=r"gave up after 3 attempts \(HTTP 502\)"):
        policy(waits, attempts=3, jitter=0).call(always_busy)
    assert waits == [1.0, 2.0]  # no pause after the last attempt

    with pytest.raises(KeyError):
        policy(waits).call(lambda: {}["not retried"])


class Canned(requests.adapters.BaseAdapter):
    """A transport that answers each request with the next canned (status, headers) or (status, headers, body),
    recording the URLs asked."""

    def __init__(self, answers):
        super().__init__()
        self.answers = list(answers)
        self.asked = []

    def send(self, request, **kw):
        status, headers, *body = self.answers.pop(0)
        self.asked.append(request.url)
        response = requests.Response()
        response.status_code, response.url, response.request = status, request.url, request
        response.headers.update(headers)
        response._content = body[0] if body else b'{"incidents": []}' if status == 200 else b"busy"
        return response

    def close(self):
        pass


@pytest.mark.parametrize("header, expected", [
    (lambda: http_date(NOW + timedelta(seconds=42)), 42.0),   # an HTTP-date: the wait until then
    (lambda: http_date(NOW - timedelta(minutes=5)), 0.0),     # an HTTP-date already past: retry now
    (lambda: "whenever", 1.0),                                # garbage: the first backoff step
])
def test_a_status_page_honours_retry_after(header, expected):
    session = requests.Session()
    session.mount("https://", Canned([(503, {"Retry-After": header()}), (200, {})]))
    waits = []
    batch = fetch_incidents("https://status.example.com", "example", session=session,
                            retry=policy(waits, jitter=0))
    assert waits == [expected] and batch.incidents == []


def test_a_status_page_that_keeps_failing_is_one_line():
    session = requests.Session()
    session.mount("https://", Canned([(429, {"Retry-After": "1"})] * 4))
    with pytest.raises(StatusPageError, match=r"example.com/api/v2/incidents.json: gave up after 4 attempts \(HTTP 429\)"):
        fetch_incidents("https://status.example.com", "example", session=session, retry=policy([]))


def rootly_pages():
    """The two answers of tests/cassettes/rootly_two_pages.yaml (Rootly's incidents.json, 2 a page)."""
    import yaml
    from pathlib import Path
    cassette = Path(__file__).resolve().parents[1] / "cassettes" / "rootly_two_pages.yaml"
    return [i["response"]["body"]["string"].encode() for i in yaml.safe_load(cassette.read_text())["interactions"]]


def test_a_rootly_page_answering_429_or_5xx_is_retried_and_no_page_is_skipped(monkeypatch):
    from outage_signal.collector import rootly
    monkeypatch.setattr(rootly, "PER_PAGE", 2)
    first, second = rootly_pages()
    session, waits = requests.Session(), []
    transport = Canned([(200, {}, first), (429, {"Retry-After": "3"}), (503, {}), (200, {}, second)])
    session.mount("https://", transport)
    batch = rootly.fetch_incidents("https://status.example.com", "acme", session=session, retry=policy(waits, jitter=0))
    assert waits == [3.0, 2.0] and len(batch.incidents) == 3 and batch.all_open == "acme"
    assert [url.rsplit("?", 1)[1] for url in transport.asked] == ["page=1&per_page=2"] + ["page=2&per_page=2"] * 3


def test_a_rootly_page_that_keeps_failing_fails_the_whole_read(monkeypatch):
    """Page 1 was read, page 2 never answers: nothing is returned, so nothing of a partial list is stored."""
    from outage_signal.collector import rootly
    monkeypatch.setattr(rootly, "PER_PAGE", 2)
    session = requests.Session()
    session.mount("https://", Canned([(200, {}, rootly_pages()[0])] + [(502, {})] * 4))
    with pytest.raises(StatusPageError,
                       match=r"incidents.json\?page=2&per_page=2: gave up after 4 attempts \(HTTP 502\)"):
        rootly.fetch_incidents("https://status.example.com", "acme", session=session, retry=policy([]))


def test_a_statusio_answer_of_429_or_5xx_is_retried_under_the_one_policy():
    import yaml
    from pathlib import Path
    from outage_signal.collector import statusio
    cassette = Path(__file__).resolve().parents[1] / "cassettes" / "platform_statusio.yaml"
    [answer] = [i["response"]["body"]["string"].encode() for i in yaml.safe_load(cassette.read_text())["interactions"]]
    url = "https://api.status.io/1.0/status/51f6f2088643809b7200000d"
    session, waits = requests.Session(), []
    transport = Canned([(429, {"Retry-After": "3"}), (503, {}), (200, {}, answer)])
    session.mount("https://", transport)
    batch = statusio.fetch_status(url, "acme", session=session, retry=policy(waits, jitter=0))
    assert waits == [3.0, 2.0] and len(batch.incidents) == 2 and transport.asked == [url] * 3
