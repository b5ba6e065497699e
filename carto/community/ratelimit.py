"""Sliding-window rate limits in memory (per process): submissions per IP, login failures.

A limiter counts events per key over the last ``window`` seconds. The clock is injectable so that
tests can move time without sleeping.
"""
import threading
import time
from collections import deque
from collections.abc import Callable


class RateLimiter:
    def __init__(self, limit: int, window: float, clock: Callable[[], float] = time.monotonic):
        self.limit, self.window, self.clock = limit, window, clock
        self._events: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        events = self._events.setdefault(key, deque())
        while events and events[0] <= now - self.window:
            events.popleft()
        return events

    def blocked(self, key: str) -> bool:
        """Whether ``key`` has used up its events in the current window (records nothing)."""
        with self._lock:
            return len(self._recent(key, self.clock())) >= self.limit

    def hit(self, key: str) -> bool:
        """Record one event for ``key``; False (and nothing recorded) when over the limit."""
        with self._lock:
            now = self.clock()
            events = self._recent(key, now)
            if len(events) >= self.limit:
                return False
            events.append(now)
            self._prune(now)
            return True

    def reset(self, key: str) -> None:
        with self._lock:
            self._events.pop(key, None)

    def _prune(self, now: float) -> None:
        # Keep memory bounded under many distinct keys (one per IP): drop keys with no recent event.
        if len(self._events) > 10_000:
            for key in [k for k, v in self._events.items() if not v or v[-1] <= now - self.window]:
                del self._events[key]


def limiter(state, name: str, limit: int, window: float) -> RateLimiter:
    """The limiter ``name`` kept on an application's state (created on first use)."""
    limiters = getattr(state, "rate_limiters", None)
    if limiters is None:
        limiters = state.rate_limiters = {}
    if name not in limiters:
        limiters[name] = RateLimiter(limit, window)
    return limiters[name]
