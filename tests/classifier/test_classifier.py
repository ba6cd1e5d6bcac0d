import json

import numpy as np
import pytest

from outage_signal.classifier import DEFAULT_MODEL, ComplaintClassifier, ModelLoadError, ServiceMatcher, classify_lines
from outage_signal.classifier.train import load_dataset, split_of
from outage_signal.config import load_config

TEXTS = ["is github down?", "github down for anyone else", "discord not loading, 502 again",
         "slack won't send messages, anyone else?", "love the new github ui", "github tips thread",
         "my discord streak is down to 3", "downvoted for asking about slack"] * 4
LABELS = [1, 1, 1, 1, 0, 0, 0, 0] * 4


@pytest.fixture(scope="module")
def matcher():
    return ServiceMatcher(load_config().aliases())


@pytest.mark.parametrize("text, services", [
    ("i got downvoted again", []),
    ("check githubstatus.com", ["github"]),
    ("#ChatGPT is broken", ["chatgpt"]),
    ("@discord fix your servers", ["discord"]),
    ("chatgtp keeps erroring", ["chatgpt"]),  # a common misspelling from the catalog
    ("github and discord both down, cloudflare?", ["cloudflare", "discord", "github"]),
    ("steamed buns recipe", []),
    ("https://discord.com/channels/1 not loading", ["discord"]),
])
def test_matcher(matcher, text, services):
    assert matcher.match(text) == services


def test_save_load_round_trip(tmp_path):
    model = ComplaintClassifier(threshold=0.4).fit(TEXTS, LABELS)
    path = model.save(tmp_path / "m.skops", {"note": "test"})
    loaded = ComplaintClassifier.load(path)
    np.testing.assert_array_equal(loaded.predict_proba(TEXTS), model.predict_proba(TEXTS))
    assert loaded.threshold == 0.4 and loaded.version == model.version and loaded.metadata["note"] == "test"


@pytest.fixture
def saved(tmp_path):
    return ComplaintClassifier().fit(TEXTS, LABELS).save(tmp_path / "m.skops")


def test_truncated_model_is_refused(saved):
    saved.write_bytes(saved.read_bytes()[:200])
    with pytest.raises(ModelLoadError, match="truncated or tampered"):
        ComplaintClassifier.load(saved)


def test_model_with_untrusted_types_is_refused_even_with_a_matching_hash(saved, tmp_path):
    # A file that would build an arbitrary type: its hash is made to match, the type list still refuses it.
    import hashlib
    import skops.io as sio
    evil = tmp_path / "evil.skops"
    sio.dump({"model": np.random.default_rng(0).random}, evil)
    meta = json.loads(saved.with_suffix(".json").read_text())
    meta["sha256"] = hashlib.sha256(evil.read_bytes()).hexdigest()
    evil.with_suffix(".json").write_text(json.dumps(meta))
    with pytest.raises(ModelLoadError, match="refused to load"):
        ComplaintClassifier.load(evil)


def test_unknown_file_is_refused(tmp_path):
    path = tmp_path / "x.skops"
    path.write_bytes(b"not a model")
    path.with_suffix(".json").write_text('{"format": "something-else"}')
    with pytest.raises(ModelLoadError, match="not an Outage Signal classifier"):
        ComplaintClassifier.load(path)
    with pytest.raises(ModelLoadError, match="model file not found"):
        ComplaintClassifier.load(tmp_path / "missing.skops")


def test_shipped_model_loads_with_its_provenance():
    model = ComplaintClassifier.load(DEFAULT_MODEL)
    for key in ("version", "dataset_sha256", "test", "threshold", "trained_at"):
        assert key in model.metadata
    assert model.predict(["is github down? 502 on every push", "github tips thread"]).tolist() == [True, False]


def test_split_keeps_each_group_on_one_side():
    data = load_dataset()
    assert data.groupby("group")["split"].nunique().max() == 1
    assert set(data.split) == {"train", "validation", "test"}
    assert split_of("pos-1") == split_of("pos-1")


def test_classify_lines_plain_and_json(matcher):
    model = ComplaintClassifier.load(DEFAULT_MODEL)
    lines = ["is discord down for anyone else?\n", "\n", '{"text": "github tips thread"}\n', '{"id": 3}\n',
             "{not json but text about slack\n"]
    rows = list(classify_lines(lines, model, matcher))
    assert [r["line"] for r in rows] == [1, 3, 4, 5]
    assert rows[0]["is_complaint"] and rows[0]["services"] == ["discord"]
    assert not rows[1]["is_complaint"] and rows[1]["services"] == ["github"]
    assert "error" in rows[2]
    assert rows[3]["services"] == ["slack"]
