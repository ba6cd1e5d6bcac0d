"""Classifier figures: held-out quality, throughput on one core, model load time, peak memory.

    python benchmarks/classifier_speed_quality.py

Targets (issue 19): on the real posts' test split (threads never seen in training, borderline rows left
out) F1 >= 0.85 with precision >= 0.85; >= 20,000 posts/s on one core; model load < 1 s; peak memory
< 300 MB. Also prints the written posts' test split, the calibration (Brier score and a reliability
table: mean predicted probability against the observed complaint share) and service attribution.
"""
import os
import resource
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")  # one core
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from outage_signal.classifier import DEFAULT_MODEL, ComplaintClassifier, ServiceMatcher, evaluate  # noqa: E402
from outage_signal.config import DEFAULT_REPLAY, load_config  # noqa: E402


def main() -> None:
    start = time.perf_counter()
    model = ComplaintClassifier.load(DEFAULT_MODEL)
    load_seconds = time.perf_counter() - start

    import io
    import json

    import zstandard
    with open(DEFAULT_REPLAY / "posts.jsonl.zst", "rb") as raw:
        texts = [json.loads(line)["text"] for line in io.TextIOWrapper(zstandard.ZstdDecompressor().stream_reader(raw))]
    texts = texts[:50_000]
    matcher = ServiceMatcher(**load_config().matcher_names())
    start = time.perf_counter()
    for i in range(0, len(texts), 5000):  # in chunks, as the pipeline classifies
        model.predict_proba(texts[i:i + 5000])
    classify_seconds = time.perf_counter() - start
    start = time.perf_counter()  # the same, through scikit-learn's own transform (the same probabilities)
    for i in range(0, len(texts), 5000):
        model.pipeline_.predict_proba(texts[i:i + 5000])
    pipeline_seconds = time.perf_counter() - start
    start = time.perf_counter()
    for text in texts:
        matcher.match(text)
    match_seconds = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # before the evaluation's pandas work

    report = evaluate(DEFAULT_MODEL, names=load_config().matcher_names())
    real, written = report["real"], report["written"]["overall"]
    overall = real["overall"]

    print(f"real posts, test split ({overall['rows']} posts, threads never seen in training, borderline left out):")
    print(f"  precision {overall['precision']}  recall {overall['recall']}  F1 {overall['f1']}  PR-AUC {overall['pr_auc']}"
          f"  Brier {overall['brier']}")
    for lang, m in [*real["english_and_other"].items(), *sorted(real["per_language"].items(), key=lambda item: -item[1]["rows"])]:
        print(f"  {lang:15} precision {m['precision']:.3f}  recall {m['recall']:.3f}  F1 {m['f1']:.3f}  ({m['rows']} posts)")
    print("  reliability: " + "; ".join(f"{b['bin']}: predicted {b['predicted']:.2f}, observed {b['observed']:.2f} "
                                        f"({b['rows']})" for b in real["reliability"]))
    b = real["borderline"]
    print(f"  borderline posts ({b['rows']}): precision {b['precision']}  recall {b['recall']}")
    print(f"written posts, test split ({written['rows']} posts): precision {written['precision']}  "
          f"recall {written['recall']}  F1 {written['f1']}  PR-AUC {written['pr_auc']}")
    a = report["service_attribution"]
    print(f"service attribution (real complaints naming a catalog service, {a['complaints_naming_a_catalog_service']}): "
          f"{a['accuracy']}")
    print(f"model load            {load_seconds:.2f} s")
    print(f"classify (1 core)     {len(texts) / classify_seconds:,.0f} posts/s  ({len(texts):,} replay posts)")
    print(f"  the same through scikit-learn's own transform: {len(texts) / pipeline_seconds:,.0f} posts/s")
    print(f"service matching      {len(texts) / match_seconds:,.0f} posts/s")
    print(f"classify + match      {len(texts) / (classify_seconds + match_seconds):,.0f} posts/s")
    print(f"peak memory           {peak_mb:.0f} MB (process with the model and 50,000 posts loaded and classified)")


if __name__ == "__main__":
    main()
