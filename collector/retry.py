"""The one retry policy of every collector: what is worth another try, and how long to wait first.

A collector wraps one attempt (a request, or a whole listing read) in a function that raises
:class:`Retryable` for a failure worth retrying (429, 408, 5xx, a network error) and anything else for
a failure that is not; :meth:`RetryPolicy.call` runs it until it succeeds or the attempts run out
(:class:`GaveUp`). Nothing is yielded from a failed attempt, so no cursor moves past data not stored.
"""
from __future__ import annotations

import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import TypeVar

T = TypeVar("T")


def retried_status(status: int) -> bool:
    """Whether an HTTP status is worth another try: request timeout, rate limit, server errors."""
    return status in (408, 429) or status >= 500


def retry_after_seconds(value: str | None, now: datetime) -> float | None:
    """The wait a ``Retry-After`` header asks for (RFC 9110 §10.2.3): delay-seconds or an HTTP-date.

    A date in the past means now (0); an absent or unreadable value is None (the caller backs off).

    >>> now = datetime(2026, 9, 10, 16, 0, tzinfo=timezone.utc)
    >>> [retry_after_seconds(v, now) for v in ("7", "Thu, 10 Sep 2026 16:00:30 GMT", "Wed, 09 Sep 2026 00:00:00 GMT",
    ...                                         "soon", "-3", None)]
    [7.0, 30.0, 0.0, None, None, None]
    """
    if value is None:
        return None
    value = value.strip()
    if re.fullmatch(r"[0-9]+", value):
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:  # "-0000": a UTC time from a source that does not say where it is
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - now).total_seconds())


class Retryable(Exception):
    """Raised by an attempt that failed in a way worth retrying; ``retry_after`` is the server's header."""

    def __init__(self, reason: str, retry_after: str | None = None):
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


class GaveUp(RuntimeError):
    """Every attempt failed in a retryable way; the message gives the count and the last reason."""


@dataclass(frozen=True)
class RetryPolicy:
    """Up to ``attempts`` tries. Between two, the server's ``Retry-After`` when it gives one, else
    exponential backoff (``base``, 2×, 4×, ...) shortened by up to ``jitter`` of itself at random, so
    clients that failed together do not all return together; never more than ``max_wait`` seconds.

    ``sleep``, ``random_fraction`` and ``now`` are injectable: tests record the waits instead of waiting.
    """

    attempts: int = 4
    base: float = 1.0
    max_wait: float = 60.0
    jitter: float = 0.5
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)
    random_fraction: Callable[[], float] = field(default=random.random, repr=False)
    now: Callable[[], datetime] = field(default=lambda: datetime.now(timezone.utc), repr=False)

    def wait(self, attempt: int, retry_after: str | None = None) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (0 for the first).

        >>> policy = RetryPolicy(random_fraction=lambda: 1.0)
        >>> policy.wait(0), policy.wait(3), policy.wait(3, "7"), policy.wait(1, "soon"), policy.wait(9, "3600")
        (0.5, 4.0, 7.0, 1.0, 60.0)
        """
        asked = retry_after_seconds(retry_after, self.now())
        if asked is not None:
            return min(asked, self.max_wait)
        backoff = min(self.base * 2.0 ** attempt, self.max_wait)
        return backoff * (1.0 - self.jitter * self.random_fraction())

    def call(self, attempt: Callable[[], T]) -> T:
        """``attempt()`` until it returns; a :class:`Retryable` is retried, any other exception raised."""
        for number in range(self.attempts):
            try:
                return attempt()
            except Retryable as e:
                failure = e
            if number + 1 < self.attempts:
                self.sleep(self.wait(number, failure.retry_after))
        raise GaveUp(f"gave up after {self.attempts} attempts ({failure.reason})")
