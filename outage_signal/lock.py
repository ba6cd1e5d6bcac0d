"""One job at a time per database: an exclusive ``flock`` on a lock file beside it.

The kernel releases the lock when its process ends, however it ends (SIGKILL, crash), so a lock is never
stale. The file also says who holds it (pid, host, command), only for the message of the one refused:
whether the lock is held never depends on what the file says.
"""
from __future__ import annotations

import fcntl
import json
import os
import socket
from datetime import datetime, timezone
from pathlib import Path


class LockError(RuntimeError):
    """The lock file cannot be made (a read-only folder, say)."""


class LockHeld(LockError):
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
        self._fd: int | None = None

    def acquire(self) -> None:
        while True:
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_RDWR, 0o644)
            except OSError as e:
                raise LockError(f"{self.path}: cannot make the lock file ({e.strerror}); commands that write need a "
                                "writable folder (read-only commands such as status work in a read-only one)") from None
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = _read_holder(fd)
                os.close(fd)
                raise LockHeld(f"another run holds the lock ({holder.get('command', '?')}, pid {holder.get('pid', '?')} "
                               f"on {holder.get('host', '?')}, since {holder.get('started_at', '?')})") from None
            # The holder before us may have removed the file between our open and our flock: then we hold a
            # lock on a file nobody else will open, and must lock the one now at the path instead.
            if _same_file(fd, self.path):
                break
            os.close(fd)
        holder = {"pid": os.getpid(), "host": socket.gethostname(), "command": self.command,
                  "started_at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
        os.ftruncate(fd, 0)
        os.write(fd, json.dumps(holder).encode())
        self._fd = fd

    def release(self) -> None:
        if self._fd is None:
            return
        try:
            self.path.unlink(missing_ok=True)  # while still locked, so nobody locks the file being removed
        except PermissionError:
            pass  # a folder made read-only meanwhile: a file left behind holds no lock
        os.close(self._fd)  # releases the lock
        self._fd = None

    def __enter__(self) -> RunLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def _read_holder(fd: int) -> dict:
    """Who holds the lock, as the holder wrote it; {} when unreadable (the holder is still writing it)."""
    try:
        holder = json.loads(os.pread(fd, 4096, 0))
    except (OSError, ValueError):
        return {}
    return holder if isinstance(holder, dict) else {}


def _same_file(fd: int, path: Path) -> bool:
    try:
        return os.path.samestat(os.fstat(fd), os.stat(path))
    except FileNotFoundError:
        return False
