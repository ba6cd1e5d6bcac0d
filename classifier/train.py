"""Train, evaluate and apply the complaint classifier on the labeled dataset.

The split is by ``group`` (one phrase form, or one real thread): every near-duplicate of a test row
is in the test split too, so the test figures measure phrasing the model never saw.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime, timezone
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score, confusion_matrix, precision_recall_curve, \
    precision_recall_fscore_support

from outage_signal.classifier.dataset import DatasetError, read_labeled
from outage_signal.classifier.model import DEFAULT_MODEL, ComplaintClassifier
from outage_signal.classifier.services import ServiceMatcher

DEFAULT_DATASET = Path(str(resources.files("outage_signal.datasets") / "labeled" / "posts.csv"))
TARGET_PRECISION = 0.95  # the threshold is the lowest that keeps validation precision at this


def split_of(group: str) -> str:
    """``train``, ``validation`` or ``test``, by a stable hash of the group (20 % test, 20 % validation)."""
    bucket = int(hashlib.sha256(group.encode()).hexdigest(), 16) % 10
    return "test" if bucket < 2 else "validation" if bucket < 4 else "train"


def load_dataset(path: str | Path = DEFAULT_DATASET) -> pd.DataFrame:
    data = pd.read_csv(path, keep_default_na=False)
    data["split"] = data["group"].map(split_of)
    return data


def choose_threshold(labels: np.ndarray, probabilities: np.ndarray, target: float = TARGET_PRECISION) -> float:
    """The lowest threshold whose precision reaches ``target`` (the most recall at that precision)."""
    precision, _, thresholds = precision_recall_curve(labels, probabilities)
    ok = np.flatnonzero(precision[:-1] >= target)
    return float(thresholds[ok[0]]) if len(ok) else 0.5


def metrics(labels: Sequence, probabilities: np.ndarray, threshold: float) -> dict[str, Any]:
    predicted = probabilities >= threshold
    precision, recall, f1, _ = precision_recall_fscore_support(labels, predicted, average="binary", zero_division=0)
    # PR-AUC means nothing without a complaint among the rows (a small label file may have none).
    pr_auc = round(float(average_precision_score(labels, probabilities)), 4) if 1 in set(labels) else None
    return {"precision": round(float(precision), 4), "recall": round(float(recall), 4), "f1": round(float(f1), 4),
            "pr_auc": pr_auc,
            "confusion_matrix": confusion_matrix(labels, predicted, labels=[0, 1]).tolist(),
            "rows": int(len(labels))}


def file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def included_rows(include: Sequence[str | Path]) -> pd.DataFrame:
    """The text and label of every good row of users' label files (``classifier.dataset`` format)."""
    frames = [read_labeled(path).frame[["text", "label"]] for path in include]
    if not frames:
        return pd.DataFrame({"text": pd.Series(dtype=str), "label": pd.Series(dtype=int)})
    return pd.concat(frames, ignore_index=True)


def train(dataset_path: str | Path = DEFAULT_DATASET, model_path: str | Path = DEFAULT_MODEL,
          seed: int = 0, include: Sequence[str | Path] = ()) -> dict[str, Any]:
    """Fit on train, pick the threshold on validation, score on test, then refit on train + validation
    and save. Returns the saved metadata (its ``test`` figures come from the split the model never saw).

    The rows of the ``include`` label files join the training rows only, so the test figures stay
    comparable with and without them."""
    dataset_path = Path(dataset_path)
    data = load_dataset(dataset_path)
    extra = included_rows(include)
    train_rows, validation, test = (data[data.split == s] for s in ("train", "validation", "test"))
    train_rows = pd.concat([train_rows, extra], ignore_index=True)
    model = ComplaintClassifier(seed=seed).fit(train_rows.text, train_rows.label)
    model.threshold = choose_threshold(validation.label.to_numpy(), model.predict_proba(validation.text))
    test_figures = metrics(test.label.to_numpy(), model.predict_proba(test.text), model.threshold)
    seen = pd.concat([data[data.split != "test"], extra], ignore_index=True)
    final = ComplaintClassifier(threshold=model.threshold, seed=seed).fit(seen.text, seen.label)
    final.save(model_path, {
        "trained_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "dataset": dataset_path.name, "dataset_sha256": file_hash(dataset_path),
        "train_rows": int(len(seen)), "test": test_figures,
        "included": {Path(path).name: file_hash(Path(path)) for path in include},
        "note": "test figures: model fit on train, threshold on validation; shipped model refit on train+validation",
    })
    return final.metadata


def evaluate(model_path: str | Path = DEFAULT_MODEL, dataset_path: str | Path = DEFAULT_DATASET,
             aliases: dict[str, list[str]] | None = None, on: str | Path | None = None) -> dict[str, Any]:
    """Figures of a saved model on the test split (or on every good row of the label file ``on``),
    overall, per category (the dataset has them, label files do not) and per service."""
    model = ComplaintClassifier.load(model_path)
    if on is not None:
        test = read_labeled(on).frame.assign(category="", origin="")
        if test.empty:
            raise DatasetError(f"{on}: no good row to score")
    else:
        data = load_dataset(dataset_path)
        test = data[data.split == "test"].copy()
    test["probability"] = model.predict_proba(test.text)
    report = {"model_version": model.version, "threshold": model.threshold,
              "overall": metrics(test.label.to_numpy(), test.probability.to_numpy(), model.threshold)}
    report["per_category"] = {
        category: {"rows": int(len(rows)),
                   "accuracy": round(float(((rows.probability >= model.threshold) == rows.label.astype(bool)).mean()), 4)}
        for category, rows in test.groupby("category") if category}
    report["per_service"] = {
        service: metrics(rows.label.to_numpy(), rows.probability.to_numpy(), model.threshold)
        for service, rows in test[test.service != ""].groupby("service") if rows.label.nunique() == 2}
    if aliases:
        matcher = ServiceMatcher(aliases)
        written = test[(test.origin == "written") & (test.service != "")]
        if len(written):  # a label file's services come from the matcher: nothing to check them against
            report["service_attribution_accuracy"] = round(float(np.mean(
                [service in matcher.match(text) for text, service in zip(written.text, written.service)])), 4)
    return report


def classify_lines(lines: Iterable[str], model: ComplaintClassifier, matcher: ServiceMatcher,
                   chunk: int = 2000) -> Iterator[dict[str, Any]]:
    """Label posts given one per line: plain text, or JSON objects with a ``text`` field.

    A JSON object without a string ``text`` yields ``{"line": n, "error": ...}`` in its place, and the
    lines after it are labeled as usual; the output keeps the input's order.
    """
    batch: list[tuple[int, str]] = []
    for number, line in enumerate(lines, start=1):
        line = line.rstrip("\n")
        if not line.strip():
            continue
        text, error = _text_of(line)
        if error:
            yield from _label(batch, model, matcher)
            batch = []
            yield {"line": number, "error": error}
            continue
        batch.append((number, text))
        if len(batch) >= chunk:
            yield from _label(batch, model, matcher)
            batch = []
    yield from _label(batch, model, matcher)


def _text_of(line: str) -> tuple[str, str | None]:
    """The post's text and None, or "" and why the line has none. A line that is not a JSON object is text."""
    if not line.lstrip().startswith("{"):
        return line, None
    try:
        post = json.loads(line)
    except ValueError:
        return line, None  # not JSON after all: classify it as text
    if "text" not in post:
        return "", "JSON line without a 'text' field"
    if not isinstance(post["text"], str):
        return "", f"JSON line whose 'text' is {type(post['text']).__name__}, not a string"
    return post["text"], None


def _label(batch: list[tuple[int, str]], model: ComplaintClassifier, matcher: ServiceMatcher) -> Iterator[dict]:
    if not batch:  # scikit-learn refuses an empty batch
        return
    probabilities = model.predict_proba([text for _, text in batch])
    for (number, text), p in zip(batch, probabilities):
        yield {"line": number, "probability": round(float(p), 4), "is_complaint": bool(p >= model.threshold),
               "services": matcher.match(text)}
