"""Which model and features for the complaint classifier: nested cross-validation on the real training part.

    python benchmarks/classifier_models.py [--quick] [--only TEXT-IN-THE-MODEL-NAME]

Only the real posts' ``train`` split is used (validation and test stay untouched for the shipped model).
The outer loop (GroupKFold by thread/page/account, 5 folds) gives the estimate; inside each outer
training part an inner GroupKFold (3 folds) picks the hyper-parameter by PR-AUC and, from the inner
out-of-fold scores, the threshold: the best F1 (as ``train`` chooses it by default). Figures are on the outer
folds' non-borderline rows; written rows (``datasets/labeled/posts.csv``) are only ever added to training.
Prints one row per choice: F1, precision, recall and PR-AUC, all and by English / other languages,
and the speed of the model fitted on the whole training part.
"""
from __future__ import annotations

import os
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer, TfidfVectorizer  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.metrics import average_precision_score  # noqa: E402
from sklearn.model_selection import GroupKFold  # noqa: E402
from sklearn.naive_bayes import ComplementNB  # noqa: E402
from sklearn.pipeline import FeatureUnion, Pipeline, make_pipeline  # noqa: E402
from sklearn.preprocessing import FunctionTransformer  # noqa: E402
from sklearn.svm import LinearSVC  # noqa: E402

from outage_signal.classifier.dataset import load_real  # noqa: E402
from outage_signal.classifier.model import normalise_texts  # noqa: E402
from outage_signal.classifier.train import DEFAULT_DATASET, choose_threshold, load_dataset, split_of  # noqa: E402

WORDS = r"(?u)\b\w[\w']*\b|[?!]+"


def tfidf(char_range=(1, 4), normalised=True, segment=False, word_range=(1, 2), cues=False, analyzer="char_wb",
          char_min_df=2, word_min_df=2):
    features = FeatureUnion([
        ("words", TfidfVectorizer(ngram_range=word_range, min_df=word_min_df, sublinear_tf=True, token_pattern=WORDS,
                                  dtype=np.float32)),
        ("chars", TfidfVectorizer(analyzer=analyzer, ngram_range=char_range, min_df=char_min_df, sublinear_tf=True,
                                  dtype=np.float32)),
    ])
    return [FunctionTransformer(normalise_texts, kw_args={"segment": segment, "cues": cues})] * normalised + [features]


def hashed():
    features = FeatureUnion([
        ("words", HashingVectorizer(ngram_range=(1, 2), token_pattern=WORDS, n_features=2**18,
                                    alternate_sign=False, norm=None, dtype=np.float32)),
        ("chars", HashingVectorizer(analyzer="char_wb", ngram_range=(1, 4), n_features=2**18,
                                    alternate_sign=False, norm=None, dtype=np.float32)),
    ])
    return [FunctionTransformer(normalise_texts), features, TfidfTransformer(sublinear_tf=True)]


def lr(C):
    return LogisticRegression(C=C, max_iter=3000, class_weight="balanced")


def svm(C):
    return LinearSVC(C=C, class_weight="balanced")


# name -> (features, estimator factory, hyper-parameter grid)
MODELS = {
    "tfidf word1-2 + char_wb1-4, normalised, logistic regression": (tfidf, lr, [1, 4, 16]),
    "tfidf word1-2 + char_wb1-4, normalised, linear SVM": (tfidf, svm, [0.05, 0.2, 0.8]),
    "tfidf word1-2 + char_wb1-4, normalised, complement NB": (tfidf, lambda alpha: ComplementNB(alpha=alpha), [0.03, 0.1, 0.3]),
    "tfidf word1-2 + char_wb2-3, normalised, CJK spaced, logistic regression":
        (lambda: tfidf((2, 3), segment=True), lr, [1, 4, 16]),
    "tfidf word1-2 + char_wb2-4, normalised, CJK spaced, cue lexicon, logistic regression":
        (lambda: tfidf((2, 4), segment=True, cues=True), lr, [1, 4, 16]),
    "tfidf word1-2 + char2-4 (across words, min_df 8), normalised, CJK spaced, cue lexicon, logistic regression":
        (lambda: tfidf((2, 4), segment=True, cues=True, analyzer="char", char_min_df=8), lr, [4, 16, 64]),
    "tfidf word1-2 (min_df 3) + char2-4 (across words, min_df 8), normalised, CJK spaced, cue lexicon, logistic regression":
        (lambda: tfidf((2, 4), segment=True, cues=True, analyzer="char", char_min_df=8, word_min_df=3), lr, [4, 16, 64]),
    "tfidf word1-2 (min_df 3) + char2-4 (across words, min_df 11), normalised, CJK spaced, cue lexicon, logistic regression":
        (lambda: tfidf((2, 4), segment=True, cues=True, analyzer="char", char_min_df=11, word_min_df=3), lr, [4, 16, 64]),
    "tfidf word1-2 (min_df 3) + char3-4 (across words, min_df 8), normalised, CJK spaced, cue lexicon, logistic regression":
        (lambda: tfidf((3, 4), segment=True, cues=True, analyzer="char", char_min_df=8, word_min_df=3), lr, [4, 16, 64]),
    "tfidf word1-2 + char_wb2-4, normalised, CJK spaced, cue lexicon, linear SVM":
        (lambda: tfidf((2, 4), segment=True, cues=True), svm, [0.05, 0.2, 0.8]),
    "tfidf word1-2 + char_wb2-4, normalised, CJK spaced, logistic regression":
        (lambda: tfidf((2, 4), segment=True), lr, [1, 4, 16]),
    "tfidf word1-3 + char_wb2-3, normalised, CJK spaced, logistic regression":
        (lambda: tfidf((2, 3), segment=True, word_range=(1, 3)), lr, [1, 4, 16]),
    "tfidf word1-2 + char_wb2-3, normalised, logistic regression": (lambda: tfidf((2, 3)), lr, [1, 4, 16]),
    "hashed word1-2 + char_wb1-4, normalised, logistic regression": (hashed, lr, [1, 4, 16]),
    "tfidf word1-2 + char_wb2-3, raw text, logistic regression (old recipe)":
        (lambda: tfidf((2, 3), normalised=False), lr, [1, 4, 16]),
}
SHIPPED = "tfidf word1-2 (min_df 3) + char3-4 (across words, min_df 8), normalised, CJK spaced, cue lexicon, logistic regression"  # classifier/model.py's
# training data variants: (borderline rows in training, weight of the written rows: 0 = not used)
DATA = {"real, borderline in training": (True, 0.0), "real without borderline": (False, 0.0),
        "real + written (weight 1), borderline": (True, 1.0), "real + written (weight 1), no borderline": (False, 1.0),
        "real + written (weight 0.25), borderline": (True, 0.25)}


def build(model: str, param: float) -> Pipeline:
    features, estimator, _ = MODELS[model]
    return make_pipeline(*features(), estimator(param))


def scores(pipeline: Pipeline, texts) -> np.ndarray:
    final = pipeline.steps[-1][1]
    return pipeline.decision_function(texts) if not hasattr(final, "predict_proba") else pipeline.predict_proba(texts)[:, 1]


def fit_score(model, param, train: pd.DataFrame, test: pd.DataFrame) -> np.ndarray:
    pipeline = build(model, param)
    weights = {f"{pipeline.steps[-1][0]}__sample_weight": train.weight.to_numpy()}
    return scores(pipeline.fit(train.text.tolist(), train.label.to_numpy(), **weights), test.text.tolist())


def nested(model: str, real: pd.DataFrame, written: pd.DataFrame, borderline: bool, written_weight: float,
           outer: int = 5, inner: int = 3) -> pd.DataFrame:
    """Outer-fold predictions (score, threshold) for every non-borderline real training row."""
    extra = written.assign(weight=written_weight) if written_weight else written.iloc[:0].assign(weight=1.0)
    out = []
    for outer_train, outer_test in GroupKFold(outer).split(real, groups=real.group):
        fit_rows, held = real.iloc[outer_train], real.iloc[outer_test]
        best = None
        for param in MODELS[model][2]:
            oof = pd.Series(np.nan, index=fit_rows.index)
            for a, b in GroupKFold(inner).split(fit_rows, groups=fit_rows.group):
                inner_train = fit_rows.iloc[a]
                inner_train = inner_train if borderline else inner_train[inner_train.borderline != "b"]
                oof.iloc[b] = fit_score(model, param, pd.concat([inner_train, extra]), fit_rows.iloc[b])
            clean = fit_rows.borderline != "b"
            ap = average_precision_score(fit_rows.label[clean], oof[clean])
            if best is None or ap > best[0]:
                best = (ap, param, choose_threshold(fit_rows.label[clean].to_numpy(), oof[clean].to_numpy()))
        _, param, threshold = best
        train_rows = fit_rows if borderline else fit_rows[fit_rows.borderline != "b"]
        held = held[held.borderline != "b"].copy()
        held["score"] = fit_score(model, param, pd.concat([train_rows, extra]), held)
        held["threshold"], held["param"] = threshold, param
        out.append(held)
    return pd.concat(out)


def figures(rows: pd.DataFrame) -> dict:
    # Each outer fold has its own threshold: predictions are made per fold, pooled for the figures.
    predicted = (rows.score >= rows.threshold).to_numpy()
    tp = int((predicted & (rows.label == 1)).sum())
    precision = tp / max(predicted.sum(), 1)
    recall = tp / max((rows.label == 1).sum(), 1)
    f1 = 2 * precision * recall / max(precision + recall, 1e-9)
    return {"f1": f1, "precision": precision, "recall": recall, "pr_auc": average_precision_score(rows.label, rows.score)}


def speed(model: str, param: float, train: pd.DataFrame, texts: list[str]) -> float:
    pipeline = build(model, param).fit(train.text.tolist(), train.label.to_numpy())  # speed: weights don't matter
    start = time.perf_counter()
    for i in range(0, len(texts), 5000):
        scores(pipeline, texts[i:i + 5000])
    return len(texts) / (time.perf_counter() - start)


def main() -> None:
    quick = "--quick" in sys.argv
    real = load_real().frame
    real = real[real.group.map(split_of) == "train"].assign(weight=1.0).reset_index(drop=True)
    written = load_dataset(DEFAULT_DATASET)
    replay = (written.text.tolist() * 20)[:20_000]  # speed on short posts like the replay's
    print(f"real training part: {len(real)} rows ({(real.borderline != 'b').sum()} non-borderline, "
          f"{real.group.nunique()} groups); written rows available for training: {len(written)}\n")
    runs = [(m, "real, borderline in training") for m in MODELS]
    runs += [(SHIPPED, d) for d in DATA if d != "real, borderline in training"]
    if "--only" in sys.argv:
        wanted = sys.argv[sys.argv.index("--only") + 1]
        runs = [(m, d) for m, d in runs if wanted in m]
    if quick:
        runs = runs[:2]
    header = f"{'model':70} {'training data':40} {'F1':>5} {'P':>5} {'R':>5} {'PR-AUC':>6} | {'en F1':>5} {'other F1':>8} {'other P':>7} {'other R':>7} | params   posts/s"
    print(header)
    for model, data in runs:
        borderline, written_weight = DATA[data]
        start = time.perf_counter()
        rows = nested(model, real, written, borderline, written_weight)
        f, en, other = figures(rows), figures(rows[rows.lang == "en"]), figures(rows[rows.lang != "en"])
        params = ",".join(str(p) for p in rows.param.unique())
        rate = speed(model, rows.param.mode()[0], real, replay)
        print(f"{model:70} {data:40} {f['f1']:5.3f} {f['precision']:5.3f} {f['recall']:5.3f} {f['pr_auc']:6.3f} | "
              f"{en['f1']:5.3f} {other['f1']:8.3f} {other['precision']:7.3f} {other['recall']:7.3f} | {params:8} {rate:7,.0f}"
              f"  ({time.perf_counter() - start:.0f} s)", flush=True)


if __name__ == "__main__":
    main()
