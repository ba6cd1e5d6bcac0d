"""Classifier figures: held-out quality, throughput on one core, model load time, peak memory.

    python benchmarks/classifier_speed_quality.py

Targets (issue 4): F1 >= 0.90 and precision >= 0.92 on the held-out split; >= 20,000 posts/s on one
core; model load < 1 s; peak memory < 300 MB.
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
    matcher = ServiceMatcher(load_config().aliases())
    start = time.perf_counter()
    for i in range(0, len(texts), 5000):  # in chunks, as the pipeline classifies
        model.predict_proba(texts[i:i + 5000])
    classify_seconds = time.perf_counter() - start
    start = time.perf_counter()
    for text in texts:
        matcher.match(text)
    match_seconds = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # before the evaluation's pandas work

    report = evaluate(DEFAULT_MODEL, aliases=load_config().aliases())
    overall = report["overall"]

    print(f"held-out split ({overall['rows']} posts, groups never seen in training):")
    print(f"  precision {overall['precision']}  recall {overall['recall']}  F1 {overall['f1']}  PR-AUC {overall['pr_auc']}")
    print(f"  service attribution accuracy {report['service_attribution_accuracy']}")
    print(f"model load            {load_seconds:.2f} s")
    print(f"classify (1 core)     {len(texts) / classify_seconds:,.0f} posts/s  ({len(texts):,} replay posts)")
    print(f"service matching      {len(texts) / match_seconds:,.0f} posts/s")
    print(f"classify + match      {len(texts) / (classify_seconds + match_seconds):,.0f} posts/s")
    print(f"peak memory           {peak_mb:.0f} MB (process with the model and 50,000 posts loaded and classified)")


if __name__ == "__main__":
    main()
