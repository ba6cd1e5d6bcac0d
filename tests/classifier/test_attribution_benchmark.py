"""benchmarks/attribution.py --fresh (issue 17 item 4): per service and per ambiguous name, a named service is
right exactly when the post's judged services hold it."""
import importlib.util
from pathlib import Path

import pytest

from outage_signal.classifier import ServiceMatcher

SCRIPT = Path(__file__).parents[2] / "benchmarks" / "attribution.py"


@pytest.fixture(scope="module")
def attribution():
    spec = importlib.util.spec_from_file_location("attribution_benchmark", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_fresh_scores_count_each_named_service_against_the_judged_ones(attribution, tmp_path):
    path = tmp_path / "fresh.tsv"
    path.write_text("services\tsource\ttext\n"
                    "zoom,github\tgh-issue:a/b#1\tzoom is down and github too\n"  # both named, both right
                    "\tgh-issue:a/b#2\tzoom in on the chart\n"  # the ordinary word: not named, rightly
                    "zoom\tpage:https://example.org/x\tmy zoom call froze\n"  # Zoom, missed (after "my")
                    "\tgh-issue:a/b#3\tfiled it on github yesterday\n", encoding="utf-8")  # named, judged none
    matcher = ServiceMatcher({"zoom": ["zoom.us"], "github": ["github"]}, ambiguous={"zoom": ["zoom"]})
    rows = attribution.read_fresh(path)
    assert rows.services.tolist() == [{"zoom", "github"}, set(), {"zoom"}, set()]

    services, names = attribution.fresh_scores(rows, matcher, ["zoom", "github", "slack"])

    assert services.set_index("service").to_dict("index") == {
        "zoom": {"support": 2, "named": 1, "tp": 1, "precision": 1.0, "recall": 0.5},
        "github": {"support": 1, "named": 2, "tp": 1, "precision": 0.5, "recall": 1.0},
    }  # slack: named by no post and by no judgement, so not listed
    assert names.to_dict("records") == [{"name": "zoom", "service": "zoom", "posts": 3, "means_it": 2, "named": 1,
                                         "tp": 1, "precision": 1.0, "recall": 0.5}]
