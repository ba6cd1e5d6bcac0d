"""Import speed: a 1,000,000-line zstandard NDJSON Reddit dump, against the floor of parsing it and
inserting its rows into SQLite with nothing else.

    python benchmarks/import_dump.py [--lines 1000000]

Each part runs in its own process so that peak memory (max RSS) is its own.
"""
import argparse
import importlib
import json
import random
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import zstandard

WORDS = "github discord down again 502 error is anyone else slack not loading the for my today why".split()


def make_dump(path: Path, lines: int) -> None:
    rng = random.Random(0)
    with open(path, "wb") as raw, zstandard.ZstdCompressor(level=3).stream_writer(raw) as out:
        for i in range(lines):
            row = {"id": f"b{i:07x}", "title": " ".join(rng.choices(WORDS, k=8)), "selftext": " ".join(rng.choices(WORDS, k=20)),
                   "author": f"user{rng.randrange(50_000)}", "created_utc": 1717000000 + i // 10,
                   "permalink": f"/r/help/comments/b{i:07x}/x/", "subreddit": "help", "score": rng.randrange(100)}
            out.write((json.dumps(row) + "\n").encode())


def floor(dump: Path, db: Path) -> None:
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE posts (source, source_id, text, author, created_at, url, UNIQUE (source, source_id))")
    with open(dump, "rb") as raw:
        reader = zstandard.ZstdDecompressor(max_window_size=2**31).stream_reader(raw)
        import io
        rows = []
        for line in io.TextIOWrapper(reader, encoding="utf-8"):
            r = json.loads(line)
            rows.append(("reddit", r["id"], f"{r['title']}\n\n{r['selftext']}", r["author"], r["created_utc"], r["permalink"]))
            if len(rows) == 5000:
                conn.executemany("INSERT INTO posts VALUES (?, ?, ?, ?, ?, ?)", rows)
                conn.commit()
                rows = []
        conn.executemany("INSERT INTO posts VALUES (?, ?, ?, ?, ?, ?)", rows)
        conn.commit()


def project_import(dump: Path, db: Path) -> None:
    """``outage-signal --quiet --db DB import DUMP``, the command a user runs, in this process."""
    from outage_signal.cli import cli  # loaded before the clock starts (see child)
    cli.main(["--quiet", "--db", str(db), "import", str(dump)], standalone_mode=False)


def child(kind: str, dump: Path, db: Path) -> None:
    if kind == "import":  # module loading (about 2 s, scikit-learn) is paid once per command, not per post
        importlib.import_module("outage_signal.cli")
    start = time.perf_counter()
    {"floor": floor, "import": project_import}[kind](dump, db)
    seconds = time.perf_counter() - start
    print(json.dumps({"seconds": seconds, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                      "helper_peak_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--child", nargs=3)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], Path(args.child[1]), Path(args.child[2]))
        return
    with tempfile.TemporaryDirectory() as tmp:
        dump = Path(tmp) / "RS_bench.zst"
        make_dump(dump, args.lines)
        print(f"dump: {args.lines:,} lines, {dump.stat().st_size / 1e6:.1f} MB compressed")
        for kind in ("floor", "import"):
            out = subprocess.run([sys.executable, __file__, "--child", kind, str(dump), str(Path(tmp) / f"{kind}.db")],
                                 capture_output=True, text=True, check=True).stdout
            figures = json.loads(out.splitlines()[-1])
            helper = f" (each parsing helper process: at most {figures['helper_peak_mb']:.0f} MB)" if figures["helper_peak_mb"] else ""
            print(f"{kind:7} {args.lines / figures['seconds']:>10,.0f} posts/s  {figures['seconds']:6.1f} s  "
                  f"peak {figures['peak_mb']:.0f} MB{helper}")


if __name__ == "__main__":
    main()
