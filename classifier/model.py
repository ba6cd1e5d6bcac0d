"""The complaint classifier: is this post a user reporting that a service is down *now*?

Posts are normalised (links, @handles and numbers become tokens, HTTP error codes gain their class;
Chinese, Japanese and Korean characters are spaced out, so word uni- and bigrams are their character
n-grams; a multilingual lexicon of outage, recovery and past-tense cues adds one token per cue, shared by
every language: :mod:`classifier.cues`), then word (1-2) and character (3-4, across word boundaries) n-grams, TF-IDF weighted, go into a
logistic regression whose probabilities are calibrated (Platt scaling, cross-validated by thread), with an operating threshold chosen on validation data. ``benchmarks/classifier_models.py``
compares this choice with others. Saved with skops, whose loader builds only the types it is told to
trust: a model file cannot run code when loaded. The vectorizers' vocabularies are saved apart, as arrays of
their terms: skops writes a dict entry by entry as verbose JSON (49 MB for 60,000 terms), whose parsing took
120 MB at load, more than the model itself.
"""
from __future__ import annotations

import copy
import hashlib
import json
import re
import zipfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
import skops.io as sio
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.preprocessing import FunctionTransformer

from outage_signal.classifier import DEFAULT_MODEL, ModelLoadError
from outage_signal.classifier.cues import cue_tokens, lexicon_digest
from outage_signal.classifier.features import CompiledVectorizer

FORMAT = "outage-signal-complaint-classifier/2"

# The only non-builtin types a model file may contain; anything else is refused before it is built.
TRUSTED_TYPES = [
    "sklearn.calibration.CalibratedClassifierCV",
    "sklearn.calibration._CalibratedClassifier",
    "sklearn.calibration._SigmoidCalibration",
    "sklearn.feature_extraction.text.TfidfVectorizer",
    "sklearn.feature_extraction.text.TfidfTransformer",
    "sklearn.linear_model._logistic.LogisticRegression",
    "sklearn.pipeline.FeatureUnion",
    "sklearn.preprocessing._function_transformer.FunctionTransformer",
    "outage_signal.classifier.model.normalise_texts",
    "sklearn.pipeline.Pipeline",
    "sklearn.preprocessing._label.LabelEncoder",
    "sklearn.utils._metadata_requests.MetadataRequest",
    "sklearn.frozen._frozen.FrozenEstimator",
    "builtins.slice",
    "numpy.float64",
    "numpy.int64",
    "numpy.dtype",
    "numpy.ndarray",
    "scipy.sparse._csr.csr_matrix",
]


_URL = re.compile(r"(?:https?://|www\.)(?:www\.)?([^/\s?#:]+)\S*")
_HANDLE = re.compile(r"(?<![\w.])@[\w.-]+")
_NUMBER = re.compile(r"(?<!\d)(?![45]\d\d(?!\d))\d+")  # any number but a 4xx/5xx code
_HTTP_ERROR = re.compile(r"(?<!\d)([45])\d\d(?!\d)")
# Chinese, Japanese and Korean characters, which are written without spaces between words.
_CJK = re.compile(r"([\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uff66-\uff9f])")


def normalise(text: str) -> str:
    """Lower case; a link becomes ``urltok`` and its host, an @handle ``handletok``, other numbers ``0``,
    and an HTTP error code keeps its number and gains its class, so "502" and "503" share ``http5xx``.

    >>> normalise("GitHub 502 again https://www.githubstatus.com/x/1 @bob since 14:05")
    'github  502 http5xx  again  urltok githubstatus.com   handletok  since 0:0'
    """
    text = _URL.sub(r" urltok \1 ", text.lower())
    text = _HANDLE.sub(" handletok ", text)
    text = _NUMBER.sub("0", text)
    return _HTTP_ERROR.sub(r" \g<0> http\1xx ", text)


def segment_cjk(text: str) -> str:
    """Space out Chinese, Japanese and Korean characters, so word uni- and bigrams are their character
    uni- and bigrams (far cheaper than character n-grams of every script).

    >>> segment_cjk("github挂了 again")
    'github 挂  了  again'
    """
    return _CJK.sub(r" \1 ", text)


_RECORD_SEPARATOR = "\x1e"  # joins a batch for normalise_texts; a text holding one is normalised alone


def normalise_texts(texts: Sequence[str], segment: bool = False, cues: bool = False) -> list[str]:
    """:func:`normalise` each text, with ``segment`` also :func:`segment_cjk`, and with ``cues`` append its
    :func:`~outage_signal.classifier.cues.cue_tokens` (models saved without them keep working as they were).

    >>> normalise_texts(["GitHub caído!"], cues=True)
    ['github caído! cueoutage']
    """
    texts = list(texts)
    joined = _RECORD_SEPARATOR.join(texts)
    if len(texts) > 1 and joined.count(_RECORD_SEPARATOR) == len(texts) - 1:
        # One pass of each pattern over the whole batch, far faster than one per text: the separator is
        # whitespace to every pattern and neither cased nor a digit, so each text comes out as alone.
        joined = normalise(joined)
        out = (segment_cjk(joined) if segment else joined).split(_RECORD_SEPARATOR)
    else:
        out = [segment_cjk(normalise(text)) if segment else normalise(text) for text in texts]
    if cues:
        out = [f"{text} {cue_tokens(original)}" for text, original in zip(out, texts)]
    return out


# The compiled vectorizers hold a few arrays of one number per character of their batch (about 50 bytes
# a character in all), so the posts go to them in batches of at most this many characters.
_CHUNK_CHARS = 250_000


def _chunks(texts: list[str], max_chars: int) -> Iterator[list[str]]:
    """``texts`` in consecutive batches of at most ``max_chars`` characters (or one longer text).

    >>> [len(batch) for batch in _chunks(["ab", "cd", "efgh", "i"], 4)]
    [2, 1, 1]
    """
    start, size = 0, 0
    for i, text in enumerate(texts):
        if size + len(text) > max_chars and i > start:
            yield texts[start:i]
            start, size = i, 0
        size += len(text)
    if start < len(texts):
        yield texts[start:]


class ComplaintClassifier:
    """Probability that a post reports an outage of the service it names, happening now.

    Parameters
    ----------
    threshold:
        Operating point: ``predict`` says complaint when the calibrated probability reaches it.
        :func:`classifier.train.train` sets it on validation data for high precision.
    C:
        Inverse regularisation strength of the logistic regression.
    seed:
        Seed of the calibration's cross-validation shuffles.

    Examples
    --------
    >>> texts = ["is github down?", "github down for anyone else", "discord not loading, 502",
    ...          "love the new github ui", "github tips thread", "my discord streak is down to 3"] * 5
    >>> labels = [1, 1, 1, 0, 0, 0] * 5
    >>> model = ComplaintClassifier(threshold=0.5).fit(texts, labels)
    >>> model.predict(["is discord down for anyone?", "discord tips thread"]).tolist()
    [True, False]
    """

    def __init__(self, threshold: float = 0.5, C: float = 16.0, seed: int = 0):
        self.threshold = threshold
        self.C = C
        self.seed = seed
        self.metadata: dict[str, Any] = {}
        self.pipeline_: Pipeline | None = None
        self.vectorizers_: list[CompiledVectorizer] = []  # the pipeline's, compiled: predict_proba's features

    @property
    def version(self) -> str:
        """Stored with every label, so labels from different models are never mixed."""
        return self.metadata.get("version", "unsaved")

    def _pipeline(self, calibration_folds: Any = 3) -> Pipeline:
        # lowercase=False: normalise_texts has lower-cased already (a second pass costs 3 % of the speed).
        features = FeatureUnion([
            ("words", TfidfVectorizer(ngram_range=(1, 2), min_df=3, sublinear_tf=True, lowercase=False,
                                      token_pattern=r"(?u)\b\w[\w']*\b|[?!]+", dtype=np.float32)),
            ("chars", TfidfVectorizer(analyzer="char", ngram_range=(3, 4), min_df=8, sublinear_tf=True,
                                      lowercase=False, dtype=np.float32)),
        ])
        linear = LogisticRegression(C=self.C, max_iter=3000, class_weight="balanced")
        return Pipeline([("normalise", FunctionTransformer(normalise_texts, kw_args={"segment": True, "cues": True})),
                         ("features", features),
                         ("model", CalibratedClassifierCV(linear, method="sigmoid", cv=calibration_folds))])

    def fit(self, texts: Sequence[str], labels: Sequence[int], groups: Sequence[str] | None = None,
            weights: Sequence[float] | None = None) -> ComplaintClassifier:
        """Fit; with ``groups`` (thread, page or account of each text) the calibration's folds keep each
        group on one side, so the probabilities are calibrated on threads the model did not see;
        ``weights`` weigh each text in the fit and the calibration."""
        texts, labels = list(texts), np.asarray(labels, dtype=int)
        folds: Any = 3
        if groups is not None:
            folds = [(a.astype(np.int32), b.astype(np.int32)) for a, b in GroupKFold(3).split(texts, labels, list(groups))]
        fit_params = {} if weights is None else {"model__sample_weight": np.asarray(weights, dtype=float)}
        pipeline = self._pipeline(folds).fit(texts, labels, **fit_params)
        pipeline.named_steps["model"].cv = 3 if groups is None else "GroupKFold(3)"  # the folds are spent: not saved
        self._set_pipeline(pipeline)
        return self

    def _set_pipeline(self, pipeline: Pipeline) -> None:
        features = pipeline.named_steps["features"]
        if features.transformer_weights:  # predict_proba stacks the compiled vectorizers' output as it is
            raise ValueError("the compiled vectorizers do not support FeatureUnion's transformer_weights")
        self.pipeline_ = pipeline
        self.vectorizers_ = [CompiledVectorizer(vectorizer) for _, vectorizer in features.transformer_list]

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Calibrated probability of "outage complaint" for each text.

        The pipeline's own steps, with its vectorizers' transform done by their compiled form (the same
        features, twice as fast: :mod:`classifier.features`)."""
        if self.pipeline_ is None:
            raise ModelLoadError("the classifier is not fitted: call fit() or load()")
        texts = list(texts)
        probabilities = [np.zeros(0)]
        for chunk in _chunks(texts, _CHUNK_CHARS):
            normalised = self.pipeline_.named_steps["normalise"].transform(chunk)
            features = sp.hstack([vectorizer.transform(normalised) for vectorizer in self.vectorizers_], format="csr")
            probabilities.append(self.pipeline_.named_steps["model"].predict_proba(features)[:, 1])
        return np.concatenate(probabilities)

    def predict(self, texts: Sequence[str]) -> np.ndarray:
        return self.predict_proba(texts) >= self.threshold

    def save(self, path: str | Path, metadata: dict[str, Any] | None = None) -> Path:
        """Write the model (skops) and its metadata (JSON beside it, ``.json``). Returns the model path."""
        if self.pipeline_ is None:
            raise ModelLoadError("cannot save an unfitted classifier")
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        pipeline = copy.deepcopy(self.pipeline_)
        terms = {}
        for name, vectorizer in pipeline.named_steps["features"].transformer_list:
            vocabulary = vectorizer.__dict__.pop("vocabulary_")
            terms[name] = np.array(sorted(vocabulary, key=vocabulary.__getitem__))  # term i has column i
        sio.dump({"pipeline": pipeline, "terms": terms}, path, compression=zipfile.ZIP_DEFLATED)
        untrusted = set(sio.get_untrusted_types(file=path)) - set(TRUSTED_TYPES)
        if untrusted:
            path.unlink()
            raise ModelLoadError(f"the model holds types not in TRUSTED_TYPES: {sorted(untrusted)}")
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        self.metadata = {**(metadata or {}), "format": FORMAT, "threshold": self.threshold, "C": self.C,
                         "cues": lexicon_digest(), "version": digest[:12], "sha256": digest}
        path.with_suffix(".json").write_text(json.dumps(self.metadata, indent=1) + "\n")
        return path

    @classmethod
    def load(cls, path: str | Path = DEFAULT_MODEL) -> ComplaintClassifier:
        """Load a saved model. Refuses files whose hash, format or types are not what was saved, and models
        trained with another cue lexicon."""
        path = Path(path)
        meta_path = path.with_suffix(".json")
        try:
            metadata = json.loads(meta_path.read_text())
            data = path.read_bytes()
        except FileNotFoundError as e:
            raise ModelLoadError(f"{e.filename}: model file not found; run `outage-signal train`") from None
        except (ValueError, OSError) as e:
            raise ModelLoadError(f"{meta_path}: unreadable model metadata: {e}") from None
        if not isinstance(metadata, dict):
            raise ModelLoadError(f"{meta_path}: not a metadata object")
        if metadata.get("format") != FORMAT:
            found = str(metadata.get("format"))
            raise ModelLoadError(f"{meta_path}: saved in an older format ({found}); retrain with `outage-signal train`"
                                 if found.startswith(FORMAT.split("/")[0]) else
                                 f"{meta_path}: not an Outage Signal classifier (format {found!r})")
        if hashlib.sha256(data).hexdigest() != metadata.get("sha256"):
            raise ModelLoadError(f"{path}: the file does not match the hash in {meta_path.name}: "
                                 "truncated or tampered with; retrain with `outage-signal train`")
        # Models saved before the digest was recorded have none: they load as they always did.
        cues = lexicon_digest()
        if metadata.get("cues", cues) != cues:
            raise ModelLoadError(f"{meta_path}: trained with another cue lexicon than this version's "
                                 "(classifier/cues.py); retrain with `outage-signal train`")
        try:
            saved = sio.loads(data, trusted=TRUSTED_TYPES)
            pipeline, terms = saved["pipeline"], saved["terms"]
            for name, vectorizer in pipeline.named_steps["features"].transformer_list:
                vectorizer.vocabulary_ = dict(zip(terms[name].tolist(), range(len(terms[name]))))
        except (zipfile.BadZipFile, KeyError, ValueError, TypeError, AttributeError,
                sio.exceptions.UntrustedTypesFoundException) as e:
            raise ModelLoadError(f"{path}: refused to load: {type(e).__name__}: {e}") from None
        model = cls(threshold=float(metadata["threshold"]), C=float(metadata.get("C", 4.0)))
        model._set_pipeline(pipeline)
        model.metadata = metadata
        return model
