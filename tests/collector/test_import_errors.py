"""`outage-signal import` of files a user really has: a BOM, the wrong header, binary data, a cut download.

Each problem that concerns a whole file is one line naming the file, and a run that loads nothing exits
non-zero so a script notices.
"""
import json
import os

import zstandard
from click.testing import CliRunner

from outage_signal.cli import cli
from outage_signal.store import Store

HEADER = "id,text,author,created_at"
ROWS = ["1,github is down for me,alice,2026-09-10T16:00:00Z", "2,is discord down?,bob,2026-09-10T16:01:00Z"]


def run_import(tmp_path, *files):
    result = CliRunner().invoke(cli, ["--quiet", "--db", str(tmp_path / "o.db"), "import", *map(str, files)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception  # no traceback
    return result


def stored(tmp_path) -> list[str]:
    with Store(tmp_path / "o.db") as store:
        return [text for (text,) in store.conn.execute("SELECT text FROM posts ORDER BY source_id")]


def test_a_csv_with_a_utf8_bom_loads(tmp_path):
    path = tmp_path / "excel.csv"
    path.write_bytes("\r\n".join([HEADER, *ROWS]).encode("utf-8-sig"))  # as Excel saves "CSV UTF-8"
    result = run_import(tmp_path, path)
    assert result.exit_code == 0, result.output
    assert "2 new posts from 1 file(s), 0 malformed line(s)" in result.output
    assert stored(tmp_path) == ["github is down for me", "is discord down?"]


def test_a_jsonl_with_a_bom_loads(tmp_path):
    path = tmp_path / "posts.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps({"id": "1", "text": "slack down", "created_at": 1788000000}).encode())
    assert run_import(tmp_path, path).exit_code == 0 and stored(tmp_path) == ["slack down"]


def test_a_csv_with_the_wrong_header_is_one_error_naming_the_expected_header(tmp_path):
    path = tmp_path / "export.csv"
    path.write_text("\n".join(["post_id,body_text,user,time", *ROWS * 50]) + "\n")
    result = run_import(tmp_path, path)
    assert result.exit_code != 0
    problems = [line for line in result.output.splitlines() if "export.csv" in line]
    assert len(problems) == 1, result.output
    assert HEADER in problems[0] and "post_id,body_text,user,time" in problems[0]
    assert stored(tmp_path) == []


def test_a_binary_file_is_one_line(tmp_path):
    path = tmp_path / "photo.jsonl"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(20_000))
    result = run_import(tmp_path, path)
    assert result.exit_code != 0
    problems = [line for line in result.output.splitlines() if "photo.jsonl" in line]
    assert len(problems) == 1 and "binary" in problems[0], result.output
    assert "malformed line" not in result.output.replace("0 malformed line", "")


def test_a_binary_file_named_csv_is_one_line(tmp_path):
    path = tmp_path / "posts.csv"
    path.write_bytes(b"SQLite format 3\x00" + bytes(range(256)) * 40)
    result = run_import(tmp_path, path)
    assert result.exit_code != 0
    assert [line for line in result.output.splitlines() if "posts.csv" in line] == [
        line for line in result.output.splitlines() if "binary" in line] != []


def test_a_truncated_zst_says_truncated_and_keeps_what_came_before_the_cut(tmp_path):
    lines = [json.dumps({"id": f"p{i}", "title": f"reddit down {i}", "author": "a", "created_utc": 1788000000 + i})
             for i in range(30_000)]
    whole = zstandard.ZstdCompressor().compress(("\n".join(lines) + "\n").encode())
    path = tmp_path / "RS_2026-09.zst"
    path.write_bytes(whole[: len(whole) * 2 // 3])  # a download cut short
    result = run_import(tmp_path, path)
    assert result.exit_code != 0
    problems = [line for line in result.output.splitlines() if "RS_2026-09.zst" in line]
    assert len(problems) == 1 and "truncated" in problems[0], result.output
    assert "0 malformed line(s)" in result.output  # the cut line is not a bad line
    kept = len(stored(tmp_path))
    assert 0 < kept < 30_000 and f"{kept} new posts" in result.output
    assert f"after line {kept}" in problems[0]


def test_exit_is_non_zero_when_nothing_was_readable(tmp_path):
    path = tmp_path / "notes.jsonl"
    path.write_text("this is not json\nneither is this\n")
    result = run_import(tmp_path, path)
    assert "0 new posts from 1 file(s), 2 malformed line(s)" in result.output
    assert result.exit_code != 0 and "nothing loaded" in result.output


def test_a_good_file_beside_a_bad_one_still_loads_but_the_exit_says_so(tmp_path):
    good, bad = tmp_path / "good.csv", tmp_path / "bad.csv"
    good.write_text("\n".join([HEADER, *ROWS]) + "\n")
    bad.write_text("a,b\n1,2\n")
    result = run_import(tmp_path, bad, good)
    assert result.exit_code == 3 and len(stored(tmp_path)) == 2
    assert "2 new posts from 2 file(s)" in result.output


def test_importing_the_same_file_again_is_not_an_error(tmp_path):
    path = tmp_path / "posts.csv"
    path.write_text("\n".join([HEADER, *ROWS]) + "\n")
    assert run_import(tmp_path, path).exit_code == 0
    again = run_import(tmp_path, path)
    assert again.exit_code == 0 and "0 new posts" in again.output


def test_an_empty_file_is_one_line(tmp_path):
    path = tmp_path / "empty.jsonl"
    path.write_bytes(b"")  # a download that never started
    result = run_import(tmp_path, path)
    assert result.exit_code == 3 and "empty.jsonl: empty file" in result.output
