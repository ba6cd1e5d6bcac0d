"""The Numenta Anomaly Benchmark's scoring rules (Lavin & Ahmad 2015, "Evaluating real-time anomaly
detection algorithms - the Numenta Anomaly Benchmark"), reimplemented for binary alarms.

Per file: the first 15% of rows (at most 750) are probationary and not scored. Each labelled window
starts at ``-fn``; the earliest alarm inside it scores ``tp * S(p) / S(-1)`` where ``S(p) =
2 * sigmoid(-5 p) - 1`` and ``p = -(right - i + 1) / width`` is the alarm's relative position (only
the earliest counts, as it scores highest). An alarm outside every window adds ``fp * S(q)``: ``q =
|i - previous_right| / (previous_width - 1)`` after a window, ``S = -1`` before the first one or
when ``q >= 3``. A corpus is normalised as ``100 * (raw - null) / (perfect - null)`` with the sums
over its files of the null detector's score (``-fn`` per window) and the perfect one's (``tp``
per window).
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

PROFILES = {
    "standard": {"tp": 1.0, "fp": 0.11, "fn": 1.0},
    "reward_low_FP_rate": {"tp": 1.0, "fp": 0.22, "fn": 1.0},
    "reward_low_FN_rate": {"tp": 1.0, "fp": 0.11, "fn": 2.0},
}


def scaled_sigmoid(position: float) -> float:
    """NAB's reward for an alarm at a relative position (-1 = window start, 0 = window end).

    >>> round(scaled_sigmoid(-1.0), 5), scaled_sigmoid(0.0), scaled_sigmoid(3.0)
    (0.98661, 0.0, -1.0)
    """
    if position >= 3.0:
        return -1.0
    return 2.0 / (1.0 + math.exp(5.0 * position)) - 1.0


@dataclass(frozen=True)
class FileScore:
    raw: float
    null: float
    perfect: float
    true_positives: int
    false_positives: int
    missed_windows: int


def score_file(
    timestamps: Sequence[str],
    alarms: Iterable[str],
    windows: Sequence[tuple[str, str]],
    profile: str = "standard",
) -> FileScore:
    """Score binary alarms on one file. Timestamps, alarms and window limits are strings of the
    same format as the data file's timestamps (window limits must be row timestamps).

    >>> rows = [str(i) for i in range(20)]         # probation = floor(0.15 * 20) = 3 rows
    >>> score_file(rows, ["10"], [("10", "13")]).raw  # alarm at a window's first row: +tp
    1.0
    >>> round(score_file(rows, ["5"], [("10", "13")]).raw, 2)   # FP before any window, missed
    -1.11
    """
    weights = PROFILES[profile]
    index = {t: i for i, t in enumerate(timestamps)}
    probation = min(math.floor(0.15 * len(timestamps)), 0.15 * 5000)
    spans = sorted((index[s], index[e]) for s, e in windows)
    alarm_rows = sorted({index[a] for a in alarms if a in index})
    max_tp = scaled_sigmoid(-1.0)

    window_scores = {k: -weights["fn"] for k, (s, e) in enumerate(spans) if e >= probation}
    fp_total = 0.0
    fps = 0
    for i in alarm_rows:
        if i < probation:
            continue
        inside = [k for k, (s, e) in enumerate(spans) if s <= i <= e]
        if inside:
            k = inside[0]
            s, e = spans[k]
            if k not in window_scores:
                continue
            reward = scaled_sigmoid(-(e - i + 1) / (e - s + 1)) * weights["tp"] / max_tp
            window_scores[k] = max(window_scores[k], reward)
        else:
            before = [(s, e) for s, e in spans if e < i]
            if before:
                s, e = before[-1]
                position = abs(e - i) / ((e - s + 1) - 1)
                fp_total += scaled_sigmoid(position) * weights["fp"]
            else:
                fp_total += -1.0 * weights["fp"]
            fps += 1
    hits = sum(1 for v in window_scores.values() if v > -weights["fn"])
    n = len(window_scores)
    return FileScore(
        raw=sum(window_scores.values()) + fp_total,
        null=-weights["fn"] * n,
        perfect=weights["tp"] * n,
        true_positives=hits,
        false_positives=fps,
        missed_windows=n - hits,
    )


def normalised(scores: Iterable[FileScore]) -> float:
    """NAB's normalised score of a set of files: 100 * (raw - null) / (perfect - null), summed.

    >>> normalised([FileScore(0.0, -2.0, 2.0, 1, 0, 1)])
    50.0
    """
    scores = list(scores)
    raw = sum(s.raw for s in scores)
    null = sum(s.null for s in scores)
    perfect = sum(s.perfect for s in scores)
    return 100.0 * (raw - null) / (perfect - null)


def load_windows(labels_path: str | Path, key: str) -> list[tuple[str, str]]:
    """Windows of one file from NAB's ``combined_windows.json``, as row-format timestamp strings."""
    data = json.loads(Path(labels_path).read_text())
    return [(s.split(".")[0], e.split(".")[0]) for s, e in data[key]]
