"""A Jetstream stand-in for the tests: a real WebSocket server on 127.0.0.1 playing recorded-shape events.

``stamped_events`` turns the recorded shapes of tests/data/jetstream/events.jsonl into as many events as a
test needs, each with its own did, rkey, time_us and createdAt, and returns the frames with the at:// URIs
of the posts the stream must keep. :class:`JetstreamServer` serves frames from the first whose time_us is
at least the client's ``?cursor`` (as Jetstream does), and each connection can be told to drop the TCP
connection, fall silent or hold after so many frames; ``pace`` spreads the frames over time.
"""
from __future__ import annotations

import asyncio
import bisect
import copy
import json
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from websockets.asyncio.server import serve

TEMPLATES = [json.loads(line) for line in
             (Path(__file__).parents[1] / "data" / "jetstream" / "events.jsonl").read_text().splitlines()]
NAMING = ["is github down? every push fails with a 502", "Discord geht schon wieder nicht",
          "slack won't load for anyone else?", "loving the new #ChatGPT voice mode", "cloudflare 5xx everywhere"]
PLAIN = ["good morning everyone", "new text114", "what a game last night", "coffee first"]


def stamped_events(count: int, start_us: int, step_us: int = 10_000) -> tuple[list[str], set[str]]:
    """``count`` frames cycling through the recorded shapes, ``step_us`` apart from ``start_us``, and the
    at:// URIs of the posts among them that name a catalog service."""
    frames, kept = [], set()
    for n in range(count):
        event = copy.deepcopy(TEMPLATES[n % len(TEMPLATES)])
        time_us = start_us + n * step_us
        event["time_us"] = time_us
        event["did"] = f"did:plc:test{n % 997:04d}"
        commit = event.get("commit")
        if commit:
            commit["rkey"] = f"3k{n:011d}"
            record = commit.get("record")
            if record and commit["collection"] == "app.bsky.feed.post":
                record["createdAt"] = datetime.fromtimestamp(time_us / 1e6, timezone.utc).isoformat()
                if record.get("text"):  # the real record without text stays without
                    texts = NAMING if (n // len(TEMPLATES)) % 3 else PLAIN
                    record["text"] = texts[n % len(texts)]
                    if texts is NAMING:
                        kept.add(f"at://{event['did']}/app.bsky.feed.post/{commit['rkey']}")
        frames.append(json.dumps(event, separators=(",", ":")))
    return frames, kept


@dataclass
class Behaviour:
    """What one connection does after ``after`` frames: ``drop`` the TCP connection with no close frame,
    go ``silent`` (stay open, send nothing), or ``hold`` until :meth:`JetstreamServer.release`."""

    after: int
    action: str  # drop | silent | hold


def time_of(frame: str) -> int:
    try:
        return json.loads(frame)["time_us"]
    except (ValueError, KeyError, TypeError):
        return -1


class JetstreamServer:
    def __init__(self, frames: list[str], behaviours: list[Behaviour | None] = (), pace: float | None = None):
        self.frames = frames
        self.pace = pace  # frames per second, or None: as fast as the client reads
        times, last = [], 0
        for frame in frames:  # a malformed frame sorts with the frame before it
            last = max(last, time_of(frame))
            times.append(last)
        self.times = times
        self.behaviours = list(behaviours)  # one per connection, in order; then play everything
        self.cursors: list[int | None] = []  # the ?cursor of each connection
        self.held = threading.Event()  # a connection reached its hold
        self.sent_after_release = threading.Event()
        self._release: asyncio.Event | None = None
        self._loop = asyncio.new_event_loop()
        ready = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(ready,), daemon=True)
        self._thread.start()
        ready.wait(10)
        self.url = f"ws://127.0.0.1:{self.port}/subscribe"

    def _run(self, ready: threading.Event) -> None:
        asyncio.set_event_loop(self._loop)

        async def main() -> None:
            self._release = asyncio.Event()
            self._stopped = asyncio.Event()
            async with serve(self._handle, "127.0.0.1", 0, compression=None) as server:
                self.port = server.sockets[0].getsockname()[1]
                ready.set()
                await self._stopped.wait()

        self._loop.run_until_complete(main())

    async def _handle(self, ws) -> None:
        query = parse_qs(urlsplit(ws.request.path).query)
        assert query["wantedCollections"] == ["app.bsky.feed.post"]
        cursor = int(query["cursor"][0]) if "cursor" in query else None
        self.cursors.append(cursor)
        behaviour = self.behaviours.pop(0) if self.behaviours else None
        start = 0 if cursor is None else bisect.bisect_left(self.times, cursor)
        for sent, frame in enumerate(self.frames[start:]):
            if behaviour and sent == behaviour.after:
                if behaviour.action == "drop":
                    ws.transport.abort()
                    return
                if behaviour.action == "silent":
                    await ws.wait_closed()
                    return
                self.held.set()
                await self._release.wait()
            await ws.send(frame)
            if self.pace and sent % 50 == 49:
                await asyncio.sleep(50 / self.pace)
            elif sent % 500 == 0:
                await asyncio.sleep(0)  # let other connections and the stop request in
        if behaviour and behaviour.action == "hold":
            self.sent_after_release.set()
        await ws.wait_closed()  # the live tip: nothing more, until the client leaves

    def release(self) -> None:
        self._loop.call_soon_threadsafe(self._release.set)

    def close(self) -> None:
        self._loop.call_soon_threadsafe(self._stopped.set)
        self._thread.join(10)
