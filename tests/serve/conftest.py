"""`outage-signal serve` as a person starts it: a real uvicorn server in its own process, on a free port."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


class Served:
    """A running `outage-signal serve`: its base URL and its process."""

    def __init__(self, db: Path, *args: str):
        self.process = subprocess.Popen(
            [sys.executable, "-m", "outage_signal.cli", "--db", str(db), "serve", "--port", "0", *args],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO, env={**os.environ})
        line = self.process.stdout.readline()  # printed once the socket listens
        if "http://" not in line:
            self.process.kill()
            raise AssertionError(f"serve did not start: {line}{self.process.stderr.read()}")
        self.url = line.split(" on ", 1)[1].split()[0].rstrip("/")

    def stop(self) -> str:
        """SIGTERM, as systemd stops it; its stderr."""
        self.process.terminate()
        _, err = self.process.communicate(timeout=30)
        return err


@pytest.fixture(scope="module")
def start_serve():
    """``start_serve(db, *options)``: a :class:`Served`; every one is stopped after the test module."""
    started: list[Served] = []

    def start(db: Path, *args: str) -> Served:
        started.append(Served(db, *args))
        return started[-1]
    yield start
    for served in started:
        if served.process.poll() is None:
            served.stop()
