"""The helper processes that parse and encode an import's chunks (outage_signal.prefetch)."""
import multiprocessing
import os
from datetime import datetime, timezone
from functools import partial

import pytest

from outage_signal.collector.records import Batch, Malformed, Post
from outage_signal.prefetch import HelperDied, encode, parallel_encoded
from outage_signal.store import PostEncoder

T0 = datetime(2026, 9, 7, 12, 0, 30, tzinfo=timezone.utc)


def parse(chunk: int) -> Batch:
    """A stand-in parser: chunk n becomes a batch of three posts and one malformed record."""
    return Batch(f"test:{chunk}", str(chunk), [Post("reddit", f"t3_{chunk}_{i}", f"github down {i}", f"user{i}", T0,
                                                    raw={"subreddit": "github"}) for i in range(3)],
                 malformed=[Malformed(f"f:{chunk}", "no id")])


@pytest.mark.parametrize("helpers", [1, 2, 3])
def test_helpers_give_what_parsing_in_process_gives_in_the_files_order(helpers):
    encoder = PostEncoder("salt")
    helped = list(parallel_encoded(range(7), parse, encoder, helpers))
    direct = [encode(parse(chunk), encoder) for chunk in range(7)]
    assert [e.batch for e in helped] == [e.batch for e in direct]
    assert [e.batch.cursor for e in helped] == [str(n) for n in range(7)]
    # Rows travel as JSON arrays; sqlite3 binds them exactly like the tuples.
    assert [[tuple(row) for row in e.rows] for e in helped] == [e.rows for e in direct]
    assert helped[0].rows[0][5] == "2026-09-07T12:00:00+00:00"  # the minute


class NotPicklable(Exception):
    def __init__(self, a, b):
        super().__init__(f"{a} and {b}")


def parse_failing_at_2(error: Exception, chunk: int) -> Batch:
    if chunk == 2:
        raise error
    return parse(chunk)


@pytest.mark.parametrize("error, expected, message", [
    (ValueError("bad frame"), ValueError, "bad frame"),
    (NotPicklable(1, 2), RuntimeError, "NotPicklable: 1 and 2"),  # arrives as text
])
def test_an_error_in_a_helper_is_raised_in_the_caller(error, expected, message):
    got = []
    with pytest.raises(expected, match=message):
        for encoded in parallel_encoded(range(5), partial(parse_failing_at_2, error), PostEncoder("s"), 2):
            got.append(encoded)
    assert [e.batch.cursor for e in got] == ["0", "1"]  # what came before the error was delivered


def parse_dying_at_1(chunk: int) -> Batch:
    if chunk == 1:
        os._exit(7)  # killed, out of memory: no word sent
    return parse(chunk)


def test_a_helper_that_dies_is_an_error_naming_its_exit_code():
    with pytest.raises(HelperDied, match="exit code 7"):
        list(parallel_encoded(range(4), parse_dying_at_1, PostEncoder("s"), 2))
    assert not multiprocessing.active_children()


def test_a_caller_that_stops_early_stops_the_helpers():
    stream = parallel_encoded(range(10_000), parse, PostEncoder("s"), 2)
    next(stream)
    assert len(multiprocessing.active_children()) == 2
    stream.close()
    assert not multiprocessing.active_children()


@pytest.mark.parametrize("helpers", [1, 2, 3])
def test_an_error_reading_the_file_comes_after_every_chunk_read_before_it(helpers):
    """A file cut short: the chunks before the cut, already with the helpers, are still delivered."""
    def chunks():
        yield from range(5)
        raise OSError("disk gone")

    got = []
    with pytest.raises(OSError, match="disk gone"):
        for encoded in parallel_encoded(chunks(), parse, PostEncoder("s"), helpers):
            got.append(encoded.batch.cursor)
    assert got == ["0", "1", "2", "3", "4"]
    assert not multiprocessing.active_children()
