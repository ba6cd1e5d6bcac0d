"""Score the detector's generic series mode on NAB realTweets exactly as NAB scores it.

Prints per-file and overall normalised scores for the three NAB profiles at the default
sensitivity (no tuning), then the score with the sensitivity tuned on all ten files (NAB's own
practice: it optimises each detector's threshold over the corpus) and, honestly, the
leave-one-file-out score: for each file the sensitivity is tuned on the other nine.

    python benchmarks/detector_nab.py [--data ../shared/data/nab]
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from detector import detect_series, read_series_csv
from detector.nab import PROFILES, FileScore, load_windows, normalised, score_file

SENSITIVITIES = [0.35, 0.5, 0.7, 1.0, 1.4, 2.0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    default_data = Path(__file__).resolve().parents[2] / "shared" / "data" / "nab"
    parser.add_argument("--data", type=Path, default=default_data)
    args = parser.parse_args()
    files = sorted((args.data / "realTweets").glob("*.csv"))
    labels = args.data / "labels" / "combined_windows.json"

    # scores[sensitivity][file][profile]
    scores: dict[float, dict[str, dict[str, FileScore]]] = {}
    series = {}
    for path in files:
        stamps, values = read_series_csv(path)
        series[path.name] = ([t.strftime("%Y-%m-%d %H:%M:%S") for t in stamps], values, stamps)
    for s in SENSITIVITIES:
        scores[s] = {}
        for name, (rows, values, stamps) in series.items():
            alarms = [t.strftime("%Y-%m-%d %H:%M:%S") for t in detect_series(values, stamps, sensitivity=s)]
            windows = load_windows(labels, f"realTweets/{name}")
            scores[s][name] = {p: score_file(rows, alarms, windows, p) for p in PROFILES}

    default = 1.0
    print(f"NAB realTweets, default sensitivity {default} (untuned)")
    print(f"{'file':32} {'TP':>3} {'FP':>3} {'FN':>3} " + " ".join(f"{p:>18}" for p in PROFILES))
    for name in series:
        st = scores[default][name]["standard"]
        per_file = " ".join(f"{normalised([scores[default][name][p]]):18.1f}" for p in PROFILES)
        print(f"{name:32} {st.true_positives:3d} {st.false_positives:3d} {st.missed_windows:3d} {per_file}")
    overall = " ".join(f"{normalised(scores[default][n][p] for n in series):18.1f}" for p in PROFILES)
    print(f"{'OVERALL (10 files)':44} {overall}")

    print("\nsensitivity sweep (overall normalised score):")
    for s in SENSITIVITIES:
        print(f"  {s:5.2f} " + " ".join(f"{p}={normalised(scores[s][n][p] for n in series):.1f}" for p in PROFILES))

    for p in PROFILES:
        best = max(SENSITIVITIES, key=lambda s: normalised(scores[s][n][p] for n in series))
        tuned = normalised(scores[best][n][p] for n in series)
        held_out = []
        for name in series:
            others = [n for n in series if n != name]
            pick = max(SENSITIVITIES, key=lambda s: normalised(scores[s][n][p] for n in others))
            held_out.append(scores[pick][name][p])
        print(f"{p:20} tuned on all files (sensitivity {best}): {tuned:.1f}   "
              f"leave-one-file-out: {normalised(held_out):.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
