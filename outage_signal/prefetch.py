"""Read and encode a collector's batches in a helper process while this one writes them.

A bulk import is CPU-bound in two halves of about equal cost: parsing lines into posts and encoding
them as rows (Python), then inserting the rows (SQLite). Run in two processes the halves overlap,
which on two cores makes ``outage-signal import`` about 1.4 times as fast. Threads cannot do this: the
parsing half holds the GIL.

Nothing changes for safety. The helper only reads the file; the caller stores each batch with its
cursor in one transaction as before. The helper exits as soon as its reader goes away (closed early,
or killed): its next send finds the pipe closed.
"""
from __future__ import annotations

import gc
import multiprocessing
import pickle
import signal
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from multiprocessing.connection import Connection

import orjson

from collector.records import Batch
from outage_signal.store import PostEncoder


@dataclass
class EncodedBatch:
    """A batch whose posts are already rows of the posts table (``Store.save_batch(encoded_posts=...)``)."""

    batch: Batch  # its posts list is empty: they are the rows
    rows: list[Sequence]


class HelperDied(RuntimeError):
    """The helper process ended without saying why (killed, or out of memory)."""


def prefetch_encoded(read: Callable[..., Iterable[Batch]], args: tuple, encoder: PostEncoder) -> Iterator[EncodedBatch]:
    """The batches of ``read(*args)`` with their posts encoded, computed one batch ahead in a helper process.

    An exception in ``read`` is raised here, in the caller. Forking (not spawning) makes the helper start
    in milliseconds with ``read`` already imported; where fork does not exist the work stays in-process.
    """
    if "fork" not in multiprocessing.get_all_start_methods():
        yield from _encoded(read, args, encoder)
        return
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    helper = context.Process(target=_send_encoded, args=(read, args, encoder, sender, receiver), daemon=True)
    helper.start()
    sender.close()  # the helper's copy is the only writer left: when it exits, recv() sees end of file
    try:
        while True:
            try:
                kind, value = receiver.recv()
            except EOFError:
                helper.join(timeout=5)
                raise HelperDied(f"the helper process reading {args[0]} ended (exit code {helper.exitcode})") from None
            if kind == "done":
                return
            if kind == "error":
                raise value
            yield EncodedBatch(value, orjson.loads(receiver.recv_bytes()))
    finally:
        receiver.close()  # a helper still sending gets BrokenPipeError and exits
        helper.join(timeout=10)
        if helper.is_alive():
            helper.kill()


def _encoded(read: Callable[..., Iterable[Batch]], args: tuple, encoder: PostEncoder) -> Iterator[EncodedBatch]:
    for batch in read(*args):
        yield EncodedBatch(replace(batch, posts=[]), [encoder(post) for post in batch.posts])


def _send_encoded(read: Callable[..., Iterable[Batch]], args: tuple, encoder: PostEncoder, sender: Connection,
                  receiver: Connection) -> None:
    # The fork copied the caller's end of the pipe: while this process held it open, the pipe would never
    # close, and a helper whose caller was killed would wait forever to send.
    receiver.close()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the caller's to handle; it closes the pipe
    # Parsed lines, posts and rows hold no reference cycles: reference counting frees them all, and the
    # cyclic collector would only rescan them (12% of this side's time).
    gc.disable()
    try:
        for encoded in _encoded(read, args, encoder):
            # Rows as JSON: orjson writes them 4 times as fast as pickle, and this side is the slower one.
            sender.send(("batch", encoded.batch))
            sender.send_bytes(orjson.dumps(encoded.rows))
        sender.send(("done", None))
    except (BrokenPipeError, ConnectionResetError):
        return  # the caller stopped reading
    except BaseException as e:  # any failure is the caller's to report
        try:
            pickle.loads(pickle.dumps(e))
        except Exception:  # it would not arrive whole: send its text
            e = RuntimeError(f"{type(e).__name__}: {e}")
        sender.send(("error", e))
