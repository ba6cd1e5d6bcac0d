"""The scenario suite's generator (detector/scenarios.py) and scorer (evaluation.score_alarms).

Each family is checked for the property that makes it what it is; the scorer on hand-made cases.
"""
from __future__ import annotations

import statistics

import numpy as np
import pandas as pd
import pytest

from outage_signal.detector import read_series_csv
from outage_signal.detector.scenarios import (
    DURATION_RANGE, FAMILIES, MULTIPLE_RANGE, OUTAGE_FAMILIES, RATE_RANGE, START, WARMUP_MINUTES, continuous_wander,
    drawn_start_hour, github_stats, nab_rhythm, scenario, suite,
)
from outage_signal.evaluation import SeriesScore, score_alarms

DAYS = 14


def _windows_mask(n: int, windows) -> np.ndarray:
    mask = np.zeros(n, dtype=bool)
    for start, end in windows:
        mask[start:end] = True
    return mask


@pytest.fixture(scope="module")
def scenarios() -> dict[str, list]:
    return {family: [scenario(family, "tune", i, DAYS) for i in range(6)] for family in FAMILIES}


def test_same_seed_same_scenario_and_parts_differ():
    a, b = scenario("repeat", "tune", 3, DAYS), scenario("repeat", "tune", 3, DAYS)
    for field in ("complaints", "authors", "mentions", "background", "surge"):
        assert np.array_equal(getattr(a, field), getattr(b, field))
    assert a.outages == b.outages and a.decoys == b.decoys
    assert not np.array_equal(a.complaints, scenario("repeat", "report", 3, DAYS).complaints)
    assert not np.array_equal(a.complaints, scenario("repeat", "tune", 4, DAYS).complaints)


def test_wander_scale_zero_leaves_the_weekly_rhythm_alone():
    week = 7 * 1440
    smooth = scenario("quiet", "tune", 2, DAYS, wander_scale=0.0)
    assert np.allclose(smooth.background[:week], smooth.background[week:2 * week])  # periodic: no wander
    wandering = scenario("quiet", "tune", 2, DAYS)
    assert not np.allclose(wandering.background[:week], wandering.background[week:2 * week])
    # the same draws otherwise: the smooth series is the wandering one without its hourly factor
    assert smooth.rhythm_file == wandering.rhythm_file and smooth.usual_rate == wandering.usual_rate
    with pytest.raises(ValueError, match="wander_scale"):
        scenario("quiet", "tune", 2, DAYS, wander_scale=-1.0)


def _hour_start_jump_ratio(background: np.ndarray) -> float:
    """How much larger the background's log-change is at an hour's first minute than at the others."""
    jumps = np.abs(np.diff(np.log(background)))
    at_hour_start = (np.arange(1, len(background)) % 60) == 0
    return float(jumps[at_hour_start].mean() / jumps[~at_hour_start].mean())


def test_continuous_wander_drifts_without_steps_at_the_hour():
    hourly = scenario("quiet", "tune", 2, DAYS)
    continuous = scenario("quiet", "tune", 2, DAYS, wander_shape="continuous")
    assert _hour_start_jump_ratio(hourly.background) > 20  # a new level each hour
    assert _hour_start_jump_ratio(continuous.background) < 1.5  # a level drifting minute by minute
    assert np.array_equal(continuous.complaints, scenario("quiet", "tune", 2, DAYS, wander_shape="continuous").complaints)
    smooth = scenario("quiet", "tune", 2, DAYS, wander_scale=0.0, wander_shape="continuous")
    week = 7 * 1440
    assert np.allclose(smooth.background[:week], smooth.background[week:2 * week])
    with pytest.raises(ValueError, match="wander_shape"):
        scenario("quiet", "tune", 2, DAYS, wander_shape="daily")


def test_a_later_start_hour_moves_the_rhythm_and_the_clock_not_the_draws():
    """A series that begins at noon on Wednesday (hour 60 of its week) is the one that begins on Monday,
    its weekly rhythm read 60 hours on: its first minutes carry the rhythm of Monday's series' hour 60,
    and its timestamps start there; outages and the wander are the same draws."""
    monday = scenario("sudden", "tune", 1, DAYS, wander_scale=0.0)
    wednesday = scenario("sudden", "tune", 1, DAYS, wander_scale=0.0, start_hour=60)
    assert wednesday.minutes[0] == monday.minutes[0] + pd.Timedelta(hours=60) == wednesday.start
    assert [(o.start, o.end) for o in wednesday.outages] == [(o.start, o.end) for o in monday.outages]
    shifted = 60 * 60
    rhythm = lambda s: s.background / s.usual_rate  # noqa: E731  (no wander: the weekly shape alone)
    assert np.allclose(rhythm(wednesday)[:1440], rhythm(monday)[shifted:shifted + 1440])
    assert not np.allclose(rhythm(wednesday)[:1440], rhythm(monday)[:1440])
    hours = [drawn_start_hour("sudden", "tune", i) for i in range(16)]
    assert all(0 <= h < 168 for h in hours) and len(set(hours)) > 8
    assert [s.start for s in suite("tune", 2, DAYS, ("quiet",), start_hour=None)] == \
        [START + pd.Timedelta(hours=drawn_start_hour("quiet", "tune", i)) for i in range(2)]
    with pytest.raises(ValueError, match="start_hour"):
        scenario("quiet", "tune", 2, DAYS, start_hour=168)


def test_ramp_scale_slows_the_ramping_outages_and_leaves_the_sudden_ones():
    base, slow = scenario("long", "tune", 0, DAYS), scenario("long", "tune", 0, DAYS, ramp_scale=2.0)
    assert [(o.start, o.end, o.multiple) for o in slow.outages] == [(o.start, o.end, o.multiple) for o in base.outages]
    ramps = [(o.ramp_minutes, p.ramp_minutes) for o, p in zip(base.outages, slow.outages)]
    assert any(r > 3 for r, _ in ramps) and any(r <= 3 for r, _ in ramps)  # the family has both kinds
    assert all(q == (r if r <= 3 else 2 * r) for r, q in ramps)
    # a ramp that doubles is half as high at each minute of its first half, the same once both are full
    o = next(o for o in base.outages if o.ramp_minutes > 3)
    assert np.allclose(slow.surge[o.start:o.start + o.ramp_minutes], base.surge[o.start:o.start + o.ramp_minutes] / 2)
    assert np.allclose(slow.surge[o.start + 2 * o.ramp_minutes:o.end], base.surge[o.start + 2 * o.ramp_minutes:o.end])
    ramping = scenario("ramping", "tune", 0, DAYS, ramp_scale=10.0)
    assert all(o.ramp_minutes == o.end - o.start for o in ramping.outages)  # never longer than the outage
    assert np.array_equal(scenario("long", "tune", 0, DAYS, ramp_scale=1.0).complaints, base.complaints)
    with pytest.raises(ValueError, match="ramp_scale"):
        scenario("quiet", "tune", 2, DAYS, ramp_scale=0.0)


def test_continuous_wander_keeps_the_hourly_statistics_it_was_fitted_to():
    """derive.py fits each file's minute-level wander so that its hours stray as the file's do; the
    generator draws it the same way (checked on a busy file, whose hours hold little counting noise)."""
    stats = nab_rhythm()["files"]["Twitter_volume_AAPL.csv"]
    wander = continuous_wander(np.random.default_rng(0), 60 * 24 * 7 * 8, stats["minute_log_sigma"], stats["minute_tau"])
    hours = np.log(wander.reshape(-1, 60).mean(axis=1))
    centred = hours - np.median(hours)
    assert abs(1.4826 * np.median(np.abs(centred)) - stats["hourly_log_sigma"]) < 0.05
    assert abs(np.corrcoef(centred[:-1], centred[1:])[0, 1] - stats["hourly_lag1"]) < 0.1


def test_suite_yields_every_family_per_part():
    names = [s.name for s in suite("report", per_family=2, days=4)]
    assert len(names) == 2 * len(FAMILIES) and len(set(names)) == len(names)


def test_every_scenario_is_well_formed(scenarios):
    for family, group in scenarios.items():
        for s in group:
            n = DAYS * 1440
            assert len(s.complaints) == len(s.authors) == len(s.mentions) == n
            assert (s.authors <= s.complaints).all() and (s.complaints <= s.mentions).all()
            assert s.complaints.min() >= 0
            for start, _ in [(o.start, o.end) for o in s.outages] + list(s.decoys):
                assert start >= WARMUP_MINUTES, (s.name, start)
            if family != "slow_growth":
                assert RATE_RANGE[0] <= s.usual_rate <= RATE_RANGE[1]


def test_truth_windows_are_exactly_the_injected_surges(scenarios):
    for family in OUTAGE_FAMILIES:
        complaints_in = background_in = 0.0
        for s in scenarios[family]:
            assert s.outages, s.name
            mask = _windows_mask(len(s.surge), [(o.start, o.end) for o in s.outages])
            assert np.array_equal(s.surge > 0, mask), s.name
            complaints_in += s.complaints[mask].sum()
            background_in += s.background[mask].sum()
            ends = [o.end for o in s.outages]
            starts = [o.start for o in s.outages]
            assert all(e < next_start for e, next_start in zip(ends, starts[1:])), "outages overlap"
            for o in s.outages:
                assert MULTIPLE_RANGE[0] <= o.multiple <= MULTIPLE_RANGE[1]
                assert DURATION_RANGE[0] <= o.end - o.start <= DURATION_RANGE[1]
        # At 3x-40x the usual rate, the windows hold far more complaints than the background alone.
        assert complaints_in > 2.0 * background_in, family


def test_outage_shapes_by_family(scenarios):
    for s in scenarios["short"]:
        assert {o.end - o.start for o in s.outages} == {15}
    for s in scenarios["long"]:
        assert {o.end - o.start for o in s.outages} == {180}
    for s in scenarios["sudden"]:
        for o in s.outages:
            # Full size within 1-3 minutes: the first minute already holds a third of the fourth's surge.
            assert o.ramp_minutes <= 3 and s.surge[o.start] >= 0.3 * s.surge[o.start + 3]
    for s in scenarios["ramping"]:
        for o in s.outages:
            duration = o.end - o.start
            assert 0.2 * duration <= o.ramp_minutes <= 0.55 * duration
            if o.ramp_minutes >= 10:
                assert s.surge[o.start] <= 0.3 * s.surge[o.start + o.ramp_minutes - 1]


def test_outage_durations_and_gaps_follow_github():
    stats = github_stats()
    durations, gaps = [], []
    for i in range(40):
        s = scenario("sudden", "tune", i, DAYS)
        durations += [o.end - o.start for o in s.outages]
        gaps += [(b.start - a.start) / 60 for a, b in zip(s.outages, s.outages[1:])]
    levels, quantiles = stats["quantile_levels"], stats["duration_minutes_quantiles"]
    # GitHub's median within 15-180 min, from its quantiles; the sample's within 20 % of it.
    low, high = (np.interp(d, quantiles, levels) for d in DURATION_RANGE)
    expected_median = np.interp((low + high) / 2, levels, quantiles)
    assert abs(statistics.median(durations) - expected_median) < 0.2 * expected_median
    github_median_gap = np.interp(0.5, levels, stats["gap_hours_quantiles"])
    assert 0.7 * github_median_gap < statistics.median(gaps) < 1.5 * github_median_gap


def test_repeat_outages_are_a_day_apart(scenarios):
    for s in scenarios["repeat"]:
        assert len(s.outages) >= 2
        apart = [(b.start - a.start) / 60 for a, b in zip(s.outages, s.outages[1:])]
        assert sum(23 <= h <= 25 for h in apart) >= len(s.outages) // 2, apart


def test_decoy_families_have_no_outage(scenarios):
    for family in ("blips", "hype", "bots", "slow_growth", "quiet"):
        for s in scenarios[family]:
            assert s.outages == () and not s.surge.any(), s.name


def test_blips_last_one_minute_and_stand_out(scenarios):
    for s in scenarios["blips"]:
        assert all(end - start == 1 for start, end in s.decoys)
        per_day = np.bincount([start // 1440 for start, _ in s.decoys])[2:]
        assert per_day.min() >= 1 and per_day.max() <= 3
        blip = np.array([start for start, _ in s.decoys])
        assert s.background[blip].sum() >= 2.0 * s.background[blip - 1].sum()


def test_hype_day_is_a_whole_day_at_bounded_rate(scenarios):
    for s in scenarios["hype"]:
        assert s.decoys and all(end - start == 1440 for start, end in s.decoys)
        mask = _windows_mask(len(s.hype), s.decoys)
        assert ((s.hype[mask] >= 1.5) & (s.hype[mask] <= 2.5)).all()
        assert (s.hype[~mask] == 1.0).all()
        # Counts follow: the hype day's complaints over what its rate would be without hype.
        ratio = s.complaints[mask].sum() / (s.background[mask] / s.hype[mask]).sum()
        assert 1.2 < ratio < 3.0, (s.name, ratio)


def test_bots_post_bursts_daily_as_one_author(scenarios):
    for s in scenarios["bots"]:
        days = [start // 1440 for start, _ in s.decoys]
        assert days == list(range(2, DAYS))
        mask = _windows_mask(len(s.complaints), s.decoys)
        assert all(5 <= end - start <= 20 for start, end in s.decoys)
        # The bot's posts are complaints but one author: complaints exceed authors in its bursts only.
        bot_surplus = s.complaints - s.authors
        assert bot_surplus[mask].sum() > 0 and not bot_surplus[~mask].any()


def test_slow_growth_grows_from_a_trickle_without_outage(scenarios):
    for s in scenarios["slow_growth"]:
        assert s.usual_rate <= 0.2
        # 5-20x over two weeks is 2.2-4.5x from one week to the same hours of the next (give or take
        # the hourly wander, a few per cent over a week).
        first, last = s.background[: 7 * 1440].sum(), s.background[7 * 1440:].sum()
        assert 1.8 < last / first < 5.5, (s.name, last / first)
        assert s.complaints[7 * 1440:].sum() > 1.5 * s.complaints[: 7 * 1440].sum()


def test_quiet_is_background_only(scenarios):
    for s in scenarios["quiet"]:
        assert s.decoys == () and s.outages == () and (s.hype == 1.0).all()


def test_csv_round_trips_through_the_series_reader(tmp_path):
    s = scenario("short", "report", 0, days=4)
    stamps, values, _ = read_series_csv(s.write_csv(tmp_path / "s.csv"))
    assert values == s.complaints.tolist() and len(stamps) == 4 * 1440
    assert stamps[0].isoformat() == "2026-01-05T00:00:00"


def test_unknown_family_or_part_is_refused():
    with pytest.raises(ValueError, match="unknown family"):
        scenario("outage", "tune", 0)
    with pytest.raises(ValueError, match="unknown part"):
        scenario("sudden", "test", 0)


# --------------------------------------------------------------------------------------- scorer
def test_scorer_hit_miss_and_false_alarm():
    outages = [(100, 160), (1000, 1015)]
    score = score_alarms([99, 104, 120, 175, 191, 2000], outages, weeks=2.0)
    # 99: before the start, a false alarm; 104: the catch, 4 min in; 120: the same outage again, neither;
    # 175: 15 min after the end, late but not false; 191: 31 min after, false; the second outage is missed.
    assert (score.outages, score.caught, score.false_alarms) == (2, 1, 3)
    assert score.minutes_to_alarm == [4] and score.recall == 0.5 and score.false_alarms_per_week == 1.5


def test_scorer_window_ends_are_inclusive():
    assert score_alarms([160], [(100, 160)], weeks=1.0).caught == 1
    assert score_alarms([190], [(100, 160)], weeks=1.0).false_alarms == 0
    assert score_alarms([100], [(100, 160)], weeks=1.0).minutes_to_alarm == [0]


def test_scores_add_up():
    total = score_alarms([5], [(0, 10)], 1.0) + score_alarms([], [(0, 10)], 1.0) + SeriesScore()
    assert (total.outages, total.caught, total.weeks, total.median_minutes_to_alarm) == (2, 1, 2.0, 5)
    assert SeriesScore().recall is None and SeriesScore().median_minutes_to_alarm is None
