import json

import zstandard

from outage_signal.collector.dumps import read_dump
from outage_signal import pipeline
from outage_signal.store import Store

SUBMISSION = {"id": "1d2x3y", "title": "Is Reddit down?", "selftext": "500 errors on every page", "author": "someone",
              "created_utc": 1717000000, "permalink": "/r/help/comments/1d2x3y/is_reddit_down/", "subreddit": "help"}
COMMENT = {"id": "l5k4j3", "body": "same here, reddit dead", "author": "other", "created_utc": "1717000060",
           "link_id": "t3_1d2x3y", "subreddit": "help"}


def write_zst(path, lines):
    path.write_bytes(zstandard.ZstdCompressor().compress(("\n".join(lines) + "\n").encode()))


def test_pushshift_layout_and_malformed_lines_with_numbers(tmp_path):
    path = tmp_path / "RS_2024-05.zst"
    write_zst(path, [json.dumps(SUBMISSION), "{not json", json.dumps(COMMENT), json.dumps({**SUBMISSION, "id": "z",
              "created_utc": 5}), "[1, 2]", json.dumps({**COMMENT, "id": "e", "body": "🙃 ‮RTL‬ \x00"})])
    batches = list(read_dump(path))
    posts = [p for b in batches for p in b.posts]
    malformed = [m for b in batches for m in b.malformed]
    assert [p.source_id for p in posts] == ["t3_1d2x3y", "t1_l5k4j3", "t1_e"]
    assert posts[0].text == "Is Reddit down?\n\n500 errors on every page"
    assert posts[0].url == "https://www.reddit.com/r/help/comments/1d2x3y/is_reddit_down/"
    assert [m.location for m in malformed] == ["RS_2024-05.zst:2", "RS_2024-05.zst:4", "RS_2024-05.zst:5"]
    assert batches[-1].cursor == "6"


def test_import_twice_and_resume_after_interruption(tmp_path):
    path = tmp_path / "dump.jsonl"
    rows = [{**SUBMISSION, "id": f"id{i}", "created_utc": 1717000000 + i} for i in range(23)]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    with Store(tmp_path / "a.db") as store:
        # Interrupted after the first batch of 10: its posts and cursor are stored together.
        first = next(read_dump(path, batch_size=10))
        store.save_batch(first.source, first.cursor, first.posts)
        report = pipeline.import_files(store, [path])
        assert report.new_posts == 13
        assert pipeline.import_files(store, [path]).new_posts == 0
        assert store.conn.execute("SELECT COUNT(*) FROM posts").fetchone()[0] == 23


def test_csv_rows(tmp_path):
    path = tmp_path / "posts.csv"
    path.write_text('id,text,author,created_at\n1,"github down? ""500""",bob,2026-01-01T00:00:00Z\n2,,bob,2026-01-01T00:00:00Z\n')
    batches = list(read_dump(path, source="file"))
    assert [p.text for p in batches[0].posts] == ['github down? "500"']
    assert [m.location for m in batches[0].malformed] == ["posts.csv:3"]


def test_a_missing_file_does_not_stop_the_others(tmp_path):
    good = tmp_path / "good.jsonl"
    good.write_text(json.dumps(SUBMISSION) + "\n")
    bad = tmp_path / "bad.zst"
    bad.write_bytes(b"not zstd at all")
    with Store(tmp_path / "a.db") as store:
        report = pipeline.import_files(store, [bad, good])
    assert report.new_posts == 1 and list(report.failures) == [str(bad)]


def test_a_timestamp_beyond_the_platform_is_a_counted_line(tmp_path):
    # Found by the fuzzer: datetime.fromtimestamp raises OSError here, which once stopped the whole file.
    path = tmp_path / "dump.jsonl"
    path.write_text(json.dumps({**SUBMISSION, "created_utc": 6.77680361916768e16}) + "\n" + json.dumps(SUBMISSION) + "\n")
    [batch] = list(read_dump(path))
    assert len(batch.posts) == 1 and batch.malformed[0].location == "dump.jsonl:1"


def test_huge_lines_invalid_utf8_and_future_times_are_counted_lines(tmp_path):
    path = tmp_path / "RS_edge.zst"
    lines = [json.dumps({**SUBMISSION, "id": "huge", "selftext": "down " * 1_000_000}).encode(),   # 5 MB
             json.dumps({**SUBMISSION, "id": "future", "created_utc": 4102444800}).encode(),        # year 2100
             json.dumps({**SUBMISSION, "id": "old", "created_utc": 946684800}).encode(),            # 2000
             b'{"id": "bytes", "title": "caf\xe9 down", "author": "x", "created_utc": 1717000000}',   # Latin-1
             json.dumps({**SUBMISSION, "id": "ok"}).encode()]
    path.write_bytes(zstandard.ZstdCompressor().compress(b"\n".join(lines) + b"\n"))
    with Store(tmp_path / "a.db") as store:
        report = pipeline.import_files(store, [path])
        texts = [t for (t,) in store.conn.execute("SELECT text FROM posts ORDER BY source_id")]
    assert [m.location for m in report.malformed] == ["RS_edge.zst:1", "RS_edge.zst:2", "RS_edge.zst:3"]
    assert "longer than any post" in report.malformed[0].reason
    assert texts == ["caf\ufffd down", "Is Reddit down?\n\n500 errors on every page"]  # invalid UTF-8 replaced


def test_a_zst_of_several_frames_is_read_to_the_end(tmp_path):
    # pzstd and zstd -T write one frame per block of input; each frame's end is not the file's.
    path = tmp_path / "RS_frames.zst"
    rows = [json.dumps({**SUBMISSION, "id": f"f{i}"}) + "\n" for i in range(6)]
    compressor = zstandard.ZstdCompressor()
    path.write_bytes(b"".join(compressor.compress("".join(rows[i:i + 2]).encode()) for i in range(0, 6, 2)))
    assert [p.source_id for b in read_dump(path) for p in b.posts] == [f"t3_f{i}" for i in range(6)]
