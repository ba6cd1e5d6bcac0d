import json

import numpy as np
import pandas as pd
import pytest

from outage_signal.classifier import cues
from outage_signal.classifier import DEFAULT_MODEL, ComplaintClassifier, ModelLoadError, ServiceMatcher, classify_lines
from outage_signal.classifier.train import TRAIN_ON_BORDERLINE, WRITTEN_WEIGHT, choose_threshold, evaluate, load_dataset, \
    load_real_split, service_attribution, split_of, train
from outage_signal.config import load_config

TEXTS = ["is github down?", "github down for anyone else", "discord not loading, 502 again",
         "slack won't send messages, anyone else?", "love the new github ui", "github tips thread",
         "my discord streak is down to 3", "downvoted for asking about slack"] * 4
LABELS = [1, 1, 1, 1, 0, 0, 0, 0] * 4


@pytest.fixture(scope="module")
def matcher():
    return ServiceMatcher(**load_config().matcher_names())


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
    for (_, fitted), (_, restored) in zip(model.pipeline_.named_steps["features"].transformer_list,
                                          loaded.pipeline_.named_steps["features"].transformer_list):
        assert restored.vocabulary_ == fitted.vocabulary_  # saved apart, as arrays of terms
    assert "vocabulary_" in vars(model.pipeline_.named_steps["features"].transformer_list[0][1])  # save() left it


def test_model_of_an_older_format_asks_for_a_retrain(saved):
    meta = json.loads(saved.with_suffix(".json").read_text())
    saved.with_suffix(".json").write_text(json.dumps({**meta, "format": "outage-signal-complaint-classifier/1"}))
    with pytest.raises(ModelLoadError, match="older format.*outage-signal train"):
        ComplaintClassifier.load(saved)


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


def test_model_trained_with_another_cue_lexicon_is_refused(saved, monkeypatch):
    # The cue tokens are part of the model's inputs: a changed lexicon would feed it inputs it never learnt.
    assert ComplaintClassifier.load(saved).metadata["cues"] == cues.lexicon_digest()
    monkeypatch.setitem(cues.CUES, "cueoutage", [*cues.CUES["cueoutage"], "kaputt gegangen"])
    with pytest.raises(ModelLoadError, match="another cue lexicon"):
        ComplaintClassifier.load(saved)


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
    for data in (load_real_split(), load_dataset()):
        assert data.groupby("group")["split"].nunique().max() == 1
        assert set(data.split) == {"train", "validation", "test"}
    assert split_of("pos-1") == split_of("pos-1")


def test_written_dataset_needs_only_text_and_label(tmp_path):
    path = tmp_path / "posts.csv"
    path.write_text("text,label\nis github down,1\ngithub tips,0\n")
    assert load_dataset(path)[["text", "label"]].values.tolist() == [["is github down", 1], ["github tips", 0]]


@pytest.mark.parametrize("content", [b"a,b\n1,2\n", b"", b"\xc2\x00\xff binary"])
def test_an_unusable_written_dataset_is_one_line(tmp_path, content):
    from click.testing import CliRunner
    from outage_signal.cli import cli
    path = tmp_path / "posts.csv"
    path.write_bytes(content)
    result = CliRunner().invoke(cli, ["train", "--dataset", str(path), "--model", str(tmp_path / "m.skops")])
    assert result.exit_code == 1 and not isinstance(result.exception, (ValueError, UnicodeError))
    assert result.output.startswith(f"Error: {path}: ") and len(result.output.strip().splitlines()) == 1


def test_threshold_is_the_best_f1_at_the_minimum_precision():
    # ranked from the highest score: the top 8 are all complaints (precision 1, recall 0.8, F1 0.89); going
    # down to the 14th keeps precision at 0.71 with recall 1 (F1 0.83): the most recall is not the best F1
    labels = np.array([1] * 8 + [0, 0, 0] + [1, 1] + [0] * 4)
    scores = np.arange(17, 0, -1) / 17
    assert choose_threshold(labels, scores, min_precision=0.7) == pytest.approx(10 / 17)
    # the top 4 are complaints (precision 1, F1 0.73); the top 8 hold all 7 (precision 0.875, F1 0.93)
    labels = np.array([1, 1, 1, 1, 0, 1, 1, 1, 0, 0, 0, 0])
    scores = np.arange(12, 0, -1) / 12
    assert choose_threshold(labels, scores, min_precision=0.9) == pytest.approx(9 / 12)
    assert choose_threshold(labels, scores) == pytest.approx(5 / 12)  # without a minimum: the best F1
    # with no threshold reaching the target, the best F1 overall
    labels = np.array([1, 1, 1, 1, 0, 1, 0, 1, 0, 0])
    assert choose_threshold(labels, np.arange(10, 0, -1) / 10, min_precision=1.01) == pytest.approx(0.3)


def test_shipped_model_finds_real_complaints():
    """Issue 19: the first model, trained on written posts, found one real complaint in four (precision 0.675,
    F1 0.37 on these rows); this floor is well above it and below what the shipped model measures."""
    test = load_real_split()
    test = test[(test.split == "test") & (test.borderline != "b")]
    model = ComplaintClassifier.load(DEFAULT_MODEL)
    predicted = model.predict(test.text)
    true_positives = (predicted & (test.label == 1)).sum()
    precision, recall = true_positives / predicted.sum(), true_positives / (test.label == 1).sum()
    assert precision >= 0.7 and 2 * precision * recall / (precision + recall) >= 0.7, (precision, recall)
    assert model.metadata["test"]["rows"] == len(test)  # the saved figures are the real test split's


HEADER = "label\tservice\tborderline\tlang\tsource\ttext\n"
# split_of: threads 0, 2, 3, 6, 8 are in train, 7, 13 in validation, 1, 4, 5 in test
COMPLAINTS = ["is github down? 502 on every push", "pushes fail with 503, status page says nothing",
              "site not loading for anyone else?", "api returns 500 errors since this morning",
              "cannot log in, server error again", "everything times out, is it down"]
OTHERS = ["how do I configure the proxy", "thanks, the fix works", "feature request: dark mode",
          "this is a question about the docs", "closing as duplicate", "great release, thanks"]


def _written(tmp_path):
    path = tmp_path / "posts.csv"
    path.write_text("text,label,group\n" + "".join(f"is slack down {i},1,w{i}\nslack tips {i},0,w{i}\n" for i in range(10)))
    return path


def _real_folder(tmp_path):
    folder = tmp_path / "real"
    folder.mkdir()
    rows = []
    for thread in (0, 2, 3, 6, 8, 7, 13, 1, 4, 5):
        for i, text in enumerate(COMPLAINTS):
            rows.append(f"1\tgithub\t\ten\tgh-issue:o/r#{thread}\t{text} ({thread}.{i})")
        for i, text in enumerate(OTHERS):
            rows.append(f"0\t\t{'b' if i == 0 else ''}\tde\tgh-issue:o/r#{thread}\t{text} ({thread}.{i})")
    (folder / "batch.tsv").write_text(HEADER + "\n".join(rows) + "\n")
    return folder


def test_train_reports_real_test_figures_and_takes_included_files(tmp_path):
    mine = tmp_path / "mine.tsv"
    mine.write_text(HEADER + "1\tslack\t\ten\tpage:https://x.org/a\tslack is down for everyone\n"
                    "yes\t\t\ten\tx\tbad label\n"
                    "1\tgithub\t\ten\tgh-issue:o/r#1\tgithub down (a row of a test thread)\n")
    written = _written(tmp_path)
    metadata = train(written, tmp_path / "m.skops", include=[mine], real_folder=_real_folder(tmp_path))
    assert metadata["include_messages"] == ["mine.tsv:3: label must be 0 or 1, got 'yes'"]
    assert metadata["include_left_out"] == ["mine.tsv: 1 row(s) from threads of the real test split left out of training"]
    assert list(metadata["included"]) == ["mine.tsv"]
    # 3 test threads x 11 non-borderline rows; the borderline row of each thread is left out of the figures
    assert metadata["test"]["rows"] == 33 and metadata["test"]["f1"] > 0.5
    assert set(metadata["test_per_language"]) == {"en", "de"}
    # trained on train + validation (7 threads x 12 rows, the borderline one only when they are trained on),
    # the one included row and, when they are used, the written posts outside their test split
    written_rows = (load_dataset(written).split != "test").sum() if WRITTEN_WEIGHT else 0
    assert metadata["train_rows"] == 7 * (12 if TRAIN_ON_BORDERLINE else 11) + 1 + written_rows


def test_evaluate_reports_real_then_written_and_on_a_file(tmp_path):
    folder = _real_folder(tmp_path)
    written = _written(tmp_path)
    path = train(written, tmp_path / "m.skops", real_folder=folder) and tmp_path / "m.skops"
    report = evaluate(path, written, real_folder=folder)
    assert report["real"]["overall"]["rows"] == 33 and report["real"]["borderline"]["rows"] == 3
    assert set(report["real"]["per_part"]) == {"batch"}
    assert report["written"]["overall"]["rows"] == (load_dataset(written).split == "test").sum() == 2
    assert {k: m["rows"] for k, m in report["real"]["english_and_other"].items()} == {"english": 18, "other languages": 15}
    assert sum(sum(row) for row in report["real"]["overall"]["confusion_matrix"]) == 33
    on = tmp_path / "mine.tsv"
    on.write_text(HEADER + "1\tslack\t\tfr\tpage:https://x.org/a\tslack est en panne\n"
                  "0\t\t\tfr\tpage:https://x.org/a\tmerci\n0\t\t\tfr\tx\n")
    report = evaluate(path, on=on, real_folder=folder)
    assert "real" not in report and report["on"]["overall"]["rows"] == 2
    assert report["on"]["messages"] == ["mine.tsv:4: expected 6 tab-separated fields, got 5"]


def test_service_attribution_counts_complaints_naming_no_catalog_service_apart(matcher):
    rows = pd.DataFrame({"label": [1, 1, 1, 0], "service": ["github", "discord", "my-course-server", "github"],
                         "text": ["github is down", "is it down for anyone?", "the course server is down", "github"]})
    assert service_attribution(rows, matcher, ["github", "discord"]) == {
        "accuracy": 0.5, "complaints_naming_a_catalog_service": 2, "complaints_naming_none": 1}


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
