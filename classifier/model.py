"""The complaint classifier: is this post a user reporting that a service is down *now*?

Word and character n-grams (TF-IDF) into a logistic regression whose probabilities are calibrated
(Platt scaling, cross-validated), with an operating threshold chosen on validation data for high
precision. Saved with skops, whose loader builds only the types it is told to trust: a model file
cannot run code when loaded.
"""
from __future__ import annotations

import hashlib
import json
import zipfile
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import skops.io as sio
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline

# The shipped model is package data (models/ installs as outage_signal.models), found wherever it is installed.
DEFAULT_MODEL = Path(str(resources.files("outage_signal.models") / "complaint-classifier.skops"))
FORMAT = "outage-signal-complaint-classifier/1"

# The only non-builtin types a model file may contain; anything else is refused before it is built.
TRUSTED_TYPES = [
    "sklearn.calibration.CalibratedClassifierCV",
    "sklearn.calibration._CalibratedClassifier",
    "sklearn.calibration._SigmoidCalibration",
    "sklearn.feature_extraction.text.TfidfVectorizer",
    "sklearn.feature_extraction.text.TfidfTransformer",
    "sklearn.linear_model._logistic.LogisticRegression",
    "sklearn.pipeline.FeatureUnion",
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


class ModelLoadError(ValueError):
    """A model file is missing, truncated, tampered with, or not an Outage Signal model."""


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

    def __init__(self, threshold: float = 0.5, C: float = 4.0, seed: int = 0):
        self.threshold = threshold
        self.C = C
        self.seed = seed
        self.metadata: dict[str, Any] = {}
        self.pipeline_: Pipeline | None = None

    @property
    def version(self) -> str:
        """Stored with every label, so labels from different models are never mixed."""
        return self.metadata.get("version", "unsaved")

    def _pipeline(self) -> Pipeline:
        features = FeatureUnion([
            ("words", TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True, lowercase=True,
                                      token_pattern=r"(?u)\b\w[\w']*\b|[?!]+", dtype=np.float32)),
            ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 3), min_df=3, sublinear_tf=True,
                                      max_features=60_000, dtype=np.float32)),
        ])
        linear = LogisticRegression(C=self.C, max_iter=2000, class_weight="balanced")
        return Pipeline([("features", features),
                         ("model", CalibratedClassifierCV(linear, method="sigmoid", cv=3))])

    def fit(self, texts: Sequence[str], labels: Sequence[int]) -> ComplaintClassifier:
        self.pipeline_ = self._pipeline().fit(list(texts), np.asarray(labels, dtype=int))
        return self

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Calibrated probability of "outage complaint" for each text."""
        if self.pipeline_ is None:
            raise ModelLoadError("the classifier is not fitted: call fit() or load()")
        return self.pipeline_.predict_proba(list(texts))[:, 1]

    def predict(self, texts: Sequence[str]) -> np.ndarray:
        return self.predict_proba(texts) >= self.threshold

    def save(self, path: str | Path, metadata: dict[str, Any] | None = None) -> Path:
        """Write the model (skops) and its metadata (JSON beside it, ``.json``). Returns the model path."""
        if self.pipeline_ is None:
            raise ModelLoadError("cannot save an unfitted classifier")
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        sio.dump(self.pipeline_, path)
        untrusted = set(sio.get_untrusted_types(file=path)) - set(TRUSTED_TYPES)
        if untrusted:
            path.unlink()
            raise ModelLoadError(f"the model holds types not in TRUSTED_TYPES: {sorted(untrusted)}")
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        self.metadata = {**(metadata or {}), "format": FORMAT, "threshold": self.threshold, "C": self.C,
                         "version": digest[:12], "sha256": digest}
        path.with_suffix(".json").write_text(json.dumps(self.metadata, indent=1) + "\n")
        return path

    @classmethod
    def load(cls, path: str | Path = DEFAULT_MODEL) -> ComplaintClassifier:
        """Load a saved model. Refuses files whose hash, format or types are not what was saved."""
        path = Path(path)
        meta_path = path.with_suffix(".json")
        try:
            metadata = json.loads(meta_path.read_text())
            data = path.read_bytes()
        except FileNotFoundError as e:
            raise ModelLoadError(f"{e.filename}: model file not found; run `outage-signal train`") from None
        except (ValueError, OSError) as e:
            raise ModelLoadError(f"{meta_path}: unreadable model metadata: {e}") from None
        if not isinstance(metadata, dict) or metadata.get("format") != FORMAT:
            raise ModelLoadError(f"{meta_path}: not an Outage Signal classifier (format {metadata.get('format')!r})"
                                 if isinstance(metadata, dict) else f"{meta_path}: not a metadata object")
        if hashlib.sha256(data).hexdigest() != metadata.get("sha256"):
            raise ModelLoadError(f"{path}: the file does not match the hash in {meta_path.name}: "
                                 "truncated or tampered with; retrain with `outage-signal train`")
        try:
            pipeline = sio.loads(data, trusted=TRUSTED_TYPES)
        except (zipfile.BadZipFile, KeyError, ValueError, TypeError, sio.exceptions.UntrustedTypesFoundException) as e:
            raise ModelLoadError(f"{path}: refused to load: {type(e).__name__}: {e}") from None
        model = cls(threshold=float(metadata["threshold"]), C=float(metadata.get("C", 4.0)))
        model.pipeline_, model.metadata = pipeline, metadata
        return model
