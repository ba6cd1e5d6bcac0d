"""How long to wait before retrying a request the server could not serve (429, 5xx, network)."""
from __future__ import annotations

from typing import Any


def backoff_seconds(attempt: int, retry_after: Any = None) -> float:
    """The server's ``Retry-After`` seconds when it gives them, else exponential backoff: 1, 2, 4, ...

    >>> backoff_seconds(0), backoff_seconds(3), backoff_seconds(3, "7"), backoff_seconds(1, "soon")
    (1.0, 8.0, 7.0, 2.0)
    """
    return float(retry_after) if str(retry_after or "").isdigit() else 2.0 ** attempt
