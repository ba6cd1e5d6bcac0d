import pytest

from classifier import DEFAULT_MODEL, ComplaintClassifier
from outage_signal import notify, pipeline
from outage_signal.config import load_config
from outage_signal.store import Store


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
