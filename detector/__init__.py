"""Detector stage: per-service count series in, incident events out.

See :mod:`detector.changepoint` for the statistic (count CUSUM, Page 1954 / Lucas 1985, with a
negative binomial likelihood), :mod:`detector.baseline` for the seasonal rate, :mod:`detector.nab`
for NAB's scoring rules. Benchmarks: benchmarks/detector_replay.py, detector_nab.py,
detector_throughput.py.
"""
from outage_signal.detector.changepoint import DetectorError, DetectorParams, ServiceDetector, detect_offline
from outage_signal.detector.incidents import IncidentEvent, component_only, link_official
from outage_signal.detector.series import PROFILES as SERIES_PROFILES, detect_series, read_series_csv, series_events

__all__ = [
    "DetectorError",
    "DetectorParams",
    "SERIES_PROFILES",
    "IncidentEvent",
    "ServiceDetector",
    "detect_offline",
    "detect_series",
    "component_only",
    "link_official",
    "read_series_csv",
    "series_events",
]
