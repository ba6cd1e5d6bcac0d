"""Webhook delivery against a real HTTP server on loopback."""
import base64
import json
import threading
from datetime import datetime, timedelta, timezone

import pytest
from standardwebhooks import Webhook

from outage_signal import notify, pipeline
from outage_signal.detector import IncidentEvent
from outage_signal.store import Store

SECRET = "whsec_" + base64.b64encode(b"planted-secret-0123456789abcdef").decode()
T0 = datetime(2026, 9, 10, 16, 8, tzinfo=timezone.utc)  # when the incidents happened


def later(**delta) -> datetime:
    """When the job delivers: the outbox runs on wall time, so just after now (plus ``delta``)."""
    return datetime.now(timezone.utc) + timedelta(seconds=5) + timedelta(**delta)


def make_store(path, endpoints, events=3) -> Store:
    store = Store(path)
    with store.transaction():
        for n in range(events):
            pipeline._apply(store, IncidentEvent("opened", "github", f"github:{n}", T0 + timedelta(minutes=n), T0,
                                                 complaints=40, peak_per_minute=9, expected=1.5, score=30), endpoints)
    return store


def endpoint(url, **kw) -> notify.Endpoint:
    return notify.Endpoint(name="ops", url=url, format="generic", secret=SECRET, **kw)


def test_signature_verifies(tmp_path, receiver):
    hook = endpoint(receiver.url)
    with make_store(tmp_path / "a.db", [hook], events=1) as store:
        report = notify.deliver(store, [hook])
    assert report.delivered == 1
    headers, body = receiver.requests[0]
    payload = Webhook(SECRET).verify(body, {k.lower(): v for k, v in headers.items()})
    assert payload["type"] == "incident.opened" and payload["data"]["service"] == "github"
    with pytest.raises(Exception):
        Webhook(SECRET).verify(body.replace(b"github", b"gitlab"), {k.lower(): v for k, v in headers.items()})


def test_endpoint_down_then_back_delivers_exactly_once(tmp_path, make_receiver):
    receiver = make_receiver()
    url = receiver.url
    receiver.close()  # nothing listens on that port now
    hook = endpoint(url)
    with make_store(tmp_path / "a.db", [hook]) as store:
        first = notify.deliver(store, [hook], now=later(), timeout=2)
        assert (first.delivered, first.failed, first.pending) == (0, 3, 3)
        # Not due yet: backoff.
        assert notify.deliver(store, [hook], now=later(seconds=30)).delivered == 0
        back = make_receiver()
        hook = endpoint(back.url)
        store.conn.execute("UPDATE outbox SET endpoint = 'ops'")  # same endpoint name, new port
        recovered = notify.deliver(store, [hook], now=later(minutes=5))
        again = notify.deliver(store, [hook], now=later(hours=2))
    assert recovered.delivered == 3 and again.delivered == 0
    assert len(back.ids()) == len(set(back.ids())) == 3


def test_server_error_is_retried_client_error_is_dead(tmp_path, receiver):
    hook = endpoint(receiver.url)
    receiver.statuses = [500, 400, 429]
    with make_store(tmp_path / "a.db", [hook]) as store:
        first = notify.deliver(store, [hook], now=later())
        assert (first.delivered, first.failed, first.dead) == (0, 2, 1)
        second = notify.deliver(store, [hook], now=later(minutes=10))
        assert second.delivered == 2
        rows = {r["event_id"]: r for r in store.deliveries()}
    assert sorted(r["status"] for r in rows.values()) == ["dead", "delivered", "delivered"]
    assert [r["last_error"] for r in rows.values() if r["status"] == "dead"] == ["HTTP 400 from ops"]


def test_too_old_is_dead(tmp_path, receiver):
    hook = endpoint(receiver.url)
    with make_store(tmp_path / "a.db", [hook], events=1) as store:
        created = store.conn.execute("SELECT created_at FROM outbox").fetchone()[0]
        report = notify.deliver(store, [hook], now=datetime.fromisoformat(created) + timedelta(hours=25))
    assert report.dead == 1 and receiver.requests == []


def test_crash_between_send_and_record_resends_with_the_same_id(tmp_path, receiver):
    hook = endpoint(receiver.url)

    def crash(event_id):
        raise SystemExit("killed after sending")

    with make_store(tmp_path / "a.db", [hook], events=1) as store:
        with pytest.raises(SystemExit):
            notify.deliver(store, [hook], now=later(), on_sent=crash)
        assert notify.deliver(store, [hook], now=later(seconds=30)).delivered == 0  # leased
        assert notify.deliver(store, [hook], now=later(minutes=3)).delivered == 1
    assert len(receiver.ids()) == 2 and len(set(receiver.ids())) == 1


def test_two_concurrent_runs_deliver_each_event_once(tmp_path, receiver):
    hook = endpoint(receiver.url)
    path = tmp_path / "a.db"
    make_store(path, [hook], events=20).close()
    reports = []

    def run():
        with Store(path) as store:
            reports.append(notify.deliver(store, [hook], now=later()))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(r.delivered for r in reports) == 20
    assert len(receiver.ids()) == len(set(receiver.ids())) == 20


def test_endpoint_filters_and_secret_stays_out_of_the_database(tmp_path, receiver):
    wanted = endpoint(receiver.url, events=frozenset({"resolved"}))
    with make_store(tmp_path / "a.db", [wanted]) as store:
        assert store.conn.execute("SELECT COUNT(*) FROM outbox").fetchone()[0] == 0
    assert "planted-secret" not in repr(wanted)
    data = b"".join(p.read_bytes() for p in tmp_path.iterdir())
    assert SECRET.encode() not in data and b"planted-secret" not in data


@pytest.mark.parametrize("fmt, key", [("slack", "blocks"), ("discord", "embeds")])
def test_slack_and_discord_messages(tmp_path, receiver, fmt, key):
    hook = notify.Endpoint(name="chat", url=receiver.url, format=fmt)
    with make_store(tmp_path / "a.db", [hook], events=1) as store:
        assert notify.deliver(store, [hook]).delivered == 1
    body = json.loads(receiver.requests[0][1])
    assert key in body and "github" in json.dumps(body)


def test_only_http_urls(tmp_path):
    from outage_signal.config import ConfigError, load_config
    path = tmp_path / "c.toml"
    path.write_text('[services.github]\naliases=["github"]\n[[webhooks]]\nurl = "file:///etc/passwd"\nformat="slack"\n')
    with pytest.raises(ConfigError, match=r"webhooks\[0\].url': expected an http:// or https:// URL"):
        notify.load_endpoints(load_config(path))
    with pytest.raises(ConfigError):
        notify.test_webhook("gopher://x")


def test_slow_endpoint_times_out_and_is_retried_later(tmp_path, receiver):
    receiver.delays = [1.5]  # the first request takes longer than the timeout
    hook = endpoint(receiver.url)
    with make_store(tmp_path / "a.db", [hook], events=1) as store:
        first = notify.deliver(store, [hook], now=later(), timeout=0.5)
        [row] = store.deliveries()
        assert (first.delivered, first.failed) == (0, 1) and row["status"] == "pending"
        assert row["last_error"] == "ReadTimeout: could not reach ops"
        second = notify.deliver(store, [hook], now=later(minutes=5), timeout=5)
    assert second.delivered == 1
    assert len(receiver.ids()) == 2 and len(set(receiver.ids())) == 1  # re-sent with the same webhook-id
