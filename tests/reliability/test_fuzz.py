"""Property-based tests: no input makes a parser crash or corrupt the store; bad records are counted."""
import csv
import io
import json

import pytest
import zstandard
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from outage_signal.collector.dumps import to_post
from outage_signal.collector.records import Malformed
from outage_signal.collector.statuspage import parse_incidents
from outage_signal import pipeline
from outage_signal.config import ConfigError, load_config
from outage_signal.store import Store

text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=300)  # emoji, RTL, controls
value = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | text,
                     lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text, inner, max_size=4), max_leaves=12)
timestamp = st.one_of(st.integers(min_value=-2**40, max_value=2**40), st.floats(allow_nan=True), text,
                      st.just("2026-09-10T16:00:00Z"), st.just("1999-01-01T00:00:00Z"), st.just("2999-01-01T00:00:00Z"))
record = st.fixed_dictionaries({}, optional={"id": value | text, "title": value | text, "selftext": value | text,
                                             "body": value | text, "text": value | text, "author": value,
                                             "created_utc": timestamp, "permalink": value | text})
pytestmark = pytest.mark.slow  # hundreds of generated examples a test
FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(record)
def test_dump_records_become_posts_or_clear_errors(row):
    try:
        post = to_post(row)
    except (KeyError, TypeError, ValueError, OverflowError) as e:
        assert str(e) or type(e).__name__  # a reason for the report
        return
    assert post.text.strip() and post.created_at.year >= 2005 and post.source_id


incident = st.fixed_dictionaries({}, optional={
    "id": value, "name": value, "impact": value, "created_at": timestamp, "resolved_at": timestamp | st.none(),
    "shortlink": value, "components": value,
    "incident_updates": st.lists(st.fixed_dictionaries({}, optional={"created_at": timestamp, "status": value,
                                                                       "body": value}), max_size=3) | value})


@FUZZ
@given(st.lists(incident, max_size=5) | value)
def test_status_pages_parse_or_count_malformed(payload):
    body = {"page": {}, "incidents": payload} if isinstance(payload, list) else payload
    incidents, malformed = parse_incidents(body, "github")
    assert all(isinstance(m, Malformed) and m.reason for m in malformed)
    if isinstance(payload, list):  # every item is an incident, a counted malformed one, or a maintenance
        skipped = sum(isinstance(i, dict) and (i.get("impact") == "maintenance" or bool(i.get("scheduled_for")))
                      for i in payload)
        assert len(incidents) + len(malformed) + skipped == len(payload)



# Every other platform's reader, on shapes near its own: a batch with counted malformed records, never a raise.
near_platform = st.recursive(
    value | timestamp | st.sampled_from(["status_page", "status_report", "status_update", "MAJOROUTAGE", "RESOLVED"]),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(
        st.sampled_from(["page", "activeIncidents", "data", "included", "type", "id", "attributes", "relationships",
                         "status_updates", "published_at", "affected_resources", "title", "starts_at", "name",
                         "started", "impact", "status", "external_desc", "created", "updates", "most_recent_update",
                         "arn", "summary", "date", "event_log", "timestamp", "notes", "date_created", "services",
                         "incidents", "incident_updates", "created_at", "started_at", "resolved_at", "shortlink", "url",
                         "body", "pagination", "next_page", "total_count"]),
        children, max_size=6),
    max_leaves=25)


@FUZZ
@given(near_platform)
def test_every_platform_reader_parses_or_counts_malformed(payload):
    from outage_signal.collector import betterstack, cloud, instatus, rootly, slackstatus
    from outage_signal.collector.status_pages import platform_of
    for parse in (instatus.parse_summary, betterstack.parse_index, cloud.parse_gcp, cloud.parse_aws,
                  slackstatus.parse_history, lambda payload, service: rootly.parse_page(payload, service)[0]):
        batch = parse(payload, "svc")
        assert all(isinstance(m, Malformed) and m.reason for m in batch.malformed)
        assert all(i.service == "svc" and i.acknowledged_at.tzinfo for i in batch.incidents)
    platform_of(json.dumps(payload).encode())  # recognises or not, never raises

# Tables shaped like the schema's, with keys and values drawn from near it, so validation goes deep.
near_key = st.sampled_from(["name", "aliases", "subreddits", "bluesky", "status_page", "kind", "url", "format",
                            "secret_env", "services", "events", "sensitivity", "comments", "colour"]) | text
near_value = value | st.sampled_from(["github", "https://a.example", "statuspage", "slack", "opened", 0.5, True])
table = st.dictionaries(near_key, near_value | st.dictionaries(near_key, near_value, max_size=3), max_size=4)
section = st.fixed_dictionaries({}, optional={
    "catalog": st.sampled_from(["bundled", "none"]) | value,
    "services": st.dictionaries(st.sampled_from(["github", "acme", "../up", "X"]) | text, table, max_size=3) | value,
    "webhooks": st.lists(table, max_size=3) | value,
    "detector": table | value, "reddit": table | value, "other": value})


@FUZZ
@given(st.dictionaries(st.sampled_from(["services", "detector", "webhooks", "other"]), value, max_size=3) | section)
def test_any_config_loads_or_names_the_problem(tmp_path_factory, raw):
    path = tmp_path_factory.mktemp("cfg") / "c.toml"
    path.write_text(_toml(raw))
    try:
        load_config(path)
    except ConfigError as e:
        assert str(e).startswith(str(path)) and "\n" not in str(e)


def _toml(raw) -> str:
    """``raw`` as TOML, so the values reach the schema (TOML has no null: None is left out)."""
    return "\n".join(f"{_toml_str(k)} = {_toml_value(v)}" for k, v in raw.items() if v is not None)


def _toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and v != v:
        return "nan"
    if isinstance(v, float) and abs(v) == float("inf"):
        return "inf" if v > 0 else "-inf"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, str):
        return _toml_str(v)
    if isinstance(v, list):
        return "[" + ", ".join(_toml_value(i) for i in v if i is not None) + "]"
    return "{" + ", ".join(f"{_toml_str(k)} = {_toml_value(i)}" for k, i in v.items() if i is not None) + "}"


def _toml_str(text: str) -> str:
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")  # JSON's escapes are TOML's


@FUZZ
@given(st.binary(max_size=200))
def test_config_bytes_never_crash(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("cfg") / "c.toml"
    path.write_bytes(data)
    try:
        load_config(path)
    except ConfigError:
        pass


csv_cell = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=80)  # commas, quotes, newlines
csv_row = st.fixed_dictionaries({"id": csv_cell, "text": csv_cell, "author": csv_cell,
                                 "created_at": csv_cell | st.sampled_from(["2026-09-10T16:00:00Z", "1788000000",
                                                                          "1999-01-01", "2999-01-01T00:00:00Z"])})


@FUZZ
@given(st.lists(csv_row, max_size=8), st.binary(max_size=60), st.booleans())
def test_csv_dumps_load_what_they_can_and_count_the_rest(tmp_path_factory, rows, garbage, bom):
    """Any CSV (with or without a UTF-8 BOM, and trailing bytes that are not UTF-8) loads into the
    store without corrupting it."""
    folder = tmp_path_factory.mktemp("csv")
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=["id", "text", "author", "created_at"])
    writer.writeheader()
    writer.writerows(rows)
    path = folder / "posts.csv"
    path.write_bytes(b"\xef\xbb\xbf" * bom + buffer.getvalue().encode("utf-8", "surrogatepass") + garbage)
    with Store(folder / "t.db") as store:
        report = pipeline.import_files(store, [path])
        again = pipeline.import_files(store, [path])  # re-running changes nothing
        assert store.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        stored = store.conn.execute("SELECT COUNT(*) FROM posts").fetchone()[0]
    assert again.new_posts == 0 and stored == report.new_posts
    # The file fails only when it had lines and none of them loaded.
    assert list(report.failures) == ([str(path)] if report.malformed and not report.new_posts else [])
    # Every row the CSV reader finds is a stored post, a counted malformed line, or a repeated id.
    ids, bad = set(), 0
    for row in csv.DictReader(io.StringIO(path.read_bytes().decode("utf-8-sig", "replace"), newline="")):
        try:
            ids.add(to_post(row).source_id)
        except (KeyError, TypeError, ValueError, OverflowError):
            bad += 1
    assert (report.new_posts, len(report.malformed)) == (len(ids), bad)
    assert all(m.location.startswith("posts.csv:") and m.reason for m in report.malformed)


DUMP_LINES = [json.dumps({"id": f"p{i}", "title": f"reddit down {i}", "author": "a", "created_utc": 1788000000 + i})
              for i in range(3000)]
DUMP = zstandard.ZstdCompressor().compress(("\n".join(DUMP_LINES) + "\n").encode())


@settings(max_examples=25, deadline=None)
@given(st.integers(min_value=0, max_value=len(DUMP)))
def test_a_zst_dump_cut_anywhere_loads_the_whole_lines_before_the_cut(tmp_path_factory, cut):
    folder = tmp_path_factory.mktemp("zst")
    path = folder / "RS_cut.zst"
    path.write_bytes(DUMP[:cut])
    with Store(folder / "t.db") as store:
        report = pipeline.import_files(store, [path])
        ids = [i for (i,) in store.conn.execute("SELECT source_id FROM posts ORDER BY created_at")]
    assert not report.malformed  # a cut is not a bad line
    assert ids == [f"t3_p{i}" for i in range(len(ids))]  # a prefix of the file, nothing invented
    if cut == len(DUMP):
        assert len(ids) == 3000 and not report.failures
    else:
        [failure] = report.failures.values()
        assert failure.startswith(("truncated", "empty")), failure
        assert f"after line {len(ids)}" in failure or not ids
