"""How consistent are the real posts' labels? A second, blind labeling of test rows against the first.

    python benchmarks/label_agreement.py

``datasets/real/audit/blind-relabel-test-300.tsv`` holds 300 rows drawn at random from the real test
split (seed 26, borderline rows included), labeled a second time by a reader who saw only each text and
LABELING.md's rules: not the first label, not the source, not the model's answer. The first labelers read
whole threads and pages, so the second label is what the text alone supports, which is all the classifier
sees. Prints Cohen's kappa and the F1 of one labeling against the other (what a perfect copy of the
second labeler would score on the first labels), by whether either side marked the row borderline, and
the shipped model's F1 on the same rows against each labeling. Rows of the audit file are never trained
on (they sit outside ``datasets/real/batches``).
"""

import pandas as pd
from sklearn.metrics import cohen_kappa_score, f1_score

from outage_signal.classifier import DEFAULT_MODEL, ComplaintClassifier
from outage_signal.classifier.dataset import DEFAULT_REAL, load_real, read_labeled

AUDIT = DEFAULT_REAL.parent / "audit" / "blind-relabel-test-300.tsv"


def agreement(rows: pd.DataFrame) -> str:
    first, second = rows.label_first, rows.label_second
    return (f"{len(rows):3} rows, complaints {first.sum():3} / {second.sum():3}, kappa {cohen_kappa_score(first, second):.3f}, "
            f"F1 of the second labeling against the first {f1_score(first, second):.3f}")


def main() -> None:
    second = read_labeled(AUDIT).frame[["source", "text", "label", "borderline"]]
    first = load_real().frame[["source", "text", "label", "borderline", "lang"]]
    rows = second.merge(first, on=["source", "text"], suffixes=("_second", "_first"), validate="one_to_one")
    assert len(rows) == len(second), "every audited row must be a row of datasets/real/batches"
    neither = (rows.borderline_first != "b") & (rows.borderline_second != "b")
    print("labels, first against second (blind, text only):")
    for name, part in [("all", rows), ("first not borderline", rows[rows.borderline_first != "b"]),
                       ("neither borderline", rows[neither]),
                       ("English, first not borderline", rows[(rows.lang == "en") & (rows.borderline_first != "b")]),
                       ("other languages, first not borderline", rows[(rows.lang != "en") & (rows.borderline_first != "b")])]:
        print(f"  {name:40} {agreement(part)}")
    model = ComplaintClassifier.load(DEFAULT_MODEL)
    scored = rows[rows.borderline_first != "b"]
    predicted = model.predict(scored.text)
    print(f"model {model.version} on the {len(scored)} rows that count in its figures (not borderline in the first labeling): "
          f"F1 {f1_score(scored.label_first, predicted):.3f} against the first labels, "
          f"{f1_score(scored.label_second, predicted):.3f} against the second")


if __name__ == "__main__":
    main()
