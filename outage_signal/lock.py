"""One job at a time per database: a lock file beside it that says who holds it.

A lock whose process is gone (killed, crashed, machine rebooted) is stale and is taken over.
"""
from __future__ import annotations

import json
import os
import socket
from datetime import datetime, timezone
from pathlib import Path


class LockHeld(RuntimeError):
    """Another run holds the lock."""


class RunLock:
    """``with RunLock(db_path, "run"):`` — raises :class:`LockHeld` naming the holder if taken.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> db = pathlib.Path(tempfile.mkdtemp()) / "x.db"
    >>> with RunLock(db, "run"):
    ...     try:
    ...         RunLock(db, "watch").acquire()
    ...     except LockHeld as e:
    ...         print(str(e).split(" (")[0])
    another run holds the lock
    """

    def __init__(self, db_path: str | Path, command: str):
        self.path = Path(f"{db_path}.lock")
        self.command = command

    def acquire(self) -> None:
        holder = {"pid": os.getpid(), "host": socket.gethostname(), "command": self.command,
                  "started_at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
        for _ in range(2):
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                current = self._holder()
                if current is not None and not self._stale(current):
                    raise LockHeld(f"another run holds the lock ({current.get('command')}, pid {current.get('pid')} on "
                                   f"{current.get('host')}, since {current.get('started_at')}); remove {self.path} if "
                                   "that process is gone") from None
                self.path.unlink(missing_ok=True)  # stale: its process is gone
                continue
            with os.fdopen(fd, "w") as f:
                json.dump(holder, f)
            return
        raise LockHeld(f"could not take {self.path}: another run took it first")

    def release(self) -> None:
        current = self._holder()
        if current and current.get("pid") == os.getpid() and current.get("host") == socket.gethostname():
            self.path.unlink(missing_ok=True)

    def _holder(self) -> dict | None:
        try:
            return json.loads(self.path.read_text())
        except FileNotFoundError:
            return None
        except ValueError:
            return {}  # half-written by a process killed mid-write: stale

    @staticmethod
    def _stale(holder: dict) -> bool:
        if holder.get("host") != socket.gethostname():
            return False  # cannot tell for another machine: assume alive
        try:
            os.kill(int(holder["pid"]), 0)
        except (KeyError, ValueError, TypeError, ProcessLookupError):
            return True
        except PermissionError:
            return False
        return False

    def __enter__(self) -> RunLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
