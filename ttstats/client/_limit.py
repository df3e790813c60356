"""A client-side rate limit: at most so many requests in any sliding window of time."""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable

logger = logging.getLogger("ttstats.client")

#: The documented throttle of the Performance Report API: 50 requests per minute.
REQUESTS_PER_MINUTE = 50


class RateLimiter:
    """At most ``limit`` requests in any ``period`` seconds (a sliding window).

    :meth:`acquire` returns at once while fewer than ``limit`` requests were let through in
    the last ``period`` seconds; otherwise it waits until the oldest of them is ``period``
    seconds old. Safe to share between threads.

    Parameters
    ----------
    limit : int, default 50
        Requests per window (the API's documented throttle is 50 per minute).
    period : float, default 60.0
        The window, in seconds.
    clock : callable, default time.monotonic
        Returns the current time in seconds.
    sleep : callable, default time.sleep
        Waits the given number of seconds. Inject both to test without waiting.

    Examples
    --------
    >>> now = [0.0]
    >>> limiter = RateLimiter(2, 60.0, clock=lambda: now[0],
    ...                       sleep=lambda s: now.__setitem__(0, now[0] + s))
    >>> [limiter.acquire() for _ in range(3)]      # seconds waited before each request
    [0.0, 0.0, 60.0]
    >>> now[0]
    60.0
    """

    def __init__(
        self,
        limit: int = REQUESTS_PER_MINUTE,
        period: float = 60.0,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise ValueError(f"limit must be a positive integer, not {limit!r}")
        if not period > 0:
            raise ValueError(f"period must be positive, not {period!r}")
        self.limit = limit
        self.period = float(period)
        self._clock = clock
        self._sleep = sleep
        self._sent: deque[float] = deque()
        self._lock = threading.Lock()

    def acquire(self) -> float:
        """Wait until one more request is allowed, count it, and return the seconds waited."""
        waited = 0.0
        with self._lock:
            while True:
                now = self._clock()
                while self._sent and now >= self._sent[0] + self.period:
                    self._sent.popleft()
                if len(self._sent) < self.limit:
                    self._sent.append(now)
                    return waited
                wait = self._sent[0] + self.period - now
                logger.debug(
                    "rate limit: %d requests in %.0f s, waiting %.3f s",
                    self.limit,
                    self.period,
                    wait,
                )
                self._sleep(wait)
                waited += wait

    def __repr__(self) -> str:
        return f"RateLimiter(limit={self.limit}, period={self.period})"
