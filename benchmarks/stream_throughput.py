"""How fast `outage-signal stream` reads Jetstream, on one core, from a local server.

    python benchmarks/stream_throughput.py [--events 1000000] [--rate 20000] [--seconds 15]
    python benchmarks/stream_throughput.py --soak-minutes 10 [--rate 2000]

Events are stamped from the recorded shapes in tests/data/jetstream/events.jsonl (Jetstream's wire
format: post creates with replies, embeds and languages, updates, deletes, likes, identity and account
events), with texts of which 2% name a catalog service, as a busy hour of the network might. Three
measurements, each through the stream's own code (``JetstreamCollector`` and ``Store.save_batch``, which
``streaming.stream`` runs per batch; its per-minute analysis is left out):

1. prefilter + decode in-process, no network: events/s of the CPU work alone;
2. ``--events`` from a local WebSocket server (another process) as fast as it sends, read, filtered,
   decoded and stored: events/s by the wall clock and per CPU second of the reading process;
3. ``--rate`` events/s for ``--seconds``, each stamped with its send time: from that time to the
   commit of its post's batch (the stream writes a batch a second), p50 / p99 / max.

Peak memory of the reading process is printed at the end. ``--soak-minutes`` instead runs the whole
``outage-signal stream`` command (with its per-minute classification and detection) against the local
server at ``--rate`` for that long (the posts' authors new each minute, as on the network), and prints
its resident memory each minute and whether it is flat after warm-up (see ``FLAT_SLOPE``). On a machine shared with other work the
wall-clock rates fall below the per-CPU-second ones, which say what one core of its own would do. Counting is not in the latency: the stream
counts and detects each minute once it has ended (the detector consumes whole minutes).
"""
from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from outage_signal.classifier import ServiceMatcher  # noqa: E402
from outage_signal.collector.jetstream import JetstreamCollector, Prefilter, event_to_post  # noqa: E402
from outage_signal.config import load_config  # noqa: E402
from outage_signal.store import Store  # noqa: E402

TEMPLATES = [json.loads(line) for line in (ROOT / "tests/data/jetstream/events.jsonl").read_text().splitlines()]
NAMING = ["is github down? every push fails with a 502", "Discord geht schon wieder nicht",
          "slack won't load for anyone else?", "chatgpt is so slow today, network error on every answer",
          "cloudflare 5xx everywhere, half the web is gone", "steam store not loading for me"]
WORDS = ("the a to and of in my is it for on that this with was just so but be at have not are like "
         "you what we me all one out day time today love people new good really about some night can "
         "still back more when get from got think know going now see how would first year world home "
         "game music photo art dog cat coffee morning weekend politics news book film show").split()
POOL = 20_000  # distinct frames; each send also gets its own time_us and rkey
TIME, RKEY, CREATED = "@@TIME@@", "@@RKEY@@", "@@CREATED@@"


def frame_pool(seed: int = 7) -> list[tuple[str, str, str]]:
    """(before time_us, between time_us and rkey, after rkey) pieces of POOL distinct frames; their posts'
    ``createdAt`` is CREATED, for the server to set (see ``created_now``)."""
    rng = random.Random(seed)
    pool = []
    for n in range(POOL):
        event = json.loads(json.dumps(TEMPLATES[rng.choice([0, 0, 0, 1, 1, 2, 3, 4, 5, 6, 7])]))
        event["did"] = f"did:plc:{rng.getrandbits(120):030x}"[:32]
        event["time_us"] = TIME
        commit = event.get("commit")
        if commit:
            commit["rkey"] = RKEY
            record = commit.get("record")
            if record and commit["collection"] == "app.bsky.feed.post":
                record["createdAt"] = CREATED
                if record.get("text"):
                    record["text"] = (rng.choice(NAMING) if rng.random() < 0.02 else
                                      " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 40))))
        text = json.dumps(event, separators=(",", ":"), ensure_ascii=False).replace(f'"{TIME}"', TIME)
        if RKEY not in text:
            text = text.replace(TIME, TIME + RKEY, 1)  # no rkey in this event: an empty piece
            before, after = text.split(TIME + RKEY)
            pool.append((before, "", after))
            continue
        before, rest = text.split(TIME)
        between, after = rest.split(f"{RKEY}")
        pool.append((before, between, after))
    return pool


def created_now() -> str:
    """Now as Bluesky writes ``createdAt``: posts written now (the stream keeps no imported archive, and
    a post belongs to the minute it is sent in, as on the network)."""
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def websocket_frame(payload: bytes) -> bytes:
    """One unmasked text frame (RFC 6455 §5.2), as a server sends it."""
    n = len(payload)
    if n < 126:
        return bytes((0x81, n)) + payload
    if n < 65536:
        return bytes((0x81, 126)) + n.to_bytes(2, "big") + payload
    return bytes((0x81, 127)) + n.to_bytes(8, "big") + payload


def serve(port: multiprocessing.Queue, events: int, rate: float, start_us: int) -> None:
    """The server process: ``events`` frames to the first client, at ``rate`` per second (0: at once).

    websockets does the handshake; the frames are then written to the socket in chunks, framed here: a
    Python server sending one message at a time is slower than the reader it is meant to measure.
    """
    from websockets.exceptions import ConnectionClosed
    from websockets.sync.server import serve as ws_serve

    pool, pools = frame_pool(), 1
    chunk = 200
    if not rate:  # as fast as it sends: a few seconds in all, every post created at the start
        created = created_now()
        pool = [(before, between, after.replace(CREATED, created)) for before, between, after in pool]

    def handler(ws) -> None:
        nonlocal pool, pools
        began = built = time.perf_counter()
        for first in range(0, events, chunk):
            if rate:
                ahead = first / rate - (time.perf_counter() - began)
                if ahead > 0:
                    time.sleep(ahead)
                time_us, created = int(time.time() * 1e6), created_now()
                if time.perf_counter() - built > 60:  # new authors each minute, as on the network
                    pool, pools, built = frame_pool(seed=7 + pools), pools + 1, time.perf_counter()
            frames = []
            for n in range(first, min(first + chunk, events)):
                before, between, after = pool[n % POOL]
                stamp = time_us if rate else start_us + n
                if rate:
                    after = after.replace(CREATED, created)
                frames.append(websocket_frame(f"{before}{stamp}{between}{f'3b{n:011d}' if between else ''}{after}"
                                              .encode()))
            try:
                ws.socket.sendall(b"".join(frames))
            except OSError:  # the reader stopped
                return
        try:
            ws.recv()  # until the client leaves
        except ConnectionClosed:
            pass

    with ws_serve(handler, "127.0.0.1", 0, compression=None, ping_interval=None) as server:
        port.put(server.socket.getsockname()[1])
        server.serve_forever()


def read(url: str, events: int, store: Store, names: list[str], matcher: ServiceMatcher) -> tuple[list[float], float, float]:
    """Read ``events`` frames into ``store``; returns each stored post's latency, wall and CPU seconds."""
    stop = threading.Event()
    reader = JetstreamCollector([url], names, lambda text: bool(matcher.match(text)), stop=stop)
    latencies: list[float] = []
    wall, cpu = time.perf_counter(), time.process_time()
    for batch in reader.batches(None):
        store.save_batch(batch.source, batch.cursor, batch.posts, malformed=batch.malformed)
        committed = time.time()
        latencies.extend(committed - post.raw["time_us"] / 1e6 for post in batch.posts)
        if reader.stats.events >= events:
            stop.set()
    return latencies, time.perf_counter() - wall, time.process_time() - cpu


def with_server(events: int, rate: float, store: Store, names: list[str], matcher: ServiceMatcher):
    ports: multiprocessing.Queue = multiprocessing.Queue()
    start_us = int(time.time() * 1e6)
    server = multiprocessing.Process(target=serve, args=(ports, events, rate, start_us), daemon=True)
    server.start()
    try:
        return read(f"ws://127.0.0.1:{ports.get(timeout=60)}/subscribe", events, store, names, matcher)
    finally:
        server.terminate()
        server.join(10)


# Memory is flat when resident memory over the last FLAT_WINDOW minutes grows slower than FLAT_SLOPE
# (least squares): 0.1 MB a minute would be 144 MB a day.
FLAT_WINDOW, FLAT_SLOPE = 20, 0.1


def slope(values: list[float]) -> float:
    """The least-squares slope of ``values`` against their index (per step)."""
    xs = range(len(values))
    mean_x, mean_y = statistics.fmean(xs), statistics.fmean(values)
    return (sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, values))
            / sum((x - mean_x) ** 2 for x in xs))


def soak(minutes: float, rate: float) -> None:
    """`outage-signal stream` against the local server for ``minutes``: its resident memory each minute,
    and whether it is flat after warm-up (the slope over the last FLAT_WINDOW minutes)."""
    events = int(rate * minutes * 60)
    ports: multiprocessing.Queue = multiprocessing.Queue()
    server = multiprocessing.Process(target=serve, args=(ports, events, rate, 0), daemon=True)
    server.start()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"ws://127.0.0.1:{ports.get(timeout=60)}/subscribe"
        stream = subprocess.Popen([sys.executable, "-m", "outage_signal.cli", "--db", f"{tmp}/soak.db", "stream",
                                   "--endpoint", url], stdout=subprocess.PIPE, text=True)
        rss_by_minute = []
        began = time.monotonic()
        try:
            for minute in range(1, int(minutes) + 1):
                time.sleep(max(0.0, began + 60 * minute - time.monotonic()))
                if stream.poll() is not None:
                    raise SystemExit(f"the stream exited with status {stream.returncode} in minute {minute}")
                rss_by_minute.append(int(Path(f"/proc/{stream.pid}/status").read_text()
                                         .split("VmRSS:")[1].split()[0]) / 1024)
                sizes = " + ".join(f"{Path(tmp, name).stat().st_size / 2 ** 20:.1f}" for name in ("soak.db", "soak.db-wal")
                                   if Path(tmp, name).exists())
                print(f"minute {minute}: resident memory {rss_by_minute[-1]:,.1f} MB (database + WAL {sizes} MB)",
                      flush=True)
        finally:
            stream.send_signal(signal.SIGTERM)
            out, _ = stream.communicate(timeout=60)
            server.terminate()
        for line in out.splitlines():
            print(line)
        if len(rss_by_minute) > FLAT_WINDOW:
            window = rss_by_minute[-FLAT_WINDOW:]
            growth = slope(window)
            print(f"resident memory over the last {FLAT_WINDOW} minutes: {min(window):,.1f}-{max(window):,.1f} MB, "
                  f"slope {growth:+.3f} MB/min: {'flat' if abs(growth) < FLAT_SLOPE else 'NOT flat'} "
                  f"(flat: |slope| < {FLAT_SLOPE} MB/min); load average {os.getloadavg()[0]:.2f} at the end")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--rate", type=float, default=20_000)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--soak-minutes", type=float, default=0)
    args = parser.parse_args()
    if args.soak_minutes:
        soak(args.soak_minutes, args.rate)
        return
    config = load_config()
    matcher = ServiceMatcher(**config.matcher_names())
    names = config.names()

    # 1. The CPU work alone.
    pool, created = frame_pool(), created_now()
    frames = [f"{b}{1779719009157119 + n}{m}{'3b%011d' % n if m else ''}{a.replace(CREATED, created)}"
              for n, (b, m, a) in enumerate(pool)]
    is_candidate = Prefilter(names)
    began = time.process_time()
    rounds, candidates = 10, 0
    for _ in range(rounds):
        for frame in frames:
            if is_candidate(frame):
                candidates += 1
                post = event_to_post(json.loads(frame))
                if post is not None:
                    matcher.match(post.text)
    seconds = time.process_time() - began
    print(f"prefilter + decode in-process: {rounds * len(frames) / seconds:,.0f} events/s on one core "
          f"({candidates / rounds / len(frames):.1%} of frames decoded)")

    with tempfile.TemporaryDirectory() as tmp:
        # 2. Throughput from a local server.
        with Store(Path(tmp) / "throughput.db") as store:
            _, wall, cpu = with_server(args.events, 0, store, names, matcher)
            posts = store.post_count()
        print(f"{args.events:,} events from a local server, stored: {args.events / wall:,.0f} events/s "
              f"({args.events / cpu:,.0f} per CPU second of the reader), {posts:,} posts kept")

        # 3. Latency at a steady rate.
        events = int(args.rate * args.seconds)
        with Store(Path(tmp) / "latency.db") as store:
            latencies, wall, _ = with_server(events, args.rate, store, names, matcher)
        latencies.sort()
        p = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))]  # noqa: E731
        print(f"{events:,} events at {args.rate:,.0f}/s (read at {events / wall:,.0f}/s): send to stored, "
              f"p50 {p(0.5):.2f} s, p99 {p(0.99):.2f} s, max {latencies[-1]:.2f} s over {len(latencies):,} posts "
              f"(mean {statistics.fmean(latencies):.2f} s)")
    print(f"peak memory of the reader: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB")


if __name__ == "__main__":
    main()
