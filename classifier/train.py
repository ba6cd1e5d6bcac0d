"""Train, evaluate and apply the complaint classifier.

The data are the real posts (``datasets/real/``, see ``classifier.dataset``), split by ``group`` (one
GitHub thread, one web page, one support account) into train / validation / test, so a test post's
thread was never seen in training. Borderline rows are left out of every validation and test figure.
The written posts (``datasets/labeled/posts.csv``) and users' ``include`` files only ever add training
rows; the written test split is scored apart, never mixed with the real figures.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score, brier_score_loss, confusion_matrix, precision_recall_curve, \
    precision_recall_fscore_support
from sklearn.model_selection import GroupKFold

from outage_signal.classifier.dataset import DEFAULT_REAL, DatasetError, load_real, read_labeled
from outage_signal.classifier import DEFAULT_DATASET, DEFAULT_MODEL
from outage_signal.classifier.model import ComplaintClassifier
from outage_signal.classifier.services import ServiceMatcher

# What goes into training, chosen with benchmarks/classifier_models.py (nested cross-validation by group).
TRAIN_ON_BORDERLINE = False
# Weight of each written post against a real one's 1 (0: not used); their test split is never trained on.
WRITTEN_WEIGHT = 0.0


def split_of(group: str) -> str:
    """``train``, ``validation`` or ``test``, by a stable hash of the group (20 % test, 20 % validation)."""
    bucket = int(hashlib.sha256(group.encode()).hexdigest(), 16) % 10
    return "test" if bucket < 2 else "validation" if bucket < 4 else "train"


def load_real_split(folder: str | Path = DEFAULT_REAL) -> pd.DataFrame:
    """The bundled real posts with their ``split``."""
    data = load_real(folder).frame
    data["split"] = data["group"].map(split_of)
    return data


def load_dataset(path: str | Path = DEFAULT_DATASET) -> pd.DataFrame:
    """The written posts CSV (``text``, ``label``, optionally ``group``, ``category``...), with a ``split``.

    Only ``text`` and ``label`` are required, so any version of the file loads; without ``group`` each
    text is its own group.
    """
    try:
        data = pd.read_csv(path, keep_default_na=False)
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as e:
        raise DatasetError(f"{path}: not a readable CSV ({type(e).__name__}: {e})") from None
    missing = {"text", "label"} - set(data.columns)
    if missing:
        raise DatasetError(f"{path}: no {' or '.join(sorted(missing))} column; expected a CSV with text and label")
    if "group" not in data.columns:
        data["group"] = data["text"]
    data["group"] = data["group"].astype(str)
    data["label"] = data["label"].astype(int)
    data["split"] = data["group"].map(split_of)
    return data


def non_borderline(rows: pd.DataFrame) -> pd.DataFrame:
    return rows[rows["borderline"] != "b"] if "borderline" in rows.columns else rows


def choose_threshold(labels: np.ndarray, probabilities: np.ndarray, min_precision: float = 0.0) -> float:
    """The threshold with the best F1 among those whose precision reaches ``min_precision`` (0: the best
    F1 of all); the best F1 overall if none does."""
    precision, recall, thresholds = precision_recall_curve(labels, probabilities)
    precision, recall = precision[:-1], recall[:-1]
    f1 = 2 * precision * recall / np.maximum(precision + recall, 1e-12)
    ok = precision >= min_precision
    if not ok.any():
        return float(thresholds[np.argmax(f1)]) if len(thresholds) else 0.5
    return float(thresholds[np.flatnonzero(ok)[np.argmax(f1[ok])]])


def metrics(labels: Sequence, probabilities: np.ndarray, threshold: float) -> dict[str, Any]:
    """Precision, recall, F1, PR-AUC, Brier score and confusion matrix ``[[tn, fp], [fn, tp]]``."""
    labels, probabilities = np.asarray(labels, dtype=int), np.asarray(probabilities, dtype=float)
    if not len(labels):
        return {"precision": None, "recall": None, "f1": None, "pr_auc": None, "brier": None,
                "confusion_matrix": [[0, 0], [0, 0]], "rows": 0}
    predicted = probabilities >= threshold
    precision, recall, f1, _ = precision_recall_fscore_support(labels, predicted, average="binary", zero_division=0)
    both = len(set(labels.tolist())) == 2
    return {"precision": round(float(precision), 4), "recall": round(float(recall), 4), "f1": round(float(f1), 4),
            "pr_auc": round(float(average_precision_score(labels, probabilities)), 4) if both else None,
            "brier": round(float(brier_score_loss(labels, probabilities, pos_label=1)), 4),
            "confusion_matrix": confusion_matrix(labels, predicted, labels=[0, 1]).tolist(),
            "rows": int(len(labels))}


def reliability(labels: Sequence, probabilities: np.ndarray, bins: int = 5) -> list[dict[str, Any]]:
    """Mean predicted probability against the observed complaint share, per probability bin."""
    frame = pd.DataFrame({"label": np.asarray(labels, dtype=int), "p": np.asarray(probabilities, dtype=float)})
    frame["bin"] = np.minimum((frame.p * bins).astype(int), bins - 1)
    return [{"bin": f"{b / bins:.1f}-{(b + 1) / bins:.1f}", "rows": int(len(rows)),
             "predicted": round(float(rows.p.mean()), 3), "observed": round(float(rows.label.mean()), 3)}
            for b, rows in frame.groupby("bin")]


def file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def folder_hash(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(folder.glob("*.tsv")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def _read_included(include: Sequence[str | Path], held_out_groups: set[str]) -> tuple[pd.DataFrame, list[str], list[str]]:
    """Users' label files as training rows, their bad rows' messages, and what was left out: rows from a
    thread of the real test split, so the reported figures stay on threads the model never saw."""
    frames, bad_rows, left_out = [], [], []
    for path in include:
        labeled = read_labeled(path)
        bad_rows += labeled.errors
        frame = labeled.frame
        overlap = frame.group.isin(held_out_groups)
        if overlap.any():
            left_out.append(f"{Path(path).name}: {int(overlap.sum())} row(s) from threads of the real test split "
                            "left out of training")
        frames.append(frame[~overlap])
    rows = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["text", "label", "group"])
    return rows, bad_rows, left_out


def _fit(rows: pd.DataFrame, threshold: float = 0.5, seed: int = 0) -> ComplaintClassifier:
    """A classifier fit on ``rows`` (``text``, ``label``, ``group``, ``weight``)."""
    weights = rows.weight if (rows.weight != 1).any() else None
    return ComplaintClassifier(threshold=threshold, seed=seed).fit(rows.text, rows.label, groups=rows.group,
                                                                   weights=weights)


def out_of_fold(rows: pd.DataFrame, scored: pd.Series, extra: pd.DataFrame, folds: int = 5, seed: int = 0) -> np.ndarray:
    """Probabilities for the ``scored`` rows, each from a model fit on the other folds' rows (folds by group)
    plus ``extra``: validation predictions for every row, from models that did not see its thread."""
    probability = np.full(len(rows), np.nan)
    for fit_part, held in GroupKFold(min(folds, rows.group.nunique())).split(rows, groups=rows.group):
        held = held[scored.to_numpy()[held]]
        if len(held):
            model = _fit(pd.concat([rows.iloc[fit_part], extra], ignore_index=True), seed=seed)
            probability[held] = model.predict_proba(rows.text.iloc[held])
    return probability[scored.to_numpy()]


def train(dataset_path: str | Path = DEFAULT_DATASET, model_path: str | Path = DEFAULT_MODEL, seed: int = 0,
          include: Sequence[str | Path] = (), real_folder: str | Path = DEFAULT_REAL,
          min_precision: float = 0.0) -> dict[str, Any]:
    """Fit on the real train + validation splits (plus the written posts at ``WRITTEN_WEIGHT`` and the
    ``include`` files), with the
    threshold chosen on validation predictions (the best F1, or the best F1 at ``min_precision``), score
    on the real test split, and save.

    The validation predictions are out-of-fold: train + validation in five folds by group, each predicted by
    a model fit on the other four, so every one of their non-borderline rows (not only the validation
    split's few hundred) votes on the threshold, and from a model of nearly the shipped one's size.
    Returns the saved metadata: ``test`` holds the shipped model's figures on the real test split
    (non-borderline rows; no test thread is ever trained on); ``include_messages`` the bad rows of the
    ``include`` files (skipped, not fatal) and ``include_left_out`` their rows of test threads.
    """
    dataset_path, real_folder = Path(dataset_path), Path(real_folder)
    real = load_real_split(real_folder)
    written = load_dataset(dataset_path)
    included, bad_rows, left_out = _read_included(include, set(real.group[real.split == "test"]))
    columns = ["text", "label", "group", "weight"]
    extra = [included.assign(weight=1.0)[columns]]
    if WRITTEN_WEIGHT:
        extra.append(written[written.split != "test"].assign(weight=WRITTEN_WEIGHT)[columns])
    extra_rows = pd.concat(extra, ignore_index=True)

    seen = real[real.split != "test"].assign(weight=1.0).reset_index(drop=True)
    seen = seen if TRAIN_ON_BORDERLINE else non_borderline(seen).reset_index(drop=True)
    scored = seen.borderline != "b"
    threshold = choose_threshold(seen.label[scored].to_numpy(), out_of_fold(seen, scored, extra_rows, seed=seed),
                                 min_precision)
    training = pd.concat([seen[columns], extra_rows], ignore_index=True)
    model = _fit(training, threshold=threshold, seed=seed)
    test = non_borderline(real[real.split == "test"])
    test_probability = model.predict_proba(test.text)
    written_test = written[written.split == "test"]
    model.save(model_path, {
        "trained_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "real": str(real_folder.name), "real_sha256": folder_hash(real_folder),
        "dataset": dataset_path.name, "dataset_sha256": file_hash(dataset_path),
        "included": {Path(path).name: file_hash(Path(path)) for path in include},
        "include_messages": bad_rows, "include_left_out": left_out,
        "train_rows": int(len(training)), "min_precision": min_precision,
        "train_on_borderline": TRAIN_ON_BORDERLINE, "written_weight": WRITTEN_WEIGHT,
        "test": metrics(test.label, test_probability, threshold),
        "test_per_language": _per(test, test_probability, threshold, "lang"),
        "written_test": metrics(written_test.label, model.predict_proba(written_test.text), threshold),
        "note": "test: this model on the real test split (non-borderline rows); fit on the real train + validation "
                "splits (+ the written posts at WRITTEN_WEIGHT and the include files), threshold from their out-of-fold predictions. "
                "written_test: the written posts' test split, scored apart",
    })
    return model.metadata


def _per(rows: pd.DataFrame, probability: np.ndarray, threshold: float, column: str) -> dict[str, Any]:
    frame = rows.assign(probability=probability)
    return {key: metrics(part.label, part.probability, threshold) for key, part in frame.groupby(column)}


def labeled_figures(rows: pd.DataFrame, model: ComplaintClassifier) -> dict[str, Any]:
    """Figures on labeled rows (``label``, ``borderline``, ``lang``, ``part``): overall without borderline rows,
    the borderline rows apart, per language, English against all others, per source part, and the
    reliability table."""
    rows = rows.assign(probability=model.predict_proba(rows.text) if len(rows) else np.zeros(0))
    clean, unsure = non_borderline(rows), rows[rows.borderline == "b"]
    return {"overall": metrics(clean.label, clean.probability, model.threshold),
            "borderline": metrics(unsure.label, unsure.probability, model.threshold),
            "per_language": _per(clean, clean.probability, model.threshold, "lang"),
            "english_and_other": _per(clean.assign(english=np.where(clean.lang == "en", "english", "other languages")),
                                      clean.probability, model.threshold, "english"),
            "per_part": _per(clean, clean.probability, model.threshold, "part"),
            "reliability": reliability(clean.label, clean.probability)}


def service_attribution(rows: pd.DataFrame, matcher: ServiceMatcher, catalog: Iterable[str]) -> dict[str, Any]:
    """Among complaints whose ``service`` is in the catalog, the share the matcher finds in the text.
    Complaints naming no catalog service are counted apart: they are still complaints (``services: []``)."""
    complaints = rows[rows.label == 1]
    named = complaints[complaints.service.isin(set(catalog))]
    found = [service in matcher.match(text) for text, service in zip(named.text, named.service)]
    return {"accuracy": round(float(np.mean(found)), 4) if found else None, "complaints_naming_a_catalog_service":
            int(len(named)), "complaints_naming_none": int(len(complaints) - len(named))}


def evaluate(model_path: str | Path = DEFAULT_MODEL, dataset_path: str | Path = DEFAULT_DATASET,
             names: dict[str, dict[str, list[str]]] | None = None, on: str | Path | None = None,
             real_folder: str | Path = DEFAULT_REAL) -> dict[str, Any]:
    """Figures of a saved model: on the real test split (``real``, borderline rows apart) and the written
    test split (``written``); or, with ``on``, on that labeled file only (``on``, with its bad-row messages).
    With ``names`` (the catalog's ``Config.matcher_names()``), service attribution is measured on the real rows
    (or on ``on``'s)."""
    model = ComplaintClassifier.load(model_path)
    report: dict[str, Any] = {"model_version": model.version, "threshold": model.threshold}
    if on is not None:
        labeled = read_labeled(on)
        if labeled.frame.empty:
            raise DatasetError(f"{on}: no good row to score")
        report["on"] = {"file": str(on), "messages": labeled.errors, **labeled_figures(labeled.frame, model)}
        attributed = labeled.frame
    else:
        real = load_real_split(real_folder)
        report["real"] = labeled_figures(real[real.split == "test"], model)
        written = load_dataset(dataset_path)
        written_test = written[written.split == "test"]
        probability = model.predict_proba(written_test.text)
        report["written"] = {"overall": metrics(written_test.label, probability, model.threshold)}
        if "category" in written_test.columns:
            report["written"]["per_category"] = {
                category: {"rows": int(len(rows)), "accuracy": round(float(
                    ((probability[rows.index] >= model.threshold) == rows.label.astype(bool)).mean()), 4)}
                for category, rows in written_test.reset_index(drop=True).groupby("category")}
        attributed = real
    if names:
        report["service_attribution"] = service_attribution(attributed, ServiceMatcher(**names), names["aliases"])
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
