"""The detector's alarms, pinned: speed-ups of the hot path must not change a single event.

EXPECTED was written by running the detector as it was before the throughput work of issue 15
(commit 8ddd657, ``python tests/detector/test_detector_golden.py`` prints the table), on the
first tune-part scenario of every family (7 days) and a sparse Poisson week (the llr's Poisson
form), under three settings: the minute-counts profile on a bare count series (what
``detect-series`` runs), the same with distinct authors and chatter (the hype factor varies minute
by minute), and the service defaults.
"""
from __future__ import annotations

import pprint
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from outage_signal.detector import DetectorParams, ServiceDetector
from outage_signal.detector.scenarios import FAMILIES, START, scenario
from outage_signal.detector.series import MINUTE_COUNT_PARAMS

# The settings as they were then: quiet_peak_fraction, then the wander's youth discount (with wander_z
# 3.75 for 3), then threshold 13 for 12 with a surge floor of 25 an hour for 40, and the hype factor
# over a window of chatter (hype_window 5 for 1), and the wander learnt from the warm-up's second half
# (wander_after_hours 12 for 24), and the onset test (onset_ratio 2.5 for 0), and the calm hour's
# threshold (calm_threshold 10 for 0) came after and change alarms on purpose.
# test_detector.py checks the two paths agree under the settings of now.
_MINUTE_COUNTS_THEN = replace(MINUTE_COUNT_PARAMS, quiet_peak_fraction=0.0, wander_z=3.0, wander_youth_days=0.0,
                              threshold=12.0, min_surge_per_hour=40.0, hype_window=1,
                              wander_after_hours=24, onset_ratio=0.0, calm_threshold=0.0)
SETTINGS = {"minute-counts": (_MINUTE_COUNTS_THEN, True), "minute-counts+chatter": (_MINUTE_COUNTS_THEN, False),
            "service": (DetectorParams(hype_window=1, wander_after_hours=24), False)}


def _poisson_week() -> tuple[pd.DatetimeIndex, np.ndarray, np.ndarray]:
    """A week of Poisson complaints (0.3 a minute, a 5x outage of 30 minutes on day 5)
    and chatter: the learnt over-dispersion is 0, the llr's Poisson form."""
    rng = np.random.default_rng(15)
    minutes = pd.date_range(START, periods=7 * 1440, freq="min")
    usual = np.full(len(minutes), 0.3)  # flat and sparse: the over-dispersion learnt is mostly 0
    rate = usual.copy()
    rate[5 * 1440 + 600:5 * 1440 + 630] *= 5.0
    complaints = rng.poisson(rate)
    return minutes, complaints, complaints + rng.poisson(3 * usual)


def _events(family: str, setting: str, per_step: bool = False) -> tuple[list[tuple], float]:
    """Each event as (kind, minute, start minute, complaints, score), and the final llr sum."""
    params, bare = SETTINGS[setting]
    if family == "poisson":
        minutes, complaints, mentions = _poisson_week()
        authors = complaints
    else:
        s = scenario(family, "tune", 0, days=7)
        minutes, complaints = s.minutes, s.complaints
        authors, mentions = (s.complaints, s.complaints) if bare else (s.authors, s.mentions)
    if bare:
        mentions = complaints
    det = ServiceDetector("s", params=params)
    if per_step:
        events = []
        for t, c, a, m in zip(minutes.to_pydatetime(), complaints.tolist(), authors.tolist(), mentions.tolist()):
            events += det.update(t, c, a, m)
    else:
        events = det.update_many(minutes, complaints, authors, mentions)
    minute = lambda moment: int((moment - START).total_seconds() // 60)  # noqa: E731
    return [(e.kind, minute(e.at), minute(e.started_at), e.complaints, e.score) for e in events], det.llr_sum


EXPECTED: dict[tuple[str, str], tuple[list[tuple], float]] = \
{('blips', 'minute-counts'): ([], -60325.19140625),
 ('blips', 'minute-counts+chatter'): ([], -58936.25390625),
 ('blips', 'service'): ([], -60652.234375),
 ('bots', 'minute-counts'): ([('opened', 4050, 4046, 13, 14.41015625), ('resolved', 4089, 4046, 17, 0.0),
                              ('opened', 4844, 4837, 15, 12.30078125), ('resolved', 4895, 4837, 41, 22.4609375),
                              ('opened', 5604, 5580, 17, 14.28125), ('resolved', 5672, 5580, 34, 0.0),
                              ('opened', 6051, 6048, 15, 12.015625), ('resolved', 6100, 6048, 41, 12.34765625),
                              ('opened', 7281, 7276, 14, 14.37109375), ('resolved', 7322, 7276, 18, 0.0),
                              ('opened', 9223, 9219, 16, 11.35546875), ('resolved', 9266, 9219, 27, 0.0)],
                             -5674.14453125),
 ('bots', 'minute-counts+chatter'): ([('opened', 4846, 4837, 19, 12.140625), ('resolved', 4894, 4837, 41, 10.86328125),
                                      ('opened', 6054, 6048, 22, 12.796875), ('resolved', 6096, 6048, 41, 0.0),
                                      ('opened', 7282, 7276, 16, 12.41796875), ('resolved', 7316, 7276, 18, 0.0),
                                      ('opened', 9225, 9219, 21, 14.125), ('resolved', 9262, 9219, 27, 0.0)],
                                     -6194.71484375),
 ('bots', 'service'): ([('opened', 4847, 4837, 22, 17.16796875), ('resolved', 4894, 4837, 41, 14.26171875),
                        ('opened', 6055, 6048, 24, 15.28125), ('resolved', 6096, 6048, 41, 1.1484375),
                        ('opened', 9225, 9219, 21, 15.32421875), ('resolved', 9262, 9219, 27, 0.0)],
                       -7085.375),
 ('hype', 'minute-counts'): ([('opened', 4326, 4320, 370, 12.74609375), ('resolved', 4417, 4320, 2951, 0.0),
                              ('opened', 5010, 5000, 559, 12.55078125), ('escalated', 5067, 5000, 4621, 136.78125),
                              ('resolved', 5504, 5000, 32170, 0.0), ('opened', 8077, 8069, 660, 12.93359375),
                              ('resolved', 8132, 8069, 2294, 0.0)],
                             -63956.81640625),
 ('hype', 'minute-counts+chatter'): ([], -125788.140625),
 ('hype', 'service'): ([], -122454.39453125),
 ('long', 'minute-counts'): ([('opened', 4234, 4225, 106, 14.78125), ('escalated', 4260, 4225, 631, 88.80859375),
                              ('resolved', 4434, 4225, 4932, 367.265625), ('opened', 5484, 5482, 227, 9.01171875),
                              ('resolved', 5707, 5482, 16466, 425.55078125), ('opened', 6405, 6401, 54, 12.33984375),
                              ('escalated', 6417, 6401, 283, 47.45703125),
                              ('escalated', 6437, 6401, 1176, 107.53515625), ('resolved', 6629, 6401, 12748, 398.21875),
                              ('opened', 6701, 6698, 144, 12.015625), ('resolved', 7215, 6698, 13378, 612.32421875),
                              ('opened', 7320, 7306, 186, 12.80078125), ('resolved', 7507, 7306, 1794, 0.0)],
                             -25860.18359375),
 ('long', 'minute-counts+chatter'): ([('opened', 4234, 4230, 64, 12.48828125),
                                      ('escalated', 4260, 4230, 589, 84.77734375),
                                      ('resolved', 4433, 4230, 4885, 323.546875),
                                      ('opened', 5484, 5482, 227, 9.01171875),
                                      ('resolved', 5706, 5482, 16460, 380.76953125),
                                      ('opened', 6406, 6401, 65, 13.2578125),
                                      ('escalated', 6417, 6401, 283, 45.1484375),
                                      ('escalated', 6437, 6401, 1176, 105.2265625),
                                      ('resolved', 6623, 6401, 12722, 360.13671875),
                                      ('opened', 6701, 6698, 144, 12.015625),
                                      ('resolved', 6916, 6698, 6337, 406.92578125),
                                      ('opened', 7001, 6998, 136, 12.015625),
                                      ('resolved', 7221, 6998, 6727, 382.08203125),
                                      ('opened', 7308, 7300, 100, 10.08203125),
                                      ('resolved', 7512, 7300, 1859, 89.73828125)],
                                     -29144.9609375),
 ('long', 'service'): ([('opened', 4237, 4230, 100, 14.8359375), ('escalated', 4260, 4230, 589, 113.3671875),
                        ('resolved', 4433, 4230, 4885, 538.50390625), ('opened', 5484, 5482, 227, 14.00390625),
                        ('resolved', 5706, 5482, 16460, 662.1328125), ('opened', 6406, 6401, 65, 17.02734375),
                        ('escalated', 6417, 6401, 283, 64.578125), ('escalated', 6437, 6401, 1176, 157.9375),
                        ('resolved', 6623, 6401, 12722, 621.96875), ('opened', 6700, 6698, 94, 14.00390625),
                        ('resolved', 6916, 6698, 6337, 681.375), ('opened', 7000, 6998, 99, 14.00390625),
                        ('resolved', 7221, 6998, 6727, 662.9375), ('opened', 7310, 7300, 127, 14.6484375),
                        ('resolved', 7512, 7300, 1859, 107.484375)],
                       -32547.73828125),
 ('poisson', 'minute-counts'): ([('opened', 7812, 7798, 22, 14.0390625), ('resolved', 7884, 7798, 68, 18.98046875)],
                                -2689.1875),
 ('poisson', 'minute-counts+chatter'): ([('opened', 7812, 7798, 22, 13.33203125),
                                         ('resolved', 7884, 7798, 68, 15.19921875)],
                                        -3212.85546875),
 ('poisson', 'service'): ([('opened', 7812, 7798, 22, 15.71484375), ('resolved', 7884, 7798, 68, 21.13671875)],
                          -3237.40625),
 ('quiet', 'minute-counts'): ([], -15306.01953125),
 ('quiet', 'minute-counts+chatter'): ([], -10059.2421875),
 ('quiet', 'service'): ([], -10973.609375),
 ('ramping', 'minute-counts'): ([('opened', 4256, 4252, 31, 11.30859375), ('resolved', 4530, 4252, 485, 0.0),
                                 ('opened', 5370, 5364, 59, 9.3125), ('escalated', 5380, 5364, 235, 39.3515625),
                                 ('resolved', 5460, 5364, 1272, 0.0), ('opened', 5552, 5548, 33, 6.51171875),
                                 ('escalated', 5596, 5548, 485, 115.61328125), ('resolved', 6084, 5548, 1452, 0.0)],
                                -34631.47265625),
 ('ramping', 'minute-counts+chatter'): ([('opened', 4256, 4242, 66, 12.76953125), ('resolved', 4435, 4242, 446, 0.0),
                                         ('opened', 5371, 5368, 44, 5.74609375),
                                         ('escalated', 5380, 5368, 211, 32.78125), ('resolved', 5460, 5368, 1248, 0.0),
                                         ('opened', 5553, 5550, 33, 5.9296875),
                                         ('escalated', 5596, 5550, 475, 70.71484375),
                                         ('resolved', 5670, 5550, 796, 0.0)],
                                        -37704.46875),
 ('ramping', 'service'): ([('opened', 4254, 4242, 55, 15.00390625), ('resolved', 4435, 4242, 446, 0.0),
                           ('opened', 5373, 5368, 72, 14.6328125), ('escalated', 5390, 5368, 475, 92.0546875),
                           ('resolved', 5460, 5368, 1248, 0.0), ('opened', 5559, 5548, 89, 17.4921875),
                           ('resolved', 5657, 5548, 779, 0.0)],
                          -38054.73046875),
 ('repeat', 'minute-counts'): ([('opened', 2365, 2348, 187, 12.203125), ('resolved', 2470, 2348, 998, 0.0),
                                ('opened', 4052, 4050, 758, 9.01171875), ('resolved', 4161, 4050, 17943, 0.0),
                                ('opened', 5443, 5440, 148, 12.015625), ('resolved', 5668, 5440, 4555, 0.0)],
                               -29080.27734375),
 ('repeat', 'minute-counts+chatter'): ([('opened', 4052, 4050, 758, 9.01171875),
                                        ('resolved', 4159, 4050, 17927, 0.36328125),
                                        ('opened', 5444, 5441, 152, 12.015625), ('resolved', 5575, 5441, 3734, 0.0)],
                                       -38779.83203125),
 ('repeat', 'service'): ([('opened', 4052, 4050, 758, 14.00390625), ('resolved', 4159, 4050, 17927, 67.73828125),
                          ('opened', 5443, 5441, 118, 14.00390625), ('resolved', 5575, 5441, 3734, 78.48046875)],
                         -37960.8984375),
 ('short', 'minute-counts'): ([('opened', 4596, 4591, 15, 14.0078125), ('resolved', 4645, 4591, 49, 0.0)],
                              -15447.640625),
 ('short', 'minute-counts+chatter'): ([('opened', 4596, 4591, 15, 13.69140625), ('resolved', 4645, 4591, 49, 12.5625)],
                                      -12892.75390625),
 ('short', 'service'): ([('opened', 4596, 4591, 15, 16.73828125), ('resolved', 4645, 4591, 49, 23.4296875)],
                        -14086.1171875),
 ('slow_growth', 'minute-counts'): ([], -28959.48046875),
 ('slow_growth', 'minute-counts+chatter'): ([], -24156.87890625),
 ('slow_growth', 'service'): ([], -20561.36328125),
 ('sudden', 'minute-counts'): ([('opened', 2170, 2160, 231, 12.95703125), ('resolved', 2418, 2160, 3902, 0.0),
                                ('opened', 2527, 2521, 188, 13.62890625), ('escalated', 2657, 2521, 4283, 257.29296875),
                                ('resolved', 2796, 2521, 7905, 359.31640625), ('opened', 3067, 3063, 201, 14.7265625),
                                ('resolved', 3123, 3063, 1166, 0.0), ('opened', 3389, 3385, 86, 2.875),
                                ('resolved', 3451, 3385, 432, 0.0), ('opened', 3571, 3569, 232, 9.01171875),
                                ('escalated', 3614, 3569, 7344, 138.1796875),
                                ('resolved', 3941, 3569, 30617, 179.9609375), ('opened', 5111, 5102, 392, 11.93359375),
                                ('resolved', 5293, 5102, 3755, 0.0), ('opened', 5646, 5640, 220, 10.85546875),
                                ('resolved', 5738, 5640, 1497, 0.0), ('opened', 6127, 6126, 50, 6.0078125),
                                ('resolved', 6271, 6126, 2015, 0.0), ('opened', 6679, 6672, 258, 9.13671875),
                                ('resolved', 6812, 6672, 2532, 0.0), ('opened', 7023, 7020, 314, 12.015625),
                                ('resolved', 7169, 7020, 3754, 0.0), ('opened', 9614, 9611, 79, 1.5078125),
                                ('resolved', 9758, 9611, 1379, 0.0)],
                               -34124.87890625),
 ('sudden', 'minute-counts+chatter'): ([('opened', 3068, 3064, 223, 12.5625), ('resolved', 3120, 3064, 1136, 0.0),
                                        ('opened', 3572, 3569, 342, 12.015625),
                                        ('escalated', 3614, 3569, 7344, 138.1796875),
                                        ('resolved', 3715, 3569, 25159, 0.0)],
                                       -72567.8046875),
 ('sudden', 'service'): ([('opened', 3067, 3064, 178, 14.54296875), ('resolved', 3120, 3064, 1136, 0.0),
                          ('opened', 3571, 3569, 232, 14.00390625), ('escalated', 3614, 3569, 7344, 214.7265625),
                          ('resolved', 3715, 3569, 25159, 132.40625)],
                         -63911.40234375)}


CASES = (*FAMILIES, "poisson")


@pytest.mark.parametrize("family", CASES)
def test_batch_events_are_those_of_the_detector_before_the_speedups(family):
    for setting in SETTINGS:
        assert _events(family, setting) == EXPECTED[family, setting], setting


@pytest.mark.parametrize("family", ["sudden", "bots", "hype", "poisson"])
def test_per_step_events_are_those_of_the_detector_before_the_speedups(family):
    assert _events(family, "minute-counts+chatter", per_step=True) == EXPECTED[family, "minute-counts+chatter"]


if __name__ == "__main__":
    pprint.pprint({(f, s): _events(f, s) for f in CASES for s in SETTINGS}, width=120, compact=True)
