import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from outage_signal.classifier import DEFAULT_MODEL, ComplaintClassifier
from outage_signal import notify, pipeline
from outage_signal.config import load_config
from outage_signal.store import Store


def pytest_collection_modifyitems(config, items):
    """Live tests talk to real APIs with real credentials: they run only when ``-m`` names them
    (``pytest -m live``), so any other ``-m`` (``-m "not slow"``) still leaves them out."""
    if "live" in config.getoption("markexpr"):
        return
    live = [item for item in items if item.get_closest_marker("live")]
    if live:
        config.hook.pytest_deselected(items=live)
        items[:] = [item for item in items if not item.get_closest_marker("live")]


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory):
    """The demo run once on the bundled replay: (database path, summary, score, printed notifications)."""
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    config = load_config()
    printed: list[str] = []
    with Store(path) as store:
        summary, score = pipeline.demo(store, config, ComplaintClassifier.load(DEFAULT_MODEL),
                                       notify.load_endpoints(config), echo=printed.append)
    return path, summary, score, printed


class Receiver:
    """A webhook endpoint on loopback: a real HTTP server that records each request (and its path), then
    answers with the next queued status (200 when none are queued; a ``(status, body)`` pair answers with
    a JSON body too) after the next queued delay (or ``delay``)."""

    def __init__(self, delay: float = 0.0):
        self.statuses: list[int | tuple[int, bytes]] = []
        self.delays: list[float] = []
        self.delay = delay
        self.requests: list[tuple[dict, bytes]] = []
        self.paths: list[str] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["content-length"]))
                receiver.requests.append((dict(self.headers), body))
                receiver.paths.append(self.path)
                time.sleep(receiver.delays.pop(0) if receiver.delays else receiver.delay)
                status, answer = (receiver.statuses.pop(0) if receiver.statuses else 200), b""
                if isinstance(status, tuple):
                    status, answer = status
                self.send_response(status)
                if answer:
                    self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(answer)))
                self.end_headers()
                if answer:  # (nothing written after the headers when there is no body: the client may be gone)
                    self.wfile.write(answer)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        self.base_url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def ids(self) -> list[str]:
        return [headers["webhook-id"] for headers, _ in self.requests]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def make_receiver():
    """``make_receiver(delay=0.0)``: a new :class:`Receiver`; all are closed after the test."""
    made: list[Receiver] = []

    def make(delay: float = 0.0) -> Receiver:
        made.append(Receiver(delay))
        return made[-1]
    yield make
    for receiver in made:
        receiver.close()


@pytest.fixture
def receiver(make_receiver):
    return make_receiver()
