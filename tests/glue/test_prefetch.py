"""The helper process that reads and encodes an import's batches (outage_signal.prefetch)."""
import multiprocessing
import os
from datetime import datetime, timezone

import pytest

from collector.records import Batch, Malformed, Post
from outage_signal.prefetch import HelperDied, _encoded, prefetch_encoded
from outage_signal.store import PostEncoder

T0 = datetime(2026, 9, 7, 12, 0, 30, tzinfo=timezone.utc)


def batches(count: int, size: int = 3) -> list[Batch]:
    return [Batch(f"test:{b}", str(b), [Post("reddit", f"t3_{b}_{i}", f"github down {i}", f"user{i}", T0,
                                             url=None, raw={"subreddit": "github"}) for i in range(size)],
                  malformed=[Malformed(f"f:{b}", "no id")]) for b in range(count)]


def read_batches(count: int):
    yield from batches(count)


def test_the_helper_gives_what_reading_in_process_gives():
    encoder = PostEncoder("salt")
    helped = list(prefetch_encoded(read_batches, (4,), encoder))
    direct = list(_encoded(read_batches, (4,), encoder))
    assert [e.batch for e in helped] == [e.batch for e in direct] and len(helped) == 4
    # Rows travel as JSON arrays; sqlite3 binds them exactly like the tuples.
    assert [[tuple(row) for row in e.rows] for e in helped] == [e.rows for e in direct]
    assert helped[0].rows[0][5] == "2026-09-07T12:00:00+00:00"  # the minute


class NotPicklable(Exception):
    def __init__(self, a, b):
        super().__init__(f"{a} and {b}")


def read_then_fail(error: Exception):
    yield from batches(1)
    raise error


@pytest.mark.parametrize("error, expected, message", [
    (ValueError("bad frame"), ValueError, "bad frame"),
    (NotPicklable(1, 2), RuntimeError, "NotPicklable: 1 and 2"),  # arrives as text
])
def test_an_error_in_the_helper_is_raised_in_the_caller(error, expected, message):
    got = []
    with pytest.raises(expected, match=message):
        for encoded in prefetch_encoded(read_then_fail, (error,), PostEncoder("s")):
            got.append(encoded)
    assert len(got) == 1  # what came before the error was delivered


def read_then_die(path: str):
    yield from batches(1)
    os._exit(7)  # killed, out of memory: no word sent


def test_a_helper_that_dies_is_an_error_naming_its_exit_code():
    with pytest.raises(HelperDied, match="exit code 7"):
        list(prefetch_encoded(read_then_die, ("dump.zst",), PostEncoder("s")))


def test_a_caller_that_stops_early_stops_the_helper():
    stream = prefetch_encoded(read_batches, (10_000,), PostEncoder("s"))  # far more than the pipe holds
    next(stream)
    assert multiprocessing.active_children()
    stream.close()
    assert not multiprocessing.active_children()
