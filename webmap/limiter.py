"""The sign-in rate limiter (issue 7, hardened by issue 12 item 10).

Two sliding windows count failed sign-ins: one per (username, client address), 5 failures
per 15 minutes by default, and one per username from any address, 20 per 15 minutes by
default (an attacker spreading guesses over many addresses still meets a ceiling). Both are
kept in this process's memory (shared by waitress threads, reset by a restart, not shared
between processes).

Memory is bounded by ``max_keys`` per window. When a window is full, keys whose failures have
all left the window go first, then the oldest keys that are not locked; a locked key is never
dropped before its window ends. When every key is locked, a new key is refused until one
expires (fail closed): a flood of addresses cannot buy back tries against one account.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Hashable


class _Window:
    """Failure times per key over a sliding window, at most ``max_keys`` keys."""

    def __init__(self, limit: int, window: float, max_keys: int) -> None:
        self.limit = limit
        self.window = window
        self.max_keys = max_keys
        self.failures: dict[Hashable, deque[float]] = {}

    def _recent(self, key: Hashable, now: float) -> deque[float]:
        times = self.failures.get(key, deque())
        while times and times[0] <= now - self.window:
            times.popleft()
        return times

    def wait(self, key: Hashable, now: float) -> float | None:
        """Seconds until ``key`` may try again, or None."""
        if key not in self.failures and not self._room(now):
            return self.window  # full of locked keys: fail closed
        times = self._recent(key, now)
        if len(times) < self.limit:
            return None
        return times[-self.limit] + self.window - now

    def count(self, key: Hashable, now: float) -> None:
        if key not in self.failures and not self._room(now):
            return  # refused by wait() already: nothing to keep
        times = self._recent(key, now)
        times.append(now)
        self.failures[key] = times

    def forget(self, key: Hashable) -> None:
        self.failures.pop(key, None)

    def _room(self, now: float) -> bool:
        """Whether a new key fits, after dropping expired then unlocked keys."""
        if len(self.failures) < self.max_keys:
            return True
        for key in [k for k in self.failures if not self._recent(k, now)]:
            del self.failures[key]
        for key in [k for k in self.failures if len(self.failures[k]) < self.limit]:
            if len(self.failures) < self.max_keys:
                break
            del self.failures[key]  # dicts keep insertion order: oldest keys first
        return len(self.failures) < self.max_keys


class LoginLimiter:
    """Failed sign-ins per (username, client address) and per username (see module doc)."""

    def __init__(self, max_failures: int = 5, window_seconds: float = 900,
                 max_keys: int = 10_000, clock: Callable[[], float] = time.monotonic,
                 account_max_failures: int = 20) -> None:
        self.clock = clock
        self._pairs = _Window(max_failures, window_seconds, max_keys)
        self._accounts = _Window(account_max_failures, window_seconds, max_keys)
        self._lock = threading.Lock()

    def retry_after(self, key: tuple[str, str]) -> int | None:
        """Whole seconds until ``key`` (username, address) may try again, or None."""
        with self._lock:
            now = self.clock()
            waits = [w for w in (self._pairs.wait(key, now), self._accounts.wait(key[0], now))
                     if w is not None]
        return max(1, int(max(waits)) + 1) if waits else None

    def failed(self, key: tuple[str, str]) -> None:
        """Count one failure of ``key`` and of its username."""
        with self._lock:
            now = self.clock()
            self._pairs.count(key, now)
            self._accounts.count(key[0], now)

    def reset(self, key: tuple[str, str]) -> None:
        """Forget ``key``'s failures (after a successful sign-in from that address).

        The username's count across addresses is kept: a guesser who also knows one
        password elsewhere gains nothing, and it ends with its window.
        """
        with self._lock:
            self._pairs.forget(key)
