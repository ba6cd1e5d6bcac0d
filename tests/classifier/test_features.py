"""The compiled vectorizers give exactly scikit-learn's features, so the model classifies as it was trained."""
import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from outage_signal.classifier import ComplaintClassifier, DEFAULT_MODEL
from outage_signal.classifier import model as model_module
from outage_signal.classifier.features import CompiledVectorizer
from outage_signal.classifier.model import normalise, normalise_texts, segment_cjk
from outage_signal.classifier.train import load_real_split

TRAIN = ["github is down again", "is github down?", "Discord 502 bad gateway", "discord works now",
         "ChatGPT 落ちてる", "ChatGPT caído", "GitHub ist down", "steam   down\t\tfor me?", "😡 slack down 😡"] * 3
# Empty and one-character posts, whitespace runs, tabs and newlines, unseen characters, characters beyond
# the basic plane, a lone surrogate, posts whose ends would make a term with the next post's start.
UNSEEN = ["", " ", "g", "gi", "git", "github is down", "is gith", "ub down", "  \n\t  github\n\ndown  ",
          "ÄÖÜ ß 漢字 한국어", "slack 😡😡 down", "\ud800 github", "x" * 3000, "down?", "?!?! down !!",
          "github down github down github down"]


def assert_same_matrix(expected, got):
    expected = expected.tocsr()
    assert got.shape == expected.shape and got.dtype == expected.dtype
    np.testing.assert_array_equal(got.indptr, expected.indptr)
    np.testing.assert_array_equal(got.indices, expected.indices)
    np.testing.assert_array_equal(got.data, expected.data)


@pytest.mark.parametrize("settings", [
    {"analyzer": "char", "ngram_range": (3, 4)},
    {"analyzer": "char", "ngram_range": (1, 3), "sublinear_tf": False},
    {"analyzer": "word", "ngram_range": (1, 2), "token_pattern": r"(?u)\b\w[\w']*\b|[?!]+"},
    {"analyzer": "word", "ngram_range": (2, 3), "min_df": 2},
])
def test_same_features_as_scikit_learn(settings):
    fitted = TfidfVectorizer(**{"lowercase": False, "sublinear_tf": True, "dtype": np.float32, **settings}).fit(TRAIN)
    compiled = CompiledVectorizer(fitted)
    assert_same_matrix(fitted.transform(UNSEEN + TRAIN), compiled.transform(UNSEEN + TRAIN))
    assert compiled.transform([]).shape == (0, len(fitted.vocabulary_))  # scikit-learn refuses no posts


def test_the_shipped_model_scores_real_posts_as_its_pipeline_does(monkeypatch):
    model = ComplaintClassifier.load(DEFAULT_MODEL)
    texts = load_real_split().text.tolist()[::5] + UNSEEN
    expected = model.pipeline_.predict_proba(texts)[:, 1]
    np.testing.assert_array_equal(model.predict_proba(texts), expected)
    monkeypatch.setattr(model_module, "_CHUNK_CHARS", 1000)  # many small batches: the same
    np.testing.assert_array_equal(model.predict_proba(texts), expected)


@pytest.mark.parametrize("settings, name", [({"lowercase": True}, "lowercase"),
                                            ({"analyzer": "char_wb"}, "analyzer"),
                                            ({"stop_words": ["down"]}, "stop_words")])
def test_unsupported_settings_are_refused(settings, name):
    fitted = TfidfVectorizer(**{"lowercase": False, **settings}).fit(TRAIN)
    with pytest.raises(ValueError, match=name):
        CompiledVectorizer(fitted)


def test_weighted_feature_blocks_are_refused():
    model = ComplaintClassifier.load(DEFAULT_MODEL)
    model.pipeline_.named_steps["features"].transformer_weights = {"words": 2.0, "chars": 1.0}
    with pytest.raises(ValueError, match="transformer_weights"):
        model._set_pipeline(model.pipeline_)


def test_normalising_a_batch_is_normalising_each_text():
    edges = ["https://githubstatus.com/x", "@github", "503", "2024", "ΟΔΟΣ", "ΣΑΣ ok", "www.x.io", "İstanbul 500",
             "a\x1eb 503", "漢字503", "@a.b.", "4044 404 5000"]
    texts = load_real_split().text.tolist()[::7] + UNSEEN + edges
    for batch in (texts, [t for t in texts if "\x1e" not in t], edges[:1]):
        expected = [f"{segment_cjk(normalise(t))}" for t in batch]
        assert normalise_texts(batch, segment=True) == expected
