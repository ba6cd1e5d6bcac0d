"""read_series_csv and the detect-series command on good and bad CSV files (issue 14, row 8)."""
import re
from datetime import datetime, timedelta

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from outage_signal.cli import cli
from outage_signal.detector import DetectorError, read_series_csv

START = datetime(2015, 3, 1, 0, 2, 53)


def series_text(values, step=timedelta(minutes=5), header="timestamp,value") -> str:
    rows = [f"{START + i * step:%Y-%m-%d %H:%M:%S},{v}" for i, v in enumerate(values)]
    return "\n".join([header, *rows]) + "\n"


def detect_series_cli(path):
    return CliRunner().invoke(cli, ["detect-series", str(path)])


def test_detect_series_prints_the_alarm_of_a_spike(tmp_path):
    values = np.random.default_rng(4).poisson(30, 12 * 24 * 5)
    values[1200:1230] *= 8
    path = tmp_path / "spike.csv"
    path.write_text(series_text(values))
    result = detect_series_cli(path)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "timestamp" and len(lines) == 2
    alarm = datetime.fromisoformat(lines[1])
    assert START + 1200 * timedelta(minutes=5) <= alarm <= START + 1205 * timedelta(minutes=5)


def test_reads_timestamps_and_values_with_a_bom_and_columns_in_any_order(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text("\ufeffvalue,timestamp\n3,2015-03-01 00:00:00\n4.5,2015-03-01 00:05:00\n", encoding="utf-8")
    stamps, values, mentions = read_series_csv(path)
    assert stamps == [datetime(2015, 3, 1), datetime(2015, 3, 1, 0, 5)]
    assert values == [3.0, 4.5] and mentions is None


BAD_FILES = {
    "bad value": (series_text([1, 2, "lots", 4]).encode(), r"line 4: value 'lots' is not a number"),
    "bad mentions": (b"timestamp,value,mentions\n2015-03-01 00:00:00,1,4\n2015-03-01 00:05:00,2,many\n",
                     r"line 3: mentions 'many' is not a number"),
    "infinite value": (series_text([1, 2, "inf"]).encode(), r"line 4: value 'inf' is not a finite number"),
    "bad timestamp": (b"timestamp,value\n2015-03-01 00:00:00,1\nyesterday,2\n",
                      r"line 3: timestamp 'yesterday' is not an ISO 8601 date-time"),
    "missing field": (b"timestamp,value\n2015-03-01 00:00:00,1\n2015-03-01 00:05:00\n",
                      r"line 3: 1 field\(s\); expected 2, as in the header"),
    "wrong header": (series_text([1, 2, 3], header="time,count").encode(),
                     r"line 1: header 'time,count' lacks the column\(s\) timestamp, value"),
    "binary data": (b"timestamp,value\n2015-03-01 00:00:00,1\n\x89PNG\r\n\x1a\n\xff\xfe\x00\x00",
                    r"line 3: not UTF-8 text"),
    "NUL byte": (b"timestamp,value\n2015-03-01 00:00:00,1\x00\n", r"line 2: value '1\\x00' is not a number"),
    "huge field": (b'timestamp,value\n2015-03-01 00:00:00,"' + b"9" * 200_000 + b'"\n', r"line 2: field larger than"),
    "irregular step": (
        b"timestamp,value\n2015-03-01 00:00:00,1\n2015-03-01 00:05:00,1\n2015-03-01 00:07:00,1\n",
        r"line 4: 2 minutes after the previous row; expected the series' step of 5 minutes",
    ),
    "missing row": (
        b"timestamp,value\n2015-03-01 00:00:00,1\n2015-03-01 00:05:00,1\n2015-03-01 00:15:00,1\n",
        r"line 4: 10 minutes after the previous row; expected the series' step of 5 minutes",
    ),
    "backwards": (b"timestamp,value\n2015-03-01 00:05:00,1\n2015-03-01 00:00:00,1\n",
                  r"line 3: -5 minutes after the previous row; expected a later timestamp"),
    "step not dividing an hour": (
        b"timestamp,value\n2015-03-01 00:00:00,1\n2015-03-01 00:07:00,1\n2015-03-01 00:14:00,1\n",
        r"line 3: 7 minutes after the previous row; expected a step of whole minutes that divides an hour",
    ),
    "mixed time zones": (b"timestamp,value\n2015-03-01 00:00:00,1\n2015-03-01 00:05:00+00:00,1\n",
                         r"line 3: timestamp '2015-03-01 00:05:00\+00:00'; expected every timestamp with a time zone or"),
    "empty file": (b"", r"empty file; expected a header line timestamp,value"),
    "header only": (b"timestamp,value\n", r"no rows after the header; expected timestamp,value rows"),
}


@pytest.mark.parametrize("case", BAD_FILES)
def test_bad_csv_is_one_line_naming_file_and_line(tmp_path, case):
    content, message = BAD_FILES[case]
    path = tmp_path / "series.csv"
    path.write_bytes(content)
    with pytest.raises(DetectorError, match=f"^{re.escape(str(path))}: {message}"):
        read_series_csv(path)

    result = detect_series_cli(path)
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)  # not a traceback
    assert re.fullmatch(f"Error: {re.escape(str(path))}: {message}[^\n]*\n", result.output), result.output


def usual_rate(days=9):
    """The per-minute rate of minute_counts_with_outage without its outage: a daily rhythm."""
    return 0.8 * (1.0 + 0.5 * np.sin(2 * np.pi * (np.arange(days * 1440) % 1440) / 1440))


def minute_counts_with_outage(seed=3, days=9, start=8 * 1440 + 600, length=60, extra=2.0):
    """Per-minute complaint counts with a daily rhythm and one outage at ``1 + extra`` times the usual rate."""
    rng = np.random.default_rng(seed)
    rate = usual_rate(days)
    rate[start:start + length] *= 1.0 + extra
    return rng.poisson(rate), start


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_detect_series_on_minute_counts_alarms_within_minutes(tmp_path, seed):
    """Issue 15 items 3 and 5: a per-minute complaint count series gets the minute-counts profile and
    a 3x outage alarms within a quarter of an hour (the generic settings took up to half an hour).
    Nothing else alarms but a chance burst of an outage's size (seed 4, day 3: 31 complaints in 10
    minutes where 10 were due), on which a calm hour's threshold opens as it would on an outage."""
    values, start = minute_counts_with_outage(seed)
    path = tmp_path / "complaints.csv"
    path.write_text(series_text(values, step=timedelta(minutes=1)))
    result = detect_series_cli(path)
    assert result.exit_code == 0, result.output
    alarms = [int((datetime.fromisoformat(line) - START) / timedelta(minutes=1)) for line in result.output.splitlines()[1:]]
    assert len([m for m in alarms if start <= m <= start + 15]) == 1
    rate = usual_rate()
    for m in (m for m in alarms if not start <= m <= start + 15):
        assert values[m - 9:m + 1].sum() >= 2.5 * rate[m - 9:m + 1].sum(), (m, values[m - 9:m + 1])


def test_profile_option_chooses_the_settings(tmp_path):
    values, _ = minute_counts_with_outage()
    path = tmp_path / "complaints.csv"
    path.write_text(series_text(values, step=timedelta(minutes=1)))
    runs = {profile: CliRunner().invoke(cli, ["detect-series", str(path), "--profile", profile]).output
            for profile in ("auto", "minute-counts", "mention-volume")}
    assert runs["auto"] == runs["minute-counts"] != runs["mention-volume"]
    bad = CliRunner().invoke(cli, ["detect-series", str(path), "--profile", "tweets"])
    assert bad.exit_code == 2 and "Invalid value for '--profile'" in bad.output


def test_fill_missing_reads_left_out_minutes_as_zero_and_finds_the_same_alarm(tmp_path):
    """A GROUP BY minute export leaves out the minutes with no complaint: with --fill-missing 1 it
    gives the alarms of the full series; without it, an error that names the option."""
    values, start = minute_counts_with_outage(seed=2)
    full, sparse = tmp_path / "full.csv", tmp_path / "sparse.csv"
    full.write_text(series_text(values, step=timedelta(minutes=1)))
    rows = series_text(values, step=timedelta(minutes=1)).splitlines()
    sparse.write_text("\n".join([rows[0], *(row for row in rows[1:] if not row.endswith(",0"))]) + "\n")
    assert (values == 0).sum() > 1000  # the sparse file really leaves out many minutes

    stamps, read, _ = read_series_csv(sparse, fill_step=1)
    first_kept = int(np.flatnonzero(values)[0])
    assert read == [float(v) for v in values[first_kept:]]
    assert stamps[0] == START + first_kept * timedelta(minutes=1) and stamps[-1] == START + (len(values) - 1) * timedelta(minutes=1)

    filled = CliRunner().invoke(cli, ["detect-series", str(sparse), "--fill-missing", "1"])
    assert filled.exit_code == 0, filled.output
    assert filled.output == detect_series_cli(full).output and len(filled.output.splitlines()) == 2

    refused = detect_series_cli(sparse)
    assert refused.exit_code == 1 and "--fill-missing" in refused.output


def test_a_mentions_column_keeps_hype_quiet_and_outages_alarming(tmp_path):
    """Issue 15 item 2: with each minute's mentions beside its complaints, a rise of both together
    is hype. The suite's hype scenario 3 (0.3 complaints a minute, hype days at about twice that) alarms
    six times on its hype days from complaints alone and not at all with its mentions; sudden
    scenario 0 on NAB's wander alarms on its four outages and 10 times besides from complaints alone,
    and on its four outages only with its mentions, whose wander is the complaints' own."""
    from outage_signal.detector.scenarios import scenario

    def alarms(family, with_mentions):
        s = scenario(family, "tune", 3 if family == "hype" else 0, days=14)
        path = tmp_path / f"{family}.csv"
        stamps = s.minutes.strftime("%Y-%m-%d %H:%M:%S")
        header, rows = ("timestamp,value,mentions", zip(stamps, s.complaints, s.mentions)) if with_mentions \
            else ("timestamp,value", zip(stamps, s.complaints))
        path.write_text("\n".join([header, *(",".join(map(str, row)) for row in rows)]) + "\n")
        result = detect_series_cli(path)
        assert result.exit_code == 0, result.output
        minutes = [int((datetime.fromisoformat(line) - s.minutes[0].tz_localize(None)) / timedelta(minutes=1))
                   for line in result.output.splitlines()[1:]]
        return minutes, s

    bare, hype = alarms("hype", False)
    assert [m for m in bare if any(start <= m < end for start, end in hype.decoys)] == [10276, 10676, 10856, 10986, 11130, 15912]
    assert alarms("hype", True)[0] == []
    bare, sudden = alarms("sudden", False)
    assert len(bare) == 14 and all(any(o.start <= m <= o.end for m in bare) for o in sudden.outages)
    caught, _ = alarms("sudden", True)
    assert len(caught) == len(sudden.outages) == 4
    assert all(o.start <= m <= o.end for m, o in zip(caught, sudden.outages))


def test_fill_missing_reads_absent_minutes_mentions_as_zero(tmp_path):
    path = tmp_path / "sparse.csv"
    path.write_text("timestamp,value,mentions\n2015-03-01 00:00:00,1,5\n2015-03-01 00:03:00,2,7\n")
    assert read_series_csv(path, fill_step=1).mentions == [5.0, 0.0, 0.0, 7.0]


@pytest.mark.parametrize("content, fill_step, message", [
    (b"timestamp,value\n2015-03-01 00:00:00,1\n2015-03-01 00:15:00,1\n2015-03-01 00:17:00,1\n", 5,
     r"line 4: 2 minutes after the previous row; expected the series' step of 5 minutes"),
    (b"timestamp,value\n2015-03-01 00:00:00,1\n", 7, r"a fill step of 7 minutes; expected whole minutes that divide an hour"),
])
def test_fill_missing_still_refuses_rows_off_the_step(tmp_path, content, fill_step, message):
    path = tmp_path / "series.csv"
    path.write_bytes(content)
    with pytest.raises(DetectorError, match=f"^{re.escape(str(path))}: {message}"):
        read_series_csv(path, fill_step=fill_step)


@pytest.mark.parametrize("text", [
    "timestamp,value\n2015-03-01 00:00:00,1\n2015-03-01 00:05:00,2\n",
    "timestamp,value\r\n2015-03-01 00:00:00,1\r\n\r\n2015-03-01 00:05:00, 2 \r\n",  # Windows lines, a blank one
    "timestamp,value\n2015-03-01 00:00:00,1\n2015-03-01 00:05:00,2",  # no newline at the end
    "\n\ntimestamp,value,\n2015-03-01 00:00:00,1,\n",  # blank lines first, an empty last field
    "", "\n", "timestamp,value",
])
def test_quote_free_files_are_split_into_the_rows_csv_reader_reads(text):
    import csv
    import io

    from outage_signal.detector.series import _numbered_rows

    reader = csv.reader(io.StringIO(text, newline=""))
    assert list(_numbered_rows("x.csv", text)) == [(reader.line_num, row) for row in reader]


def test_the_command_line_starts_without_the_classifier_and_api_clients():
    """`--help` and `detect-series` must not wait seconds for scikit-learn, atproto or matplotlib to load."""
    import subprocess
    import sys

    code = ("import sys, outage_signal.cli; "
            "print(' '.join(m for m in ('sklearn', 'atproto', 'praw', 'matplotlib') if m in sys.modules))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert loaded == ""


@pytest.mark.parametrize("seed", [1, 2])
def test_a_file_is_history_its_first_day_outage_alarms_unless_online(tmp_path, seed):
    """detect-series learns a file's normal from all of it before detecting: a 3x outage in its first
    day, which a live detector cannot see (its warm-up), alarms within a quarter of an hour; with
    --online only the second outage, on day 9, alarms, as the service detector with the profile's
    settings raises it. Both alarm on that one within a quarter of an hour."""
    from outage_signal.detector import ServiceDetector
    from outage_signal.detector.series import MINUTE_COUNT_PARAMS

    values, late = minute_counts_with_outage(seed)
    early = 10 * 60  # the usual rate there is 1.2 a minute
    values[early:early + 60] += np.random.default_rng(seed + 100).poisson(2.4, 60)
    path = tmp_path / "complaints.csv"
    path.write_text(series_text(values, step=timedelta(minutes=1)))
    minutes = lambda output: [(datetime.fromisoformat(line) - START) / timedelta(minutes=1)  # noqa: E731
                              for line in output.splitlines()[1:]]

    history = detect_series_cli(path)
    online = CliRunner().invoke(cli, ["detect-series", str(path), "--online"])
    assert history.exit_code == online.exit_code == 0, history.output + online.output
    (first, second), (only,) = minutes(history.output), minutes(online.output)
    assert early <= first <= early + 15 and late <= second <= late + 15 and late <= only <= late + 15

    steps = pd.date_range(START.replace(second=0), periods=len(values), freq="min", tz="UTC")  # the minute grid
    events = ServiceDetector("series", params=MINUTE_COUNT_PARAMS).update_many(steps, values, values, values)
    assert [(e.at - steps[0]) / timedelta(minutes=1) for e in events if e.kind == "opened"] == [only]


def test_plot_draws_the_series_and_leaves_the_alarms_printed_as_they_were(tmp_path):
    values = np.random.default_rng(4).poisson(30, 12 * 24 * 5)
    values[1200:1230] *= 8
    path, png = tmp_path / "spike.csv", tmp_path / "plots" / "spike.png"
    path.write_text(series_text(values))
    plain = detect_series_cli(path)
    drawn = CliRunner().invoke(cli, ["detect-series", str(path), "--plot", str(png)])
    assert drawn.exit_code == 0, drawn.output
    assert drawn.stdout == plain.stdout and len(plain.stdout.splitlines()) == 2  # the alarm, then nothing else
    assert f"wrote {png}" in drawn.stderr and png.read_bytes()[:4] == b"\x89PNG" and png.stat().st_size > 10_000
    quiet = CliRunner().invoke(cli, ["-q", "detect-series", str(path), "--plot", str(png)])
    assert quiet.exit_code == 0 and quiet.stderr == ""


def test_events_give_each_incident_its_start_inside_the_outage_and_its_own_complaints(tmp_path):
    """--events prints the opening and the resolution: the incident starts where the outage does (not
    days before it, issue 15) and its complaints are the outage's, not the days before it."""
    values = np.random.default_rng(4).poisson(30, 12 * 24 * 5)
    values[1200:1230] *= 8
    path = tmp_path / "spike.csv"
    path.write_text(series_text(values))
    result = CliRunner().invoke(cli, ["detect-series", str(path), "--events"])
    assert result.exit_code == 0, result.output
    header, *rows = [line.split(",") for line in result.stdout.splitlines()]
    assert header == ["kind", "timestamp", "started_at", "complaints", "expected", "peak_per_minute"]
    assert [row[0] for row in rows] == ["opened", "resolved"]
    (_, opened, started, at_open, *_), (_, resolved, started_too, in_all, expected, peak) = rows
    assert detect_series_cli(path).stdout.splitlines()[1] == opened and started == started_too
    first, alarm, end = (round((datetime.fromisoformat(t) - START) / timedelta(minutes=5))
                         for t in (started, opened, resolved))
    assert 1200 <= first <= alarm <= 1205 and 1230 <= end
    assert (int(at_open), int(in_all)) == (values[first:alarm + 1].sum(), values[first:end + 1].sum())
    usual = 30 * (end - first + 1)  # the series' rate over the incident's steps
    assert abs(float(expected) - usual) < 0.15 * usual and float(peak) == values[1200:1230].max() / 5
